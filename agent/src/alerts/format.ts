// Alert texts, as pure functions of (event, language). First line in the v1.2 style (`🚨 [CRIT] …`),
// then what failed with the actual values, since when, and links to the incident page and the playbook.
import { CONDITION_LABELS, type IncidentCondition } from '@blocktrust-monitor/contract';
import type { Severity } from '../core/types.ts';
import type { AlertLanguage } from './channel.ts';

export type { IncidentCondition };

export type AlertKind = 'opened' | 'escalated' | 'reminder' | 'resolved' | 'test';

export interface AlertEvent {
  kind: AlertKind;
  severity: Severity;
  check: string;
  condition: IncidentCondition;
  incidentId?: number;
  /** What failed, as the check reported it (a readable sentence). */
  detail?: string;
  /** Actual values: status, latency_ms, latency_target_ms, lag_sec, block_number, head_block, lag_blocks, burn rates. */
  values?: Record<string, string | number | null | undefined>;
  /** When the incident started (first failing run), ISO 8601. */
  since?: string;
  /** When this event happened, ISO 8601. */
  at: string;
  resolvedAfterSec?: number;
  reminderNumber?: number;
  previousSeverity?: Severity;
  previousCondition?: IncidentCondition;
  acknowledgedBy?: string;
  /** Who resolved it by hand (absent when the check recovered), and their comment. */
  resolvedBy?: string;
  comment?: string;
  /** For kind 'test': the channel being tested. */
  channel?: string;
  incidentUrl?: string;
  playbookUrl?: string;
  /** A check run from several locations: the live locations failing when the incident opened or escalated. */
  locations?: { failing: string[]; live: string[]; quorum: number };
}

// Telegram refuses messages over 4096 characters; a check's error text is cut well before that, and so is
// every text a person typed (a name, a comment), so that one field never crowds out the others.
const MAX_DETAIL = 600;
const MAX_NAME = 100;
const MAX_COMMENT = 1000;

/** The longest text each channel takes in one message (Telegram: 4,096; Slack recommends at most 4,000). */
export const CHANNEL_TEXT_LIMITS = { slack: 4000, telegram: 4096 } as const;

/** `text` cut to at most `max` UTF-16 units with an ellipsis, never splitting a surrogate pair. */
export function clipText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  if (end > 0 && /[\uD800-\uDBFF]/.test(text[end - 1])) end -= 1;
  return `${text.slice(0, end)}…`;
}

/**
 * A message within a channel's limit: the longest lines are shortened first, so the first line (what broke)
 * and the links at the end survive; only a message of very many lines loses lines from its middle.
 */
export function fitText(text: string, limit: number): string {
  if (text.length <= limit) return text;
  const lines = text.split('\n');
  const total = () => lines.reduce((n, l) => n + l.length, 0) + lines.length - 1;
  for (let guard = 0; total() > limit && guard < 1000; guard++) {
    const longest = lines.reduce((best, l, i) => (l.length > lines[best].length ? i : best), 0);
    const excess = total() - limit;
    if (lines[longest].length <= 80) break;
    lines[longest] = clipText(lines[longest], Math.max(80, lines[longest].length - excess));
  }
  while (total() > limit && lines.length > 2) lines.splice(Math.floor(lines.length / 2), 1);
  return total() > limit ? clipText(lines.join('\n'), limit) : lines.join('\n');
}

const EMOJI: Record<Severity, string> = { info: 'ℹ️', warn: '⚠️', crit: '🚨' };
const TAG: Record<Severity, string> = { info: 'INFO', warn: 'WARN', crit: 'CRIT' };

interface Words {
  conditions: Record<IncidentCondition, string>;
  resolvedTag: string;
  testTag: string;
  resolvedAfter: (d: string) => string;
  by: (who: string) => string;
  escalatedFrom: (tag: string, cond: string) => string;
  reminder: (n: number) => string;
  acknowledgedBy: (who: string) => string;
  since: (at: string, ago: string) => string;
  openedAt: (at: string) => string;
  incident: string;
  playbook: string;
  test: (channel: string) => string;
  testDetail: string;
  values: Record<string, string>;
  minutes: string;
  locations: (failing: number, live: number, names: string) => string;
}

const WORDS: Record<AlertLanguage, Words> = {
  en: {
    conditions: CONDITION_LABELS['en'],
    resolvedTag: 'RESOLVED',
    testTag: 'TEST',
    resolvedAfter: (d) => `resolved after ${d}`,
    by: (who) => `by ${who}`,
    escalatedFrom: (tag, cond) => `escalated from ${tag} ${cond}`,
    reminder: (n) => `reminder ${n}, still open`,
    acknowledgedBy: (who) => `acknowledged by ${who}`,
    since: (at, ago) => `Since ${at} (${ago})`,
    openedAt: (at) => `Opened ${at}`,
    incident: 'Incident',
    playbook: 'Playbook',
    test: (channel) => `Blocktrust Monitor test alert to ${channel}`,
    testDetail: 'If you can read this, alerts reach this channel.',
    values: {
      status: 'HTTP status', latency_ms: 'latency', latency_target_ms: 'objective', lag_sec: 'heartbeat age',
      max_lag_sec: 'limit', block_number: 'block', head_block: 'chain head', lag_blocks: 'blocks behind',
      burn_1h: 'burn 1 h', burn_5m: 'burn 5 m', burn_6h: 'burn 6 h', burn_30m: 'burn 30 m', uptime_target: 'uptime objective',
    },
    minutes: 'm',
    locations: (failing, live, names) => `${failing} of ${live} location${live === 1 ? '' : 's'}: ${names}`,
  },
  'pt-BR': {
    conditions: CONDITION_LABELS['pt-BR'],
    resolvedTag: 'RESOLVIDO',
    testTag: 'TESTE',
    resolvedAfter: (d) => `resolvido após ${d}`,
    by: (who) => `por ${who}`,
    escalatedFrom: (tag, cond) => `escalado de ${tag} ${cond}`,
    reminder: (n) => `lembrete ${n}, ainda aberto`,
    acknowledgedBy: (who) => `reconhecido por ${who}`,
    since: (at, ago) => `Desde ${at} (há ${ago})`,
    openedAt: (at) => `Aberto em ${at}`,
    incident: 'Incidente',
    playbook: 'Playbook',
    test: (channel) => `Alerta de teste do Blocktrust Monitor para ${channel}`,
    testDetail: 'Se você está lendo isto, os alertas chegam a este canal.',
    values: {
      status: 'status HTTP', latency_ms: 'latência', latency_target_ms: 'objetivo', lag_sec: 'idade do heartbeat',
      max_lag_sec: 'limite', block_number: 'bloco', head_block: 'topo da blockchain', lag_blocks: 'blocos atrás',
      burn_1h: 'consumo 1 h', burn_5m: 'consumo 5 min', burn_6h: 'consumo 6 h', burn_30m: 'consumo 30 min',
      uptime_target: 'objetivo de uptime',
    },
    minutes: 'min',
    locations: (failing, live, names) => `${failing} de ${live} ${live === 1 ? 'local' : 'locais'}: ${names}`,
  },
};

const UNITS: Record<string, string> = {
  latency_ms: ' ms', latency_target_ms: ' ms', lag_sec: ' s', max_lag_sec: ' s', uptime_target: ' %',
  burn_1h: '×', burn_5m: '×', burn_6h: '×', burn_30m: '×',
};

/** "45 s", "12 m", "2 h 5 m", "3 d 4 h" (pt-BR: "12 min"). */
export function formatDuration(totalSec: number, language: AlertLanguage = 'en'): string {
  const m = WORDS[language].minutes;
  const s = Math.max(0, Math.round(totalSec));
  if (s < 60) return `${s} s`;
  const mins = Math.floor(s / 60);
  if (mins < 60) return `${mins} ${m}`;
  const hours = Math.floor(mins / 60);
  if (hours < 24) return mins % 60 ? `${hours} h ${mins % 60} ${m}` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** "2026-11-29 14:02 UTC": one unambiguous zone for everyone on the channel. */
export function formatInstant(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function formatValues(values: AlertEvent['values'], w: Words): string | undefined {
  if (!values) return undefined;
  const parts: string[] = [];
  for (const [key, label] of Object.entries(w.values)) {
    const v = values[key];
    if (v === undefined || v === null || v === '') continue;
    const shown = typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(1) : String(v);
    parts.push(`${label} ${shown}${UNITS[key] ?? ''}`);
  }
  return parts.length ? parts.join(' · ') : undefined;
}

export { conditionLabel } from '@blocktrust-monitor/contract';

export function formatAlert(event: AlertEvent, language: AlertLanguage = 'en'): string {
  const w = WORDS[language] ?? WORDS.en;
  if (event.kind === 'test') {
    return [`${EMOJI.info} [${w.testTag}] ${w.test(clipText(event.channel ?? '', MAX_NAME))}`, w.testDetail, formatInstant(event.at)].join('\n');
  }
  const condition = w.conditions[event.condition] ?? event.condition;
  const lines: string[] = [];
  if (event.kind === 'resolved') {
    const after = event.resolvedAfterSec !== undefined ? `, ${w.resolvedAfter(formatDuration(event.resolvedAfterSec, language))}` : '';
    const by = event.resolvedBy ? ` ${w.by(clipText(event.resolvedBy, MAX_NAME))}` : '';
    lines.push(`✅ [${w.resolvedTag}] ${event.check}: ${condition}${after}${by}`);
    if (event.comment) lines.push(clipText(event.comment, MAX_COMMENT));
    if (event.since) lines.push(w.openedAt(formatInstant(event.since)));
  } else {
    let suffix = '';
    if (event.kind === 'escalated' && event.previousSeverity) {
      const prev = event.previousCondition ? w.conditions[event.previousCondition] ?? event.previousCondition : '';
      suffix = ` (${w.escalatedFrom(TAG[event.previousSeverity], prev.split(' (')[0]).trim()})`;
    } else if (event.kind === 'reminder' && event.reminderNumber) {
      suffix = ` (${w.reminder(event.reminderNumber)})`;
    }
    lines.push(`${EMOJI[event.severity]} [${TAG[event.severity]}] ${event.check}: ${condition}${suffix}`);
    if (event.locations?.failing.length) {
      const names = event.locations.failing.map((l) => clipText(l || '-', MAX_NAME)).join(', ');
      lines.push(clipText(w.locations(event.locations.failing.length, event.locations.live.length, names), MAX_DETAIL));
    }
    if (event.detail) lines.push(clipText(event.detail, MAX_DETAIL));
    const values = formatValues(event.values, w);
    if (values) lines.push(values);
    if (event.since) {
      const ago = (new Date(event.at).getTime() - new Date(event.since).getTime()) / 1000;
      lines.push(w.since(formatInstant(event.since), formatDuration(ago, language)));
    }
    if (event.acknowledgedBy) lines.push(w.acknowledgedBy(clipText(event.acknowledgedBy, MAX_NAME)));
  }
  if (event.incidentUrl) lines.push(`${w.incident}: ${event.incidentUrl}`);
  if (event.playbookUrl && event.kind !== 'resolved') lines.push(`${w.playbook}: ${event.playbookUrl}`);
  return fitText(lines.join('\n'), Math.min(...Object.values(CHANNEL_TEXT_LIMITS)));
}

/** Links an alert carries: the Grafana incident page and the playbook for its condition. */
export function alertLinks(
  opts: { grafanaUrl?: string; playbookBaseUrl?: string },
  incidentId: number | undefined,
  condition: IncidentCondition,
): { incidentUrl?: string; playbookUrl?: string } {
  const trim = (u: string) => u.replace(/\/+$/, '');
  return {
    incidentUrl: opts.grafanaUrl && incidentId !== undefined
      ? `${trim(opts.grafanaUrl)}/a/blocktrust-monitor-app/incidents/${incidentId}` : undefined,
    playbookUrl: opts.playbookBaseUrl ? `${trim(opts.playbookBaseUrl)}/${condition}.md` : undefined,
  };
}
