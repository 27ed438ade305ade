// Name rules: a check name in a checks file, in an SLO target or in a silence means the same thing everywhere.

/** Stands for every check in SLO targets ('*' row) and in silence/maintenance patterns. */
export const ALL_CHECKS = '*';

/** letters, digits, '.', '_' or '-', starting with a letter or digit, at most 100 characters: api.health, docs-site. */
export const CHECK_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
export const CHECK_NAME_RULE = "letters, digits, '.', '_' or '-', starting with a letter or digit, at most 100 (e.g. api.health)";
export const isCheckName = (name: string): boolean => CHECK_NAME.test(name);

/** Where an agent probes from (MONITOR_LOCATION, a check's `locations`): lowercase, as in sao-paulo or eu-west-1. */
export const LOCATION_NAME = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
export const LOCATION_NAME_RULE = "lowercase letters, digits, '.', '_' or '-', starting with a letter or digit, at most 63 (e.g. sao-paulo)";
export const isLocationName = (name: string): boolean => LOCATION_NAME.test(name);

/** A check name or a glob over check names (* and ?), as silences and maintenance windows take. */
export const CHECK_PATTERN = /^[A-Za-z0-9_.*?-]{1,100}$/;
export const CHECK_PATTERN_RULE = 'a check name or a glob like api.* (letters, digits, . _ - * ?)';

/** An alert channel's name: it is also part of the context its secret is sealed for. */
export const CHANNEL_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
export const CHANNEL_NAME_RULE = 'must start with a letter or digit and use only letters, digits, . _ - (at most 63)';

/** What BotFather hands out: the bot's numeric id, a colon, then the secret part. */
export const TELEGRAM_BOT_TOKEN = /^\d+:[\w-]{20,}$/;
export const TELEGRAM_BOT_TOKEN_RULE = 'must look like a Telegram bot token (digits, a colon, then the secret)';

/** A numeric chat id (negative for groups and channels) or a public @channel name. */
export const TELEGRAM_CHAT_ID = /^(-?\d{1,20}|@\w{4,64})$/;
export const TELEGRAM_CHAT_ID_RULE = 'must be a numeric chat id (e.g. -1001234567890) or an @channel name';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * What is wrong with a Slack incoming-webhook URL, or null: https, or plain http to this machine only
 * (a local test receiver), and no user name or password in it.
 */
export function slackWebhookProblem(text: string): string | null {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return 'must be a full URL such as https://hooks.slack.com/services/…';
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    return 'must start with https://';
  }
  if (url.username || url.password) return 'must not contain a user name or password';
  return null;
}
