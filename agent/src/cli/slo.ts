import { ConfigError, parseDuration } from '../config/env.ts';
import type { Queryable } from '../core/types.ts';
import { formatSloReport, sloReport, sloReportJson, type SloWindow } from '../slo/report.ts';
import type { CliContext } from './context.ts';
import { ensureSchema } from './schema.ts';

const NAMED: Record<string, SloWindow> = { '24h': '24h', '1d': '24h', '7d': '7d', '30d': '30d' };

export function sloWindow(text: string, now = new Date()): SloWindow {
  if (NAMED[text]) return NAMED[text];
  const ms = parseDuration(text);
  if (ms === null || ms < 60_000) throw new ConfigError([`--window: expected a duration like 24h, 7d or 30d, got "${text}"`]);
  return { from: new Date(now.getTime() - ms), to: now };
}

/** The report text and how many checks missed an objective (the same numbers the dashboards show). */
export async function sloSummary(db: Queryable, window: SloWindow): Promise<{ text: string; missed: number }> {
  const report = await sloReport(db, window);
  const missed = report.rows.filter((r) => r.meetsUptime === false || r.meetsLatency === false).length;
  return {
    text: `${formatSloReport(report)}\n${missed ? `${missed} check${missed > 1 ? 's' : ''} missed an objective` : 'all objectives met'}\n`,
    missed,
  };
}

/** `slo [--window 24h]`: exit 1 when a check misses its uptime or latency objective. */
export async function sloCommand(ctx: CliContext, opts: { window?: string; format?: string }): Promise<number> {
  const window = sloWindow(String(opts.window ?? '24h'));
  const format = String(opts.format ?? 'table');
  if (format !== 'table' && format !== 'json') throw new ConfigError([`--format: expected table or json, got "${format}"`]);
  const db = await ctx.database();
  try {
    await ensureSchema(db.pool);
    if (format === 'json') {
      const report = await sloReport(db.pool, window);
      ctx.out(`${JSON.stringify(sloReportJson(report), null, 2)}
`);
      return report.rows.some((r) => r.meetsUptime === false || r.meetsLatency === false) ? 1 : 0;
    }
    const summary = await sloSummary(db.pool, window);
    ctx.out(summary.text);
    return summary.missed ? 1 : 0;
  } finally {
    await db.close();
  }
}
