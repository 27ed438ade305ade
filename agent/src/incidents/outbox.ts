// Puts notifications in the outbox (monitor_notifications) inside the caller's transaction, one row per
// (incident, kind, sequence, channel) under a unique dedup_key, so a replay after a restart inserts nothing new.
// Silences and maintenance windows turn rows into status 'suppressed' and leave a 'silenced' timeline event.
import type { Clock, Queryable, Severity } from '../core/types.ts';
import { severityRank } from '../core/types.ts';
import { alertLinks, formatAlert, type AlertEvent, type AlertKind, type IncidentCondition } from '../alerts/format.ts';
import type { Channel } from '../alerts/channel.ts';
import { windowCovers, type MaintenanceWindow } from './windows.ts';

export const INCIDENT_COLUMNS = `id, check_name, condition, severity, title, detail, opened_at, resolved_at, acknowledged_at,
  acknowledged_by, reminder_count, last_notified_at, details`;

export interface IncidentRow {
  id: number;
  check_name: string;
  condition: IncidentCondition;
  severity: Severity;
  title: string;
  detail: string | null;
  opened_at: Date;
  resolved_at: Date | null;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  reminder_count: number;
  last_notified_at: Date | null;
  details: { values?: Record<string, string | number>; escalated_from?: IncidentCondition; [key: string]: unknown } | null;
}

export interface OutboxDeps {
  clock: Clock;
  links: { grafanaUrl?: string; playbookBaseUrl?: string };
}

export interface Suppression {
  by: 'silence' | 'maintenance';
  id: number;
  text: string;
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

/** The alert event for an incident, as formatAlert() renders it. */
export function alertEventOf(incident: IncidentRow, kind: AlertKind, at: Date, deps: OutboxDeps, extra: Partial<AlertEvent> = {}): AlertEvent {
  return {
    kind,
    severity: incident.severity,
    check: incident.check_name,
    condition: incident.condition,
    incidentId: Number(incident.id),
    detail: incident.detail ?? undefined,
    values: incident.details?.values,
    since: incident.opened_at.toISOString(),
    at: at.toISOString(),
    acknowledgedBy: kind === 'reminder' ? undefined : incident.acknowledged_by ?? undefined,
    ...alertLinks(deps.links, Number(incident.id), incident.condition),
    ...extra,
  };
}

/** Enabled, sendable channels whose minimum severity this severity reaches. */
export function routableChannels(channels: readonly Channel[], severity: Severity): Channel[] {
  return channels.filter((c) => c.enabled && c.validate().length === 0 && severityRank(severity) >= severityRank(c.minSeverity));
}

/**
 * Enqueues `kind` #`seq` of an incident. `channels` is the directory as read before the transaction began (reading
 * it inside would hold a connection while waiting for another). Opening, escalation and reminders go to every channel whose minimum
 * severity the incident reaches; a resolution goes to the channels that were told about the incident.
 * Returns how many rows are pending delivery.
 */
export async function enqueue(
  tx: Queryable,
  deps: OutboxDeps,
  channelList: readonly Channel[],
  incident: IncidentRow,
  kind: Exclude<AlertKind, 'test'>,
  seq: number,
  extra: Partial<AlertEvent> = {},
): Promise<number> {
  const at = deps.clock.now();
  let channels = routableChannels(channelList, incident.severity);
  if (kind === 'resolved') {
    const told = await tx.query<{ channel: string }>(
      `SELECT DISTINCT channel FROM monitor_notifications
       WHERE incident_id = $1 AND kind <> 'resolved' AND status <> 'suppressed'`, [incident.id]);
    const names = new Set(told.rows.map((r) => r.channel));
    channels = channelList.filter((c) => names.has(c.name) && c.enabled && c.validate().length === 0);
  }
  if (channels.length === 0) return 0;
  const suppressed = await findSuppression(tx, incident.check_name, incident.severity, at);
  const event = alertEventOf(incident, kind, at, deps, extra);
  let pending = 0;
  for (const channel of channels) {
    const text = formatAlert(event, channel.language);
    const inserted = await tx.query(
      `INSERT INTO monitor_notifications (created_at, incident_id, channel, kind, severity, dedup_key, payload, status, next_attempt_at, last_error)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $1, $9)
       ON CONFLICT (dedup_key) DO NOTHING`,
      [at, incident.id, channel.name, kind, incident.severity, `incident:${incident.id}:${kind}:${seq}:${channel.name}`,
        JSON.stringify({ text, event, language: channel.language }), suppressed ? 'suppressed' : 'pending',
        suppressed ? `suppressed by ${suppressed.text}` : null]);
    if (!suppressed) pending += inserted.rowCount ?? 0;
  }
  if (suppressed) {
    await tx.query(
      `INSERT INTO monitor_incident_events (incident_id, ts, kind, actor, message, details) VALUES ($1, $2, 'silenced', 'agent', $3, $4)`,
      [incident.id, at, `${kind} notification suppressed by ${suppressed.text}`,
        JSON.stringify({ notification: kind, by: suppressed.by, id: suppressed.id })]);
  } else if (pending > 0 && kind !== 'resolved') {
    await tx.query(`UPDATE monitor_incidents SET last_notified_at = $2 WHERE id = $1`, [incident.id, at]);
  }
  return pending;
}
