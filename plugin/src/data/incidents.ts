import type { Incident, IncidentEvent, IncidentState, Severity } from '../types';
import { sqlId, sqlString } from '../utils/sql';
import { toDate, toJson, toNumber, toText, type Row } from './datasource';
import { useSql } from './useSql';

export type TimeRange = '24h' | '7d' | '30d' | '90d';

export interface IncidentFilters {
  state: 'all' | 'active' | IncidentState;
  severity: 'all' | Severity;
  check: string;
  range: TimeRange;
}

export const defaultFilters: IncidentFilters = { state: 'all', severity: 'all', check: '', range: '7d' };

const RANGE_SQL: Record<TimeRange, string> = {
  '24h': "interval '24 hours'",
  '7d': "interval '7 days'",
  '30d': "interval '30 days'",
  '90d': "interval '90 days'",
};

const COLUMNS = `id, opened_at, resolved_at, severity, title, detail, check_name, condition,
  acknowledged_at, acknowledged_by, escalated_at, details::text AS details`;

/** Open incidents always show; resolved ones when they were open at some point of the time range. */
export function incidentsSql(f: IncidentFilters): string {
  const where = [`(resolved_at IS NULL OR resolved_at >= now() - ${RANGE_SQL[f.range]})`];
  if (f.state === 'active') {
    where.push('resolved_at IS NULL');
  } else if (f.state === 'open') {
    where.push('resolved_at IS NULL AND acknowledged_at IS NULL');
  } else if (f.state === 'acked') {
    where.push('resolved_at IS NULL AND acknowledged_at IS NOT NULL');
  } else if (f.state === 'resolved') {
    where.push('resolved_at IS NOT NULL');
  }
  if (f.severity !== 'all') {
    where.push(`lower(severity) = ${sqlString(f.severity)}`);
  }
  const check = f.check.trim().toLowerCase();
  if (check) {
    where.push(`strpos(lower(coalesce(check_name, '')), ${sqlString(check)}) > 0`);
  }
  return `SELECT ${COLUMNS} FROM monitor_incidents WHERE ${where.join(' AND ')}
    ORDER BY (resolved_at IS NULL) DESC, opened_at DESC LIMIT 500`;
}

export function toIncident(r: Row): Incident {
  return {
    id: toNumber(r.id) ?? 0,
    openedAt: toDate(r.opened_at) ?? new Date(0),
    resolvedAt: toDate(r.resolved_at),
    severity: (toText(r.severity) ?? 'warn').toLowerCase() as Severity,
    title: toText(r.title) ?? '',
    detail: toText(r.detail),
    checkName: toText(r.check_name),
    condition: toText(r.condition),
    acknowledgedAt: toDate(r.acknowledged_at),
    acknowledgedBy: toText(r.acknowledged_by),
    escalatedAt: toDate(r.escalated_at),
    details: toJson(r.details),
  };
}

export function incidentState(i: Incident): IncidentState {
  if (i.resolvedAt) {
    return 'resolved';
  }
  return i.acknowledgedAt ? 'acked' : 'open';
}

export function useIncidents(filters: IncidentFilters) {
  return useSql(incidentsSql(filters), (rows) => rows.map(toIncident));
}

export function useIncident(id: number) {
  const valid = Number.isSafeInteger(id) && id > 0;
  const incident = useSql(valid ? `SELECT ${COLUMNS} FROM monitor_incidents WHERE id = ${sqlId(id)}` : null, (rows) =>
    rows[0] ? toIncident(rows[0]) : null
  );
  const events = useSql(
    valid
      ? `SELECT id, ts, kind, actor, channel, message, details::text AS details
         FROM monitor_incident_events WHERE incident_id = ${sqlId(id)} ORDER BY ts, id`
      : null,
    (rows): IncidentEvent[] =>
      rows.map((r) => ({
        id: toNumber(r.id) ?? 0,
        ts: toDate(r.ts) ?? new Date(0),
        kind: toText(r.kind) ?? '',
        actor: toText(r.actor),
        channel: toText(r.channel),
        message: toText(r.message),
        details: toJson(r.details),
      }))
  );
  return { valid, incident, events };
}
