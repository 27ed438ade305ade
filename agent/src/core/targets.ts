// SLO targets edited from Grafana (monitor_slo_targets) take effect on the next run of each check: the
// latency objective that flags a run as slow, and the heartbeat age that counts as a stalled listener.
import type { AgentService } from './agent.ts';
import type { Clock, Logger, Queryable } from './types.ts';

export interface TargetRow {
  latencyMs?: number;
  maxLagSec?: number;
}

export interface TargetsCache extends AgentService {
  /** The row for a check ('*' for the global one), as last read. */
  get(check: string): TargetRow;
  refresh(): Promise<void>;
}

const NONE: TargetRow = Object.freeze({});

export function createTargetsCache(opts: { db: Queryable; clock: Clock; log: Logger; everyMs?: number }): TargetsCache {
  let rows = new Map<string, TargetRow>();
  let failing = false;
  const refresh = async () => {
    const { rows: found } = await opts.db.query<{ check_name: string; latency_ms: number | null; max_lag_sec: number | null }>(
      'SELECT check_name, latency_ms, max_lag_sec FROM monitor_slo_targets');
    rows = new Map(found.map((r) => [r.check_name, { latencyMs: r.latency_ms ?? undefined, maxLagSec: r.max_lag_sec ?? undefined }]));
  };
  return {
    name: 'slo targets',
    // The same object until the rows are read again, so a caller can tell a change by identity.
    get: (check) => rows.get(check) ?? NONE,
    refresh,
    async start(signal) {
      while (!signal.aborted) {
        try {
          await refresh();
          if (failing) opts.log.info('SLO targets read again');
          failing = false;
        } catch (err) {
          if (!failing) opts.log.warn('cannot read SLO targets; keeping the last ones', { reason: (err as Error).message });
          failing = true;
        }
        await opts.clock.sleep(opts.everyMs ?? 5000, signal);
      }
    },
  };
}
