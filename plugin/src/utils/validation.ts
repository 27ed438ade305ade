// Every form is checked here before anything is written; each message names the field and what to enter.
import { CHANNEL_KINDS, LANGUAGES, SEVERITIES } from '../constants';

export type Errors<K extends string> = Partial<Record<K, string>>;

export const hasErrors = (e: Errors<string>): boolean => Object.values(e).some(Boolean);

const CHECK_NAME = /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/;
const CHECK_PATTERN = /^[a-z0-9_.*?-]+$/i;
const CHANNEL_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/i;
const TELEGRAM_TOKEN = /^\d+:[A-Za-z0-9_-]{20,}$/;
const TELEGRAM_CHAT = /^(-?\d{1,20}|@\w{4,64})$/;

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

function integerIn(text: string, min: number, max: number): number | string {
  const t = text.trim();
  if (!/^\d+$/.test(t)) {
    return `enter a whole number from ${min} to ${max}`;
  }
  const n = Number(t);
  return n < min || n > max ? `enter a whole number from ${min} to ${max}` : n;
}

export function validateSlo(form: SloForm): { errors: Errors<keyof SloForm>; payload: SloPayload | null } {
  const errors: Errors<keyof SloForm> = {};
  const payload: SloPayload = { check_name: form.checkName.trim() };
  if (payload.check_name !== '*' && !CHECK_NAME.test(payload.check_name)) {
    errors.checkName = 'Check: enter * for the global targets or a check name such as api.health';
  }
  const uptime = form.uptimeTarget.trim();
  if (uptime) {
    const n = Number(uptime);
    if (!/^\d{1,2}(\.\d{1,4})?$/.test(uptime) || !(n > 0 && n < 100)) {
      errors.uptimeTarget = 'Uptime target: enter a percentage above 0 and below 100, e.g. 99.5 (up to 4 decimals)';
    } else {
      payload.uptime_target = n;
    }
  }
  if (form.latencyMs.trim()) {
    const n = integerIn(form.latencyMs, 1, 600_000);
    if (typeof n === 'string') {
      errors.latencyMs = `Latency objective (ms): ${n}`;
    } else {
      payload.latency_ms = n;
    }
  }
  if (form.maxLagSec.trim()) {
    const n = integerIn(form.maxLagSec, 1, 604_800);
    if (typeof n === 'string') {
      errors.maxLagSec = `Maximum listener lag (s): ${n}`;
    } else {
      payload.max_lag_sec = n;
    }
  }
  if (!uptime && !form.latencyMs.trim() && !form.maxLagSec.trim() && !hasErrors(errors)) {
    errors.uptimeTarget = 'Set at least one target: uptime, latency or maximum lag';
  }
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

export function validateChannel(
  form: ChannelForm
): Errors<'name' | 'kind' | 'minSeverity' | 'language' | 'chatId' | 'secret'> {
  const errors: Errors<'name' | 'kind' | 'minSeverity' | 'language' | 'chatId' | 'secret'> = {};
  if (!CHANNEL_NAME.test(form.name.trim())) {
    errors.name = 'Name: use 1 to 63 letters, digits, - or _, starting with a letter or digit (e.g. ops-slack)';
  }
  if (!(CHANNEL_KINDS as readonly string[]).includes(form.kind)) {
    errors.kind = 'Kind: choose Slack or Telegram';
  }
  if (!(SEVERITIES as readonly string[]).includes(form.minSeverity)) {
    errors.minSeverity = 'Minimum severity: choose info, warn or crit';
  }
  if (!(LANGUAGES as readonly string[]).includes(form.language)) {
    errors.language = 'Language: choose English or Português (Brasil)';
  }
  const secret = form.secret.trim();
  if (form.kind === 'telegram' && !TELEGRAM_CHAT.test(form.chatId.trim())) {
    errors.chatId = 'Chat id: enter the numeric chat id (e.g. -1001234567890) or a channel @username';
  }
  if (secret) {
    if (form.kind === 'slack') {
      const problem = slackWebhookProblem(secret);
      if (problem) {
        errors.secret = `Slack webhook URL: ${problem}`;
      }
    } else if (form.kind === 'telegram' && !TELEGRAM_TOKEN.test(secret)) {
      errors.secret =
        'Bot token: paste the token BotFather gave you, like 123456789:AA… (digits, a colon, then 20+ characters)';
    }
  } else if (form.isNew) {
    errors.secret =
      form.kind === 'telegram'
        ? 'Bot token: required; the agent cannot send to Telegram without it'
        : 'Slack webhook URL: required; the agent cannot send to Slack without it';
  }
  return errors;
}

function slackWebhookProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'enter a full URL such as https://hooks.slack.com/services/…';
  }
  const local = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) {
    return 'must start with https://';
  }
  if (url.username || url.password) {
    return 'must not contain a user name or password';
  }
  return null;
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

export function validateSilence(form: SilenceForm): Errors<keyof SilenceForm> {
  const errors: Errors<keyof SilenceForm> = {};
  if (!CHECK_PATTERN.test(form.checkPattern.trim())) {
    errors.checkPattern = 'Checks: enter a check name or a pattern such as * or api.* (letters, digits, . _ - * ?)';
  }
  if (form.severity && form.severity !== 'any' && !(SEVERITIES as readonly string[]).includes(form.severity)) {
    errors.severity = 'Severity: choose any, info, warn or crit';
  }
  const ms = parseDuration(form.duration);
  if (ms === null || ms < 60_000 || ms > 30 * 86_400_000) {
    errors.duration = 'Duration: enter between 1m and 30d, e.g. 30m, 2h, 1d or 1h30m';
  }
  if (form.comment.length > 500) {
    errors.comment = 'Comment: at most 500 characters';
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

export function validateMaintenance(form: MaintenanceForm, now = Date.now()): Errors<keyof MaintenanceForm> {
  const errors: Errors<keyof MaintenanceForm> = {};
  if (!CHECK_PATTERN.test(form.checkPattern.trim())) {
    errors.checkPattern =
      'Checks: enter a check name or a pattern such as * or listener.* (letters, digits, . _ - * ?)';
  }
  const starts = parseLocalDateTime(form.startsAt);
  const ends = parseLocalDateTime(form.endsAt);
  if (!starts) {
    errors.startsAt = 'Starts: pick a date and time';
  }
  if (!ends) {
    errors.endsAt = 'Ends: pick a date and time';
  } else if (starts && ends <= starts) {
    errors.endsAt = 'Ends: must be after the start';
  }
  if (!['', 'none', 'daily', 'weekly'].includes(form.recurrence)) {
    errors.recurrence = 'Repeats: choose never, daily or weekly';
  }
  if (starts && ends && ends > starts) {
    const span = ends.getTime() - starts.getTime();
    if (form.recurrence === 'daily' && span >= 86_400_000) {
      errors.endsAt = 'Ends: a daily window must be shorter than 24 hours';
    }
    if (form.recurrence === 'weekly' && span >= 7 * 86_400_000) {
      errors.endsAt = 'Ends: a weekly window must be shorter than 7 days';
    }
    if (form.recurrence !== 'daily' && form.recurrence !== 'weekly' && ends.getTime() <= now) {
      errors.endsAt = 'Ends: this window is already over; pick an end in the future';
    }
  }
  if (form.recurrenceUntil.trim()) {
    const until = parseLocalDateTime(form.recurrenceUntil);
    if (form.recurrence !== 'daily' && form.recurrence !== 'weekly') {
      errors.recurrenceUntil = 'Repeat until: only for a window that repeats';
    } else if (!until || (starts && until <= starts)) {
      errors.recurrenceUntil = 'Repeat until: pick a date and time after the start';
    }
  }
  if (form.reason.length > 500) {
    errors.reason = 'Reason: at most 500 characters';
  }
  return errors;
}

export function validateNote(text: string, postmortemUrl: string): Errors<'text' | 'postmortemUrl'> {
  const errors: Errors<'text' | 'postmortemUrl'> = {};
  if (!text.trim()) {
    errors.text = 'Note: write what happened or what was done';
  } else if (text.length > 4000) {
    errors.text = 'Note: at most 4000 characters';
  }
  if (postmortemUrl.trim()) {
    try {
      const u = new URL(postmortemUrl.trim());
      if (u.protocol !== 'https:' && u.protocol !== 'http:') {
        errors.postmortemUrl = 'Post-mortem link: must start with https:// or http://';
      }
    } catch {
      errors.postmortemUrl = 'Post-mortem link: enter a full URL such as https://wiki.example.com/pm/42';
    }
  }
  return errors;
}
