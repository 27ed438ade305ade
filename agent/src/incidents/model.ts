// The incident model shared by the agent, the SQL it writes and the Grafana plugin that reads it: the one list
// of conditions, the shape of monitor_incidents.details, and the effects a policy decision asks a store to apply.
// Web-standard TypeScript that imports nothing but zod, so it can be imported as is by any package.
import { z } from 'zod';

export const SEVERITIES = ['info', 'warn', 'crit'] as const;
export const severitySchema = z.enum(SEVERITIES);
export type IncidentSeverity = z.infer<typeof severitySchema>;

/** Conditions a check run reports; each has its own failure streak. */
export const CHECK_CONDITIONS = ['down', 'slow', 'listener_stalled', 'no_progress', 'rpc_stalled', 'behind_head'] as const;
export type CheckCondition = (typeof CHECK_CONDITIONS)[number];
/** Every condition an incident can be about: the check conditions plus `budget_burn` (multi-window burn rate). */
export const INCIDENT_CONDITIONS = [...CHECK_CONDITIONS, 'budget_burn'] as const;
export const conditionSchema = z.enum(INCIDENT_CONDITIONS);
export type IncidentConditionName = z.infer<typeof conditionSchema>;

/** What an alert shows beside its text: the actual values (status, latency, objective, lag, burn rates). */
export const alertValuesSchema = z.record(z.string(), z.union([z.string(), z.number()]));
export type AlertValues = z.infer<typeof alertValuesSchema>;

/** Burn rates over the four windows, keyed critLong, critShort, warnLong, warnShort. */
export const burnRatesSchema = z.object({
  critLong: z.number(),
  critShort: z.number(),
  warnLong: z.number(),
  warnShort: z.number(),
});

/** monitor_incidents.details: every key is optional, and keys written by newer agents are kept. */
export const incidentDetailsSchema = z.looseObject({
  values: alertValuesSchema.optional(),
  error_class: z.string().nullable().optional(),
  url: z.string().nullable().optional(),
  /** When the result that opened the incident ran. */
  opened_by_result_at: z.string().optional(),
  /** The latency objective a slow incident missed, in ms. */
  latency_objective_ms: z.number().optional(),
  /** Set while a slow incident is escalated to down. */
  escalated_from: conditionSchema.optional(),
  escalations: z.number().int().optional(),
  burn: burnRatesSchema.optional(),
  postmortem_url: z.string().optional(),
});
export type IncidentDetails = z.infer<typeof incidentDetailsSchema>;

/** Reads a stored details value written by any agent version; anything unreadable becomes {}. */
export function parseIncidentDetails(raw: unknown): IncidentDetails {
  const parsed = incidentDetailsSchema.safeParse(raw ?? {});
  return parsed.success ? parsed.data : {};
}

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
    at: Date; title: string; detail: string; values: AlertValues; burn?: BurnRatesShape;
  }
  | { type: 'deescalate'; incident: number; check: string; to: IncidentConditionName; severity: IncidentSeverity; at: Date; title: string }
  | { type: 'resolve'; incident: number; check: string; condition: IncidentConditionName; at: Date; actor: string; comment?: string }
  | { type: 'remind'; incident: number; at: Date }
  | { type: 'acknowledge'; incident: number; at: Date; actor: string; withdraw?: boolean }
  | { type: 'note'; incident: number; at: Date; postmortemUrl: string }
  | { type: 'event'; incident: number; at: Date; kind: TimelineKind; message: string; details?: unknown; actor?: string }
  | { type: 'notify'; incident: number; kind: 'opened' | 'escalated' | 'reminder' | 'resolved'; seq: number; extra?: NotifyExtra }
  | { type: 'reset_streak'; check: string; condition: IncidentConditionName };
