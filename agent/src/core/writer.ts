import type { CheckResult, Clock, Logger, Queryable } from './types.ts';

export interface ResultWriter {
  add(result: CheckResult): void;
  /** Writes everything held; resolves false when the database is unreachable (results stay held). */
  flush(): Promise<boolean>;
  start(signal: AbortSignal): Promise<void>;
  held(): number;
  dropped(): number;
  /** True from a failed write until the next successful one. */
  failing(): boolean;
}

const BATCH = 500;

/** Keys of a successful run that repeat the check's configuration or its expected answer. */
const ECHOES = new Set(['url', 'status']);

/**
 * The details stored for a run: all of them for a failure or a slow run; for a plain success only what
 * a person or a query reads (lag, block numbers, agent identity…), and no row-sized JSON at all when nothing is left.
 */
export function storedDetails(r: CheckResult): Record<string, unknown> | null {
  if (!r.ok || r.details?.slow === true) return r.details ?? null;
  const kept = Object.entries(r.details ?? {}).filter(([k]) => !ECHOES.has(k));
  return kept.length ? Object.fromEntries(kept) : null;
}

/**
 * Batches results into multi-row inserts with their original timestamps. While Postgres is unreachable,
 * results are held in memory (bounded: the oldest are dropped past `maxHeld`, and the log says how many)
 * and written once it is back. A database failure is never turned into a failed check.
 */
export function createResultWriter(opts: {
  db: Queryable;
  clock: Clock;
  log: Logger;
  flushIntervalMs: number;
  maxHeld: number;
  describeError: (err: unknown) => string;
  /** The agent that ran the checks, stored with each result once the schema has the column (undefined before). */
  agentId?: () => string | undefined;
  /** MONITOR_LOCATION, stored with each result beside the agent's id (NULL when unset). */
  location?: string;
  /** Called with each stored batch; not awaited. */
  onWritten?: (results: CheckResult[]) => Promise<void> | void;
}): ResultWriter {
  let queue: CheckResult[] = [];
  let droppedCount = 0;
  let failingSince: Date | null = null;
  let lastComplaint = 0;
  let flushing: Promise<boolean> | null = null;

  async function writeBatch(batch: CheckResult[]): Promise<void> {
    // One statement with five array parameters, whatever the batch size: Postgres unnests them into rows.
    // The agent's id and location go with them once the schema has their columns.
    const agent = opts.agentId?.();
    await opts.db.query(
      agent
        ? `INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details, agent_id, location)
           SELECT *, $6::text, $7::text FROM unnest($1::timestamptz[], $2::text[], $3::boolean[], $4::int[], $5::jsonb[])`
        : `INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details)
           SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::boolean[], $4::int[], $5::jsonb[])`,
      [
        batch.map((r) => r.ts.toISOString()),
        batch.map((r) => r.check),
        batch.map((r) => r.ok),
        batch.map((r) => Math.round(r.latencyMs)),
        batch.map((r) => {
          const d = storedDetails(r);
          return d === null ? null : JSON.stringify(d);
        }),
        ...(agent ? [agent, opts.location ?? null] : []),
      ],
    );
  }

  async function doFlush(): Promise<boolean> {
    while (queue.length) {
      const batch = queue.slice(0, BATCH);
      try {
        await writeBatch(batch);
      } catch (err) {
        const now = opts.clock.monotonic();
        if (!failingSince) {
          failingSince = opts.clock.now();
          lastComplaint = now;
          opts.log.warn('database unreachable: holding results until it is back', {
            reason: opts.describeError(err), held: queue.length, max_held: opts.maxHeld,
          });
        } else if (now - lastComplaint > 30_000) {
          lastComplaint = now;
          opts.log.warn('database still unreachable', { reason: opts.describeError(err), held: queue.length, dropped: droppedCount });
        }
        return false;
      }
      queue = queue.slice(batch.length);
      if (failingSince) {
        opts.log.info('database is back: held results written', {
          down_for_sec: Math.round((opts.clock.now().getTime() - failingSince.getTime()) / 1000),
          written: batch.length, dropped: droppedCount,
        });
        failingSince = null;
      }
      // Handed over, not awaited: what reads the stored batch (incident evaluation) never slows the writing.
      if (opts.onWritten) {
        const onWritten = opts.onWritten;
        void Promise.resolve().then(() => onWritten(batch)).catch((err) => {
          opts.log.error('processing written results failed', { reason: opts.describeError(err) });
        });
      }
    }
    return true;
  }

  return {
    add(result) {
      queue.push(result);
      if (queue.length > opts.maxHeld) {
        const excess = queue.length - opts.maxHeld;
        queue.splice(0, excess);
        droppedCount += excess;
        if (droppedCount === excess || droppedCount % 1000 < excess) {
          opts.log.warn('result buffer full: oldest held results dropped', { dropped: droppedCount, max_held: opts.maxHeld });
        }
      }
    },
    flush() {
      if (!flushing) flushing = doFlush().finally(() => { flushing = null; });
      return flushing;
    },
    async start(signal) {
      while (!signal.aborted) {
        await opts.clock.sleep(opts.flushIntervalMs, signal);
        await this.flush();
      }
      await this.flush();
    },
    held: () => queue.length,
    dropped: () => droppedCount,
    failing: () => failingSince !== null,
  };
}
