// Validation of intent payloads written by Grafana: pure functions that either return a typed payload or
// throw IntentRejected with a reason the UI shows as is (naming the field).
import type { Severity } from '../core/types.ts';

export class IntentRejected extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'IntentRejected';
  }
}

export const INTENT_KINDS = [
  'incident.ack', 'incident.unack', 'incident.resolve', 'incident.note',
  'slo.set', 'slo.delete', 'channel.upsert', 'channel.delete',
  'silence.create', 'silence.expire', 'maintenance.create', 'maintenance.delete',
  'alert.test',
] as const;
export type IntentKind = (typeof INTENT_KINDS)[number];

type Payload = Record<string, unknown>;

const reject = (reason: string): never => {
  throw new IntentRejected(reason);
};

export function asObject(payload: unknown): Payload {
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) reject('payload: must be a JSON object');
  return payload as Payload;
}

export function id(p: Payload, field: string): number {
  const v = p[field];
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0) reject(`${field}: must be a positive whole number`);
  return n as number;
}

export function text(p: Payload, field: string, opts: { required?: boolean; max?: number } = {}): string | undefined {
  const v = p[field];
  if (v === undefined || v === null || (typeof v === 'string' && v.trim() === '')) {
    if (opts.required) reject(`${field}: is required`);
    return undefined;
  }
  if (typeof v !== 'string') return reject(`${field}: must be text`);
  const max = opts.max ?? 2000;
  if (v.length > max) reject(`${field}: must be at most ${max} characters`);
  return v.trim();
}

export function bool(p: Payload, field: string, def: boolean): boolean {
  const v = p[field];
  if (v === undefined || v === null) return def;
  if (typeof v !== 'boolean') reject(`${field}: must be true or false`);
  return v as boolean;
}

export function oneOf<T extends string>(p: Payload, field: string, values: readonly T[], def?: T): T | undefined {
  const v = p[field];
  if (v === undefined || v === null || v === '') return def;
  if (typeof v !== 'string' || !values.includes(v as T)) reject(`${field}: must be one of ${values.join(', ')}`);
  return v as T;
}

export function instant(p: Payload, field: string, opts: { required?: boolean } = {}): Date | undefined {
  const v = p[field];
  if (v === undefined || v === null || v === '') {
    if (opts.required) reject(`${field}: is required (an ISO 8601 date and time)`);
    return undefined;
  }
  const d = typeof v === 'string' || typeof v === 'number' ? new Date(v) : new Date(NaN);
  if (Number.isNaN(d.getTime())) reject(`${field}: must be an ISO 8601 date and time, e.g. 2026-03-02T10:00:00Z`);
  return d;
}

export function httpUrl(p: Payload, field: string): string | undefined {
  const v = text(p, field, { max: 2000 });
  if (v === undefined) return undefined;
  try {
    if (!['http:', 'https:'].includes(new URL(v).protocol)) throw new Error();
  } catch {
    reject(`${field}: must be an http(s) URL`);
  }
  return v;
}

export function number(p: Payload, field: string, opts: { gt?: number; lt?: number; min?: number; max?: number; int?: boolean }): number | null | undefined {
  const v = p[field];
  if (v === undefined) return undefined;
  if (v === null || v === '') return null;
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) return reject(`${field}: must be a number`);
  if (opts.int && !Number.isInteger(n)) reject(`${field}: must be a whole number`);
  if (opts.gt !== undefined && !(n > opts.gt)) reject(`${field}: must be greater than ${opts.gt}`);
  if (opts.lt !== undefined && !(n < opts.lt)) reject(`${field}: must be less than ${opts.lt}`);
  if (opts.min !== undefined && n < opts.min) reject(`${field}: must be at least ${opts.min}`);
  if (opts.max !== undefined && n > opts.max) reject(`${field}: must be at most ${opts.max}`);
  return n;
}

const CHECK_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
const PATTERN = /^[A-Za-z0-9_.*?-]{1,100}$/;
const CHANNEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
export const SEVERITY_VALUES: readonly Severity[] = ['info', 'warn', 'crit'];

export function checkName(p: Payload, field = 'check_name'): string {
  const v = text(p, field, { required: true, max: 100 })!;
  if (v !== '*' && !CHECK_NAME.test(v)) reject(`${field}: must be '*' (all checks) or a check name like api.health`);
  return v;
}

export function checkPattern(p: Payload, field = 'check_pattern'): string {
  const v = text(p, field, { max: 100 }) ?? '*';
  if (!PATTERN.test(v)) reject(`${field}: must be a check name or a glob like api.* (letters, digits, . _ - * ?)`);
  return v;
}

export function channelName(p: Payload, field = 'name'): string {
  const v = text(p, field, { required: true, max: 63 })!;
  if (!CHANNEL_NAME.test(v)) reject(`${field}: must start with a letter or digit and use only letters, digits, . _ - (at most 63)`);
  return v;
}

/** The plaintext of a channel secret must look like what the channel needs. */
export function checkChannelSecret(kind: 'slack' | 'telegram', plaintext: string): void {
  if (kind === 'slack') {
    try {
      if (!['http:', 'https:'].includes(new URL(plaintext).protocol)) throw new Error();
    } catch {
      reject('secret_sealed: the sealed Slack webhook is not an http(s) URL');
    }
  } else if (!/^\d+:[\w-]{20,}$/.test(plaintext)) {
    reject('secret_sealed: the sealed Telegram bot token does not look like a bot token (digits, a colon, then the secret)');
  }
}

export function chatId(p: Payload, field = 'chat_id'): string | undefined {
  const v = text(p, field, { max: 100 });
  if (v !== undefined && !/^(-?\d+|@\w{4,})$/.test(v)) reject(`${field}: must be a numeric chat id or an @channel name`);
  return v;
}

export { reject };
