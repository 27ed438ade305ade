import type {
  ChannelKind,
  IncidentDetails,
  IntentStatus,
  Language,
  PublicJwkInput,
  Recurrence,
  Severity,
} from '@blocktrust-monitor/contract';

export type { ChannelKind, IntentKind, Language, Severity } from '@blocktrust-monitor/contract';

/** What an admin sets on the app's configuration page in Grafana (plugin jsonData). */
export interface AppSettings {
  datasourceUid?: string;
  playbookBaseUrl?: string;
}

export type IncidentState = 'open' | 'acked' | 'resolved';

export interface Incident {
  id: number;
  openedAt: Date;
  resolvedAt: Date | null;
  severity: Severity;
  title: string;
  detail: string | null;
  checkName: string | null;
  condition: string | null;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  escalatedAt: Date | null;
  details: IncidentDetails | null;
}

export interface IncidentEvent {
  id: number;
  ts: Date;
  kind: string;
  actor: string | null;
  channel: string | null;
  message: string | null;
  details: Record<string, unknown> | null;
}

export interface SloTarget {
  checkName: string;
  uptimeTarget: number | null;
  latencyMs: number | null;
  maxLagSec: number | null;
  updatedAt: Date | null;
  updatedBy: string | null;
}

export interface Channel {
  name: string;
  kind: ChannelKind;
  enabled: boolean;
  minSeverity: Severity;
  language: Language;
  chatId: string | null;
  secretConfigured: boolean;
  updatedAt: Date | null;
  updatedBy: string | null;
}

export interface Silence {
  id: number;
  checkPattern: string;
  severity: Severity | null;
  startsAt: Date;
  endsAt: Date;
  author: string;
  comment: string | null;
}

export interface MaintenanceWindow {
  id: number;
  checkPattern: string;
  startsAt: Date;
  endsAt: Date;
  recurrence: Recurrence | null;
  recurrenceUntil: Date | null;
  reason: string | null;
  author: string;
}

export interface AgentInfo {
  agentId: string;
  version: string;
  runtime: string;
  lastSeenAt: Date;
  publicKey: PublicKeyJwk | null;
}

/** The agent's public key as published in monitor_agents; seal() checks it before use. */
export type PublicKeyJwk = PublicJwkInput;

export interface IntentOutcome {
  id: number;
  status: IntentStatus;
  reason: string | null;
  result: Record<string, unknown> | null;
}
