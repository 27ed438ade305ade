import { createChannelDirectory, type AlertEnv, type ChannelDirectory } from '../alerts/directory.ts';
import type { Env } from '../config/env.ts';
import type { Logger, Queryable } from '../core/types.ts';
import { loadAgentKey, type AgentKey } from '@blocktrust-monitor/contract';

/** The agent's key pair when MONITOR_SECRET_KEY is set (Grafana seals channel secrets to its public half). */
export async function agentKeyFrom(env: Env): Promise<AgentKey | undefined> {
  return env.MONITOR_SECRET_KEY ? loadAgentKey(env.MONITOR_SECRET_KEY) : undefined;
}

export function alertEnv(env: Env): AlertEnv {
  return {
    slackWebhook: env.ALERT_SLACK_WEBHOOK,
    telegramBot: env.ALERT_TELEGRAM_BOT,
    telegramChat: env.ALERT_TELEGRAM_CHAT,
    telegramApiBase: env.ALERT_TELEGRAM_API_BASE,
    language: env.ALERT_LANGUAGE,
    minSeverity: env.ALERT_MIN_SEVERITY,
  };
}

export function channelDirectory(env: Env, db: Queryable, log: Logger, agentKey?: AgentKey): ChannelDirectory {
  return createChannelDirectory({ db, log, agentKey, env: alertEnv(env) });
}
