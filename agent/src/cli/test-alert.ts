import { sendTestAlerts } from '../alerts/test-alert.ts';
import { systemClock } from '../core/types.ts';
import { createPgIncidentStore } from '../incidents/store.ts';
import { agentKeyFrom, channelDirectory } from './alerting.ts';
import type { CliContext } from './context.ts';
import { ensureSchema } from './schema.ts';

/** A test message to each configured channel; one line per channel with the HTTP outcome. Exit 1 if any failed. */
export async function testAlertCommand(ctx: CliContext, opts: { channel?: string }): Promise<number> {
  const db = await ctx.database();
  try {
    await ensureSchema(db.pool);
    const channels = channelDirectory(ctx.env, db.pool, ctx.log, await agentKeyFrom(ctx.env));
    const outcomes = await sendTestAlerts({
      channels, clock: systemClock, store: createPgIncidentStore(db.pool, { clock: systemClock, links: {} }), channel: opts.channel,
    });
    if (!outcomes.length) {
      ctx.out('no alert channel configured: set ALERT_SLACK_WEBHOOK, or ALERT_TELEGRAM_BOT and ALERT_TELEGRAM_CHAT, or add one in Grafana\n');
      return 1;
    }
    for (const o of outcomes) {
      const http = o.http_status !== undefined ? `HTTP ${o.http_status}` : 'no HTTP answer';
      ctx.out(ctx.redact(`${o.ok ? '✓' : '✗'} ${o.channel} (${o.kind}): ${o.ok ? `delivered, ${http}` : `${http}: ${o.error ?? 'failed'}`}\n`));
    }
    return outcomes.every((o) => o.ok) ? 0 : 1;
  } finally {
    await db.close();
  }
}
