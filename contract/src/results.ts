// The JSON the agent stores in monitor_metrics.details (one check run) and monitor_incidents.details
// (what opened an incident). Dashboards, the SLO functions and the plugin read these keys.
import { z } from 'zod';
import { conditionSchema } from './conditions.ts';

/** Why a run failed; stored as details.error_class so dashboards can group by it. */
export const ERROR_CLASSES = [
  'timeout', 'connect_refused', 'dns', 'tls', 'network', 'http_status', 'assertion', 'invalid_json', 'too_large', 'redirect_loop', 'auth',
  'listener_stalled', 'no_progress', 'rpc_error', 'rpc_stalled', 'behind_head', 'no_data', 'missing_events', 'internal',
] as const;
export type ErrorClass = (typeof ERROR_CLASSES)[number];

const count = z.number().finite();
/** The listener writes block numbers as strings (blocktrust-v1.2); the agent's checks write numbers. */
const blockNumber = z.union([z.number().int(), z.string()]);

/** monitor_metrics.details: every key is optional; a check kind may add its own. */
export const resultDetailsSchema = z.looseObject({
  url: z.string().optional(),
  method: z.string().optional(),
  status: z.number().int().optional(),
  error_class: z.enum(ERROR_CLASSES).optional(),
  /** A readable sentence, secrets removed. */
  error: z.string().optional(),
  /** The condition a failing run reports (down unless the check says otherwise). */
  condition: z.string().optional(),
  /** A passing run over its latency objective. */
  slow: z.literal(true).optional(),
  latency_objective_ms: count.optional(),
  lag_sec: count.optional(),
  max_lag_sec: count.optional(),
  block_number: blockNumber.optional(),
  head_block: blockNumber.optional(),
  lag_blocks: count.optional(),
  expected: z.unknown().optional(),
  actual: z.unknown().optional(),
});
export type ResultDetails = z.infer<typeof resultDetailsSchema>;

/** The measured values an incident shows and its alerts quote, by name (status, latency_ms, lag_sec, burn_1h, …). */
export const incidentValuesSchema = z.record(z.string(), z.union([z.number(), z.string()]));
export type IncidentValues = z.infer<typeof incidentValuesSchema>;

/** Burn rates over the four windows, keyed critLong, critShort, warnLong, warnShort. */
export const burnRatesSchema = z.object({
  critLong: z.number(),
  critShort: z.number(),
  warnLong: z.number(),
  warnShort: z.number(),
});

/** monitor_incidents.details as the incident engine writes it: every key is optional, and keys written by newer
 *  agents are kept. Notes add postmortem_url. */
export const incidentDetailsSchema = z.looseObject({
  values: incidentValuesSchema.optional(),
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
  /** A check run from several locations: which of the live locations were failing when the incident opened. */
  locations: z.object({
    failing: z.array(z.string()),
    live: z.array(z.string()),
    quorum: z.number().int(),
  }).optional(),
});
export type IncidentDetails = z.infer<typeof incidentDetailsSchema>;

/** Reads a stored details value written by any agent version; anything unreadable becomes {}. */
export function parseIncidentDetails(raw: unknown): IncidentDetails {
  const parsed = incidentDetailsSchema.safeParse(raw ?? {});
  return parsed.success ? parsed.data : {};
}
