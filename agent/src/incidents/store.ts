// Where incidents live. `IncidentStore` loads the state the policy decides on and applies the effects it returns;
// `createPgIncidentStore` is the only code with SQL on monitor_incidents, monitor_incident_events,
// monitor_notifications and monitor_check_streaks; `createMemoryIncidentStore` keeps the same state in memory for
// scenario tests.
//
//   const store = createPgIncidentStore(pool, { clock, links });
//   const open = await store.openIncidents(['api.health']);
//   await store.apply(effects, { channels: await directory.list() });  // one transaction, one lock
import type { Clock, Condition, Queryable, Severity } from '../core/types.ts';
import { severityRank } from '../core/types.ts';
import type { Channel } from '../alerts/channel.ts';
import { alertLinks, formatAlert, type AlertEvent, type AlertKind } from '../alerts/format.ts';
import { parseIncidentDetails, type Effect, type Incident, type IncidentDetails, type NotifyExtra, type TimelineKind } from './model.ts';
import { inTransaction, type TransactionalDb } from './tx.ts';
import { windowCovers, type MaintenanceWindow } from './windows.ts';

export interface StreakRow {
  check: string;
  condition: Condition;
  failures: number;
  successes: number;
  failingSince: Date | null;
  /** The location a check run from several locations counts this streak for; '' for any other check. */
  location?: string;
  /** Whether that location counts as failing the condition toward the check's quorum. */
  failing?: boolean;
}

export interface Suppression {
  by: 'silence' | 'maintenance';
  id: number;
  text: string;
}

/** An outbox row claimed for delivery. */
export interface ClaimedNotification {
  id: number;
  incidentId: number | null;
  channel: string;
  kind: string;
  attempts: number;
  text: string;
}

export interface TestAlertRecord {
  at: Date;
  channel: string;
  text: string;
  ok: boolean;
  error?: string;
  httpStatus?: number;
}

export interface ApplyOptions {
  /** The channel directory as read before the transaction began. */
  channels: readonly Channel[];
  /** Streak counters to persist in the same transaction. */
  streaks?: readonly StreakRow[];
}

export interface IncidentStore {
  loadStreaks(): Promise<StreakRow[]>;
  /** The streaks of these checks in every location, as stored now (what the other locations' agents last wrote). */
  streaksOf(checks: readonly string[]): Promise<StreakRow[]>;
  saveStreaks(rows: readonly StreakRow[]): Promise<void>;
  /** Open incidents, of the given checks or of all. */
  openIncidents(checks?: readonly string[]): Promise<Incident[]>;
  incident(id: number): Promise<Incident | null>;
  /** Open, unacknowledged incidents last notified at least `repeatIntervalMs` before `now`. */
  remindable(now: Date, repeatIntervalMs: number): Promise<Incident[]>;
  /** Open incidents whose every notification so far was suppressed; `recovering` when the check passes again. */
  unannounced(): Promise<Array<{ incident: Incident; recovering: boolean }>>;
  /** When each check last produced a result. */
  lastResultAt(checks: readonly string[]): Promise<Map<string, Date>>;
  /** When each check's last incident other than a burn-rate one was resolved. */
  lastResolvedAt(checks: readonly string[]): Promise<Map<string, Date>>;
  suppression(check: string, severity: Severity, at: Date): Promise<Suppression | null>;
  /** Applies the effects in order, in one transaction under the one incident lock; returns the ids `open` effects got. */
  apply(effects: readonly Effect[], opts: ApplyOptions): Promise<Map<number, number | null>>;
  /** The same store inside a caller's open transaction. */
  within(tx: Queryable): IncidentStore;

  /** Claims due rows (of one channel when given) for `leaseMs`; rows of one incident and channel in id order. */
  claimNotifications(now: Date, leaseMs: number, limit: number, channel?: string): Promise<ClaimedNotification[]>;
  /** Channels with a row due now. */
  dueChannels(now: Date): Promise<string[]>;
  markSent(n: ClaimedNotification, at: Date, httpStatus: number | null, message: string): Promise<void>;
  markRetry(n: ClaimedNotification, at: Date, delayMs: number, error: string | null, httpStatus: number | null): Promise<void>;
  markFailed(n: ClaimedNotification, at: Date, error: string | null, httpStatus: number | null, message: string): Promise<void>;
  recordTestAlert(r: TestAlertRecord): Promise<void>;
}

export interface StoreDeps {
  clock: Clock;
  links: { grafanaUrl?: string; playbookBaseUrl?: string };
}

/** Enabled, sendable channels whose minimum severity this severity reaches. */
export function routableChannels(channels: readonly Channel[], severity: Severity): Channel[] {
  return channels.filter((c) => c.enabled && c.validate().length === 0 && severityRank(severity) >= severityRank(c.minSeverity));
}

/** The alert event for an incident, as formatAlert() renders it. */
export function alertEventOf(
  incident: Incident, kind: AlertKind, at: Date, links: StoreDeps['links'], extra: Partial<AlertEvent> = {},
): AlertEvent {
  return {
    kind,
    severity: incident.severity,
    check: incident.check,
    condition: incident.condition,
    incidentId: incident.id,
    detail: incident.detail ?? undefined,
    values: incident.details.values,
    since: incident.openedAt.toISOString(),
    at: at.toISOString(),
    acknowledgedBy: kind === 'reminder' ? undefined : incident.acknowledgedBy ?? undefined,
    ...(incident.details.locations ? { locations: incident.details.locations } : {}),
    ...alertLinks(links, incident.id, incident.condition),
    ...extra,
  };
}

/** One lock for every change to incidents, taken once per transaction that changes some, never per check. */
export const INCIDENT_LOCK = 'monitor-incidents';

const INCIDENT_COLUMNS = `id, check_name, condition, severity, title, detail, opened_at, resolved_at, acknowledged_at,
  acknowledged_by, reminder_count, last_notified_at, details`;

interface IncidentRow {
  id: number;
  check_name: string;
  condition: Incident['condition'];
  severity: Severity;
  title: string;
  detail: string | null;
  opened_at: Date;
  resolved_at: Date | null;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  reminder_count: number;
  last_notified_at: Date | null;
  details: unknown;
}

function incidentOf(row: IncidentRow): Incident {
  return {
    id: Number(row.id), check: row.check_name, condition: row.condition, severity: row.severity, title: row.title,
    detail: row.detail, openedAt: row.opened_at, resolvedAt: row.resolved_at, acknowledgedAt: row.acknowledged_at,
    acknowledgedBy: row.acknowledged_by, reminderCount: row.reminder_count, lastNotifiedAt: row.last_notified_at,
    details: parseIncidentDetails(row.details),
  };
}

/** The silence or maintenance window that covers this check and severity at `at`, if any. */
export async function findSuppression(db: Queryable, check: string, severity: Severity, at: Date): Promise<Suppression | null> {
  const silence = await db.query<{ id: string; author: string; ends_at: Date; comment: string | null }>(
    `SELECT id, author, ends_at, comment FROM monitor_silences
     WHERE starts_at <= $3 AND ends_at > $3 AND $1 LIKE monitor_glob_to_like(check_pattern)
       AND (severity IS NULL OR severity = $2)
     ORDER BY ends_at DESC LIMIT 1`, [check, severity, at]);
  if (silence.rows.length) {
    const s = silence.rows[0];
    const comment = s.comment ? `: ${s.comment}` : '';
    return { by: 'silence', id: Number(s.id), text: `silence #${s.id} by ${s.author} until ${s.ends_at.toISOString()}${comment}` };
  }
  const covered = await db.query<{ yes: boolean }>(
    `SELECT NOT isempty(monitor_maintenance_ranges($1, $2::timestamptz, $2::timestamptz + interval '1 millisecond')) AS yes`,
    [check, at]);
  if (covered.rows[0]?.yes) {
    const windows = await db.query<MaintenanceWindow & { reason: string | null }>(
      `SELECT id, starts_at, ends_at, recurrence, recurrence_until, reason FROM monitor_maintenance_windows
       WHERE $1 LIKE monitor_glob_to_like(check_pattern) ORDER BY id`, [check]);
    const w = windows.rows.find((row) => windowCovers(row, at)) ?? windows.rows[0];
    return { by: 'maintenance', id: Number(w?.id), text: `maintenance window #${w?.id}${w?.reason ? `: ${w.reason}` : ''}` };
  }
  return null;
}

/** The incident a state-changing effect names, or null when the effect skips it. */
function target(e: Effect, ids: Map<number, number | null>): number | null {
  if (e.type === 'open' || e.type === 'reset_streak') return null;
  return e.incident < 0 ? ids.get(e.incident) ?? null : e.incident;
}

/** What every store does with a notify effect: which channels, which text, suppressed or pending. */
function plannedNotifications(
  incident: Incident, kind: Exclude<AlertKind, 'test'>, extra: NotifyExtra | undefined, at: Date, links: StoreDeps['links'],
  channels: readonly Channel[], toldBefore: ReadonlySet<string>,
) {
  const targets = kind === 'resolved'
    ? channels.filter((c) => toldBefore.has(c.name) && c.enabled && c.validate().length === 0)
    : routableChannels(channels, incident.severity);
  const event = alertEventOf(incident, kind, at, links, extra);
  return targets.map((channel) => ({
    channel: channel.name,
    payload: { text: formatAlert(event, channel.language), event, language: channel.language },
  }));
}

/** A result after sending is recorded only while the sender still holds the claim (its lease was not taken over). */
const STILL_CLAIMED = `status = 'sending' AND attempts = $4`;

export function createPgIncidentStore(db: TransactionalDb | Queryable, deps: StoreDeps, inTx = false): IncidentStore {
  const { clock, links } = deps;

  async function saveStreaks(q: Queryable, rows: readonly StreakRow[]) {
    if (!rows.length) return;
    await q.query(
      `INSERT INTO monitor_check_streaks (check_name, condition, failures, successes, failing_since, location, failing)
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::timestamptz[], $6::text[], $7::boolean[])
       ON CONFLICT (check_name, condition, location) DO UPDATE SET failures = EXCLUDED.failures, successes = EXCLUDED.successes,
         failing_since = EXCLUDED.failing_since, failing = EXCLUDED.failing`,
      [rows.map((r) => r.check), rows.map((r) => r.condition), rows.map((r) => r.failures), rows.map((r) => r.successes),
        rows.map((r) => r.failingSince), rows.map((r) => r.location ?? ''), rows.map((r) => r.failing ?? false)]);
  }

  async function readStreaks(q: Queryable, checks?: readonly string[]): Promise<StreakRow[]> {
    const { rows } = await q.query<{
      check_name: string; condition: Condition; failures: number; successes: number; failing_since: Date | null; location: string; failing: boolean;
    }>(
      `SELECT check_name, condition, failures, successes, failing_since, location, failing FROM monitor_check_streaks
       ${checks ? 'WHERE check_name = ANY($1::text[])' : ''}`, checks ? [checks] : []);
    return rows.map((r) => ({
      check: r.check_name, condition: r.condition, failures: r.failures, successes: r.successes, failingSince: r.failing_since,
      location: r.location, failing: r.failing,
    }));
  }

  async function event(q: Queryable, id: number, at: Date, kind: TimelineKind, message: string, details?: unknown, actor = 'agent', channel?: string) {
    await q.query(
      `INSERT INTO monitor_incident_events (incident_id, ts, kind, actor, channel, message, details) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [id, at, kind, actor, channel ?? null, message, details === undefined ? null : JSON.stringify(details)]);
  }

  async function notify(q: Queryable, incident: Incident, kind: Exclude<AlertKind, 'test'>, seq: number, extra: NotifyExtra | undefined, channels: readonly Channel[]) {
    const at = clock.now();
    let told = new Set<string>();
    if (kind === 'resolved') {
      const { rows } = await q.query<{ channel: string }>(
        `SELECT DISTINCT channel FROM monitor_notifications WHERE incident_id = $1 AND kind <> 'resolved' AND status <> 'suppressed'`, [incident.id]);
      told = new Set(rows.map((r) => r.channel));
    }
    const planned = plannedNotifications(incident, kind, extra, at, links, channels, told);
    if (!planned.length) return;
    const suppressed = await findSuppression(q, incident.check, incident.severity, at);
    const { rowCount } = await q.query(
      `INSERT INTO monitor_notifications (created_at, incident_id, channel, kind, severity, dedup_key, payload, status, next_attempt_at, last_error)
       SELECT $1, $2, c, $3, $4, $5 || c, p, $6, $1, $7 FROM unnest($8::text[], $9::jsonb[]) AS x(c, p)
       ON CONFLICT (dedup_key) DO NOTHING`,
      [at, incident.id, kind, incident.severity, `incident:${incident.id}:${kind}:${seq}:`, suppressed ? 'suppressed' : 'pending',
        suppressed ? `suppressed by ${suppressed.text}` : null, planned.map((p) => p.channel), planned.map((p) => JSON.stringify(p.payload))]);
    if (suppressed) {
      await event(q, incident.id, at, 'silenced', `${kind} notification suppressed by ${suppressed.text}`,
        { notification: kind, by: suppressed.by, id: suppressed.id });
    } else if ((rowCount ?? 0) > 0 && kind !== 'resolved') {
      await q.query(`UPDATE monitor_incidents SET last_notified_at = $2 WHERE id = $1`, [incident.id, at]);
    }
  }

  async function applyIn(q: Queryable, effects: readonly Effect[], opts: ApplyOptions) {
    await q.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [INCIDENT_LOCK]);
    const ids = new Map<number, number | null>();
    const latest = new Map<number, Incident>();
    const skipped = new Set<number>();
    const one = async (sql: string, params: unknown[]) => {
      const { rows } = await q.query<IncidentRow>(sql, params);
      return rows.length ? incidentOf(rows[0]) : null;
    };
    for (const e of effects) {
      if (e.type === 'open') {
        const row = await one(
          `INSERT INTO monitor_incidents (opened_at, severity, title, detail, check_name, condition, details, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (check_name, condition) WHERE resolved_at IS NULL DO NOTHING
           RETURNING ${INCIDENT_COLUMNS}`,
          [e.since, e.severity, e.title, e.detail, e.check, e.condition, JSON.stringify(e.details), e.at]);
        ids.set(e.ref, row?.id ?? null);
        if (row) latest.set(row.id, row);
        continue;
      }
      if (e.type === 'reset_streak') {
        await q.query(`UPDATE monitor_check_streaks SET failures = 0, failing_since = NULL, failing = false WHERE check_name = $1 AND condition = $2`,
          [e.check, e.condition]);
        continue;
      }
      const id = target(e, ids);
      if (id === null || skipped.has(id)) continue;
      let changed: Incident | null | undefined;
      switch (e.type) {
        case 'escalate':
          changed = await one(
            `UPDATE monitor_incidents SET condition = $2, severity = $3, escalated_at = $4, updated_at = $4, title = $5, detail = $6,
               details = COALESCE(details, '{}'::jsonb) || jsonb_build_object('values', $7::jsonb,
                 'escalations', COALESCE((details->>'escalations')::int, 0) + 1)
                 || CASE WHEN $8::text IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('burn', $8::jsonb) END
                 || CASE WHEN $9::text IS NULL THEN '{}'::jsonb ELSE jsonb_build_object('locations', $9::jsonb) END
                 || CASE WHEN condition <> $2 THEN jsonb_build_object('escalated_from', condition) ELSE '{}'::jsonb END
             WHERE id = $1 AND resolved_at IS NULL RETURNING ${INCIDENT_COLUMNS}`,
            [id, e.to, e.severity, e.at, e.title, e.detail, JSON.stringify(e.values), e.burn ? JSON.stringify(e.burn) : null,
              e.locations ? JSON.stringify(e.locations) : null]);
          break;
        case 'deescalate':
          changed = await one(
            `UPDATE monitor_incidents SET condition = $2, severity = $3, updated_at = $4, title = $5, details = details - 'escalated_from'
             WHERE id = $1 AND resolved_at IS NULL RETURNING ${INCIDENT_COLUMNS}`, [id, e.to, e.severity, e.at, e.title]);
          break;
        case 'resolve':
          changed = await one(
            `UPDATE monitor_incidents SET resolved_at = GREATEST($2::timestamptz, opened_at), updated_at = $2
             WHERE id = $1 AND resolved_at IS NULL RETURNING ${INCIDENT_COLUMNS}`, [id, e.at]);
          break;
        case 'remind':
          changed = await one(
            `UPDATE monitor_incidents SET reminder_count = reminder_count + 1, last_notified_at = $2, updated_at = $2
             WHERE id = $1 AND resolved_at IS NULL AND acknowledged_at IS NULL RETURNING ${INCIDENT_COLUMNS}`, [id, e.at]);
          break;
        case 'acknowledge':
          changed = e.withdraw
            // Reminders resume one repeat interval from now, not at once.
            ? await one(`UPDATE monitor_incidents SET acknowledged_at = NULL, acknowledged_by = NULL, last_notified_at = $2, updated_at = $2
                         WHERE id = $1 AND resolved_at IS NULL AND acknowledged_at IS NOT NULL RETURNING ${INCIDENT_COLUMNS}`, [id, e.at])
            : await one(`UPDATE monitor_incidents SET acknowledged_at = $2, acknowledged_by = $3, updated_at = $2
                         WHERE id = $1 AND resolved_at IS NULL AND acknowledged_at IS NULL RETURNING ${INCIDENT_COLUMNS}`, [id, e.at, e.actor]);
          break;
        case 'note':
          changed = await one(
            `UPDATE monitor_incidents SET details = COALESCE(details, '{}'::jsonb) || jsonb_build_object('postmortem_url', $2::text), updated_at = $3
             WHERE id = $1 RETURNING ${INCIDENT_COLUMNS}`, [id, e.postmortemUrl, e.at]);
          break;
        case 'event':
          await event(q, id, e.at, e.kind, e.message, e.details, e.actor);
          continue;
        case 'notify': {
          const incident = latest.get(id) ?? (await one(`SELECT ${INCIDENT_COLUMNS} FROM monitor_incidents WHERE id = $1`, [id]));
          if (incident) await notify(q, incident, e.kind, e.seq, e.extra, opts.channels);
          continue;
        }
      }
      if (changed) latest.set(id, changed);
      else skipped.add(id);
    }
    if (opts.streaks?.length) await saveStreaks(q, opts.streaks);
    return ids;
  }

  const store: IncidentStore = {
    loadStreaks: () => readStreaks(db),
    streaksOf: (checks) => (checks.length ? readStreaks(db, checks) : Promise.resolve([])),
    saveStreaks: (rows) => saveStreaks(db, rows),
    async openIncidents(checks) {
      const { rows } = checks
        ? await db.query<IncidentRow>(`SELECT ${INCIDENT_COLUMNS} FROM monitor_incidents WHERE resolved_at IS NULL AND check_name = ANY($1::text[])`, [checks])
        : await db.query<IncidentRow>(`SELECT ${INCIDENT_COLUMNS} FROM monitor_incidents WHERE resolved_at IS NULL ORDER BY id`);
      return rows.map(incidentOf);
    },
    async incident(id) {
      const { rows } = await db.query<IncidentRow>(
        `SELECT ${INCIDENT_COLUMNS} FROM monitor_incidents WHERE id = $1${inTx ? ' FOR UPDATE' : ''}`, [id]);
      return rows.length ? incidentOf(rows[0]) : null;
    },
    async remindable(now, repeatIntervalMs) {
      const { rows } = await db.query<IncidentRow>(
        `SELECT ${INCIDENT_COLUMNS} FROM monitor_incidents
         WHERE resolved_at IS NULL AND acknowledged_at IS NULL AND last_notified_at IS NOT NULL
           AND last_notified_at <= $1::timestamptz - make_interval(secs => $2::double precision / 1000)
         ORDER BY id`, [now, repeatIntervalMs]);
      return rows.map(incidentOf);
    },
    async unannounced() {
      const { rows } = await db.query<IncidentRow & { recovering: boolean }>(
        `SELECT ${INCIDENT_COLUMNS},
                EXISTS (SELECT 1 FROM monitor_check_streaks s
                        WHERE s.check_name = i.check_name AND s.condition = i.condition AND s.successes > 0
                          -- from several locations: one of the failing ones passes again (the others always pass)
                          AND (s.location = '' OR s.failing)) AS recovering
         FROM monitor_incidents i
         WHERE resolved_at IS NULL AND check_name IS NOT NULL
           AND EXISTS (SELECT 1 FROM monitor_notifications n WHERE n.incident_id = i.id AND n.status = 'suppressed')
           AND NOT EXISTS (SELECT 1 FROM monitor_notifications n WHERE n.incident_id = i.id AND n.status <> 'suppressed')
         ORDER BY id`);
      return rows.map((r) => ({ incident: incidentOf(r), recovering: r.recovering }));
    },
    async lastResultAt(checks) {
      if (!checks.length) return new Map();
      const { rows } = await db.query<{ check_name: string; last_ts: Date }>(
        `SELECT c AS check_name, (SELECT max(m.ts) FROM monitor_metrics m WHERE m.check_name = c) AS last_ts
         FROM unnest($1::text[]) c`, [checks]);
      return new Map(rows.filter((r) => r.last_ts).map((r) => [r.check_name, r.last_ts]));
    },
    async lastResolvedAt(checks) {
      if (!checks.length) return new Map();
      const { rows } = await db.query<{ check_name: string; at: Date }>(
        `SELECT check_name, max(resolved_at) AS at FROM monitor_incidents
         WHERE check_name = ANY($1::text[]) AND condition <> 'budget_burn' AND resolved_at IS NOT NULL GROUP BY check_name`, [checks]);
      return new Map(rows.map((r) => [r.check_name, r.at]));
    },
    suppression: (check, severity, at) => findSuppression(db, check, severity, at),
    apply(effects, opts) {
      if (!effects.length && !opts.streaks?.length) return Promise.resolve(new Map());
      if (inTx || !('connect' in db)) return applyIn(db, effects, opts);
      return inTransaction(db as TransactionalDb, (tx) => applyIn(tx, effects, opts));
    },
    within: (tx) => createPgIncidentStore(tx, deps, true),

    async dueChannels(now) {
      const { rows } = await db.query<{ channel: string }>(
        `SELECT DISTINCT channel FROM monitor_notifications WHERE status IN ('pending', 'sending') AND next_attempt_at <= $1`, [now]);
      return rows.map((r) => r.channel).sort();
    },
    async claimNotifications(now, leaseMs, limit, channel) {
      const { rows } = await db.query<{ id: number; incident_id: number | null; channel: string; kind: string; attempts: number; payload: { text?: string } }>(
        `UPDATE monitor_notifications n
         SET status = 'sending', attempts = n.attempts + 1,
             next_attempt_at = $1::timestamptz + make_interval(secs => $2::double precision / 1000)
         WHERE n.id IN (
           SELECT c.id FROM monitor_notifications c
           WHERE c.status IN ('pending', 'sending') AND c.next_attempt_at <= $1 AND ($4::text IS NULL OR c.channel = $4)
             AND NOT EXISTS (
               SELECT 1 FROM monitor_notifications e
               WHERE e.incident_id = c.incident_id AND e.channel = c.channel AND e.id < c.id
                 AND e.status IN ('pending', 'sending'))
           ORDER BY c.id
           LIMIT $3
           FOR UPDATE SKIP LOCKED)
         RETURNING n.id, n.incident_id, n.channel, n.kind, n.attempts, n.payload`,
        [now, leaseMs, limit, channel ?? null]);
      return rows.map((r) => ({
        id: Number(r.id), incidentId: r.incident_id === null ? null : Number(r.incident_id), channel: r.channel, kind: r.kind,
        attempts: r.attempts, text: r.payload?.text ?? '',
      })).sort((a, b) => a.id - b.id);
    },
    async markSent(n, at, httpStatus, message) {
      const { rowCount } = await db.query(`UPDATE monitor_notifications SET status = 'sent', sent_at = $2, http_status = $3, last_error = NULL
        WHERE id = $1 AND ${STILL_CLAIMED}`, [n.id, at, httpStatus, n.attempts]);
      if (rowCount && n.incidentId !== null) {
        await event(db, n.incidentId, at, 'notified', message, { notification_id: n.id, http_status: httpStatus, attempts: n.attempts }, 'agent', n.channel);
      }
    },
    async markRetry(n, at, delayMs, error, httpStatus) {
      await db.query(
        `UPDATE monitor_notifications SET status = 'pending', last_error = $2, http_status = $3,
           next_attempt_at = $5::timestamptz + make_interval(secs => $6::double precision / 1000)
         WHERE id = $1 AND ${STILL_CLAIMED}`, [n.id, error, httpStatus, n.attempts, at, delayMs]);
    },
    async markFailed(n, at, error, httpStatus, message) {
      const { rowCount } = await db.query(`UPDATE monitor_notifications SET status = 'failed', last_error = $2, http_status = $3
        WHERE id = $1 AND ${STILL_CLAIMED}`, [n.id, error, httpStatus, n.attempts]);
      if (rowCount && n.incidentId !== null) {
        await event(db, n.incidentId, at, 'notify_failed', message, { notification_id: n.id, http_status: httpStatus, attempts: n.attempts }, 'agent', n.channel);
      }
    },
    async recordTestAlert(r) {
      await db.query(
        `INSERT INTO monitor_notifications (created_at, channel, kind, severity, dedup_key, payload, status, attempts, last_error, http_status, sent_at)
         VALUES ($1, $2, 'test', 'info', $3, $4, $5, 1, $6, $7, $8)`,
        [r.at, r.channel, `test:${r.channel}:${crypto.randomUUID()}`, JSON.stringify({ text: r.text }), r.ok ? 'sent' : 'failed',
          r.error ?? null, r.httpStatus ?? null, r.ok ? r.at : null]);
    },
  };
  return store;
}

/** A glob of check names (`api.*`) as a RegExp, as monitor_glob_to_like() reads it. */
function globRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replace(/\*/g, '.*')}$`);
}

export interface MemoryNotification {
  id: number;
  incidentId: number | null;
  channel: string;
  kind: string;
  severity: Severity;
  dedupKey: string;
  text: string;
  status: 'pending' | 'sending' | 'sent' | 'failed' | 'suppressed';
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
}

/**
 * The same state as the Postgres store, in memory: for scenario tests of the policy without a database.
 * @public (no test uses it yet)
 */
export function createMemoryIncidentStore(deps: StoreDeps) {
  const { clock, links } = deps;
  const incidents: Incident[] = [];
  const events: Array<{ incidentId: number; at: Date; kind: TimelineKind; actor: string; channel?: string; message: string; details?: unknown }> = [];
  const notifications: MemoryNotification[] = [];
  const streaks = new Map<string, StreakRow>();
  const results = new Map<string, Date>();
  const silences: Array<{ id: number; pattern: string; severity: Severity | null; startsAt: Date; endsAt: Date; author: string; comment?: string }> = [];
  const windows: Array<MaintenanceWindow & { pattern: string; reason: string | null }> = [];
  const copy = (i: Incident): Incident => ({ ...i, details: { ...i.details } });
  const byId = (id: number) => incidents.find((i) => i.id === id);
  const streakKey = (check: string, condition: string, location = '') => `${check}\u0000${condition}\u0000${location}`;

  function suppression(check: string, severity: Severity, at: Date): Suppression | null {
    const s = silences.filter((x) => x.startsAt <= at && x.endsAt > at && globRegExp(x.pattern).test(check) && (!x.severity || x.severity === severity))
      .sort((a, b) => b.endsAt.getTime() - a.endsAt.getTime())[0];
    if (s) return { by: 'silence', id: s.id, text: `silence #${s.id} by ${s.author} until ${s.endsAt.toISOString()}${s.comment ? `: ${s.comment}` : ''}` };
    const w = windows.find((x) => globRegExp(x.pattern).test(check) && windowCovers(x, at));
    return w ? { by: 'maintenance', id: Number(w.id), text: `maintenance window #${w.id}${w.reason ? `: ${w.reason}` : ''}` } : null;
  }

  function notify(incident: Incident, kind: Exclude<AlertKind, 'test'>, seq: number, extra: NotifyExtra | undefined, channels: readonly Channel[]) {
    const at = clock.now();
    const told = new Set(notifications.filter((n) => n.incidentId === incident.id && n.kind !== 'resolved' && n.status !== 'suppressed').map((n) => n.channel));
    const planned = plannedNotifications(incident, kind, extra, at, links, channels, told);
    if (!planned.length) return;
    const suppressed = suppression(incident.check, incident.severity, at);
    let added = 0;
    for (const p of planned) {
      const dedupKey = `incident:${incident.id}:${kind}:${seq}:${p.channel}`;
      if (notifications.some((n) => n.dedupKey === dedupKey)) continue;
      added += 1;
      notifications.push({
        id: notifications.length + 1, incidentId: incident.id, channel: p.channel, kind, severity: incident.severity, dedupKey,
        text: p.payload.text, status: suppressed ? 'suppressed' : 'pending', attempts: 0, nextAttemptAt: at,
        lastError: suppressed ? `suppressed by ${suppressed.text}` : null,
      });
    }
    if (suppressed) {
      events.push({ incidentId: incident.id, at, kind: 'silenced', actor: 'agent', message: `${kind} notification suppressed by ${suppressed.text}`,
        details: { notification: kind, by: suppressed.by, id: suppressed.id } });
    } else if (added && kind !== 'resolved') incident.lastNotifiedAt = at;
  }

  const store: IncidentStore = {
    loadStreaks: async () => [...streaks.values()].map((s) => ({ location: '', failing: false, ...s })),
    streaksOf: async (checks) => [...streaks.values()].filter((s) => checks.includes(s.check)).map((s) => ({ location: '', failing: false, ...s })),
    async saveStreaks(rows) {
      for (const r of rows) streaks.set(streakKey(r.check, r.condition, r.location), { ...r });
    },
    openIncidents: async (checks) => incidents.filter((i) => !i.resolvedAt && (!checks || checks.includes(i.check))).map(copy),
    incident: async (id) => {
      const i = byId(id);
      return i ? copy(i) : null;
    },
    remindable: async (now, repeat) => incidents.filter((i) => !i.resolvedAt && !i.acknowledgedAt && i.lastNotifiedAt &&
      now.getTime() - i.lastNotifiedAt.getTime() >= repeat).map(copy),
    unannounced: async () => incidents.filter((i) => !i.resolvedAt &&
      notifications.some((n) => n.incidentId === i.id && n.status === 'suppressed') &&
      !notifications.some((n) => n.incidentId === i.id && n.status !== 'suppressed'))
      .map((i) => ({
        incident: copy(i),
        recovering: [...streaks.values()].some((s) => s.check === i.check && s.condition === i.condition && s.successes > 0 &&
          (!s.location || s.failing)),
      })),
    lastResultAt: async (checks) => new Map(checks.filter((c) => results.has(c)).map((c) => [c, results.get(c)!])),
    async lastResolvedAt(checks) {
      const out = new Map<string, Date>();
      for (const i of incidents) {
        if (!i.resolvedAt || i.condition === 'budget_burn' || !checks.includes(i.check)) continue;
        const before = out.get(i.check);
        if (!before || before < i.resolvedAt) out.set(i.check, i.resolvedAt);
      }
      return out;
    },
    suppression: async (check, severity, at) => suppression(check, severity, at),
    async apply(effects, opts) {
      const ids = new Map<number, number | null>();
      const skipped = new Set<number>();
      for (const e of effects) {
        if (e.type === 'open') {
          if (incidents.some((i) => !i.resolvedAt && i.check === e.check && i.condition === e.condition)) {
            ids.set(e.ref, null);
            continue;
          }
          const incident: Incident = {
            id: incidents.length + 1, check: e.check, condition: e.condition, severity: e.severity, title: e.title, detail: e.detail,
            openedAt: e.since, resolvedAt: null, acknowledgedAt: null, acknowledgedBy: null, reminderCount: 0, lastNotifiedAt: null,
            details: { ...e.details },
          };
          incidents.push(incident);
          ids.set(e.ref, incident.id);
          continue;
        }
        if (e.type === 'reset_streak') {
          for (const s of streaks.values()) {
            if (s.check === e.check && s.condition === e.condition) Object.assign(s, { failures: 0, failingSince: null, failing: false });
          }
          continue;
        }
        const id = target(e, ids);
        const i = id === null ? undefined : byId(id);
        if (!i || skipped.has(i.id)) continue;
        const open = !i.resolvedAt;
        let changed = true;
        switch (e.type) {
          case 'escalate': {
            changed = open;
            if (!open) break;
            const details: IncidentDetails = { ...i.details, values: e.values, escalations: (i.details.escalations ?? 0) + 1 };
            if (e.burn) details.burn = e.burn;
            if (e.locations) details.locations = e.locations;
            if (i.condition !== e.to) details.escalated_from = i.condition;
            Object.assign(i, { condition: e.to, severity: e.severity, title: e.title, detail: e.detail, details });
            break;
          }
          case 'deescalate': {
            changed = open;
            if (!open) break;
            const { escalated_from: _, ...details } = i.details;
            Object.assign(i, { condition: e.to, severity: e.severity, title: e.title, details });
            break;
          }
          case 'resolve':
            changed = open;
            if (open) i.resolvedAt = e.at < i.openedAt ? i.openedAt : e.at;
            break;
          case 'remind':
            changed = open && !i.acknowledgedAt;
            if (changed) Object.assign(i, { reminderCount: i.reminderCount + 1, lastNotifiedAt: e.at });
            break;
          case 'acknowledge':
            changed = open && (e.withdraw ? Boolean(i.acknowledgedAt) : !i.acknowledgedAt);
            if (changed) {
              Object.assign(i, e.withdraw
                ? { acknowledgedAt: null, acknowledgedBy: null, lastNotifiedAt: e.at }
                : { acknowledgedAt: e.at, acknowledgedBy: e.actor });
            }
            break;
          case 'note':
            i.details = { ...i.details, postmortem_url: e.postmortemUrl };
            break;
          case 'event':
            events.push({ incidentId: i.id, at: e.at, kind: e.kind, actor: e.actor ?? 'agent', message: e.message, details: e.details });
            continue;
          case 'notify':
            notify(i, e.kind, e.seq, e.extra, opts.channels);
            continue;
        }
        if (!changed) skipped.add(i.id);
      }
      if (opts.streaks) await store.saveStreaks(opts.streaks);
      return ids;
    },
    within: () => store,

    async dueChannels(now) {
      return [...new Set(notifications.filter((n) => (n.status === 'pending' || n.status === 'sending') && n.nextAttemptAt <= now)
        .map((n) => n.channel))].sort();
    },
    async claimNotifications(now, leaseMs, limit, channel) {
      const due = notifications.filter((n) => (n.status === 'pending' || n.status === 'sending') && n.nextAttemptAt <= now &&
        (channel === undefined || n.channel === channel) &&
        !notifications.some((e) => e.incidentId === n.incidentId && e.channel === n.channel && e.id < n.id && (e.status === 'pending' || e.status === 'sending')))
        .slice(0, limit);
      for (const n of due) Object.assign(n, { status: 'sending', attempts: n.attempts + 1, nextAttemptAt: new Date(now.getTime() + leaseMs) });
      return due.map((n) => ({ id: n.id, incidentId: n.incidentId, channel: n.channel, kind: n.kind, attempts: n.attempts, text: n.text }));
    },
    async markSent(c, at, httpStatus, message) {
      Object.assign(notifications[c.id - 1], { status: 'sent', lastError: null });
      if (c.incidentId !== null) events.push({ incidentId: c.incidentId, at, kind: 'notified', actor: 'agent', channel: c.channel, message, details: { http_status: httpStatus } });
    },
    async markRetry(c, at, delayMs, error) {
      Object.assign(notifications[c.id - 1], { status: 'pending', lastError: error, nextAttemptAt: new Date(at.getTime() + delayMs) });
    },
    async markFailed(c, at, error, httpStatus, message) {
      Object.assign(notifications[c.id - 1], { status: 'failed', lastError: error });
      if (c.incidentId !== null) events.push({ incidentId: c.incidentId, at, kind: 'notify_failed', actor: 'agent', channel: c.channel, message, details: { http_status: httpStatus } });
    },
    async recordTestAlert(r) {
      notifications.push({
        id: notifications.length + 1, incidentId: null, channel: r.channel, kind: 'test', severity: 'info', dedupKey: `test:${notifications.length + 1}`,
        text: r.text, status: r.ok ? 'sent' : 'failed', attempts: 1, nextAttemptAt: r.at, lastError: r.error ?? null,
      });
    },
  };
  return {
    store,
    incidents, events, notifications, streaks,
    /** A check produced a result at `at` (what the Postgres store reads from monitor_metrics). */
    resultAt(check: string, at: Date) {
      results.set(check, at);
    },
    silence(s: (typeof silences)[number]) {
      silences.push(s);
    },
    maintenance(w: (typeof windows)[number]) {
      windows.push(w);
    },
  };
}

