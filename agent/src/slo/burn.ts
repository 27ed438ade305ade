// Multi-window burn-rate alerts adapted to a 24 h error budget (docs/alerts.md explains the choice):
// crit when both the 1 h and the 5 m burn rate are ≥ 12, warn when both the 6 h and the 30 m are ≥ 3.
// Burn rate = failure ratio / (1 - uptime objective), from monitor_slo(), so maintenance is excluded.
import type { Queryable, Severity } from '../core/types.ts';

export interface BurnWindowPair {
  longSec: number;
  shortSec: number;
  /** Both windows must burn at least this fast. */
  factor: number;
}

export interface BurnPolicy {
  crit: BurnWindowPair;
  warn: BurnWindowPair;
}

export const DEFAULT_BURN_POLICY: BurnPolicy = {
  crit: { longSec: 3600, shortSec: 300, factor: 12 },
  warn: { longSec: 21_600, shortSec: 1800, factor: 3 },
};

export interface BurnRates {
  critLong: number;
  critShort: number;
  warnLong: number;
  warnShort: number;
}

export interface BurnEvaluation {
  check: string;
  severity: Severity | null;
  burn: BurnRates;
  uptimeTarget: number | null;
  values: Record<string, number>;
  detail: string;
}

/** Which alert the burn rates call for, if any. */
export function burnSeverity(b: BurnRates, policy: BurnPolicy = DEFAULT_BURN_POLICY): Severity | null {
  if (b.critLong >= policy.crit.factor && b.critShort >= policy.crit.factor) return 'crit';
  if (b.warnLong >= policy.warn.factor && b.warnShort >= policy.warn.factor) return 'warn';
  return null;
}

/** 3600 → "1h", 300 → "5m": the key an alert shows a window's burn rate under. */
export function windowName(sec: number): string {
  if (sec % 3600 === 0) return `${sec / 3600}h`;
  if (sec % 60 === 0) return `${sec / 60}m`;
  return `${sec}s`;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** Burn rates of every check with data in the windows, plus checks with an open burn-rate incident. */
export async function evaluateBurnRates(db: Queryable, now: Date, policy: BurnPolicy = DEFAULT_BURN_POLICY): Promise<BurnEvaluation[]> {
  const windows = { critLong: policy.crit.longSec, critShort: policy.crit.shortSec, warnLong: policy.warn.longSec, warnShort: policy.warn.shortSec };
  const { rows } = await db.query<{ w: keyof BurnRates; check_name: string; burn_rate: string | null; uptime_target: string | null }>(
    `SELECT w.name AS w, s.check_name, s.burn_rate, s.uptime_target
     FROM (VALUES ('critLong', $2::double precision), ('critShort', $3), ('warnLong', $4), ('warnShort', $5)) AS w(name, sec)
     CROSS JOIN LATERAL monitor_slo($1::timestamptz - make_interval(secs => w.sec), $1::timestamptz) s`,
    [now, windows.critLong, windows.critShort, windows.warnLong, windows.warnShort]);
  const byCheck = new Map<string, { burn: BurnRates; target: number | null }>();
  const entry = (check: string) => {
    let e = byCheck.get(check);
    if (!e) {
      e = { burn: { critLong: 0, critShort: 0, warnLong: 0, warnShort: 0 }, target: null };
      byCheck.set(check, e);
    }
    return e;
  };
  for (const r of rows) {
    const e = entry(r.check_name);
    e.burn[r.w] = r.burn_rate === null ? 0 : Math.max(0, Number(r.burn_rate));
    if (r.uptime_target !== null) e.target = Number(r.uptime_target);
  }
  const open = await db.query<{ check_name: string }>(
    `SELECT check_name FROM monitor_incidents WHERE condition = 'budget_burn' AND resolved_at IS NULL`);
  for (const r of open.rows) entry(r.check_name);

  return [...byCheck].map(([check, { burn, target }]) => {
    const severity = burnSeverity(burn, policy);
    const values: Record<string, number> = {
      [`burn_${windowName(windows.critLong)}`]: round1(burn.critLong),
      [`burn_${windowName(windows.critShort)}`]: round1(burn.critShort),
      [`burn_${windowName(windows.warnLong)}`]: round1(burn.warnLong),
      [`burn_${windowName(windows.warnShort)}`]: round1(burn.warnShort),
    };
    if (target !== null) values.uptime_target = target;
    const pair = severity === 'warn' ? policy.warn : policy.crit;
    const [long, short] = severity === 'warn' ? [burn.warnLong, burn.warnShort] : [burn.critLong, burn.critShort];
    const detail = `Error budget burning ${round1(long)}× over ${windowName(pair.longSec)} and ${round1(short)}× over ` +
      `${windowName(pair.shortSec)} (objective ${target ?? '?'} % over 24 h; alert at ${pair.factor}×).`;
    return { check, severity, burn, uptimeTarget: target, values, detail };
  });
}
