// The global '*' SLO targets row follows the environment (SLO_UPTIME_TARGET, SLO_LATENCY_MS,
// MAX_LISTENER_LAG_SEC, updated_by 'env') until someone sets it from Grafana; then the UI's values stay.
import type { Queryable } from '../core/types.ts';

export interface SloDefaults {
  uptimeTarget: number;
  latencyMs: number;
  maxLagSec: number;
}

/** Returns true when the '*' row now holds the environment's values. */
export async function syncSloDefaults(db: Queryable, defaults: SloDefaults, at: Date = new Date()): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO monitor_slo_targets (check_name, uptime_target, latency_ms, max_lag_sec, updated_at, updated_by)
     VALUES ('*', $1, $2, $3, $4, 'env')
     ON CONFLICT (check_name) DO UPDATE
       SET uptime_target = EXCLUDED.uptime_target, latency_ms = EXCLUDED.latency_ms, max_lag_sec = EXCLUDED.max_lag_sec,
           updated_at = EXCLUDED.updated_at, updated_by = 'env'
       WHERE monitor_slo_targets.updated_by = 'env'
         AND (monitor_slo_targets.uptime_target, monitor_slo_targets.latency_ms, monitor_slo_targets.max_lag_sec)
             IS DISTINCT FROM (EXCLUDED.uptime_target, EXCLUDED.latency_ms, EXCLUDED.max_lag_sec)`,
    [defaults.uptimeTarget, defaults.latencyMs, defaults.maxLagSec, at]);
  if (rowCount) return true;
  const { rows } = await db.query<{ updated_by: string }>(`SELECT updated_by FROM monitor_slo_targets WHERE check_name = '*'`);
  return rows[0]?.updated_by === 'env';
}

/** A check's own objectives from the checks file; absent fields inherit from the '*' row. */
export interface CheckTargets {
  check: string;
  uptimeTarget?: number;
  latencyMs?: number;
  maxLagSec?: number;
}

/**
 * Materialises the checks file's objectives in monitor_check_targets, which monitor_effective_targets reads
 * between a check's own Grafana row and the '*' row: the same precedence the agent applies to its runs.
 * The table then holds exactly the checks that declare an objective.
 */
export async function syncCheckTargets(db: Queryable, targets: readonly CheckTargets[], at: Date = new Date()): Promise<void> {
  const declared = targets.filter((t) => t.uptimeTarget !== undefined || t.latencyMs !== undefined || t.maxLagSec !== undefined);
  await db.query(
    `WITH given AS (
       SELECT * FROM unnest($1::text[], $2::numeric[], $3::int[], $4::int[]) AS g(check_name, uptime_target, latency_ms, max_lag_sec)
     ), gone AS (
       DELETE FROM monitor_check_targets t WHERE NOT EXISTS (SELECT 1 FROM given g WHERE g.check_name = t.check_name)
     )
     INSERT INTO monitor_check_targets (check_name, uptime_target, latency_ms, max_lag_sec, updated_at)
     SELECT check_name, uptime_target, latency_ms, max_lag_sec, $5 FROM given
     ON CONFLICT (check_name) DO UPDATE
       SET uptime_target = EXCLUDED.uptime_target, latency_ms = EXCLUDED.latency_ms, max_lag_sec = EXCLUDED.max_lag_sec,
           updated_at = EXCLUDED.updated_at
       WHERE (monitor_check_targets.uptime_target, monitor_check_targets.latency_ms, monitor_check_targets.max_lag_sec)
             IS DISTINCT FROM (EXCLUDED.uptime_target, EXCLUDED.latency_ms, EXCLUDED.max_lag_sec)`,
    [
      declared.map((t) => t.check),
      declared.map((t) => t.uptimeTarget ?? null),
      declared.map((t) => (t.latencyMs === undefined ? null : Math.round(t.latencyMs))),
      declared.map((t) => t.maxLagSec ?? null),
      at,
    ]);
}
