import { SLO_WINDOWS, SPAN_REACH_DAYS } from '@blocktrust-monitor/contract';
import type { AgentService } from './agent.ts';
import type { Clock, Logger, Queryable } from './types.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** An hour is rolled up this long after it ends, so that a batch being written as it ended is in it. */
const SETTLE_MS = 2 * MINUTE;
/** Day partitions exist this far ahead, so that an agent stopped for a week still finds one for today. */
const AHEAD_DAYS = 7;
/** Days whose partition keeps its (check_name, ts) btree, for "latest result of a check" lookups. */
const HOT_DAYS = 2;
/**
 * The spans of whole days written each day: those a named SLO window of two days or more covers when it ends
 * today (a 30-day window ending now holds the 29 whole days before today).
 */
export const SPAN_DAYS = Object.values(SLO_WINDOWS).filter((ms) => ms >= 2 * DAY).map((ms) => Math.floor(ms / DAY) - 1);

/** Writes the rows of one partition somewhere before it is dropped; returns where they went. */
export type ArchiveSink = (partition: string, chunks: AsyncIterable<string>) => Promise<string>;

export interface MaintenanceOptions {
  log: Logger;
  now?: Date;
  /** Raw results older than this many days are dropped, a whole day partition at a time. */
  retentionDays: number;
  /** Hourly and daily rollups older than this many days are deleted. */
  rollupRetentionDays: number;
  archive?: ArchiveSink;
}

export interface MaintenanceReport {
  partitionsCreated: string[];
  hoursRolled: number;
  lateHoursRolled: number;
  rolledUntil: Date | null;
  /** The current hour rolled up so far, to this settled minute (null at an hour's first minutes). */
  partialUntil: Date | null;
  /** Spans of whole days written by this pass, as [from, to) day starts. */
  spansWritten: [Date, Date][];
  partitionsDropped: { name: string; rows: number; archivedTo?: string; ms: number }[];
  /** Partitions past retention kept because their hours are not all rolled up yet (or the drop waited too long). */
  partitionsKept: string[];
  rollupRowsDeleted: number;
}

interface Partition {
  name: string;
  from: Date | null;
  to: Date | null;
}

const dayOf = (t: number) => Math.floor(t / DAY) * DAY;
const hourOf = (t: number) => Math.floor(t / HOUR) * HOUR;

async function partitions(db: Queryable): Promise<Partition[]> {
  const { rows } = await db.query<{ name: string; bound: string }>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'monitor_metrics'::regclass`);
  return rows.map((r) => {
    const m = /FROM \('([^']+)'\) TO \('([^']+)'\)/.exec(r.bound);
    return { name: r.name, from: m ? new Date(m[1]) : null, to: m ? new Date(m[2]) : null };
  }).sort((a, b) => (a.from?.getTime() ?? -Infinity) - (b.from?.getTime() ?? -Infinity));
}

async function oldestResult(db: Queryable, parts: Partition[]): Promise<Date | null> {
  const ts = async (name: string) =>
    (await db.query<{ t: Date | null }>(`SELECT min(ts) AS t FROM ${quoteIdent(name)} WHERE check_name NOT LIKE '%.tick'`)).rows[0].t;
  const oldest = await ts('monitor_metrics_default');
  for (const p of parts) {
    if (!p.from || (oldest && oldest <= p.from)) continue;
    const t = await ts(p.name);
    if (t) return oldest && oldest < t ? oldest : t;
  }
  return oldest;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Rows of one partition as CSV (header first), an hour at a time so memory stays small. */
async function* partitionCsv(db: Queryable, p: Partition): AsyncIterable<string> {
  const cols = ['id', 'ts', 'check_name', 'ok', 'latency_ms', 'details'];
  yield `${cols.join(',')}\n`;
  const cell = (v: unknown) => {
    if (v === null || v === undefined) return '';
    const s = v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  for (let h = p.from!.getTime(); h < p.to!.getTime(); h += HOUR) {
    const { rows } = await db.query(`SELECT ${cols.join(', ')} FROM ${quoteIdent(p.name)} WHERE ts >= $1 AND ts < $2 ORDER BY ts, id`,
      [new Date(h), new Date(h + HOUR)]);
    if (rows.length) yield rows.map((r) => cols.map((c) => cell(r[c])).join(',')).join('\n') + '\n';
  }
}

/**
 * One maintenance pass: day partitions ahead (and for rows that landed in the default partition), rollups brought
 * up to date (every hour since the last pass and every hour that received late results, all checks per
 * statement), then retention: whole day partitions past `retentionDays` dropped, never one holding an hour that is
 * not rolled up, and rollups past `rollupRetentionDays` deleted. Safe to run again at any time.
 */
export async function maintain(db: Queryable, opts: MaintenanceOptions): Promise<MaintenanceReport> {
  const now = (opts.now ?? new Date()).getTime();
  const report: MaintenanceReport = {
    partitionsCreated: [], hoursRolled: 0, lateHoursRolled: 0, rolledUntil: null, partialUntil: null, spansWritten: [],
    partitionsDropped: [], partitionsKept: [], rollupRowsDeleted: 0,
  };

  const ensure = async (from: number, to: number) => {
    const { rows } = await db.query<{ name: string }>('SELECT monitor_metrics_ensure_partitions($1, $2) AS name', [new Date(from), new Date(to)]);
    report.partitionsCreated.push(...rows.map((r) => r.name));
  };
  await ensure(dayOf(now) - DAY, dayOf(now) + (AHEAD_DAYS + 1) * DAY);
  const stray = await db.query<{ d: Date }>(`SELECT DISTINCT monitor_day_of(ts) AS d FROM monitor_metrics_default WHERE ts IS NOT NULL`);
  for (const { d } of stray.rows) await ensure(d.getTime(), d.getTime() + DAY);

  // Rollups: from the watermark (or the oldest result) up to the last settled hour, a day per statement.
  const until = hourOf(now - SETTLE_MS);
  const state = await db.query<{ rolled_until: Date | null }>('SELECT rolled_until FROM monitor_rollup_state');
  let parts = await partitions(db);
  let from = state.rows[0]?.rolled_until?.getTime() ?? (await oldestResult(db, parts))?.getTime() ?? until;
  from = hourOf(from);
  // Marks inside the span rolled below are answered by that roll; marks made while it runs stay for the next pass.
  if (from < until) await db.query('DELETE FROM monitor_rollup_dirty WHERE hour >= $1 AND hour < $2', [new Date(from), new Date(until)]);
  const daysWithPartition = new Set(parts.filter((p) => p.from).map((p) => p.from!.getTime()));
  while (from < until) {
    const to = Math.min(until, dayOf(from) + DAY);
    if (daysWithPartition.has(dayOf(from))) {
      await db.query('SELECT monitor_rollup_hours($1, $2)', [new Date(from), new Date(to)]);
      await db.query('SELECT monitor_rollup_days($1, $2)', [new Date(from), new Date(to)]);
      report.hoursRolled += (to - from) / HOUR;
    }
    // Writes the week when `to` is its end, also after days without results, so that written weeks stay contiguous.
    await db.query('SELECT monitor_rollup_weeks($1, $2)', [new Date(from), new Date(to)]);
    from = to;
  }
  // Late results: the hours they marked are rolled again (and their weeks), in the call that takes the marks.
  const late = await db.query<{ n: number }>('SELECT monitor_rollup_late($1) AS n', [new Date(until)]);
  report.lateHoursRolled = late.rows[0].n;
  await db.query('UPDATE monitor_rollup_state SET rolled_until = greatest(rolled_until, $1)', [new Date(until)]);
  await db.query('UPDATE monitor_rollup_state SET rolled_until = $1 WHERE rolled_until IS NULL', [new Date(until)]);
  report.rolledUntil = new Date(until);
  // The hour so far, up to the last settled minute, so that a window ending now reads a few minutes of raw rows.
  const partialUntil = Math.floor((now - SETTLE_MS) / MINUTE) * MINUTE;
  const partial = await db.query<{ n: number }>('SELECT monitor_rollup_partial($1) AS n', [new Date(partialUntil)]);
  if (partial.rows[0].n > 0) report.partialUntil = new Date(partialUntil);

  // Spans: the whole days of each SLO window ending today, merged per check once they are all rolled up.
  const today = dayOf(now);
  if (until >= today) {
    for (const days of SPAN_DAYS.filter((d) => d <= opts.rollupRetentionDays)) {
      const span = [new Date(today - days * DAY), new Date(today)] as [Date, Date];
      const listed = () => db.query('SELECT 1 FROM monitor_spans_written WHERE span = tstzrange($1, $2)', span);
      if ((await listed()).rows.length) continue;
      await db.query('SELECT monitor_rollup_span($1, $2)', span);
      if ((await listed()).rows.length) report.spansWritten.push(span);
    }
  }

  // Retention: a partition goes when all of it is older than the cutoff and rolled up.
  const cutoff = dayOf(now) - opts.retentionDays * DAY;
  parts = await partitions(db);
  for (const p of parts) {
    if (!p.from || !p.to || p.to.getTime() > cutoff) continue;
    const pending = await db.query('SELECT 1 FROM monitor_rollup_dirty WHERE hour >= $1 AND hour < $2 LIMIT 1', [p.from, p.to]);
    if (p.to.getTime() > until || pending.rows.length) {
      report.partitionsKept.push(p.name);
      continue;
    }
    const count = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${quoteIdent(p.name)}`);
    const archivedTo = opts.archive && count.rows[0].n > 0 ? await opts.archive(p.name, partitionCsv(db, p)) : undefined;
    try {
      // Dropping a partition locks the parent briefly; waiting long for that lock would hold up inserts behind it.
      const started = performance.now();
      await db.query(`DO $$ BEGIN SET LOCAL lock_timeout = '500ms'; DROP TABLE ${quoteIdent(p.name)}; END $$`);
      report.partitionsDropped.push({ name: p.name, rows: count.rows[0].n, archivedTo, ms: performance.now() - started });
    } catch (err) {
      if ((err as { code?: string }).code !== '55P03') throw err;
      opts.log.warn('retention: partition busy, will drop it on the next pass', { partition: p.name });
      report.partitionsKept.push(p.name);
    }
  }
  const rollupCutoff = new Date(dayOf(now) - opts.rollupRetentionDays * DAY);
  const hourly = await db.query('DELETE FROM monitor_metrics_hourly WHERE bucket < $1', [rollupCutoff]);
  const daily = await db.query('DELETE FROM monitor_metrics_daily WHERE day < $1', [rollupCutoff]);
  // A week that starts before the cutoff goes with its first days, so no week row holds a day that is gone.
  const weekly = await db.query('DELETE FROM monitor_metrics_weekly WHERE week < $1', [rollupCutoff]);
  // Spans go when no window ending now reads them any more (or with their first day); unlisted first, so a read
  // never finds a listed span without its rows.
  await db.query(`DELETE FROM monitor_spans_written
    WHERE upper(span) < $1 OR lower(span) < $2 OR NOT (upper(span) - lower(span)) = ANY ($3::interval[])`,
  [new Date(today - SPAN_REACH_DAYS * DAY), rollupCutoff, SPAN_DAYS.map((d) => `${d} days`)]);
  const spans = await db.query(`DELETE FROM monitor_metrics_span m WHERE NOT EXISTS (SELECT 1 FROM monitor_spans_written l WHERE l.span = m.span)`);
  report.rollupRowsDeleted = (hourly.rowCount ?? 0) + (daily.rowCount ?? 0) + (weekly.rowCount ?? 0) + (spans.rowCount ?? 0);

  // Older days lose the (check_name, ts) btree: their rows are read through check_name and BRIN, or from rollups.
  for (const p of parts) {
    if (p.to && p.to.getTime() < dayOf(now) - (HOT_DAYS - 1) * DAY && !report.partitionsDropped.some((d) => d.name === p.name)) {
      await db.query(`DROP INDEX CONCURRENTLY IF EXISTS ${quoteIdent(`${p.name}_check_ts`)}`);
    }
  }
  return report;
}

/** One line per thing a pass did, for `maintain` and the log. */
export function describeMaintenance(r: MaintenanceReport): string[] {
  const lines: string[] = [];
  if (r.partitionsCreated.length) lines.push(`created ${r.partitionsCreated.length} day partition(s): ${r.partitionsCreated.join(', ')}`);
  lines.push(`rolled up ${r.hoursRolled} hour(s)${r.lateHoursRolled ? ` and ${r.lateHoursRolled} hour(s) with late results` : ''}; rollups complete until ${r.rolledUntil?.toISOString() ?? '-'}${r.partialUntil ? `, the hour since then until ${r.partialUntil.toISOString()}` : ''}`);
  for (const [from, to] of r.spansWritten) {
    lines.push(`merged the days ${from.toISOString().slice(0, 10)} to ${new Date(to.getTime() - DAY).toISOString().slice(0, 10)} into one row per check (SLO windows ending today)`);
  }
  for (const p of r.partitionsDropped) {
    lines.push(`dropped ${p.name} (${p.rows} results${p.archivedTo ? `, archived to ${p.archivedTo}` : ''}, ${Math.round(p.ms)} ms)`);
  }
  if (r.partitionsKept.length) lines.push(`kept past retention until rolled up or free: ${r.partitionsKept.join(', ')}`);
  if (r.rollupRowsDeleted) lines.push(`deleted ${r.rollupRowsDeleted} rollup row(s) past rollup retention`);
  return lines;
}

/** Runs `maintain` at start and then every `everyMs` while the agent runs. */
export function maintenanceService(opts: Omit<MaintenanceOptions, 'now'> & { db: Queryable; clock: Clock; everyMs?: number }): AgentService {
  const everyMs = opts.everyMs ?? 300_000;
  return {
    name: 'maintenance',
    async start(signal) {
      while (!signal.aborted) {
        try {
          const r = await maintain(opts.db, { ...opts, now: opts.clock.now() });
          if (r.partitionsCreated.length || r.partitionsDropped.length || r.lateHoursRolled || r.hoursRolled > 1 || r.spansWritten.length) {
            opts.log.info('maintenance', { did: describeMaintenance(r).join('; ') });
          }
        } catch (err) {
          opts.log.warn('maintenance pass failed; will retry', { reason: (err as Error).message });
        }
        await opts.clock.sleep(everyMs, signal);
      }
    },
  };
}
