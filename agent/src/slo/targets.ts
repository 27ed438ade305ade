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
