import { z } from 'zod';
import type { CheckOutcome } from '../core/types.ts';
import { formatAge, startOf } from './listener-lag.ts';
import { readDb } from './errors.ts';
import { specBaseShape } from './spec-base.ts';
import type { CheckContext, CheckSpecBase } from './types.ts';

export interface ListenerProgressSpec extends CheckSpecBase {
  kind: 'listener_progress';
  /** Fails when the highest block has not increased for this long although heartbeats keep coming. */
  stallMinutes: number;
  heartbeat: string;
}

export const listenerProgressSchema = z.strictObject({
  ...specBaseShape,
  kind: z.literal('listener_progress'),
  stallMinutes: z
    .number({ error: 'expected a number of minutes' })
    .positive({ error: 'expected a positive number of minutes' })
    .default(10),
  heartbeat: z.string({ error: 'expected a check name' }).min(1).default('listener.tick'),
}) as unknown as z.ZodType<ListenerProgressSpec>;

interface ProgressRow {
  rows: string;
  numeric: string;
  max_block: string | null;
  reached_age_sec: string | null;
  newest_age_sec: string | null;
  non_numeric_example: string | null;
  ever: boolean;
}

/**
 * Kind `listener_progress`: the highest block number among recent heartbeats must have increased
 * within `stallMinutes`. Read from the database, so it judges correctly right after a restart.
 */
export async function runListenerProgress(spec: ListenerProgressSpec, ctx: CheckContext): Promise<CheckOutcome> {
  const stallSec = spec.stallMinutes * 60;
  // Twice the stall window: enough to see when the current highest block first appeared.
  const lookbackSec = stallSec * 2;
  const { rows } = await readDb('read the listener heartbeats', () =>
    ctx.db.query<ProgressRow>(
      `WITH hb AS (
       SELECT ts, btrim(details->>'block_number') AS raw FROM monitor_metrics
        WHERE check_name = $1 AND ts > now() - make_interval(secs => $2)),
     num AS (SELECT ts, raw::numeric AS block FROM hb WHERE raw ~ '^[0-9]{1,78}$'),
     top AS (SELECT max(block) AS max_block FROM num)
     SELECT (SELECT count(*) FROM hb) AS rows,
            (SELECT count(*) FROM num) AS numeric,
            (SELECT max_block::text FROM top) AS max_block,
            (SELECT EXTRACT(EPOCH FROM now() - min(num.ts)) FROM num, top WHERE num.block = top.max_block) AS reached_age_sec,
            (SELECT EXTRACT(EPOCH FROM now() - max(ts)) FROM hb) AS newest_age_sec,
            (SELECT raw FROM hb WHERE raw IS NULL OR raw !~ '^[0-9]{1,78}$' ORDER BY ts DESC LIMIT 1) AS non_numeric_example,
            EXISTS (SELECT 1 FROM monitor_metrics WHERE check_name = $1) AS ever`,
      [spec.heartbeat, lookbackSec],
    ),
  );
  const r = rows[0];
  const total = Number(r.rows);
  const numeric = Number(r.numeric);
  const details: Record<string, unknown> = { stall_minutes: spec.stallMinutes, heartbeats: total };
  if (total > numeric) {
    details.skipped_rows = total - numeric;
    details.skipped_note = `skipped ${total - numeric} heartbeat(s) without a numeric block_number (e.g. ${JSON.stringify(r.non_numeric_example)})`;
  }

  if (!r.ever) {
    const upSec = (ctx.clock.now().getTime() - startOf(ctx).getTime()) / 1000;
    if (upSec < stallSec) return { ok: true, details: { ...details, grace: true, note: `no ${spec.heartbeat} heartbeat yet` } };
    return {
      ok: false,
      condition: 'no_progress',
      details: { ...details, error_class: 'no_data', error: `no ${spec.heartbeat} heartbeat has ever been written` },
    };
  }
  if (r.max_block === null) {
    const why =
      total === 0
        ? `no ${spec.heartbeat} heartbeat in the last ${formatAge(lookbackSec)}`
        : `no heartbeat with a numeric block_number in the last ${formatAge(lookbackSec)}`;
    return {
      ok: false,
      condition: 'no_progress',
      details: { ...details, error_class: 'no_data', error: `${why}: cannot tell whether the listener advances` },
    };
  }

  const stuckSec = Math.round(Number(r.reached_age_sec));
  const newestAgeSec = Number(r.newest_age_sec);
  Object.assign(details, { block_number: r.max_block, block_unchanged_sec: stuckSec });
  if (stuckSec >= stallSec && newestAgeSec < stallSec) {
    return {
      ok: false,
      condition: 'no_progress',
      details: {
        ...details,
        error_class: 'no_progress',
        error: `the listener keeps writing heartbeats but its highest block (${r.max_block}) has not increased for ${formatAge(stuckSec)} (limit ${spec.stallMinutes} min)`,
        expected: `a new block within ${spec.stallMinutes} min`,
        actual: `block ${r.max_block} for ${formatAge(stuckSec)}`,
      },
    };
  }
  if (stuckSec >= stallSec) {
    return {
      ok: false,
      condition: 'no_progress',
      details: {
        ...details,
        error_class: 'no_data',
        error: `no heartbeat for ${formatAge(newestAgeSec)} and no new block for ${formatAge(stuckSec)}: the listener looks stopped`,
      },
    };
  }
  return { ok: true, details };
}
