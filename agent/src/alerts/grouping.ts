// One message for one root cause, as Alertmanager's group_by/group_wait: "opened" notifications of incidents on
// the same target host (or with the same error class) that open within a window go out as one message per
// channel; one "resolved" message follows when the last of them heals. The incidents themselves stay per check.
//
// The notifier claims outbox rows through the incident store as usual and asks planGrouping() what to do with
// them: hold some back (an "opened" row waits for the window to close; a grouped "resolved" row waits for the rest
// of its group), send others together as one text, the rest alone. formatGroupedAlert() is the pure text of a
// grouped message; GroupingStore is what grouping reads and writes of the outbox beside the incident store.
import type { Queryable, Severity } from '../core/types.ts';
import { severityRank } from '../core/types.ts';
import type { ClaimedNotification } from '../incidents/store.ts';
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

/** Written into the payload of every row sent as part of a grouped "opened" message. */
export interface GroupMark {
  id: string;
  key: string;
  size: number;
}

export interface Batch {
  rows: ClaimedNotification[];
  /** The grouped text; absent for a row sent alone with its own text. */
  text?: string;
  mark?: GroupMark;
}

export interface GroupingPlan {
  hold: Array<{ row: ClaimedNotification; until: Date }>;
  batches: Batch[];
}

/** What grouping reads and writes beside the incident store's claim and mark methods. */
export interface GroupingStore {
  /** Per notification: when it was queued, its alert event and language. */
  outboxRows(ids: readonly number[]): Promise<Map<number, { createdAt: Date; event?: AlertEvent; language?: AlertLanguage }>>;
  /** Per incident: the checked URL, the error class, whether it is still open. */
  incidents(ids: readonly number[]): Promise<Map<number, { url: string | null; errorClass: string | null; open: boolean }>>;
  /** Gives a claimed row back, due again at `until`. */
  hold(id: number, until: Date): Promise<void>;
  /** The group an incident's "opened" went out in on a channel, if it went out grouped. */
  groupOf(incidentId: number, channel: string): Promise<{ id: string; key: string } | null>;
  /** The incidents of a group on a channel, and whether each is still open. */
  members(channel: string, groupId: string): Promise<Array<{ incidentId: number; open: boolean }>>;
  /** Claims the waiting "resolved" rows of these incidents on a channel, other than `except`. */
  claimResolved(channel: string, incidentIds: readonly number[], except: readonly number[]): Promise<ClaimedNotification[]>;
  /** Records on a sent row the text that went out and its group. */
  markGrouped(id: number, text: string, mark?: GroupMark): Promise<void>;
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
 * Decides, for the rows just claimed, what to hold back, what to send together and what alone. For a grouped
 * resolution it claims the rest of the group's waiting "resolved" rows, so that they go out in one message.
 */
export async function planGrouping(store: GroupingStore, rows: ClaimedNotification[], now: Date, o: GroupingOptions): Promise<GroupingPlan> {
  const plan: GroupingPlan = { hold: [], batches: [] };
  const candidates = rows.filter((r) => r.incidentId !== null && (r.kind === 'opened' || r.kind === 'resolved'));
  const alone = (r: ClaimedNotification) => plan.batches.push({ rows: [r] });
  rows.filter((r) => !candidates.includes(r)).forEach(alone);
  if (!candidates.length) return plan;

  const incidents = await store.incidents([...new Set(candidates.map((r) => r.incidentId!))]);
  const outbox = await store.outboxRows(candidates.map((r) => r.id));
  const keyOf = (r: ClaimedNotification) => {
    const i = incidents.get(r.incidentId!);
    return i ? groupKey({ url: i.url, error_class: i.errorClass }, o.by) : undefined;
  };
  const eventsOf = (group: ClaimedNotification[]) => group.map((g) => outbox.get(g.id)?.event).filter((e): e is AlertEvent => Boolean(e));
  const languageOf = (r: ClaimedNotification) => outbox.get(r.id)?.language;

  // "opened": wait until the group's first row is windowMs old, then send every row of the group at once.
  const opened = new Map<string, { key: string; rows: ClaimedNotification[] }>();
  for (const r of candidates.filter((c) => c.kind === 'opened')) {
    const key = keyOf(r);
    if (!key) {
      alone(r);
      continue;
    }
    const k = `${r.channel}\u0000${key}`;
    opened.set(k, { key, rows: [...(opened.get(k)?.rows ?? []), r] });
  }
  for (const { key, rows: group } of opened.values()) {
    const first = Math.min(...group.map((r) => outbox.get(r.id)?.createdAt.getTime() ?? now.getTime()));
    if (first + o.windowMs > now.getTime()) {
      for (const row of group) plan.hold.push({ row, until: new Date(first + o.windowMs) });
    } else if (group.length === 1) {
      alone(group[0]);
    } else {
      const mark = { id: String(Math.min(...group.map((r) => r.id))), key, size: group.length };
      plan.batches.push({ rows: group, mark, text: formatGroupedAlert('opened', eventsOf(group), { key, by: o.by }, languageOf(group[0])) });
    }
  }

  // "resolved": a row whose "opened" went out in a group waits until every incident of that group is resolved.
  const done = new Set<number>();
  for (const r of candidates.filter((c) => c.kind === 'resolved')) {
    if (done.has(r.id)) continue;
    const group = await store.groupOf(r.incidentId!, r.channel);
    if (!group) {
      alone(r);
      continue;
    }
    const members = await store.members(r.channel, group.id);
    if (members.some((m) => m.open)) {
      plan.hold.push({ row: r, until: new Date(now.getTime() + (o.recheckMs ?? 10_000)) });
      continue;
    }
    const ids = members.map((m) => m.incidentId);
    const here = candidates.filter((c) => c.kind === 'resolved' && c.channel === r.channel && ids.includes(c.incidentId!));
    const more = await store.claimResolved(r.channel, ids, here.map((c) => c.id));
    const all = [...here, ...more];
    all.forEach((g) => done.add(g.id));
    if (all.length === 1) {
      alone(r);
      continue;
    }
    const moreRows = await store.outboxRows(more.map((m) => m.id));
    for (const [id, row] of moreRows) outbox.set(id, row);
    plan.batches.push({ rows: all, text: formatGroupedAlert('resolved', eventsOf(all), { key: group.key, by: o.by }, languageOf(r)) });
  }
  return plan;
}

/** The grouping store on Postgres: monitor_notifications and monitor_incidents. */
export function createPgGroupingStore(db: Queryable): GroupingStore {
  const claimed = (r: { id: number; incident_id: number | null; channel: string; kind: string; attempts: number; payload: { text?: string } }) => ({
    id: Number(r.id), incidentId: r.incident_id === null ? null : Number(r.incident_id), channel: r.channel, kind: r.kind,
    attempts: r.attempts, text: r.payload?.text ?? '',
  });
  return {
    async outboxRows(ids) {
      const { rows } = await db.query<{ id: number; created_at: Date; payload: { event?: AlertEvent; language?: AlertLanguage } }>(
        `SELECT id, created_at, payload FROM monitor_notifications WHERE id = ANY($1::bigint[])`, [ids]);
      return new Map(rows.map((r) => [Number(r.id), { createdAt: new Date(r.created_at), event: r.payload?.event, language: r.payload?.language }]));
    },
    async incidents(ids) {
      const { rows } = await db.query<{ id: number; url: string | null; error_class: string | null; open: boolean }>(
        `SELECT id, details->>'url' AS url, details->>'error_class' AS error_class, resolved_at IS NULL AS open
         FROM monitor_incidents WHERE id = ANY($1::bigint[])`, [ids]);
      return new Map(rows.map((r) => [Number(r.id), { url: r.url, errorClass: r.error_class, open: r.open }]));
    },
    async hold(id, until) {
      await db.query(`UPDATE monitor_notifications SET status = 'pending', attempts = attempts - 1, next_attempt_at = $2 WHERE id = $1`, [id, until]);
    },
    async groupOf(incidentId, channel) {
      const { rows } = await db.query<{ id: string; key: string }>(
        `SELECT payload->'group'->>'id' AS id, payload->'group'->>'key' AS key FROM monitor_notifications
         WHERE incident_id = $1 AND channel = $2 AND kind = 'opened' AND status = 'sent' AND payload ? 'group'
         ORDER BY id DESC LIMIT 1`, [incidentId, channel]);
      return rows[0] ?? null;
    },
    async members(channel, groupId) {
      const { rows } = await db.query<{ incident_id: number; open: boolean }>(
        `SELECT DISTINCT n.incident_id, i.resolved_at IS NULL AS open FROM monitor_notifications n
         JOIN monitor_incidents i ON i.id = n.incident_id
         WHERE n.channel = $1 AND n.kind = 'opened' AND n.payload->'group'->>'id' = $2`, [channel, groupId]);
      return rows.map((r) => ({ incidentId: Number(r.incident_id), open: r.open }));
    },
    async claimResolved(channel, incidentIds, except) {
      const { rows } = await db.query<{ id: number; incident_id: number | null; channel: string; kind: string; attempts: number; payload: { text?: string } }>(
        `UPDATE monitor_notifications SET status = 'sending', attempts = attempts + 1
         WHERE status = 'pending' AND channel = $1 AND kind = 'resolved' AND incident_id = ANY($2::bigint[]) AND NOT (id = ANY($3::bigint[]))
         RETURNING id, incident_id, channel, kind, attempts, payload`, [channel, incidentIds, except]);
      return rows.map(claimed);
    },
    async markGrouped(id, text, mark) {
      await db.query(`UPDATE monitor_notifications SET payload = payload || $2::jsonb WHERE id = $1`,
        [id, JSON.stringify({ text, ...(mark ? { group: mark } : {}) })]);
    },
  };
}
