import { z } from 'zod';
import type { CheckOutcome } from '../core/types.ts';
import { CheckError, isDatabaseFailure, readDb } from './errors.ts';
import { specBaseShape } from './spec-base.ts';
import type { CheckContext, CheckSpecBase } from './types.ts';

export interface ListenerLagSpec extends CheckSpecBase {
  kind: 'listener_lag';
  /** Heartbeat age that counts as stalled; default MAX_LISTENER_LAG_SEC. */
  maxLagSec?: number;
  /** After the agent starts, no heartbeat yet is not a failure for this long; default = the max lag. */
  graceSec?: number;
  /** check_name of the heartbeat rows (default listener.tick). */
  heartbeat: string;
}

export const listenerLagSchema = z.strictObject({
  ...specBaseShape,
  kind: z.literal('listener_lag'),
  maxLagSec: z
    .number({ error: 'expected a number of seconds' })
    .positive({ error: 'expected a positive number of seconds' })
    .optional(),
  graceSec: z.number({ error: 'expected a number of seconds' }).min(0, { error: 'expected 0 or more seconds' }).optional(),
  heartbeat: z.string({ error: 'expected a check name' }).min(1).default('listener.tick'),
}) as unknown as z.ZodType<ListenerLagSpec>;

/** When this agent (or, without that, this check) started: the start of the grace period. */
export function startOf(ctx: CheckContext): Date {
  if (ctx.startedAt) return ctx.startedAt;
  let first = ctx.memory.get('firstRunAt');
  if (!(first instanceof Date)) {
    first = ctx.clock.now();
    ctx.memory.set('firstRunAt', first);
  }
  return first as Date;
}

/**
 * A run that must not be judged yet: recorded like a run during a database failure, that is not at all, so it
 * neither opens nor resolves anything.
 */
export class NotJudgedYet extends CheckError {
  readonly databaseFailure = true;
  constructor(message: string) {
    super('internal', message);
    this.name = 'NotJudgedYet';
  }
}

interface HeartbeatRow {
  lag_sec: string | number;
  block_number: string | null;
  ts: Date;
  /** Median gap between the last heartbeats: how often the listener writes one. */
  beat_sec: string | number | null;
}

/** Seconds since the monitor's database came back, as this check saw it (a failed read, then a good one). */
function secondsSinceDatabaseBack(ctx: CheckContext): number {
  const back = ctx.memory.get('databaseBackAt');
  return back instanceof Date ? (ctx.clock.now().getTime() - back.getTime()) / 1000 : Infinity;
}

/** Kind `listener_lag`: how old is the newest heartbeat of the Blocktrust listener. */
export async function runListenerLag(spec: ListenerLagSpec, ctx: CheckContext): Promise<CheckOutcome> {
  const maxLagSec = spec.maxLagSec ?? ctx.settings.maxListenerLagSec;
  const graceSec = spec.graceSec ?? maxLagSec;
  // The age is computed by the database, whose clock also stamped the heartbeat.
  let rows: HeartbeatRow[];
  try {
    ({ rows } = await readDb('read the listener heartbeats', () =>
      ctx.db.query<HeartbeatRow>(
        `WITH recent AS (
           SELECT ts, details->>'block_number' AS block_number FROM monitor_metrics
           WHERE check_name = $1 ORDER BY ts DESC LIMIT 6)
         SELECT r.ts, r.block_number, EXTRACT(EPOCH FROM (now() - r.ts)) AS lag_sec,
           (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY g.gap)
              FROM (SELECT EXTRACT(EPOCH FROM (ts - lag(ts) OVER (ORDER BY ts))) AS gap FROM recent) g
             WHERE g.gap IS NOT NULL) AS beat_sec
         FROM recent r ORDER BY r.ts DESC LIMIT 1`,
        [spec.heartbeat],
      ),
    ));
  } catch (err) {
    if (isDatabaseFailure(err)) ctx.memory.set('databaseDown', true);
    throw err;
  }
  if (ctx.memory.get('databaseDown')) {
    ctx.memory.delete('databaseDown');
    ctx.memory.set('databaseBackAt', ctx.clock.now());
  }
  const newest = rows[0];
  if (!newest) {
    const upSec = (ctx.clock.now().getTime() - startOf(ctx).getTime()) / 1000;
    if (upSec < graceSec) {
      return {
        ok: true,
        details: {
          grace: true,
          max_lag_sec: maxLagSec,
          note: `no ${spec.heartbeat} heartbeat yet; agent started ${Math.round(upSec)} s ago (grace ${graceSec} s)`,
        },
      };
    }
    return {
      ok: false,
      condition: 'listener_stalled',
      details: {
        error_class: 'no_data',
        error: `no ${spec.heartbeat} heartbeat has ever been written: is the listener running and writing heartbeats?`,
        max_lag_sec: maxLagSec,
      },
    };
  }
  const lagSec = Math.max(0, Math.round(Number(newest.lag_sec) * 10) / 10);
  if (lagSec >= maxLagSec) {
    // The listener writes to the same database: after an outage it needs one heartbeat interval to catch up
    // (half as much again for its own reconnect), never longer than the lag limit itself.
    const beatSec = Math.min(maxLagSec, 1.5 * (Number(newest.beat_sec ?? spec.intervalSec) || spec.intervalSec));
    const backSec = secondsSinceDatabaseBack(ctx);
    if (backSec < beatSec) {
      throw new NotJudgedYet(`the monitor's database came back ${Math.round(backSec)} s ago: the listener's lag ` +
        `(${formatAge(lagSec)}) is judged after one heartbeat interval (${formatAge(beatSec)})`);
    }
  }
  const details: Record<string, unknown> = {
    lag_sec: lagSec,
    block_number: newest.block_number,
    last_heartbeat: new Date(newest.ts).toISOString(),
    max_lag_sec: maxLagSec,
  };
  if (lagSec >= maxLagSec) {
    return {
      ok: false,
      condition: 'listener_stalled',
      details: {
        ...details,
        error_class: 'listener_stalled',
        error: `the listener's last heartbeat is ${formatAge(lagSec)} old (limit ${formatAge(maxLagSec)})`,
        expected: `< ${maxLagSec} s`,
        actual: lagSec,
      },
    };
  }
  return { ok: true, details };
}

export function formatAge(sec: number): string {
  if (sec < 120) return `${Math.round(sec)} s`;
  if (sec < 7200) return `${Math.round(sec / 60)} min`;
  return `${Math.round(sec / 360) / 10} h`;
}
