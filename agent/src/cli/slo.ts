import { parseDuration } from '../config/env.ts';
import { ConfigError } from '../config/env.ts';
import type { Queryable } from '../core/types.ts';
import type { CliContext } from './context.ts';
import { ensureSchema } from './schema.ts';
import { renderTable } from './table.ts';

interface SloRow {
  check_name: string;
  total: number;
  ok_count: number;
  uptime_pct: number | null;
  p99_ms: number | null;
  latency_good_pct: number | null;
  uptime_target: number;
  latency_target_ms: number;
  error_budget_remaining_pct: number | null;
  burn_rate: number | null;
  excluded_sec: number;
}

const fmt = (v: number | null | undefined, digits = 2, unit = '') => (v === null || v === undefined ? '—' : `${v.toFixed(digits)}${unit}`);

/** The SLO report over a window (24 h by default), the numbers the dashboards show. Exit 1 when an SLO is missed. */
export async function sloCommand(ctx: CliContext, opts: { window?: string }): Promise<number> {
  const windowMs = parseDuration(String(opts.window ?? '24h'));
  if (windowMs === null || windowMs < 60_000) throw new ConfigError([`--window: expected a duration like 24h or 30d, got "${opts.window}"`]);
  const db = await ctx.database();
  try {
    await ensureSchema(db.pool);
    const report = await sloReportText(db.pool, windowMs, ctx.runtime.stdout.columns());
    ctx.out(report.text);
    return report.missed ? 1 : 0;
  } finally {
    await db.close();
  }
}

export async function sloReportText(db: Queryable, windowMs: number, columns: number): Promise<{ text: string; missed: number }> {
    let text = '';
    const { rows } = await db.query<SloRow>(
      `SELECT * FROM monitor_slo(now() - $1::int * interval '1 second', now())`, [Math.round(windowMs / 1000)]);
    const failures = await db.query<{ check_name: string; failure_count: number; last_failure: Date }>(
      `SELECT check_name, COUNT(*)::int AS failure_count, MAX(ts) AS last_failure FROM monitor_metrics
       WHERE ts > now() - $1::int * interval '1 second' AND ok = FALSE AND check_name NOT LIKE '%.tick' GROUP BY check_name`,
      [Math.round(windowMs / 1000)]);
    const failuresBy = new Map(failures.rows.map((r) => [r.check_name, r]));
    let missed = 0;
    const table = rows.map((r) => {
      const uptimeMiss = r.uptime_pct !== null && r.uptime_pct < r.uptime_target;
      const latencyMiss = r.p99_ms !== null && r.p99_ms >= r.latency_target_ms;
      if (uptimeMiss || latencyMiss) missed++;
      return [
        r.check_name,
        `${fmt(r.uptime_pct, 2, '%')} ${uptimeMiss ? '✗' : '✓'} (${r.uptime_target}%)`,
        `${fmt(r.p99_ms, 0, ' ms')} ${latencyMiss ? '✗' : '✓'} (<${r.latency_target_ms})`,
        fmt(r.latency_good_pct, 2, '%'),
        String(failuresBy.get(r.check_name)?.failure_count ?? 0),
        fmt(r.error_budget_remaining_pct, 1, '%'),
        fmt(r.burn_rate, 2, '×'),
        r.excluded_sec ? `${Math.round(r.excluded_sec / 60)} min` : '—',
      ];
    });
    const hours = windowMs / 3_600_000;
    text += (`SLO report, last ${hours >= 48 ? `${Math.round(hours / 24)} days` : `${Math.round(hours * 10) / 10} h`}\n`);
    text += (renderTable(
      [{ title: 'CHECK' }, { title: 'UPTIME (TARGET)' }, { title: 'P99 (TARGET)' }, { title: 'FAST' }, { title: 'FAILURES', align: 'right' },
        { title: 'BUDGET LEFT', align: 'right' }, { title: 'BURN', align: 'right' }, { title: 'MAINTENANCE' }],
      table, columns));
    if (!rows.length) text += 'no results in this window yet\n';
    text += missed ? `${missed} check${missed > 1 ? 's' : ''} missing an SLO\n` : 'all SLOs met\n';
    return { text, missed };
}
