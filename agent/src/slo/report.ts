// The SLO report (`blocktrust-monitor slo`): monitor_slo() per check over 24 h or 30 days, so the terminal,
// the dashboards and the burn-rate alerts give the same numbers.
//
//   const rows = await sloReport(db, '24h');   // or '30d', or { from, to }
//   console.log(formatSloReport(rows));
import type { Queryable } from '../core/types.ts';
import { formatDuration } from '../alerts/format.ts';

export type SloWindow = '24h' | '7d' | '30d' | { from: Date; to: Date };

export interface SloRow {
  check: string;
  total: number;
  failures: number;
  uptimePct: number | null;
  uptimeTarget: number;
  p99Ms: number | null;
  latencyTargetMs: number;
  /** Share of successful runs within the latency objective. */
  latencyGoodPct: number | null;
  errorBudgetRemainingPct: number | null;
  burnRate: number | null;
  /** Seconds of maintenance excluded from this window. */
  excludedSec: number;
  meetsUptime: boolean | null;
  meetsLatency: boolean | null;
}

export interface SloReport {
  from: Date;
  to: Date;
  label: string;
  rows: SloRow[];
}

const WINDOW_MS = { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export async function sloReport(db: Queryable, window: SloWindow = '24h', now: Date = new Date()): Promise<SloReport> {
  const [from, to, label] = typeof window === 'string'
    ? [new Date(now.getTime() - WINDOW_MS[window]), now, `last ${window.replace('h', ' h').replace('d', ' days')}`]
    : [window.from, window.to, `${window.from.toISOString()} → ${window.to.toISOString()}`];
  const { rows } = await db.query(`SELECT * FROM monitor_slo($1, $2)`, [from, to]);
  return {
    from, to, label,
    rows: rows.map((r) => {
      const uptimePct = num(r.uptime_pct);
      const p99 = num(r.p99_ms);
      const uptimeTarget = Number(r.uptime_target);
      const latencyTargetMs = Number(r.latency_target_ms);
      return {
        check: r.check_name,
        total: Number(r.total),
        failures: Number(r.total) - Number(r.ok_count),
        uptimePct,
        uptimeTarget,
        p99Ms: p99,
        latencyTargetMs,
        latencyGoodPct: num(r.latency_good_pct),
        errorBudgetRemainingPct: num(r.error_budget_remaining_pct),
        burnRate: num(r.burn_rate),
        excludedSec: Number(r.excluded_sec ?? 0),
        meetsUptime: uptimePct === null ? null : uptimePct >= uptimeTarget,
        meetsLatency: p99 === null ? null : p99 < latencyTargetMs,
      };
    }),
  };
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
    p99_ms: r.p99Ms === null ? null : Math.round(r.p99Ms * 100) / 100,
    latency_target_ms: r.latencyTargetMs,
    meets_latency: r.meetsLatency,
    latency_good_pct: r.latencyGoodPct,
    error_budget_remaining_pct: r.errorBudgetRemainingPct,
    burn_rate: r.burnRate,
    maintenance_excluded_sec: r.excludedSec,
  }));
}

const pct = (v: number | null, digits = 2) => (v === null ? '-' : `${v.toFixed(digits)} %`);

/** A plain-text table for the terminal; ✗ marks an objective that is missed. */
export function formatSloReport(report: SloReport): string {
  const header = ['check', 'uptime', 'objective', 'p99', 'objective', 'fast runs', 'failures', 'budget left', 'burn', 'maintenance'];
  const lines = report.rows.map((r) => [
    r.check,
    `${pct(r.uptimePct, 3)}${r.meetsUptime === false ? ' ✗' : ''}`,
    `${r.uptimeTarget} %`,
    r.p99Ms === null ? '-' : `${Math.round(r.p99Ms)} ms${r.meetsLatency === false ? ' ✗' : ''}`,
    `${r.latencyTargetMs} ms`,
    pct(r.latencyGoodPct, 1),
    String(r.failures),
    pct(r.errorBudgetRemainingPct, 1),
    r.burnRate === null ? '-' : `${r.burnRate.toFixed(2)}×`,
    r.excludedSec > 0 ? formatDuration(r.excludedSec) : '-',
  ]);
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
