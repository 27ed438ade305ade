// Secrets of the alert channels travel in URLs (Slack's webhook path, Telegram's bot token), and channels echo
// what they got: every text that leaves a channel goes through here before it is stored, logged or printed.
import { redactKnownSecrets, rememberSecret } from '../core/secrets.ts';

const PATTERNS: Array<[RegExp, string]> = [
  [/\/bot\d+:[\w-]+/g, '/bot***'],
  [/\b\d{5,}:[\w-]{20,}\b/g, '***'],
  [/(hooks\.slack\.com\/(?:services|workflows|triggers)\/)[^\s"'<>]+/g, '$1***'],
  [/(\/\/[^/\s:@]+:)[^@\s/]+@/g, '$1***@'],
];

/** Removes every secret the agent knows, the given ones, and anything shaped like a channel secret from `text`. */
export function redactSecrets(text: string, secrets: ReadonlyArray<string | undefined> = []): string {
  let out = redactKnownSecrets(String(text), secrets);
  for (const [re, to] of PATTERNS) out = out.replace(re, to);
  return out;
}

/** A channel's secret (webhook URL, bot token) becomes known to every redaction of this process. */
export function rememberChannelSecret(secret: string | undefined): void {
  rememberSecret(secret);
}

/** A readable, secret-free sentence for an error thrown while sending. */
export function describeSendError(err: unknown, secrets: ReadonlyArray<string | undefined>): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'timed out waiting for the channel';
  if (e?.name === 'AbortError') return 'sending was cancelled';
  const cause = e?.cause?.code ?? e?.cause?.message;
  const text = cause ? `${e?.message ?? 'error'} (${cause})` : String(e?.message ?? err);
  return redactSecrets(text, secrets);
}
