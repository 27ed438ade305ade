// The incident engine: turns check results into incidents, timeline events and outbox rows. All state lives
// in Postgres (streaks, incidents, outbox), so a restarted agent resumes exactly where the last one stopped.
//
//   const engine = createIncidentEngine({ db: pool, clock, log, config, channels });
//   await engine.onResults(results, specs);  // after each batch is written to monitor_metrics
//   await engine.tick();                      // every few seconds: reminders, late openings, burn rates
import type { CheckResult, Clock, Condition, Logger, Queryable, Severity } from '../core/types.ts';
import type { CheckSpecBase } from '../checks/types.ts';
import type { ChannelDirectory } from '../alerts/directory.ts';
import { conditionLabel, formatDuration } from '../alerts/format.ts';
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
  onResults(results: CheckResult[], specs: readonly CheckSpecBase[] | ReadonlyMap<string, CheckSpecBase>): Promise<void>;
  tick(): Promise<void>;
}

const HEARTBEAT = /\.tick$/;

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

export function createIncidentEngine(deps: {
  db: TransactionalDb;
  clock: Clock;
  log: Logger;
  config: IncidentEngineConfig;
  channels: ChannelDirectory;
}): IncidentEngine {
  const { db, clock, log, config } = deps;
  const outbox: OutboxDeps = {
    channels: deps.channels,
    clock,
    links: { grafanaUrl: config.grafanaUrl, playbookBaseUrl: config.playbookBaseUrl },
  };
  const burnPolicy = config.burnRate === false ? undefined : config.burnRate ?? DEFAULT_BURN_POLICY;
  let lastBurnEvaluation = -Infinity;
  const startedAt = clock.monotonic();
  const staleAfterMs = config.staleAfterMs ?? 3_600_000;
  let lastSpecs: ReadonlyMap<string, CheckSpecBase> = new Map();

  function policyOf(spec: CheckSpecBase | undefined): Policy {
    return {
      failureThreshold: spec?.failureThreshold ?? config.failureThreshold ?? 2,
      successThreshold: spec?.successThreshold ?? config.successThreshold ?? 2,
      severity: spec?.severity ?? 'crit',
      slowSeverity: spec?.slowSeverity ?? 'warn',
    };
  }

  async function apply(tx: Queryable, t: Transition, r: CheckResult, spec: CheckSpecBase | undefined, open: OpenIncident[]) {
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
      if (!rows.length) return;
      const incident = rows[0];
      open.push({ id: Number(incident.id), condition: t.condition, severity: t.severity });
      await incidentEvent(tx, incident.id, r.ts, 'opened', `${incident.title} (${t.severity})`, { values, detail });
      await enqueue(tx, outbox, incident, 'opened', 0);
      log.info('incident opened', { incident: Number(incident.id), check: r.check, condition: t.condition, severity: t.severity });
    } else if (t.type === 'escalate') {
      const detail = detailOf(r, spec, t.to);
      const { rows } = await tx.query<IncidentRow & { prev_severity: Severity }>(
        `UPDATE monitor_incidents i SET condition = $2, severity = $3, escalated_at = $4, updated_at = $4,
           title = $5, detail = $6,
           details = COALESCE(i.details, '{}'::jsonb) || jsonb_build_object('values', $7::jsonb, 'escalated_from', i.condition,
             'escalations', COALESCE((i.details->>'escalations')::int, 0) + 1)
         FROM (SELECT id, severity AS prev_severity FROM monitor_incidents WHERE id = $1) prev
         WHERE i.id = prev.id
         RETURNING ${INCIDENT_COLUMNS.split(',').map((c) => `i.${c.trim()}`).join(', ')}, prev.prev_severity`,
        [t.incidentId, t.to, t.severity, r.ts, `${r.check}: ${conditionLabel(t.to)}`, detail, JSON.stringify(values)]);
      const incident = rows[0];
      const entry = open.find((o) => o.id === t.incidentId)!;
      entry.condition = t.to;
      entry.severity = t.severity;
      entry.escalatedFrom = t.from;
      await incidentEvent(tx, incident.id, r.ts, 'escalated',
        `escalated from ${incident.prev_severity} ${t.from} to ${t.severity} ${t.to}`, { from: t.from, to: t.to, values, detail });
      await enqueue(tx, outbox, incident, 'escalated', Number(incident.details?.escalations ?? 1),
        { previousSeverity: incident.prev_severity, previousCondition: t.from });
      log.warn('incident escalated', { incident: Number(incident.id), check: r.check, to: t.to, severity: t.severity });
    } else if (t.type === 'deescalate') {
      const { rows } = await tx.query<IncidentRow>(
        `UPDATE monitor_incidents SET condition = $2, severity = $3, updated_at = $4, title = $5,
           details = details - 'escalated_from'
         WHERE id = $1 RETURNING ${INCIDENT_COLUMNS}`,
        [t.incidentId, t.to, t.severity, r.ts, `${r.check}: ${conditionLabel(t.to)}`]);
      const entry = open.find((o) => o.id === t.incidentId)!;
      entry.condition = t.to;
      entry.severity = t.severity;
      entry.escalatedFrom = undefined;
      await incidentEvent(tx, rows[0].id, r.ts, 'deescalated', `back to ${t.severity} ${t.to}: the check passes again but is still slow`);
    } else {
      await resolveIncident(tx, { outbox, log }, t.incidentId, r.ts, 'agent');
      open.splice(open.findIndex((o) => o.id === t.incidentId), 1);
    }
  }

  async function processCheck(check: string, results: CheckResult[], spec: CheckSpecBase | undefined) {
    const policy = policyOf(spec);
    await inTransaction(db, async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`monitor-incidents:${check}`]);
      const streakRows = await tx.query<{ condition: Condition; failures: number; successes: number; failing_since: Date | null }>(
        `SELECT condition, failures, successes, failing_since FROM monitor_check_streaks WHERE check_name = $1`, [check]);
      const streaks = new Map<Condition, Streak>(streakRows.rows.map((s) => [s.condition,
        { failures: s.failures, successes: s.successes, failingSince: s.failing_since }]));
      const openRows = await tx.query<IncidentRow>(
        `SELECT ${INCIDENT_COLUMNS} FROM monitor_incidents WHERE check_name = $1 AND resolved_at IS NULL FOR UPDATE`, [check]);
      const open: OpenIncident[] = openRows.rows.map((i) => ({
        id: Number(i.id), condition: i.condition, severity: i.severity, escalatedFrom: i.details?.escalated_from,
      }));
      const dirty = new Set<Condition>();
      let last: CheckResult | undefined;
      for (const r of results) {
        for (const c of touchedConditions(r, streaks.keys())) {
          const before = streaks.get(c) ?? { failures: 0, successes: 0, failingSince: null };
          streaks.set(c, advance(before, verdict(c, r), r.ts));
          dirty.add(c);
        }
        for (const t of decide(streaks, open, policy, r)) await apply(tx, t, r, spec, open);
        last = r;
      }
      for (const c of dirty) {
        const s = streaks.get(c)!;
        await tx.query(
          `INSERT INTO monitor_check_streaks (check_name, condition, failures, successes, failing_since, last_ts, last_details)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (check_name, condition) DO UPDATE SET failures = EXCLUDED.failures, successes = EXCLUDED.successes,
             failing_since = EXCLUDED.failing_since, last_ts = EXCLUDED.last_ts, last_details = EXCLUDED.last_details`,
          [check, c, s.failures, s.successes, s.failingSince, last!.ts, JSON.stringify(last!.details ?? {})]);
      }
    });
  }

  async function onResults(results: CheckResult[], specs: readonly CheckSpecBase[] | ReadonlyMap<string, CheckSpecBase>) {
    const byName = specs instanceof Map ? specs : new Map((specs as readonly CheckSpecBase[]).map((s) => [s.name, s]));
    lastSpecs = byName;
    const byCheck = new Map<string, CheckResult[]>();
    for (const r of results) {
      if (!r.check || HEARTBEAT.test(r.check)) continue;
      const list = byCheck.get(r.check) ?? [];
      list.push(r);
      byCheck.set(r.check, list);
    }
    for (const [check, list] of byCheck) {
      list.sort((a, b) => a.ts.getTime() - b.ts.getTime());
      try {
        await processCheck(check, list, byName.get(check));
      } catch (err) {
        log.error('incident evaluation failed', { check, error: (err as Error).message });
      }
    }
  }

  async function remind(now: Date) {
    const due = await db.query<{ id: string }>(
      `SELECT id FROM monitor_incidents
       WHERE resolved_at IS NULL AND acknowledged_at IS NULL AND last_notified_at IS NOT NULL
         AND last_notified_at <= $1::timestamptz - make_interval(secs => $2::double precision / 1000)
       ORDER BY id`, [now, config.repeatIntervalMs]);
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
        await enqueue(tx, outbox, incident, 'reminder', incident.reminder_count, { reminderNumber: incident.reminder_count });
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
    for (const incident of rows) {
      if (await findSuppression(db, incident.check_name, incident.severity, now)) continue;
      await inTransaction(db, async (tx) => {
        await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`monitor-incidents:${incident.check_name}`]);
        await enqueue(tx, outbox, incident, 'opened', 1);
      });
    }
  }

  async function burnRates(now: Date) {
    if (!burnPolicy) return;
    const evaluations = await evaluateBurnRates(db, now, burnPolicy);
    const burningNow = new Set((await db.query<{ check_name: string }>(
      `SELECT check_name FROM monitor_incidents WHERE condition = 'budget_burn' AND resolved_at IS NULL`)).rows.map((r) => r.check_name));
    for (const e of evaluations) {
      if (!e.severity && !burningNow.has(e.check)) continue;
      await inTransaction(db, async (tx) => {
        await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`monitor-incidents:${e.check}`]);
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
          await enqueue(tx, outbox, incident, 'opened', 0);
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
          await enqueue(tx, outbox, incident, 'escalated', Number(incident.details?.escalations ?? 1),
            { previousSeverity: burning.severity, previousCondition: 'budget_burn' });
        } else if (!e.severity && burning) {
          await resolveIncident(tx, { outbox, log }, burning.id, now, 'agent');
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
    for (const row of rows) {
      // A check that runs rarely is given three of its intervals.
      const interval = lastSpecs.get(row.check_name)?.intervalSec;
      const limitMs = Math.max(staleAfterMs, interval ? 3 * interval * 1000 : 0);
      if (now.getTime() - row.last_ts.getTime() < limitMs) continue;
      await inTransaction(db, async (tx) => {
        await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`monitor-incidents:${row.check_name}`]);
        await resolveIncident(tx, { outbox, log }, Number(row.id), now, 'agent',
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

  return { onResults, tick };
}
