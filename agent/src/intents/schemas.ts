// What Grafana may ask for: one schema per intent kind. A payload that does not fit is rejected with its
// first problem as `field: what is wrong`, which the UI shows as is.
import { z } from 'zod';
import { SEVERITIES } from '../core/types.ts';

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
  text(100).refine((v) => v === '*' || /^[A-Za-z0-9_.-]{1,100}$/.test(v), {
    error: "must be '*' (all checks) or a check name like api.health",
  }),
);
const checkPattern = given(
  text(100)
    .regex(/^[A-Za-z0-9_.*?-]{1,100}$/, { error: 'must be a check name or a glob like api.* (letters, digits, . _ - * ?)' })
    .default('*'),
);
const channelName = given(
  text(63).regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, {
    error: 'must start with a letter or digit and use only letters, digits, . _ - (at most 63)',
  }),
);
const chatId = text(100).regex(/^(-?\d+|@\w{4,})$/, { error: 'must be a numeric chat id or an @channel name' });
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
  'incident.resolve': payload({ ...incident, comment: optional(text(2000)) }),
  'incident.note': payload({ ...incident, text: given(text(5000)), postmortem_url: optional(httpUrl.max(2000)) }),

  'slo.set': payload({
    check_name: checkName,
    uptime_target: target(
      number().gt(0, { error: UPTIME_RANGE }).lt(100, { error: UPTIME_RANGE })
        .refine(fourDecimals, { error: 'must have at most 4 decimals (e.g. 99.95)' }),
    ),
    latency_ms: target(wholeFrom(1, 600_000)),
    max_lag_sec: target(wholeFrom(1, 604_800)),
  }).refine((p) => p.uptime_target !== undefined || p.latency_ms !== undefined || p.max_lag_sec !== undefined, {
    error: 'set at least one of uptime_target, latency_ms, max_lag_sec',
  }),
  'slo.delete': payload({ check_name: checkName }),

  'channel.upsert': payload({
    name: channelName,
    kind: given(oneOf(['slack', 'telegram'])),
    enabled: flag(true),
    min_severity: given(severity.default('warn')),
    language: given(oneOf(['en', 'pt-BR']).default('en')),
    chat_id: optional(chatId),
    // Absent keeps the stored secret; secret_reset removes it.
    secret_sealed: optional(text(4000)),
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
    comment: optional(text(2000)),
  }).refine((p) => !p.starts_at || p.ends_at > p.starts_at, { path: ['ends_at'], error: 'must be after starts_at' }),
  'silence.expire': payload({ id: positiveId }),

  'maintenance.create': payload({
    check_pattern: checkPattern,
    starts_at: given(instant),
    ends_at: given(instant),
    recurrence: optional(oneOf(['daily', 'weekly'])),
    recurrence_until: optional(instant),
    reason: optional(text(2000)),
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

  'alert.test': payload({ channel: optional(text(63)) }),
};

export type IntentKind = keyof typeof intentSchemas;
export type IntentPayload<K extends IntentKind> = z.infer<(typeof intentSchemas)[K]>;

export const isIntentKind = (kind: string): kind is IntentKind => Object.hasOwn(intentSchemas, kind);

function reasonFor(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `${issue.keys.join(', ')}: unknown field${issue.keys.length > 1 ? 's' : ''}`;
  }
  return issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
}

/** The payload of an intent of this kind, or IntentRejected naming the first field that does not fit. */
export function parseIntent<K extends IntentKind>(kind: K, raw: unknown): IntentPayload<K> {
  const parsed = intentSchemas[kind].safeParse(raw);
  if (!parsed.success) reject(reasonFor(parsed.error.issues[0]));
  return parsed.data as IntentPayload<K>;
}

/** The plaintext of a channel secret must look like what the channel needs. */
export function checkChannelSecret(kind: 'slack' | 'telegram', plaintext: string): void {
  if (kind === 'slack' && !httpUrl.safeParse(plaintext).success) {
    reject('secret_sealed: the sealed Slack webhook is not an http(s) URL');
  }
  if (kind === 'telegram' && !/^\d+:[\w-]{20,}$/.test(plaintext)) {
    reject('secret_sealed: the sealed Telegram bot token does not look like a bot token (digits, a colon, then the secret)');
  }
}
