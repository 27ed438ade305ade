// The incident model shared by the agent, the SQL it writes and the Grafana plugin that reads it: the one list
// of conditions, the shape of monitor_incidents.details, and the effects a policy decision asks a store to apply.
// Web-standard TypeScript; the parts the plugin reads too come from the contract workspace.
import { z } from 'zod';
import {
  burnRatesSchema, CHECK_CONDITIONS, parseIncidentDetails, type IncidentCondition, type IncidentDetails,
  type IncidentValues, type Severity,
} from '@blocktrust-monitor/contract';

// The shared parts live in the contract (conditions, severities, the details shape); the names below are the model's.
export { burnRatesSchema, CHECK_CONDITIONS, parseIncidentDetails };
export type { IncidentDetails };
export type IncidentSeverity = Severity;
export type IncidentConditionName = IncidentCondition;
export type AlertValues = IncidentValues;

/** An incident as the policy sees it. */
export interface Incident {
  id: number;
  check: string;
  condition: IncidentConditionName;
  severity: IncidentSeverity;
  title: string;
  detail: string | null;
  openedAt: Date;
  resolvedAt: Date | null;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  reminderCount: number;
  lastNotifiedAt: Date | null;
  details: IncidentDetails;
}

export type TimelineKind =
  | 'opened' | 'notified' | 'notify_failed' | 'escalated' | 'deescalated' | 'reminded' | 'acknowledged' | 'unacknowledged'
  | 'note' | 'silenced' | 'resolved';

/** What a notification adds to the incident it is about. */
export interface NotifyExtra {
  previousSeverity?: IncidentSeverity;
  previousCondition?: IncidentConditionName;
  reminderNumber?: number;
  resolvedAfterSec?: number;
  resolvedBy?: string;
  comment?: string;
}

export type BurnRatesShape = z.infer<typeof burnRatesSchema>;

/**
 * What a decision asks the store to do, applied in order in one transaction. An `incident` below 0 names the incident
 * opened by the `open` effect with that `ref` earlier in the same list. When a state change finds nothing to change
 * (the incident was opened, resolved or changed meanwhile by someone else), the effects after it on the same
 * incident are skipped.
 */
export type Effect =
  | {
    type: 'open'; ref: number; check: string; condition: IncidentConditionName; severity: IncidentSeverity; since: Date; at: Date;
    title: string; detail: string; details: IncidentDetails;
  }
  | {
    type: 'escalate'; incident: number; check: string; from: IncidentConditionName; to: IncidentConditionName; severity: IncidentSeverity;
    at: Date; title: string; detail: string; values: AlertValues; burn?: BurnRatesShape; locations?: IncidentDetails['locations'];
  }
  | { type: 'deescalate'; incident: number; check: string; to: IncidentConditionName; severity: IncidentSeverity; at: Date; title: string }
  | { type: 'resolve'; incident: number; check: string; condition: IncidentConditionName; at: Date; actor: string; comment?: string }
  | { type: 'remind'; incident: number; at: Date }
  | { type: 'acknowledge'; incident: number; at: Date; actor: string; withdraw?: boolean }
  | { type: 'note'; incident: number; at: Date; postmortemUrl: string }
  | { type: 'event'; incident: number; at: Date; kind: TimelineKind; message: string; details?: unknown; actor?: string }
  | { type: 'notify'; incident: number; kind: 'opened' | 'escalated' | 'reminder' | 'resolved'; seq: number; extra?: NotifyExtra }
  | { type: 'reset_streak'; check: string; condition: IncidentConditionName };
