// A stand-in for the Blocktrust listener: writes the v1.2 heartbeat with an advancing block number.
import type { Logger, Queryable } from '../core/types.ts';
import { writeHeartbeat } from '../listener/heartbeat.ts';

export interface DemoListenerOptions {
  db: Queryable;
  /** Time between heartbeats. */
  intervalMs?: number;
  startBlock?: bigint | number;
  /** Blocks processed between two heartbeats. */
  blocksPerTick?: number;
  log?: Logger;
}

export interface DemoListener {
  start(): void;
  stop(): Promise<void>;
  /** Writes one heartbeat now (unless stalled), advancing the block unless frozen. */
  tick(): Promise<void>;
  /** No more heartbeats: what a crashed listener looks like. */
  stall(): void;
  /** Heartbeats keep coming but the block number stays: a listener stuck on one block. */
  freezeBlock(): void;
  /** Back to normal after stall() or freezeBlock(). */
  resume(): void;
  readonly block: bigint;
  readonly state: 'running' | 'stalled' | 'frozen' | 'stopped';
}

const FIRST_BLOCK = 50_000_000n;

/**
 * Where a demo listener resumes: after the highest block of the recent heartbeats (so a restart never looks like
 * the chain going backwards, which `listener.progress` would flag), or at 50,000,000 on an empty database.
 */
export async function lastRecordedBlock(db: Queryable): Promise<bigint> {
  const { rows } = await db.query<{ block: string | null }>(
    `SELECT max((details->>'block_number')::numeric)::text AS block
     FROM (SELECT details FROM monitor_metrics WHERE check_name = 'listener.tick' ORDER BY ts DESC LIMIT 1000) recent
     WHERE details->>'block_number' ~ '^[0-9]{1,30}$'`);
  const block = rows[0]?.block ? BigInt(rows[0].block) : 0n;
  return block > FIRST_BLOCK ? block : FIRST_BLOCK;
}

export function createDemoListener(opts: DemoListenerOptions): DemoListener {
  const intervalMs = opts.intervalMs ?? 5_000;
  const step = BigInt(opts.blocksPerTick ?? 3);
  let block = BigInt(opts.startBlock ?? FIRST_BLOCK);
  let stalled = false;
  let frozen = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();
  let started = false;

  async function tick(): Promise<void> {
    if (stalled) return;
    if (!frozen) block += step;
    try {
      await writeHeartbeat(opts.db, block);
    } catch (err) {
      opts.log?.warn('demo listener could not write its heartbeat', { error: (err as Error).message });
    }
  }

  function schedule(): void {
    timer = setTimeout(() => {
      running = tick().finally(() => {
        if (started) schedule();
      });
    }, intervalMs);
  }

  return {
    start() {
      if (started) return;
      started = true;
      running = tick();
      schedule();
    },
    async stop() {
      started = false;
      clearTimeout(timer);
      await running;
    },
    tick,
    stall() {
      stalled = true;
    },
    freezeBlock() {
      frozen = true;
    },
    resume() {
      stalled = false;
      frozen = false;
    },
    get block() {
      return block;
    },
    get state() {
      if (!started) return 'stopped';
      return stalled ? 'stalled' : frozen ? 'frozen' : 'running';
    },
  };
}
