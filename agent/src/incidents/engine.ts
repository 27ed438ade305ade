// The incident engine: turns check results into incidents, timeline events and outbox rows, for a whole batch
// at once. Results are already stored when they reach it; the writer hands a batch over and does not wait.
// Streak counters live in memory and are persisted only when their saturated value changes (a streak past
// its threshold decides the same way at any length), so a restarted agent resumes exactly where the last
// one stopped and a healthy check costs no write at all.
//
//   const engine = createIncidentEngine({ db: pool, clock, log, config, channels });
//   engine.onResults(results, specs);  // after each batch is written; resolves once it is evaluated
//   await engine.tick();                // every few seconds: reminders, late openings, burn rates
import type { CheckResult, Clock, Condition, Logger, Queryable, Severity } from '../core/types.ts';
import type { CheckSpecBase } from '../checks/types.ts';
import type { Channel } from '../alerts/channel.ts';
import type { ChannelDirectory } from '../alerts/directory.ts';
import { conditionLabel, formatDuration, type IncidentCondition } from '../alerts/format.ts';
import { evaluateBurnRates, DEFAULT_BURN_POLICY, type BurnPolicy } from '../slo/burn.ts';
import { enqueue, findSuppression, INCIDENT_COLUMNS, type IncidentRow, type OutboxDeps } from './outbox.ts';
import { incidentEvent, resolveIncident } from './resolve.ts';
import { advance, decide, touchedConditions, verdict, type OpenIncident, type Policy, type Streak, type Transition } from './state.ts';
import { inTransaction, type TransactionalDb } from './tx.ts';

export interface IncidentEngineConfig {
  /** ALERT_REPEAT_INTERVAL in ms: reminders for unacknowledged open incidents. */
  repeatIntervalMs: number;
  /** MONITOR_GRAFANA_URL, for the incident link. */
  grafanaUrl?: string;
  /** MONITOR_PLAYBOOK_BASE_URL, for the playbook link. */
  playbookBaseUrl?: string;
  /** For results of checks that have no spec (defaults 2 and 2). */
  failureThreshold?: number;
  successThreshold?: number;
  /** Multi-window burn-rate alerts; false turns them off. */
  burnRate?: BurnPolicy | false;
  /** How often tick() evaluates burn rates (default 30 s). */
  burnEvaluateEveryMs?: number;
  /**
   * An open incident of a check that has produced no result for this long (default 1 h, at least three of the
   * check's intervals) is resolved: the check was removed or disabled. Only once this engine has itself run that
   * long, so a restart never closes anything.
   */
  staleAfterMs?: number;
}

export interface IncidentEngine {
  /** Queues a stored batch for evaluation; the promise settles once it (and everything queued before) is evaluated. */
  onResults(results: CheckResult[], specs: readonly CheckSpecBase[] | ReadonlyMap<string, CheckSpecBase>): Promise<void>;
  tick(): Promise<void>;
  /** Results handed over and not evaluated yet. */
  backlog(): number;
  /** Results evaluated since the start. */
  evaluated(): number;
}

const HEARTBEAT = /\.tick$/;
/** One lock for every change to incidents, taken per transaction that changes some, never per check. */
export const INCIDENT_LOCK = 'monitor-incidents';

/** The actual values an alert shows, taken from a result and its spec. */
export function alertValues(r: CheckResult, spec?: CheckSpecBase): Record<string, string | number> {
  const d = r.details ?? {};
  const v: Record<string, string | number> = {};
  if (typeof d.status === 'number') v.status = d.status;
  if (Number.isFinite(r.latencyMs)) v.latency_ms = Math.round(r.latencyMs);
  const target = typeof d.latency_target_ms === 'number' ? d.latency_target_ms : spec?.latencySloMs;
  if (typeof target === 'number' && (d.slow === true || r.condition === 'slow')) v.latency_target_ms = target;
  for (const key of ['lag_sec', 'max_lag_sec', 'block_number', 'head_block', 'lag_blocks'] as const) {
    const x = d[key];
    if (typeof x === 'number' || (typeof x === 'string' && x !== '')) v[key] = x;
  }
  return v;
}

function detailOf(r: CheckResult, spec: CheckSpecBase | undefined, condition: Condition): string {
  if (typeof r.details?.error === 'string' && r.details.error) return r.details.error;
  if (condition === 'slow') {
    const target = spec?.latencySloMs ?? r.details?.latency_target_ms;
    return `Took ${Math.round(r.latencyMs)} ms${target ? `, over the ${target} ms objective` : ''}.`;
  }
  return `${r.check} failed.`;
}

export async function takeIncidentLock(tx: Queryable): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [INCIDENT_LOCK]);
}

/** A transition decided in memory, with the result that caused it; ids below 0 stand for incidents this batch opens. */
interface Planned {
  t: Transition;
  r: CheckResult;
  spec: CheckSpecBase | undefined;
}

interface StreakRow {
  check: string;
  condition: Condition;
  failures: number;
  successes: number;
  failingSince: Date | null;
}

const key = (check: string, condition: string) => `${check}\u0000${condition}`;

export function createIncidentEngine(deps: {
  db: TransactionalDb;
  clock: Clock;
  log: Logger;
  config: IncidentEngineConfig;
  channels: ChannelDirectory;
}): IncidentEngine {
  const { db, clock, log, config } = deps;
  const outbox: OutboxDeps = { clock, links: { grafanaUrl: config.grafanaUrl, playbookBaseUrl: config.playbookBaseUrl } };
  const burnPolicy = config.burnRate === false ? undefined : config.burnRate ?? DEFAULT_BURN_POLICY;
  let lastBurnEvaluation = -Infinity;
  const startedAt = clock.monotonic();
  const staleAfterMs = config.staleAfterMs ?? 3_600_000;
  let lastSpecs: ReadonlyMap<string, CheckSpecBase> = new Map();

  /** check → condition → streak; loaded from the database once, then kept here. */
  let streaks: Map<string, Map<Condition, Streak>> | null = null;
  /** What the database holds for each (check, condition), as saturated counters. */
  const persisted = new Map<string, string>();
  /** Open incidents this engine last saw, to notice one resolved by someone else (its failure streak starts over). */
  const seenOpen = new Map<string, number>();

  let queue: Array<{ results: CheckResult[]; specs: ReadonlyMap<string, CheckSpecBase>; done: () => void }> = [];
  let queued = 0;
  let evaluatedCount = 0;
  let draining = false;

  function policyOf(spec: CheckSpecBase | undefined): Policy {
    return {
      failureThreshold: spec?.failureThreshold ?? config.failureThreshold ?? 2,
      successThreshold: spec?.successThreshold ?? config.successThreshold ?? 2,
      severity: spec?.severity ?? 'crit',
      slowSeverity: spec?.slowSeverity ?? 'warn',
    };
  }

  const saturated = (s: Streak, p: Policy) =>
    `${Math.min(s.failures, p.failureThreshold)}/${Math.min(s.successes, p.successThreshold)}/${s.failingSince?.getTime() ?? ''}`;

  async function loadStreaks(): Promise<Map<string, Map<Condition, Streak>>> {
    const { rows } = await db.query<{ check_name: string; condition: Condition; failures: number; successes: number; failing_since: Date | null }>(
      `SELECT check_name, condition, failures, successes, failing_since FROM monitor_check_streaks`);
    const out = new Map<string, Map<Condition, Streak>>();
    for (const row of rows) {
      const s: Streak = { failures: row.failures, successes: row.successes, failingSince: row.failing_since };
      let byCondition = out.get(row.check_name);
      if (!byCondition) out.set(row.check_name, (byCondition = new Map()));
      byCondition.set(row.condition, s);
      persisted.set(key(row.check_name, row.condition), `${s.failures}/${s.successes}/${s.failingSince?.getTime() ?? ''}`);
    }
    return out;
  }

  async function saveStreaks(q: Queryable, rows: StreakRow[]): Promise<void> {
    if (!rows.length) return;
    await q.query(
      `INSERT INTO monitor_check_streaks (check_name, condition, failures, successes, failing_since)
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::timestamptz[])
       ON CONFLICT (check_name, condition) DO UPDATE SET failures = EXCLUDED.failures, successes = EXCLUDED.successes,
         failing_since = EXCLUDED.failing_since`,
      [rows.map((r) => r.check), rows.map((r) => r.condition), rows.map((r) => r.failures), rows.map((r) => r.successes),
        rows.map((r) => r.failingSince)]);
  }

  async function apply(tx: Queryable, channels: readonly Channel[], plan: Planned, ids: Map<number, number | null>) {
    const { t, r, spec } = plan;
    const idOf = (id: number) => (id < 0 ? ids.get(id) ?? null : id);
    const values = alertValues(r, spec);
    if (t.type === 'open') {
      const detail = detailOf(r, spec, t.condition);
      const { rows } = await tx.query<IncidentRow>(
        `INSERT INTO monitor_incidents (opened_at, severity, title, detail, check_name, condition, details, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (check_name, condition) WHERE resolved_at IS NULL DO NOTHING
         RETURNING ${INCIDENT_COLUMNS}`,
        [t.since, t.severity, `${r.check}: ${conditionLabel(t.condition)}`, detail, r.check, t.condition,
          JSON.stringify({ values, error_class: r.details?.error_class ?? null, url: r.details?.url ?? null, opened_by_result_at: r.ts }),
          r.ts]);
      ids.set(t.provisionalId!, rows.length ? Number(rows[0].id) : null);
      if (!rows.length) return;
      const incident = rows[0];
      seenOpen.set(key(r.check, t.condition), Number(incident.id));
      await incidentEvent(tx, incident.id, r.ts, 'opened', `${incident.title} (${t.severity})`, { values, detail });
      await enqueue(tx, outbox, channels, incident, 'opened', 0);
      log.info('incident opened', { incident: Number(incident.id), check: r.check, condition: t.condition, severity: t.severity });
    } else if (t.type === 'escalate') {
      const id = idOf(t.incidentId);
      if (id === null) return;
      const detail = detailOf(r, spec, t.to);
      const { rows } = await tx.query<IncidentRow & { prev_severity: Severity }>(
        `UPDATE monitor_incidents i SET condition = $2, severity = $3, escalated_at = $4, updated_at = $4,
           title = $5, detail = $6,
           details = COALESCE(i.details, '{}'::jsonb) || jsonb_build_object('values', $7::jsonb, 'escalated_from', i.condition,
             'escalations', COALESCE((i.details->>'escalations')::int, 0) + 1)
         FROM (SELECT id, severity AS prev_severity FROM monitor_incidents WHERE id = $1) prev
         WHERE i.id = prev.id AND i.resolved_at IS NULL
         RETURNING ${INCIDENT_COLUMNS.split(',').map((c) => `i.${c.trim()}`).join(', ')}, prev.prev_severity`,
        [id, t.to, t.severity, r.ts, `${r.check}: ${conditionLabel(t.to)}`, detail, JSON.stringify(values)]);
      if (!rows.length) return;
      const incident = rows[0];
      seenOpen.delete(key(r.check, t.from));
      seenOpen.set(key(r.check, t.to), id);
      await incidentEvent(tx, incident.id, r.ts, 'escalated',
        `escalated from ${incident.prev_severity} ${t.from} to ${t.severity} ${t.to}`, { from: t.from, to: t.to, values, detail });
      await enqueue(tx, outbox, channels, incident, 'escalated', Number(incident.details?.escalations ?? 1),
        { previousSeverity: incident.prev_severity, previousCondition: t.from });
      log.warn('incident escalated', { incident: Number(incident.id), check: r.check, to: t.to, severity: t.severity });
    } else if (t.type === 'deescalate') {
      const id = idOf(t.incidentId);
      if (id === null) return;
      const { rows } = await tx.query<IncidentRow>(
        `UPDATE monitor_incidents SET condition = $2, severity = $3, updated_at = $4, title = $5,
           details = details - 'escalated_from'
         WHERE id = $1 AND resolved_at IS NULL RETURNING ${INCIDENT_COLUMNS}`,
        [id, t.to, t.severity, r.ts, `${r.check}: ${conditionLabel(t.to)}`]);
      if (!rows.length) return;
      seenOpen.delete(key(r.check, 'down'));
      seenOpen.set(key(r.check, t.to), id);
      await incidentEvent(tx, rows[0].id, r.ts, 'deescalated', `back to ${t.severity} ${t.to}: the check passes again but is still slow`);
    } else {
      const id = idOf(t.incidentId);
      if (id === null) return;
      seenOpen.delete(key(r.check, t.condition));
      await resolveIncident(tx, { outbox, log, channels }, id, r.ts, 'agent');
    }
  }

  /** Keeps the in-memory view of open incidents in step with a transition decided for this batch. */
  function follow(open: OpenIncident[], t: Transition) {
    if (t.type === 'open') open.push({ id: t.provisionalId!, condition: t.condition, severity: t.severity });
    else if (t.type === 'escalate' || t.type === 'deescalate') {
      const entry = open.find((o) => o.id === t.incidentId);
      if (entry) {
        entry.escalatedFrom = t.type === 'escalate' ? t.from : undefined;
        entry.condition = t.to;
        entry.severity = t.severity;
      }
    } else {
      const at = open.findIndex((o) => o.id === t.incidentId);
      if (at >= 0) open.splice(at, 1);
    }
  }

  /** Evaluates one batch for all its checks: one read of open incidents, at most one transaction, one streak write. */
  async function evaluate(results: CheckResult[], specs: ReadonlyMap<string, CheckSpecBase>) {
    const byCheck = new Map<string, CheckResult[]>();
    for (const r of results) {
      if (!r.check || HEARTBEAT.test(r.check)) continue;
      const list = byCheck.get(r.check);
      if (list) list.push(r);
      else byCheck.set(r.check, [r]);
    }
    if (!byCheck.size) return;
    streaks ??= await loadStreaks();
    const checks = [...byCheck.keys()];
    const { rows: openRows } = await db.query<{ id: number; check_name: string; condition: IncidentCondition; severity: Severity; escalated_from: IncidentCondition | null }>(
      `SELECT id, check_name, condition, severity, details->>'escalated_from' AS escalated_from
       FROM monitor_incidents WHERE resolved_at IS NULL AND check_name = ANY($1::text[])`, [checks]);
    const openByCheck = new Map<string, OpenIncident[]>();
    const openNow = new Set<string>();
    for (const i of openRows) {
      const list = openByCheck.get(i.check_name) ?? [];
      list.push({ id: Number(i.id), condition: i.condition, severity: i.severity, escalatedFrom: i.escalated_from ?? undefined });
      openByCheck.set(i.check_name, list);
      openNow.add(key(i.check_name, i.condition));
    }

    const plans: Planned[] = [];
    const dirty: StreakRow[] = [];
    let provisional = 0;
    for (const [check, list] of byCheck) {
      if (list.length > 1) list.sort((a, b) => a.ts.getTime() - b.ts.getTime());
      const spec = specs.get(check);
      const policy = policyOf(spec);
      let mine = streaks.get(check);
      if (!mine) streaks.set(check, (mine = new Map()));
      // An incident resolved by someone else (from Grafana): a check that still fails reopens after its threshold.
      for (const c of mine.keys()) {
        const k = key(check, c);
        if (seenOpen.has(k) && !openNow.has(k)) {
          seenOpen.delete(k);
          mine.set(c, { ...mine.get(c)!, failures: 0, failingSince: null });
        }
      }
      const open = openByCheck.get(check) ?? [];
      for (const o of open) seenOpen.set(key(check, o.condition), o.id);
      const touched = new Set<Condition>();
      for (const r of list) {
        for (const c of touchedConditions(r, mine.keys())) {
          mine.set(c, advance(mine.get(c) ?? { failures: 0, successes: 0, failingSince: null }, verdict(c, r), r.ts));
          touched.add(c);
        }
        for (const t of decide(mine, open, policy, r)) {
          if (t.type === 'open') t.provisionalId = --provisional;
          plans.push({ t, r, spec });
          follow(open, t);
        }
      }
      for (const c of touched) {
        const s = mine.get(c)!;
        const now = saturated(s, policy);
        const k = key(check, c);
        if (persisted.get(k) === now) continue;
        persisted.set(k, now);
        dirty.push({
          check, condition: c, failures: Math.min(s.failures, policy.failureThreshold),
          successes: Math.min(s.successes, policy.successThreshold), failingSince: s.failingSince,
        });
      }
    }

    if (plans.length) {
      const channels = await deps.channels.list();
      await inTransaction(db, async (tx) => {
        await takeIncidentLock(tx);
        const ids = new Map<number, number | null>();
        for (const plan of plans) await apply(tx, channels, plan, ids);
        await saveStreaks(tx, dirty);
      });
    } else {
      await saveStreaks(db, dirty);
    }
  }

  function drain() {
    if (draining) return;
    draining = true;
    void (async () => {
      while (queue.length) {
        const taken = queue;
        queue = [];
        const results = taken.length === 1 ? taken[0].results : taken.flatMap((b) => b.results);
        try {
          await evaluate(results, taken[taken.length - 1].specs);
        } catch (err) {
          // The streaks in memory may be ahead of the database now: read them again before the next batch.
          streaks = null;
          persisted.clear();
          log.error('incident evaluation failed', { error: (err as Error).message, results: results.length });
        }
        queued -= results.length;
        evaluatedCount += results.length;
        for (const b of taken) b.done();
      }
      draining = false;
    })();
  }

  function onResults(results: CheckResult[], specs: readonly CheckSpecBase[] | ReadonlyMap<string, CheckSpecBase>): Promise<void> {
    const byName = specs instanceof Map ? specs : new Map((specs as readonly CheckSpecBase[]).map((s) => [s.name, s]));
    lastSpecs = byName;
    return new Promise<void>((done) => {
      queue.push({ results, specs: byName, done });
      queued += results.length;
      drain();
    });
  }

  async function remind(now: Date) {
    const due = await db.query<{ id: string }>(
      `SELECT id FROM monitor_incidents
       WHERE resolved_at IS NULL AND acknowledged_at IS NULL AND last_notified_at IS NOT NULL
         AND last_notified_at <= $1::timestamptz - make_interval(secs => $2::double precision / 1000)
       ORDER BY id`, [now, config.repeatIntervalMs]);
    if (!due.rows.length) return;
    const channels = await deps.channels.list();
    for (const { id } of due.rows) {
      await inTransaction(db, async (tx) => {
        const { rows } = await tx.query<IncidentRow>(
          `UPDATE monitor_incidents SET reminder_count = reminder_count + 1, last_notified_at = $2, updated_at = $2
           WHERE id = $1 AND resolved_at IS NULL AND acknowledged_at IS NULL
             AND last_notified_at <= $2::timestamptz - make_interval(secs => $3::double precision / 1000)
           RETURNING ${INCIDENT_COLUMNS}`, [id, now, config.repeatIntervalMs]);
        if (!rows.length) return;
        const incident = rows[0];
        await incidentEvent(tx, incident.id, now, 'reminded',
          `reminder ${incident.reminder_count}: open for ${formatDuration((now.getTime() - incident.opened_at.getTime()) / 1000)}, not acknowledged`);
        await enqueue(tx, outbox, channels, incident, 'reminder', incident.reminder_count, { reminderNumber: incident.reminder_count });
      });
    }
  }

  /**
   * Incidents nobody has been told about yet (their opening fell in a silence or maintenance that is now over),
   * unless the check is already recovering.
   */
  async function announceLate(now: Date) {
    const { rows } = await db.query<IncidentRow>(
      `SELECT ${INCIDENT_COLUMNS} FROM monitor_incidents i
       WHERE resolved_at IS NULL AND check_name IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM monitor_check_streaks s
                         WHERE s.check_name = i.check_name AND s.condition = i.condition AND s.successes > 0)
         AND EXISTS (SELECT 1 FROM monitor_notifications n WHERE n.incident_id = i.id AND n.status = 'suppressed')
         AND NOT EXISTS (SELECT 1 FROM monitor_notifications n WHERE n.incident_id = i.id AND n.status <> 'suppressed')`);
    if (!rows.length) return;
    const channels = await deps.channels.list();
    for (const incident of rows) {
      if (await findSuppression(db, incident.check_name, incident.severity, now)) continue;
      await inTransaction(db, async (tx) => {
        await takeIncidentLock(tx);
        await enqueue(tx, outbox, channels, incident, 'opened', 1);
      });
    }
  }

  async function burnRates(now: Date) {
    if (!burnPolicy) return;
    const evaluations = await evaluateBurnRates(db, now, burnPolicy);
    const burningNow = new Set((await db.query<{ check_name: string }>(
      `SELECT check_name FROM monitor_incidents WHERE condition = 'budget_burn' AND resolved_at IS NULL`)).rows.map((r) => r.check_name));
    const acting = evaluations.filter((e) => e.severity || burningNow.has(e.check));
    if (!acting.length) return;
    const channels = await deps.channels.list();
    for (const e of acting) {
      await inTransaction(db, async (tx) => {
        await takeIncidentLock(tx);
        const { rows } = await tx.query<IncidentRow>(
          `SELECT ${INCIDENT_COLUMNS} FROM monitor_incidents WHERE check_name = $1 AND resolved_at IS NULL FOR UPDATE`, [e.check]);
        const burning = rows.find((i) => i.condition === 'budget_burn');
        const values = e.values;
        if (e.severity && !burning) {
          const other = rows.find((i) => i.condition !== 'budget_burn');
          if (other) return;
          const recent = await tx.query(
            `SELECT 1 FROM monitor_incidents WHERE check_name = $1 AND condition <> 'budget_burn'
               AND resolved_at > $2::timestamptz - make_interval(secs => $3) LIMIT 1`,
            [e.check, now, e.severity === 'crit' ? burnPolicy.crit.shortSec : burnPolicy.warn.shortSec]);
          if (recent.rows.length) return;
          const inserted = await tx.query<IncidentRow>(
            `INSERT INTO monitor_incidents (opened_at, severity, title, detail, check_name, condition, details, updated_at)
             VALUES ($1, $2, $3, $4, $5, 'budget_burn', $6, $1)
             ON CONFLICT (check_name, condition) WHERE resolved_at IS NULL DO NOTHING
             RETURNING ${INCIDENT_COLUMNS}`,
            [now, e.severity, `${e.check}: ${conditionLabel('budget_burn')}`, e.detail, e.check, JSON.stringify({ values, burn: e.burn })]);
          if (!inserted.rows.length) return;
          const incident = inserted.rows[0];
          await incidentEvent(tx, incident.id, now, 'opened', `${incident.title} (${e.severity})`, { values, burn: e.burn });
          await enqueue(tx, outbox, channels, incident, 'opened', 0);
          log.warn('error budget burning', { check: e.check, severity: e.severity, ...e.burn });
        } else if (e.severity && burning && e.severity === 'crit' && burning.severity !== 'crit') {
          const updated = await tx.query<IncidentRow>(
            `UPDATE monitor_incidents SET severity = 'crit', escalated_at = $2, updated_at = $2, detail = $3,
               details = COALESCE(details, '{}'::jsonb) || jsonb_build_object('values', $4::jsonb, 'burn', $5::jsonb,
                 'escalations', COALESCE((details->>'escalations')::int, 0) + 1)
             WHERE id = $1 RETURNING ${INCIDENT_COLUMNS}`,
            [burning.id, now, e.detail, JSON.stringify(values), JSON.stringify(e.burn)]);
          const incident = updated.rows[0];
          await incidentEvent(tx, incident.id, now, 'escalated', `escalated from ${burning.severity} to crit`, { burn: e.burn });
          await enqueue(tx, outbox, channels, incident, 'escalated', Number(incident.details?.escalations ?? 1),
            { previousSeverity: burning.severity, previousCondition: 'budget_burn' });
        } else if (!e.severity && burning) {
          await resolveIncident(tx, { outbox, log, channels }, burning.id, now, 'agent');
        }
      });
    }
  }

  async function closeStale(now: Date) {
    const { rows } = await db.query<{ id: string; check_name: string; last_ts: Date }>(
      `SELECT i.id, i.check_name,
              COALESCE((SELECT max(m.ts) FROM monitor_metrics m WHERE m.check_name = i.check_name), i.opened_at) AS last_ts
       FROM monitor_incidents i
       WHERE i.resolved_at IS NULL AND i.check_name IS NOT NULL AND i.condition <> 'budget_burn'`);
    const stale = rows.filter((row) => {
      // A check that runs rarely is given three of its intervals.
      const interval = lastSpecs.get(row.check_name)?.intervalSec;
      const limitMs = Math.max(staleAfterMs, interval ? 3 * interval * 1000 : 0);
      return now.getTime() - row.last_ts.getTime() >= limitMs;
    });
    if (!stale.length) return;
    const channels = await deps.channels.list();
    for (const row of stale) {
      const interval = lastSpecs.get(row.check_name)?.intervalSec;
      const limitMs = Math.max(staleAfterMs, interval ? 3 * interval * 1000 : 0);
      await inTransaction(db, async (tx) => {
        await takeIncidentLock(tx);
        await resolveIncident(tx, { outbox, log, channels }, Number(row.id), now, 'agent',
          `no result from ${row.check_name} for ${formatDuration(limitMs / 1000)}: the check is no longer run`);
      });
    }
  }

  async function tick() {
    const now = clock.now();
    const steps: Array<[string, () => Promise<void>]> = [
      ['reminders', () => remind(now)],
      ['late announcements', () => announceLate(now)],
    ];
    if (staleAfterMs > 0 && clock.monotonic() - startedAt >= staleAfterMs) steps.push(['stale incidents', () => closeStale(now)]);
    if (burnPolicy && clock.monotonic() - lastBurnEvaluation >= (config.burnEvaluateEveryMs ?? 30_000)) {
      lastBurnEvaluation = clock.monotonic();
      steps.push(['burn rates', () => burnRates(now)]);
    }
    for (const [what, step] of steps) {
      try {
        await step();
      } catch (err) {
        log.error(`incident ${what} failed`, { error: (err as Error).message });
      }
    }
  }

  return { onResults, tick, backlog: () => queued, evaluated: () => evaluatedCount };
}
