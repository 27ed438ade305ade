// Multi-window burn-rate alerts adapted to a 24 h error budget (docs/alerts.md explains the choice): crit when both
// the 1 h and the 5 m burn rate are ≥ 12, warn when both the 6 h and the 30 m are ≥ 3. Burn rate = failure ratio /
// (1 - uptime objective), from monitor_slo(), so maintenance is excluded. This file measures; the decision, with its
// evidence minimums, is incidents/policy.ts's decideBurn().
import type { Queryable, Severity } from '../core/types.ts';
import {
  burnSeverity, DEFAULT_BURN_POLICY, type BurnMeasure, type BurnPolicy, type BurnRates, type BurnWindow,
} from '../incidents/policy.ts';

export { burnSeverity, DEFAULT_BURN_POLICY, type BurnPolicy } from '../incidents/policy.ts';

export interface BurnEvaluation extends BurnMeasure {
  /** What the raw rates call for, before the evidence minimums. */
  severity: Severity | null;
}

/** Burn rates and sample counts of every check with data in the windows, in one statement. */
export async function evaluateBurnRates(db: Queryable, now: Date, policy: BurnPolicy = DEFAULT_BURN_POLICY): Promise<BurnEvaluation[]> {
  const { rows } = await db.query<{ w: BurnWindow; check_name: string; burn_rate: number | null; total: number | null; uptime_target: number | null }>(
    `SELECT w.name AS w, s.check_name, s.burn_rate::float8 AS burn_rate, s.total::int AS total, s.uptime_target::float8 AS uptime_target
     FROM (VALUES ('critLong', $2::double precision), ('critShort', $3), ('warnLong', $4), ('warnShort', $5)) AS w(name, sec)
     CROSS JOIN LATERAL monitor_slo($1::timestamptz - make_interval(secs => w.sec), $1::timestamptz) s`,
    [now, policy.crit.longSec, policy.crit.shortSec, policy.warn.longSec, policy.warn.shortSec]);
  const byCheck = new Map<string, BurnMeasure>();
  for (const r of rows) {
    let m = byCheck.get(r.check_name);
    if (!m) {
      m = {
        check: r.check_name, rates: { critLong: 0, critShort: 0, warnLong: 0, warnShort: 0 },
        samples: { critLong: 0, critShort: 0, warnLong: 0, warnShort: 0 }, uptimeTarget: null,
      };
      byCheck.set(r.check_name, m);
    }
    m.rates[r.w] = r.burn_rate === null ? 0 : Math.max(0, Number(r.burn_rate));
    m.samples[r.w] = Number(r.total ?? 0);
    if (r.uptime_target !== null) m.uptimeTarget = Number(r.uptime_target);
  }
  return [...byCheck.values()].map((m) => ({ ...m, severity: burnSeverity(m.rates as BurnRates, policy) }));
}
