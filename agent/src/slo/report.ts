// The SLO report (`blocktrust-monitor slo`): monitor_slo() per check over 24 h or 30 days, so the terminal,
// the dashboards and the burn-rate alerts give the same numbers.
//
//   const rows = await sloReport(db, '24h');   // or '30d', or { from, to }
//   console.log(formatSloReport(rows));
import { SLO_WINDOWS, sloFigures, sloRowFrom, type SloRow, type SloWindowName } from '@blocktrust-monitor/contract';
import type { Queryable } from '../core/types.ts';
import { formatDuration } from '../alerts/format.ts';

export type SloWindow = SloWindowName | { from: Date; to: Date };
export type { SloRow };

export interface SloReport {
  from: Date;
  to: Date;
  label: string;
  rows: SloRow[];
}

export async function sloReport(db: Queryable, window: SloWindow = '24h', now: Date = new Date()): Promise<SloReport> {
  const [from, to, label] = typeof window === 'string'
    ? [new Date(now.getTime() - SLO_WINDOWS[window]), now, `last ${window.replace('h', ' h').replace('d', ' days')}`]
    : [window.from, window.to, `${window.from.toISOString()} → ${window.to.toISOString()}`];
  const { rows } = await db.query(`SELECT * FROM monitor_slo($1, $2)`, [from, to]);
  return { from, to, label, rows: rows.map(sloRowFrom) };
}

/** For scripts (`slo --format json`): one object per check, snake_case as in monitor_slo(). */
export function sloReportJson(report: SloReport) {
  return report.rows.map((r) => ({
    check_name: r.check,
    from: report.from.toISOString(),
    to: report.to.toISOString(),
    total: r.total,
    failures: r.failures,
    uptime_pct: r.uptimePct,
    uptime_target: r.uptimeTarget,
    meets_uptime: r.meetsUptime,
    // As monitor_slo returns it: rounded here, a value at a half millisecond would show one millisecond apart from
    // the table and the Grafana page (both round the exact value), and meets_latency could disagree with p99_ms.
    p99_ms: r.p99Ms,
    latency_target_ms: r.latencyTargetMs,
    meets_latency: r.meetsLatency,
    latency_good_pct: r.latencyGoodPct,
    error_budget_remaining_pct: r.errorBudgetRemainingPct,
    burn_rate: r.burnRate,
    maintenance_excluded_sec: r.excludedSec,
  }));
}

/** A plain-text table for the terminal; ✗ marks an objective that is missed. */
export function formatSloReport(report: SloReport): string {
  const header = ['check', 'uptime', 'objective', 'p99', 'objective', 'fast runs', 'failures', 'budget left', 'burn', 'maintenance'];
  const lines = report.rows.map((r) => {
    const f = sloFigures(r);
    return [r.check, f.uptime, f.uptimeTarget, f.p99, f.latencyTarget, f.fastRuns, f.failures, f.budgetLeft, f.burn,
      r.excludedSec > 0 ? formatDuration(r.excludedSec) : '-'];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  const out = [
    `SLO report, ${report.label} (maintenance and heartbeats excluded)`,
    row(header),
    ...lines.map(row),
  ];
  if (report.rows.length === 0) out.push('(no check results in this window)');
  return out.join('\n');
}
