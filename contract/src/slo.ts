// The SLO figures per check, as monitor_slo(from, to) returns them: the `slo` report in the terminal and the
// app's SLO page read the same function and show each figure the same way.

export const SLO_WINDOWS = { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 } as const;
export type SloWindowName = keyof typeof SLO_WINDOWS;
/**
 * A merged span of whole days (written daily for each window above) answers for a window's days when both ends lie
 * within this many days of the span's.
 */
export const SPAN_REACH_DAYS = 3;

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

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** One row of monitor_slo(from, to), whatever the driver made of numerics (strings from pg, numbers from Grafana). */
export function sloRowFrom(r: Record<string, unknown>): SloRow {
  const uptimePct = num(r.uptime_pct);
  const p99 = num(r.p99_ms);
  const uptimeTarget = Number(r.uptime_target);
  const latencyTargetMs = Number(r.latency_target_ms);
  return {
    check: String(r.check_name),
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
}

const pct = (v: number | null, digits: number) => (v === null ? '-' : `${v.toFixed(digits)} %`);

/** The figures of a row as people read them, in the terminal and in Grafana alike; ✗ marks a missed objective. */
export function sloFigures(r: SloRow): Record<'uptime' | 'uptimeTarget' | 'p99' | 'latencyTarget' | 'fastRuns' | 'failures' | 'budgetLeft' | 'burn', string> {
  return {
    uptime: `${pct(r.uptimePct, 3)}${r.meetsUptime === false ? ' ✗' : ''}`,
    uptimeTarget: `${r.uptimeTarget} %`,
    p99: r.p99Ms === null ? '-' : `${Math.round(r.p99Ms)} ms${r.meetsLatency === false ? ' ✗' : ''}`,
    latencyTarget: `${r.latencyTargetMs} ms`,
    fastRuns: pct(r.latencyGoodPct, 1),
    failures: String(r.failures),
    budgetLeft: pct(r.errorBudgetRemainingPct, 1),
    burn: r.burnRate === null ? '-' : `${r.burnRate.toFixed(2)}×`,
  };
}
