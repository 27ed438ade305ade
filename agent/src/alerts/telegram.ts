// Telegram Bot API sendMessage. The bot token sits in the URL path, so no URL ever reaches an error text.
import { TELEGRAM_BOT_TOKEN } from '@blocktrust-monitor/contract';
import { type Channel, type ChannelOptions, DEFAULT_CHANNEL_TIMEOUT_MS, readAnswer, requestSignal, retryAfterHeader } from './channel.ts';
import { CHANNEL_TEXT_LIMITS, fitText } from './format.ts';
import { describeSendError, redactSecrets, rememberChannelSecret } from './redact.ts';

export const DEFAULT_TELEGRAM_API_BASE = 'https://api.telegram.org';

export function createTelegramChannel(
  opts: ChannelOptions & { botToken?: string; chatId?: string; apiBase?: string },
): Channel {
  const doFetch = opts.fetch ?? fetch;
  const secrets = [opts.botToken];
  rememberChannelSecret(opts.botToken);
  const base = (opts.apiBase ?? DEFAULT_TELEGRAM_API_BASE).replace(/\/+$/, '');
  return {
    name: opts.name,
    kind: 'telegram',
    minSeverity: opts.minSeverity,
    language: opts.language,
    enabled: opts.enabled ?? true,
    source: opts.source ?? 'env',
    validate() {
      const problems: string[] = [];
      if (!opts.botToken) problems.push(`channel ${opts.name}: no Telegram bot token configured`);
      else if (!TELEGRAM_BOT_TOKEN.test(opts.botToken)) problems.push(`channel ${opts.name}: the Telegram bot token is malformed`);
      if (!opts.chatId) problems.push(`channel ${opts.name}: no Telegram chat id configured`);
      return problems;
    },
    async send(message, signal) {
      const problems = this.validate();
      if (problems.length) return { ok: false, error: problems.join('; ') };
      try {
        const res = await doFetch(`${base}/bot${opts.botToken}/sendMessage`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ chat_id: opts.chatId, text: fitText(message.text, CHANNEL_TEXT_LIMITS.telegram), disable_web_page_preview: true }),
          signal: requestSignal(opts.timeoutMs ?? DEFAULT_CHANNEL_TIMEOUT_MS, signal),
        });
        const raw = await readAnswer(res);
        let body: { ok?: boolean; description?: string; parameters?: { retry_after?: number } } = {};
        try {
          body = JSON.parse(raw);
        } catch {
          // Not JSON (a proxy error page): the status says enough.
        }
        if (res.ok && body.ok !== false) return { ok: true, httpStatus: res.status };
        const retryAfterSec = typeof body.parameters?.retry_after === 'number'
          ? body.parameters.retry_after
          : retryAfterHeader(res.headers.get('retry-after'));
        const why = redactSecrets(typeof body.description === 'string' ? body.description : raw, secrets).slice(0, 300);
        return {
          ok: false,
          httpStatus: res.status,
          retryAfterSec,
          error: redactSecrets(`Telegram answered HTTP ${res.status}${why ? `: ${why}` : ''}`, secrets),
        };
      } catch (err) {
        return { ok: false, error: `Telegram: ${describeSendError(err, secrets)}` };
      }
    },
  };
}
