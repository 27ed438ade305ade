// What Grafana may ask for: one schema per intent kind. The agent applies these schemas to every intent and
// the plugin's forms validate with the same ones, so a form never accepts what the agent rejects. A payload that
// does not fit is rejected with its first problem as `field: what is wrong`, which the UI shows as is.
import { z } from 'zod';
import { DEFAULTS, TARGET_RANGES } from './defaults.ts';
import { TEXT_LIMITS } from './limits.ts';
import {
  ALL_CHECKS, CHANNEL_NAME, CHANNEL_NAME_RULE, CHECK_NAME, CHECK_PATTERN, CHECK_PATTERN_RULE, slackWebhookProblem,
  TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_ID, TELEGRAM_CHAT_ID_RULE,
} from './names.ts';
import { CHANNEL_KINDS, LANGUAGES, RECURRENCES, SEVERITIES, type ChannelKind } from './vocabulary.ts';

export class IntentRejected extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'IntentRejected';
  }
}

export const reject = (reason: string): never => {
  throw new IntentRejected(reason);
};

// Forms send null or '' for a field left empty: both mean "not given".
const blankToUndefined = (v: unknown) => (v === null || (typeof v === 'string' && v.trim() === '') ? undefined : v);
const given = <T extends z.ZodType>(schema: T) => z.preprocess(blankToUndefined, schema);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blankToUndefined, schema.optional());

const missing = (issue: { input?: unknown }) => issue.input === undefined;

const text = (max: number) =>
  z.string({ error: (issue) => (missing(issue) ? 'is required' : 'must be text') })
    .trim()
    .max(max, { error: `must be at most ${max} characters` });

const oneOf = <const T extends readonly string[]>(values: T) =>
  z.enum(values, {
    error: (issue) => (missing(issue) ? `is required (${values.join(' or ')})` : `must be one of ${values.join(', ')}`),
  });

const flag = (fallback: boolean) => given(z.boolean({ error: 'must be true or false' }).default(fallback));

// Ids are BIGSERIAL: the UI may send them as numbers or as digit strings.
const ID_PROBLEM = 'must be a positive whole number';
const positiveId = z.preprocess(
  (v) => (typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v),
  z.int({ error: ID_PROBLEM }).positive({ error: ID_PROBLEM }),
);

const INSTANT_PROBLEM = 'must be an ISO 8601 date and time, e.g. 2026-03-02T10:00:00Z';
const instant = z
  .union([z.string(), z.number()], {
    error: (issue) => (missing(issue) ? 'is required (an ISO 8601 date and time)' : INSTANT_PROBLEM),
  })
  .pipe(z.coerce.date({ error: INSTANT_PROBLEM }));

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

const checkName = given(
  text(TEXT_LIMITS.checkName).refine((v) => v === ALL_CHECKS || CHECK_NAME.test(v), {
    error: "must be '*' (all checks) or a check name like api.health (letters, digits, . _ -)",
  }),
);
const checkPattern = given(
  text(TEXT_LIMITS.checkPattern).regex(CHECK_PATTERN, { error: `must be ${CHECK_PATTERN_RULE}` }).default(ALL_CHECKS),
);
const channelName = given(text(TEXT_LIMITS.channelName).regex(CHANNEL_NAME, { error: CHANNEL_NAME_RULE }));
const chatId = text(TEXT_LIMITS.chatId).regex(TELEGRAM_CHAT_ID, { error: TELEGRAM_CHAT_ID_RULE });
const severity = oneOf(SEVERITIES);

// An SLO target: absent leaves the stored value, null (or '') clears it so that the check inherits.
const target = (schema: z.ZodNumber) =>
  z.preprocess(
    (v) => (v === null || (typeof v === 'string' && v.trim() === '') ? null : typeof v === 'string' ? Number(v) : v),
    schema.nullable().optional(),
  );
const number = () => z.number({ error: 'must be a number' });
const wholeFrom = (min: number, max: number) =>
  number()
    .int({ error: 'must be a whole number' })
    .min(min, { error: `must be at least ${min}` })
    .max(max, { error: `must be at most ${max}` });
const UPTIME_RANGE = 'must be greater than 0 and less than 100';
// Stored as NUMERIC(7,4).
const fourDecimals = (n: number) => Math.abs(n * 10_000 - Math.round(n * 10_000)) <= 1e-6;

const PERIOD_MS = { daily: 86_400_000, weekly: 604_800_000 } as const;

/** A payload is a JSON object with only the fields its kind knows. */
const payload = <T extends z.core.$ZodLooseShape>(shape: T) =>
  z.strictObject(shape, { error: (issue) => (issue.code === 'invalid_type' ? 'payload: must be a JSON object' : undefined) });

const incident = { incident_id: positiveId };

export const intentSchemas = {
  'incident.ack': payload(incident),
  'incident.unack': payload(incident),
  'incident.resolve': payload({ ...incident, comment: optional(text(TEXT_LIMITS.resolveComment)) }),
  'incident.note': payload({
    ...incident,
    text: given(text(TEXT_LIMITS.note)),
    postmortem_url: optional(httpUrl.max(TEXT_LIMITS.postmortemUrl, { error: `must be at most ${TEXT_LIMITS.postmortemUrl} characters` })),
  }),

  'slo.set': payload({
    check_name: checkName,
    uptime_target: target(
      number().gt(0, { error: UPTIME_RANGE }).lt(100, { error: UPTIME_RANGE })
        .refine(fourDecimals, { error: 'must have at most 4 decimals (e.g. 99.95)' }),
    ),
    latency_ms: target(wholeFrom(TARGET_RANGES.latencyMs.min, TARGET_RANGES.latencyMs.max)),
    max_lag_sec: target(wholeFrom(TARGET_RANGES.maxLagSec.min, TARGET_RANGES.maxLagSec.max)),
  }).refine((p) => p.uptime_target !== undefined || p.latency_ms !== undefined || p.max_lag_sec !== undefined, {
    error: 'set at least one of uptime_target, latency_ms, max_lag_sec',
  }),
  'slo.delete': payload({ check_name: checkName }),

  'channel.upsert': payload({
    name: channelName,
    kind: given(oneOf(CHANNEL_KINDS)),
    enabled: flag(true),
    min_severity: given(severity.default(DEFAULTS.minSeverity)),
    language: given(oneOf(LANGUAGES).default(DEFAULTS.language)),
    chat_id: optional(chatId),
    // Absent keeps the stored secret; secret_reset removes it.
    secret_sealed: optional(text(TEXT_LIMITS.sealedSecret)),
    secret_reset: flag(false),
  }).refine((p) => !(p.secret_sealed && p.secret_reset), {
    error: 'secret_sealed and secret_reset: give a new secret or remove it, not both',
  }),
  'channel.delete': payload({ name: channelName }),

  'silence.create': payload({
    check_pattern: checkPattern,
    severity: optional(severity),
    starts_at: optional(instant),
    ends_at: given(instant),
    comment: optional(text(TEXT_LIMITS.silenceComment)),
  }).refine((p) => !p.starts_at || p.ends_at > p.starts_at, { path: ['ends_at'], error: 'must be after starts_at' }),
  'silence.expire': payload({ id: positiveId }),

  'maintenance.create': payload({
    check_pattern: checkPattern,
    starts_at: given(instant),
    ends_at: given(instant),
    recurrence: optional(oneOf(RECURRENCES)),
    recurrence_until: optional(instant),
    reason: optional(text(TEXT_LIMITS.maintenanceReason)),
  })
    .refine((p) => p.ends_at > p.starts_at, { path: ['ends_at'], error: 'must be after starts_at' })
    .refine((p) => !p.recurrence_until || p.recurrence, {
      path: ['recurrence_until'], error: 'only for a recurring window (recurrence daily or weekly)',
    })
    .refine((p) => !p.recurrence_until || p.recurrence_until >= p.starts_at, {
      path: ['recurrence_until'], error: 'must not be before starts_at',
    })
    .refine((p) => !p.recurrence || p.ends_at.getTime() - p.starts_at.getTime() < PERIOD_MS[p.recurrence], {
      path: ['ends_at'], error: (issue) => `a ${(issue.input as { recurrence: string }).recurrence} window must be shorter than its period`,
    }),
  'maintenance.delete': payload({ id: positiveId }),

  'alert.test': payload({ channel: optional(text(TEXT_LIMITS.channelName)) }),
};

export const INTENT_KINDS = Object.keys(intentSchemas) as IntentKind[];

export type IntentKind = keyof typeof intentSchemas;
export type IntentPayload<K extends IntentKind> = z.infer<(typeof intentSchemas)[K]>;

export const isIntentKind = (kind: string): kind is IntentKind => Object.hasOwn(intentSchemas, kind);

function reasonFor(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `${issue.keys.join(', ')}: unknown field${issue.keys.length > 1 ? 's' : ''}`;
  }
  return issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
}

/** Every problem of a payload, as `[field, what is wrong]`; the field is '' for a problem of the whole payload. */
export function intentProblems(kind: IntentKind, raw: unknown): Array<[string, string]> {
  const parsed = intentSchemas[kind].safeParse(raw);
  if (parsed.success) return [];
  return parsed.error.issues.map((issue) =>
    issue.code === 'unrecognized_keys' ? ['', reasonFor(issue)] : [issue.path.join('.'), issue.message]);
}

/** The payload of an intent of this kind, or IntentRejected naming the first field that does not fit. */
export function parseIntent<K extends IntentKind>(kind: K, raw: unknown): IntentPayload<K> {
  const parsed = intentSchemas[kind].safeParse(raw);
  if (!parsed.success) reject(reasonFor(parsed.error.issues[0]));
  return parsed.data as IntentPayload<K>;
}

/** The plaintext of a channel secret must look like what the channel needs. */
export function channelSecretProblem(kind: ChannelKind, plaintext: string): string | null {
  if (kind === 'slack') {
    const problem = slackWebhookProblem(plaintext);
    return problem && `the Slack webhook URL ${problem}`;
  }
  return TELEGRAM_BOT_TOKEN.test(plaintext.trim()) ? null : 'the Telegram bot token does not look like a bot token (digits, a colon, then the secret)';
}

/** The plaintext of a channel secret must look like what the channel needs (the agent checks it once opened). */
export function checkChannelSecret(kind: ChannelKind, plaintext: string): void {
  const problem = channelSecretProblem(kind, plaintext);
  if (problem) reject(`secret_sealed: the sealed secret does not fit: ${problem}`);
}
