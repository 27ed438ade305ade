// The alert channels in force: the environment's (ALERT_SLACK_WEBHOOK → "slack", ALERT_TELEGRAM_BOT +
// ALERT_TELEGRAM_CHAT → "telegram") merged with monitor_channels rows edited from Grafana. A row named like an
// environment channel overrides its settings and, when it carries a sealed secret, its secret too.
//
//   createChannelDirectory({db, env, agentKey, fetch, log}) → { list(), routable(severity), invalidate() }
import type { Logger, Queryable, Severity } from '../core/types.ts';
import { severityRank } from '../core/types.ts';
import { channelSecretContext, type AgentKey } from '@blocktrust-monitor/contract';
import type { AlertLanguage, Channel, ChannelKind } from './channel.ts';
import { createSlackChannel } from './slack.ts';
import { createTelegramChannel } from './telegram.ts';

export interface AlertEnv {
  slackWebhook?: string;
  telegramBot?: string;
  telegramChat?: string;
  telegramApiBase?: string;
  language: AlertLanguage;
  minSeverity: Severity;
}

export interface ChannelDirectory {
  /** Every configured channel, enabled or not. */
  list(): Promise<Channel[]>;
  /** Enabled, sendable channels whose minimum severity this severity reaches. */
  routable(severity: Severity): Promise<Channel[]>;
  /** Forget the cached list (after a channel.upsert/delete intent). */
  invalidate(): void;
}

interface ChannelRow {
  name: string;
  kind: ChannelKind;
  enabled: boolean;
  min_severity: Severity;
  language: AlertLanguage;
  chat_id: string | null;
  secret_sealed: string | null;
}

interface Spec {
  name: string;
  kind: ChannelKind;
  enabled: boolean;
  minSeverity: Severity;
  language: AlertLanguage;
  secret?: string;
  chatId?: string;
  source: Channel['source'];
  problem?: string;
}

export function envChannelSpecs(env: AlertEnv): Spec[] {
  const specs: Spec[] = [];
  const common = { enabled: true, minSeverity: env.minSeverity, language: env.language, source: 'env' as const };
  if (env.slackWebhook) specs.push({ name: 'slack', kind: 'slack', secret: env.slackWebhook, ...common });
  if (env.telegramBot && env.telegramChat) {
    specs.push({ name: 'telegram', kind: 'telegram', secret: env.telegramBot, chatId: env.telegramChat, ...common });
  }
  return specs;
}

export function createChannelDirectory(opts: {
  db: Queryable;
  env: AlertEnv;
  agentKey?: AgentKey;
  fetch?: typeof fetch;
  log: Logger;
  /** Per HTTP request to a channel. */
  timeoutMs?: number;
  /** How long a loaded list is reused; changes made by another agent show up within this time. */
  cacheMs?: number;
}): ChannelDirectory {
  const cacheMs = opts.cacheMs ?? 10_000;
  let cached: { at: number; channels: Channel[] } | undefined;
  const reported = new Set<string>();

  function build(spec: Spec): Channel {
    const base = {
      name: spec.name, minSeverity: spec.minSeverity, language: spec.language, enabled: spec.enabled,
      source: spec.source, fetch: opts.fetch, timeoutMs: opts.timeoutMs,
    };
    const channel = spec.kind === 'slack'
      ? createSlackChannel({ ...base, webhookUrl: spec.secret })
      : createTelegramChannel({ ...base, botToken: spec.secret, chatId: spec.chatId, apiBase: opts.env.telegramApiBase });
    if (!spec.problem) return channel;
    return { ...channel, validate: () => [spec.problem!, ...channel.validate()] };
  }

  async function load(): Promise<Channel[]> {
    const fromEnv = new Map(envChannelSpecs(opts.env).map((s) => [s.name, s]));
    const { rows } = await opts.db.query<ChannelRow>(
      `SELECT name, kind, enabled, min_severity, language, chat_id, secret_sealed FROM monitor_channels ORDER BY name`);
    const specs: Spec[] = [];
    for (const row of rows) {
      const envSpec = fromEnv.get(row.name);
      const base = envSpec && envSpec.kind === row.kind ? envSpec : undefined;
      fromEnv.delete(row.name);
      const spec: Spec = {
        name: row.name, kind: row.kind, enabled: row.enabled, minSeverity: row.min_severity, language: row.language,
        chatId: row.chat_id ?? base?.chatId, secret: base?.secret, source: base ? 'env+db' : 'db',
      };
      if (row.secret_sealed) {
        if (!opts.agentKey) {
          spec.problem = `channel ${row.name}: its secret is sealed but MONITOR_SECRET_KEY is not set`;
        } else {
          try {
            spec.secret = await opts.agentKey.open(row.secret_sealed, channelSecretContext(row.name));
          } catch (err) {
            spec.problem = `channel ${row.name}: ${(err as Error).message}`;
          }
        }
      }
      if (spec.problem && !reported.has(spec.problem)) {
        reported.add(spec.problem);
        opts.log.warn('alert channel cannot send', { channel: row.name, problem: spec.problem });
      }
      specs.push(spec);
    }
    specs.push(...fromEnv.values());
    return specs.map(build);
  }

  const directory: ChannelDirectory = {
    async list() {
      const now = performance.now();
      if (!cached || now - cached.at > cacheMs) cached = { at: now, channels: await load() };
      return cached.channels;
    },
    async routable(severity) {
      return (await directory.list()).filter(
        (c) => c.enabled && c.validate().length === 0 && severityRank(severity) >= severityRank(c.minSeverity));
    },
    invalidate() {
      cached = undefined;
    },
  };
  return directory;
}
