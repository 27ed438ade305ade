// The one interface every alert channel implements (Slack, Telegram: one file each).
import type { Severity } from '../core/types.ts';

export type ChannelKind = 'slack' | 'telegram';
export type AlertLanguage = 'en' | 'pt-BR';

export interface AlertMessage {
  text: string;
}

export interface SendResult {
  ok: boolean;
  httpStatus?: number;
  /** Seconds the channel asked us to wait before the next attempt (Telegram 429 parameters.retry_after). */
  retryAfterSec?: number;
  /** Readable, with every secret removed. */
  error?: string;
}

export interface Channel {
  name: string;
  kind: ChannelKind;
  minSeverity: Severity;
  language: AlertLanguage;
  enabled: boolean;
  /** Where the settings came from: the environment, the database (Grafana), or both. */
  source: 'env' | 'db' | 'env+db';
  /** Problems that prevent sending, one sentence each; empty when the channel can send. */
  validate(): string[];
  send(message: AlertMessage, signal?: AbortSignal): Promise<SendResult>;
}

export interface ChannelOptions {
  name: string;
  minSeverity: Severity;
  language: AlertLanguage;
  enabled?: boolean;
  source?: Channel['source'];
  fetch?: typeof fetch;
  /** Per request; a timed-out request counts as a failed attempt. */
  timeoutMs?: number;
}

/** How long one request to a channel may take unless configured otherwise. */
export const DEFAULT_CHANNEL_TIMEOUT_MS = 10_000;

/** Combines the caller's signal with a per-request timeout. */
export function requestSignal(timeoutMs: number, signal?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([signal, timeout]) : timeout;
}

/** Seconds from an HTTP Retry-After header (seconds or a date), if present. */
export function retryAfterHeader(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** At most `maxBytes` of a channel's answer (an error page may be large): enough to say what went wrong. */
export async function readAnswer(res: Response, maxBytes = 16_384): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const all = new Uint8Array(Math.min(size, maxBytes));
  let at = 0;
  for (const c of chunks) {
    const part = c.subarray(0, all.length - at);
    all.set(part, at);
    at += part.length;
  }
  return new TextDecoder().decode(all);
}
