import type { AgentService } from './agent.ts';
import type { Clock, Logger, Queryable } from './types.ts';

/**
 * Keeps monitor_metrics_hourly current so 30-day windows read rollups instead of raw rows. At start it
 * fills hours of the last `backfillDays` that have raw rows but no rollup; then, every pass, it re-rolls
 * each completed hour that received rows since the last pass (late writes of held results included).
 */
export function rollupService(opts: { db: Queryable; clock: Clock; log: Logger; everyMs?: number; backfillDays?: number }): AgentService {
  const everyMs = opts.everyMs ?? 300_000;
  const backfillDays = opts.backfillDays ?? 35;
  return {
    name: 'rollups',
    async start(signal) {
      let lastId = 0;
      const roll = async (hours: Date[]) => {
        for (const h of hours) {
          if (signal.aborted) return;
          await opts.db.query('SELECT monitor_rollup_hour($1)', [h]);
        }
      };
      try {
        const top = await opts.db.query<{ id: number | null }>('SELECT MAX(id) AS id FROM monitor_metrics');
        lastId = Number(top.rows[0]?.id ?? 0);
        const missing = await opts.db.query<{ hour: Date }>(
          `SELECT DISTINCT monitor_hour_of(ts) AS hour FROM monitor_metrics
           WHERE ts >= now() - $1::int * interval '1 day' AND ts < monitor_hour_of(now()) AND check_name NOT LIKE '%.tick'
           EXCEPT SELECT bucket FROM monitor_metrics_hourly ORDER BY 1`, [backfillDays]);
        await roll(missing.rows.map((r) => r.hour));
        if (missing.rows.length) opts.log.info('rollups backfilled', { hours: missing.rows.length });
      } catch (err) {
        opts.log.warn('rollup backfill failed; will retry on the next pass', { reason: (err as Error).message });
      }
      const pending = new Set<number>();
      while (!signal.aborted) {
        await opts.clock.sleep(everyMs, signal);
        if (signal.aborted) break;
        try {
          const touched = await opts.db.query<{ hour: Date; top: number }>(
            `SELECT monitor_hour_of(ts) AS hour, MAX(id) AS top FROM monitor_metrics
             WHERE id > $1 AND check_name NOT LIKE '%.tick' GROUP BY 1`, [lastId]);
          for (const r of touched.rows) {
            pending.add(r.hour.getTime());
            lastId = Math.max(lastId, Number(r.top));
          }
          // An hour is rolled once it is over; rows that arrive later for it put it back in `pending`.
          const due = [...pending].filter((h) => h + 3_600_000 <= opts.clock.now().getTime()).sort((a, b) => a - b);
          await roll(due.map((h) => new Date(h)));
          due.forEach((h) => pending.delete(h));
        } catch (err) {
          opts.log.warn('rollup pass failed; will retry', { reason: (err as Error).message });
        }
      }
    },
  };
}
