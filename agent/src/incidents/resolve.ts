// Timeline events and resolution, shared by the engine (a check recovered, a burn rate fell) and by the
// intents (someone resolved an incident from Grafana).
import type { Logger, Queryable } from '../core/types.ts';
import { formatDuration } from '../alerts/format.ts';
import type { Channel } from '../alerts/channel.ts';
import { enqueue, INCIDENT_COLUMNS, type IncidentRow, type OutboxDeps } from './outbox.ts';

export async function incidentEvent(
  tx: Queryable, incidentId: number, ts: Date, kind: string, message: string, details?: unknown, actor = 'agent',
): Promise<void> {
  await tx.query(
    `INSERT INTO monitor_incident_events (incident_id, ts, kind, actor, message, details) VALUES ($1, $2, $3, $4, $5, $6)`,
    [incidentId, ts, kind, actor, message, details === undefined ? null : JSON.stringify(details)]);
}

/** Resolves an open incident, records "resolved after 12 m" and queues the resolution; false if it was not open. */
export async function resolveIncident(
  tx: Queryable, deps: { outbox: OutboxDeps; log: Logger; channels: readonly Channel[] }, incidentId: number, at: Date, actor: string, comment?: string,
): Promise<boolean> {
  const { rows } = await tx.query<IncidentRow>(
    `UPDATE monitor_incidents SET resolved_at = GREATEST($2::timestamptz, opened_at), updated_at = $2
     WHERE id = $1 AND resolved_at IS NULL RETURNING ${INCIDENT_COLUMNS}`, [incidentId, at]);
  if (!rows.length) return false;
  const incident = rows[0];
  const durationSec = Math.max(0, (incident.resolved_at!.getTime() - incident.opened_at.getTime()) / 1000);
  await incidentEvent(tx, incident.id, at, 'resolved',
    `resolved after ${formatDuration(durationSec)}${actor === 'agent' ? '' : ` by ${actor}`}${comment ? `: ${comment}` : ''}`,
    { duration_sec: Math.round(durationSec), ...(comment ? { comment } : {}) }, actor);
  await enqueue(tx, deps.outbox, deps.channels, incident, 'resolved', 0, {
    resolvedAfterSec: durationSec, resolvedBy: actor === 'agent' ? undefined : actor, comment,
  });
  deps.log.info('incident resolved', { incident: Number(incident.id), check: incident.check_name, after_sec: Math.round(durationSec), by: actor });
  return true;
}
