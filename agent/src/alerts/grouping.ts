// One message for one root cause, as Alertmanager's group_by/group_wait: "opened" notifications of incidents on
// the same target host (or with the same error class) that open within a window go out as one message per
// channel; one "resolved" message follows when the last of them heals. The incidents themselves stay per check.
//
// The notifier claims outbox rows as usual and asks planGrouping() what to do with them: hold some back (an
// "opened" row waits for the window to close; a grouped "resolved" row waits for the rest of its group), send
// others together as one text, the rest alone. formatGroupedAlert() is the pure text of a grouped message.
import type { Queryable, Severity } from '../core/types.ts';
import { severityRank } from '../core/types.ts';
import type { AlertLanguage } from './channel.ts';
import { conditionLabel, formatDuration, formatInstant, type AlertEvent } from './format.ts';

export type GroupBy = 'host' | 'error_class';

export interface GroupingOptions {
  /** How long the first "opened" notification of a group waits for others (group_wait); 0 turns grouping off. */
  windowMs: number;
  by: GroupBy;
  /** How often a held "resolved" row looks again whether its whole group has healed (default 10 s). */
  recheckMs?: number;
}

/** An outbox row as the notifier claims it. */
export interface OutboxRow {
  id: string;
  incident_id: string | null;
  channel: string;
  kind: string;
  attempts: number;
  created_at: Date;
  payload: { text?: string; event?: AlertEvent; language?: AlertLanguage; group?: GroupMark };
}

/** Written into the payload of every row sent as part of a grouped "opened" message. */
export interface GroupMark {
  id: string;
  key: string;
  size: number;
}

export interface Batch {
  rows: OutboxRow[];
  /** The grouped text; absent for a row sent alone with its own text. */
  text?: string;
  mark?: GroupMark;
}

export interface GroupingPlan {
  hold: Array<{ row: OutboxRow; until: Date }>;
  batches: Batch[];
}

/** What incidents with the same key share: the host of the checked URL, or the error class of the failure. */
export function groupKey(incident: { url?: unknown; error_class?: unknown }, by: GroupBy): string | undefined {
  if (by === 'error_class') return typeof incident.error_class === 'string' && incident.error_class ? incident.error_class : undefined;
  if (typeof incident.url !== 'string') return undefined;
  try {
    return new URL(incident.url).host || undefined;
  } catch {
    return undefined;
  }
}

const EMOJI: Record<Severity, string> = { info: 'ℹ️', warn: '⚠️', crit: '🚨' };
const TAG: Record<Severity, string> = { info: 'INFO', warn: 'WARN', crit: 'CRIT' };
const MAX_LINE_DETAIL = 160;
// Telegram refuses messages over 4096 characters: list this many checks (and links), then count the rest.
const MAX_CHECKS_LISTED = 12;

const WORDS = {
  en: {
    failing: (n: number, where: string) => `${n} checks failing together ${where}`,
    recovered: (n: number, where: string, after?: string) => `${n} checks ${where} recovered${after ? ` after ${after}` : ''}`,
    on: (key: string, by: GroupBy) => (by === 'host' ? `on ${key}` : `with ${key}`),
    since: (at: string) => `Since ${at}`,
    incidents: 'Incidents',
    resolvedTag: 'RESOLVED',
    more: (n: number) => `… and ${n} more`,
  },
  'pt-BR': {
    failing: (n: number, where: string) => `${n} verificações falhando juntas ${where}`,
    recovered: (n: number, where: string, after?: string) => `${n} verificações ${where} normalizadas${after ? ` após ${after}` : ''}`,
    on: (key: string, by: GroupBy) => (by === 'host' ? `em ${key}` : `com ${key}`),
    since: (at: string) => `Desde ${at}`,
    incidents: 'Incidentes',
    resolvedTag: 'RESOLVIDO',
    more: (n: number) => `… e mais ${n}`,
  },
};

/** The text of one grouped message: a headline for the group, then one line per check. */
export function formatGroupedAlert(
  kind: 'opened' | 'resolved',
  events: AlertEvent[],
  group: { key: string; by: GroupBy },
  language: AlertLanguage = 'en',
): string {
  const w = WORDS[language] ?? WORDS.en;
  const where = w.on(group.key, group.by);
  const sorted = [...events].sort((a, b) => a.check.localeCompare(b.check));
  const lines: string[] = [];
  if (kind === 'opened') {
    const severity = sorted.reduce<Severity>((s, e) => (severityRank(e.severity) > severityRank(s) ? e.severity : s), 'info');
    lines.push(`${EMOJI[severity]} [${TAG[severity]}] ${w.failing(sorted.length, where)}`);
    for (const e of sorted.slice(0, MAX_CHECKS_LISTED)) {
      const detail = e.detail ? `: ${e.detail.length > MAX_LINE_DETAIL ? `${e.detail.slice(0, MAX_LINE_DETAIL - 1)}…` : e.detail}` : '';
      lines.push(`• ${e.check} (${TAG[e.severity]}): ${conditionLabel(e.condition, language)}${detail}`);
    }
    const first = sorted.map((e) => e.since).filter((s): s is string => Boolean(s)).sort()[0];
    if (first) lines.push(w.since(formatInstant(first)));
  } else {
    const longest = Math.max(...sorted.map((e) => e.resolvedAfterSec ?? -1));
    lines.push(`✅ [${w.resolvedTag}] ${w.recovered(sorted.length, where, longest >= 0 ? formatDuration(longest, language) : undefined)}`);
    for (const e of sorted.slice(0, MAX_CHECKS_LISTED)) lines.push(`• ${e.check}: ${conditionLabel(e.condition, language)}`);
  }
  if (sorted.length > MAX_CHECKS_LISTED) lines.splice(1 + MAX_CHECKS_LISTED, 0, w.more(sorted.length - MAX_CHECKS_LISTED));
  const links = sorted.slice(0, MAX_CHECKS_LISTED).filter((e) => e.incidentUrl).map((e) => `${e.check} ${e.incidentUrl}`);
  if (links.length) lines.push(`${w.incidents}: ${links.join(' · ')}`);
  return lines.join('\n');
}

/**
 * Decides, for the rows just claimed, what to hold back, what to send together and what alone. Reads the
 * incidents (their URL, error class, whether resolved) and, for a grouped resolution, claims the rest of the
 * group's held "resolved" rows so that they go out in the same message.
 */
export async function planGrouping(db: Queryable, rows: OutboxRow[], now: Date, o: GroupingOptions): Promise<GroupingPlan> {
  const plan: GroupingPlan = { hold: [], batches: [] };
  const candidates = rows.filter((r) => r.incident_id !== null && (r.kind === 'opened' || r.kind === 'resolved'));
  const alone = (r: OutboxRow) => plan.batches.push({ rows: [r] });
  rows.filter((r) => !candidates.includes(r)).forEach(alone);
  if (!candidates.length) return plan;

  const { rows: incidents } = await db.query<{ id: string; url: string | null; error_class: string | null; open: boolean }>(
    `SELECT id, details->>'url' AS url, details->>'error_class' AS error_class, resolved_at IS NULL AS open
     FROM monitor_incidents WHERE id = ANY($1::bigint[])`,
    [[...new Set(candidates.map((r) => r.incident_id))]],
  );
  const keyOf = new Map(incidents.map((i) => [String(i.id), groupKey(i, o.by)]));

  // "opened": wait until the group's first row is windowMs old, then send every row of the group at once.
  const opened = new Map<string, OutboxRow[]>();
  for (const r of candidates.filter((c) => c.kind === 'opened')) {
    const key = keyOf.get(String(r.incident_id));
    if (!key) {
      alone(r);
      continue;
    }
    const k = `${r.channel}\u0000${key}`;
    opened.set(k, [...(opened.get(k) ?? []), r]);
  }
  for (const [k, group] of opened) {
    const first = Math.min(...group.map((r) => new Date(r.created_at).getTime()));
    if (first + o.windowMs > now.getTime()) {
      for (const row of group) plan.hold.push({ row, until: new Date(first + o.windowMs) });
    } else if (group.length === 1) {
      alone(group[0]);
    } else {
      const key = k.split('\u0000')[1];
      const events = group.map((r) => r.payload.event).filter((e): e is AlertEvent => Boolean(e));
      const mark = { id: String(Math.min(...group.map((r) => Number(r.id)))), key, size: group.length };
      plan.batches.push({ rows: group, mark, text: formatGroupedAlert('opened', events, { key, by: o.by }, group[0].payload.language) });
    }
  }

  // "resolved": a row whose "opened" went out in a group waits until every incident of that group is resolved.
  const done = new Set<string>();
  for (const r of candidates.filter((c) => c.kind === 'resolved')) {
    if (done.has(r.id)) continue;
    const { rows: marks } = await db.query<{ gid: string | null; key: string | null }>(
      `SELECT payload->'group'->>'id' AS gid, payload->'group'->>'key' AS key FROM monitor_notifications
       WHERE incident_id = $1 AND channel = $2 AND kind = 'opened' AND status = 'sent' AND payload ? 'group'
       ORDER BY id DESC LIMIT 1`,
      [r.incident_id, r.channel],
    );
    const gid = marks[0]?.gid;
    if (!gid) {
      alone(r);
      continue;
    }
    const { rows: members } = await db.query<{ incident_id: string; open: boolean }>(
      `SELECT DISTINCT n.incident_id, i.resolved_at IS NULL AS open FROM monitor_notifications n
       JOIN monitor_incidents i ON i.id = n.incident_id
       WHERE n.channel = $1 AND n.kind = 'opened' AND n.payload->'group'->>'id' = $2`,
      [r.channel, gid],
    );
    if (members.some((m) => m.open)) {
      plan.hold.push({ row: r, until: new Date(now.getTime() + (o.recheckMs ?? 10_000)) });
      continue;
    }
    const claimedHere = candidates.filter((c) => c.kind === 'resolved' && c.channel === r.channel &&
      members.some((m) => String(m.incident_id) === String(c.incident_id)));
    const { rows: more } = await db.query<OutboxRow>(
      `UPDATE monitor_notifications SET status = 'sending', attempts = attempts + 1
       WHERE status = 'pending' AND channel = $1 AND kind = 'resolved' AND incident_id = ANY($2::bigint[]) AND NOT (id = ANY($3::bigint[]))
       RETURNING id, incident_id, channel, kind, attempts, created_at, payload`,
      [r.channel, members.map((m) => m.incident_id), claimedHere.map((c) => c.id)],
    );
    const group = [...claimedHere, ...more];
    group.forEach((g) => done.add(g.id));
    if (group.length === 1) {
      alone(r);
      continue;
    }
    const events = group.map((g) => g.payload.event).filter((e): e is AlertEvent => Boolean(e));
    const key = marks[0]?.key ?? '';
    plan.batches.push({ rows: group, text: formatGroupedAlert('resolved', events, { key, by: o.by }, group[0].payload.language) });
  }
  return plan;
}
