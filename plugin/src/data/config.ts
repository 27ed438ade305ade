import type { Channel, ChannelKind, Language, MaintenanceWindow, Severity, Silence, SloTarget } from '../types';
import { toBool, toDate, toNumber, toText } from './datasource';
import { useSql } from './useSql';

export function useSloTargets() {
  return useSql(
    `SELECT check_name, uptime_target, latency_ms, max_lag_sec, updated_at, updated_by
     FROM monitor_slo_targets ORDER BY (check_name = '*') DESC, check_name`,
    (rows): SloTarget[] =>
      rows.map((r) => ({
        checkName: toText(r.check_name) ?? '',
        uptimeTarget: toNumber(r.uptime_target),
        latencyMs: toNumber(r.latency_ms),
        maxLagSec: toNumber(r.max_lag_sec),
        updatedAt: toDate(r.updated_at),
        updatedBy: toText(r.updated_by),
      }))
  );
}

// secret_sealed is never selected: the data source's role may not read it, and the page never needs it.
export function useChannels() {
  return useSql(
    `SELECT name, kind, enabled, min_severity, language, chat_id, secret_configured, updated_at, updated_by
     FROM monitor_channels ORDER BY name`,
    (rows): Channel[] =>
      rows.map((r) => ({
        name: toText(r.name) ?? '',
        kind: (toText(r.kind) ?? 'slack') as ChannelKind,
        enabled: toBool(r.enabled),
        minSeverity: (toText(r.min_severity) ?? 'warn') as Severity,
        language: (toText(r.language) ?? 'en') as Language,
        chatId: toText(r.chat_id),
        secretConfigured: toBool(r.secret_configured),
        updatedAt: toDate(r.updated_at),
        updatedBy: toText(r.updated_by),
      }))
  );
}

export function useSilences() {
  return useSql(
    `SELECT id, check_pattern, severity, starts_at, ends_at, author, comment
     FROM monitor_silences WHERE ends_at > now() ORDER BY starts_at, id`,
    (rows): Silence[] =>
      rows.map((r) => ({
        id: toNumber(r.id) ?? 0,
        checkPattern: toText(r.check_pattern) ?? '*',
        severity: toText(r.severity) as Severity | null,
        startsAt: toDate(r.starts_at) ?? new Date(0),
        endsAt: toDate(r.ends_at) ?? new Date(0),
        author: toText(r.author) ?? '',
        comment: toText(r.comment),
      }))
  );
}

export function useMaintenanceWindows() {
  return useSql(
    `SELECT id, check_pattern, starts_at, ends_at, recurrence, recurrence_until, reason, author
     FROM monitor_maintenance_windows
     WHERE ends_at > now() OR (recurrence IS NOT NULL AND (recurrence_until IS NULL OR recurrence_until > now()))
     ORDER BY starts_at, id`,
    (rows): MaintenanceWindow[] =>
      rows.map((r) => ({
        id: toNumber(r.id) ?? 0,
        checkPattern: toText(r.check_pattern) ?? '*',
        startsAt: toDate(r.starts_at) ?? new Date(0),
        endsAt: toDate(r.ends_at) ?? new Date(0),
        recurrence: toText(r.recurrence) as MaintenanceWindow['recurrence'],
        recurrenceUntil: toDate(r.recurrence_until),
        reason: toText(r.reason),
        author: toText(r.author) ?? '',
      }))
  );
}
