// Every form is checked here before anything is written, with the intent schemas the agent itself applies
// (@blocktrust-monitor/contract): a form accepts exactly what the agent accepts. Each message names the field.
import {
  CHANNEL_KINDS,
  channelSecretProblem,
  intentProblems,
  type ChannelKind,
  type IntentKind,
} from '@blocktrust-monitor/contract';

export type Errors<K extends string> = Partial<Record<K, string>>;

export const hasErrors = (e: Errors<string>): boolean => Object.values(e).some(Boolean);

/**
 * The agent's verdict on a payload, as one message per form field: `fields` maps payload keys to form fields,
 * a problem of the whole payload goes to `whole`, and each message starts with the field's label.
 */
function schemaErrors<F extends string>(
  kind: IntentKind,
  payload: Record<string, unknown>,
  fields: Record<string, F>,
  whole: F,
  labels: Record<F, string>
): Errors<F> {
  const errors: Errors<F> = {};
  for (const [path, message] of intentProblems(kind, payload)) {
    const field = fields[path.split('.')[0]] ?? whole;
    errors[field] ??= `${labels[field]}: ${message}`;
  }
  return errors;
}

const given = (text: string): string | undefined => (text.trim() === '' ? undefined : text.trim());

export interface SloForm {
  checkName: string;
  uptimeTarget: string;
  latencyMs: string;
  maxLagSec: string;
}

export interface SloPayload {
  check_name: string;
  uptime_target?: number;
  latency_ms?: number;
  max_lag_sec?: number;
}

const SLO_LABELS: Record<keyof SloForm, string> = {
  checkName: 'Check',
  uptimeTarget: 'Uptime target (%)',
  latencyMs: 'Latency objective (ms)',
  maxLagSec: 'Max listener lag (s)',
};

/** An empty target field is left out: the row keeps (or, when new, inherits) that target. */
export function validateSlo(form: SloForm): { errors: Errors<keyof SloForm>; payload: SloPayload | null } {
  const number = (text: string) => (given(text) === undefined ? undefined : Number(text.trim()));
  const payload: SloPayload = { check_name: form.checkName.trim() };
  const targets = {
    uptime_target: number(form.uptimeTarget),
    latency_ms: number(form.latencyMs),
    max_lag_sec: number(form.maxLagSec),
  };
  for (const [key, value] of Object.entries(targets)) {
    if (value !== undefined) {
      payload[key as 'uptime_target'] = value;
    }
  }
  const errors = schemaErrors(
    'slo.set',
    { ...payload },
    { check_name: 'checkName', uptime_target: 'uptimeTarget', latency_ms: 'latencyMs', max_lag_sec: 'maxLagSec' },
    'uptimeTarget',
    SLO_LABELS
  );
  return { errors, payload: hasErrors(errors) ? null : payload };
}

export interface ChannelForm {
  name: string;
  kind: string;
  enabled: boolean;
  minSeverity: string;
  language: string;
  chatId: string;
  /** The new secret typed in this session; empty means keep the stored one (or remove it after a reset). */
  secret: string;
  isNew: boolean;
}

type ChannelField = 'name' | 'kind' | 'minSeverity' | 'language' | 'chatId' | 'secret';

const CHANNEL_LABELS: Record<ChannelField, string> = {
  name: 'Name',
  kind: 'Kind',
  minSeverity: 'Minimum severity',
  language: 'Language',
  chatId: 'Chat id',
  secret: 'Secret',
};

const isOneOf = <T extends string>(list: readonly T[], value: string): value is T =>
  (list as readonly string[]).includes(value);

export function validateChannel(form: ChannelForm): Errors<ChannelField> {
  const telegram = form.kind === 'telegram';
  const secret = form.secret.trim();
  const errors = schemaErrors<ChannelField>(
    'channel.upsert',
    {
      name: form.name,
      kind: form.kind,
      enabled: form.enabled,
      min_severity: form.minSeverity,
      language: form.language,
      ...(telegram ? { chat_id: form.chatId } : {}),
    },
    { name: 'name', kind: 'kind', min_severity: 'minSeverity', language: 'language', chat_id: 'chatId' },
    'name',
    CHANNEL_LABELS
  );
  if (telegram && !given(form.chatId)) {
    errors.chatId = 'Chat id: enter the numeric chat id (e.g. -1001234567890) or a channel @username';
  }
  const secretLabel = telegram ? 'Bot token' : 'Slack webhook URL';
  if (secret && isOneOf(CHANNEL_KINDS, form.kind)) {
    const problem = channelSecretProblem(form.kind as ChannelKind, secret);
    if (problem) {
      errors.secret = `${secretLabel}: ${problem}`;
    }
  } else if (!secret && form.isNew) {
    errors.secret = `${secretLabel}: required; the agent cannot send to ${telegram ? 'Telegram' : 'Slack'} without it`;
  }
  return errors;
}

export interface SilenceForm {
  checkPattern: string;
  severity: string;
  duration: string;
  comment: string;
}

/** "90m", "2h", "1d", "1h30m" → milliseconds, or null when unreadable. */
export function parseDuration(text: string): number | null {
  const t = text.trim().toLowerCase();
  if (!/^(\d+[dhm])+$/.test(t)) {
    return null;
  }
  const unit: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000 };
  let ms = 0;
  for (const [, n, u] of t.matchAll(/(\d+)([dhm])/g)) {
    ms += Number(n) * unit[u];
  }
  return ms;
}

const SILENCE_LABELS: Record<keyof SilenceForm, string> = {
  checkPattern: 'Checks',
  severity: 'Severity',
  duration: 'Duration',
  comment: 'Comment',
};

export function validateSilence(form: SilenceForm, now = Date.now()): Errors<keyof SilenceForm> {
  const ms = parseDuration(form.duration);
  const errors = schemaErrors(
    'silence.create',
    {
      check_pattern: form.checkPattern,
      severity: form.severity === 'any' ? undefined : form.severity,
      ends_at: new Date(now + (ms ?? 60_000)).toISOString(),
      comment: form.comment,
    },
    { check_pattern: 'checkPattern', severity: 'severity', ends_at: 'duration', comment: 'comment' },
    'duration',
    SILENCE_LABELS
  );
  if (ms === null || ms < 60_000 || ms > 30 * 86_400_000) {
    errors.duration = 'Duration: enter between 1m and 30d, e.g. 30m, 2h, 1d or 1h30m';
  }
  return errors;
}

export interface MaintenanceForm {
  checkPattern: string;
  startsAt: string;
  endsAt: string;
  recurrence: string;
  recurrenceUntil: string;
  reason: string;
}

/** A datetime-local value ("2026-12-01T22:00") read in the browser's time zone. */
export function parseLocalDateTime(text: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(text.trim())) {
    return null;
  }
  const d = new Date(text.trim());
  return Number.isNaN(d.getTime()) ? null : d;
}

const MAINTENANCE_LABELS: Record<keyof MaintenanceForm, string> = {
  checkPattern: 'Checks',
  startsAt: 'Starts',
  endsAt: 'Ends',
  recurrence: 'Repeats',
  recurrenceUntil: 'Repeat until',
  reason: 'Reason',
};

/** The maintenance.create payload of a form (datetime-local values read in the browser's time zone). */
export function maintenancePayload(form: MaintenanceForm): Record<string, unknown> {
  const at = (text: string) =>
    parseLocalDateTime(text)?.toISOString() ?? (given(text) === undefined ? undefined : text);
  return {
    check_pattern: form.checkPattern,
    starts_at: at(form.startsAt),
    ends_at: at(form.endsAt),
    recurrence: form.recurrence === 'none' ? undefined : form.recurrence,
    recurrence_until: at(form.recurrenceUntil),
    reason: form.reason,
  };
}

export function validateMaintenance(form: MaintenanceForm, now = Date.now()): Errors<keyof MaintenanceForm> {
  const errors = schemaErrors(
    'maintenance.create',
    maintenancePayload(form),
    {
      check_pattern: 'checkPattern',
      starts_at: 'startsAt',
      ends_at: 'endsAt',
      recurrence: 'recurrence',
      recurrence_until: 'recurrenceUntil',
      reason: 'reason',
    },
    'endsAt',
    MAINTENANCE_LABELS
  );
  const ends = parseLocalDateTime(form.endsAt);
  const repeats = form.recurrence === 'daily' || form.recurrence === 'weekly';
  if (!errors.endsAt && ends && !repeats && ends.getTime() <= now) {
    errors.endsAt = 'Ends: this window is already over; pick an end in the future';
  }
  return errors;
}

export function validateNote(text: string, postmortemUrl: string): Errors<'text' | 'postmortemUrl'> {
  return schemaErrors(
    'incident.note',
    { incident_id: 1, text, postmortem_url: postmortemUrl },
    { text: 'text', postmortem_url: 'postmortemUrl' },
    'text',
    { text: 'Note', postmortemUrl: 'Post-mortem link' }
  );
}
