// Slack incoming webhook: POST {"text": …}; Slack answers 200 "ok", or 429 with Retry-After.
import { type Channel, type ChannelOptions, DEFAULT_CHANNEL_TIMEOUT_MS, readAnswer, requestSignal, retryAfterHeader } from './channel.ts';
import { CHANNEL_TEXT_LIMITS, fitText } from './format.ts';
import { describeSendError, redactSecrets, rememberChannelSecret } from './redact.ts';

export function createSlackChannel(opts: ChannelOptions & { webhookUrl?: string }): Channel {
  const doFetch = opts.fetch ?? fetch;
  const secrets = [opts.webhookUrl];
  rememberChannelSecret(opts.webhookUrl);
  return {
    name: opts.name,
    kind: 'slack',
    minSeverity: opts.minSeverity,
    language: opts.language,
    enabled: opts.enabled ?? true,
    source: opts.source ?? 'env',
    validate() {
      if (!opts.webhookUrl) return [`channel ${opts.name}: no Slack webhook URL configured`];
      try {
        const u = new URL(opts.webhookUrl);
        if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error();
      } catch {
        return [`channel ${opts.name}: the Slack webhook is not an http(s) URL`];
      }
      return [];
    },
    async send(message, signal) {
      const problems = this.validate();
      if (problems.length) return { ok: false, error: problems.join('; ') };
      try {
        const res = await doFetch(opts.webhookUrl!, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ text: fitText(message.text, CHANNEL_TEXT_LIMITS.slack) }),
          signal: requestSignal(opts.timeoutMs ?? DEFAULT_CHANNEL_TIMEOUT_MS, signal),
        });
        const body = redactSecrets(await readAnswer(res), secrets).slice(0, 300);
        if (res.ok) return { ok: true, httpStatus: res.status };
        return {
          ok: false,
          httpStatus: res.status,
          retryAfterSec: retryAfterHeader(res.headers.get('retry-after')),
          error: redactSecrets(`Slack answered HTTP ${res.status}${body ? `: ${body}` : ''}`, secrets),
        };
      } catch (err) {
        return { ok: false, error: `Slack: ${describeSendError(err, secrets)}` };
      }
    },
  };
}
