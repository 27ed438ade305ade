import { CHECK_DETAIL_DASHBOARD_URL, PLAYBOOK_PATH } from '../../constants';
import {
  incidentDetailsSchema,
  incidentTitle,
  type IncidentDetails,
  type Language,
} from '@blocktrust-monitor/contract';
import type { Incident } from '../../types';

const MARGIN_MS = 15 * 60 * 1000;

/** The check-detail dashboard around the incident: 15 minutes before it opened until 15 minutes after it ended. */
export function checkDashboardUrl(incident: Incident): string | null {
  if (!incident.checkName) {
    return null;
  }
  const from = incident.openedAt.getTime() - MARGIN_MS;
  const to = incident.resolvedAt ? String(incident.resolvedAt.getTime() + MARGIN_MS) : 'now';
  const params = new URLSearchParams({ 'var-check': incident.checkName, from: String(from), to });
  return `${CHECK_DETAIL_DASHBOARD_URL}?${params.toString()}`;
}

export function playbookLink(incident: Incident, baseUrl: string): { href: string | null; path: string } | null {
  const condition = incident.condition;
  if (!condition || !/^[a-z_]+$/.test(condition)) {
    return null;
  }
  const file = `${condition}.md`;
  return { href: baseUrl ? `${baseUrl.replace(/\/+$/, '')}/${file}` : null, path: `${PLAYBOOK_PATH}/${file}` };
}

/**
 * The incident's title in the reader's language, from its check and condition (the agent stores it in English);
 * an incident without a check keeps the stored title.
 */
export function titleOf(incident: Incident, language: Language): string {
  return incident.checkName && incident.condition
    ? incidentTitle(incident.checkName, incident.condition, language)
    : incident.title;
}

/** A link someone attached with a note; only http(s) so that a stored value cannot run script. */
export function safeHttpUrl(value: unknown): string | null {
  if (typeof value !== 'string') {
    return null;
  }
  try {
    const u = new URL(value);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.toString() : null;
  } catch {
    return null;
  }
}

/** How each measured value reads on the page: a label and the unit after the number. */
const VALUE_LABELS: Record<string, [string, string]> = {
  status: ['HTTP status', ''],
  latency_ms: ['Latency', ' ms'],
  latency_target_ms: ['Latency objective', ' ms'],
  latency_objective_ms: ['Latency objective', ' ms'],
  lag_sec: ['Listener lag', ' s'],
  max_lag_sec: ['Maximum listener lag', ' s'],
  block_number: ['Listener block', ''],
  head_block: ['Chain head block', ''],
  lag_blocks: ['Blocks behind the head', ''],
  uptime_target: ['Uptime objective', ' %'],
  burn_5m: ['Burn rate over 5 m', '×'],
  burn_30m: ['Burn rate over 30 m', '×'],
  burn_1h: ['Burn rate over 1 h', '×'],
  burn_6h: ['Burn rate over 6 h', '×'],
};
const VALUE_ORDER = Object.keys(VALUE_LABELS);

/** Keys of incident details that are not measured values: shown elsewhere on the page, or bookkeeping. */
// The objective and the burn rates are also among the values, where they read with their labels.
const NOT_VALUES = new Set(['values', 'postmortem_url', 'opened_by_result_at', 'escalations', 'latency_objective_ms', 'burn', 'locations']);
const DETAIL_LABELS: Record<string, string> = {
  error_class: 'Error class',
  url: 'URL',
  escalated_from: 'Escalated from',
};

const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
const rank = (order: string[], key: string) => (order.indexOf(key) < 0 ? order.length : order.indexOf(key));

/**
 * What the check measured when the incident opened, as named values (HTTP status 503, Latency 912 ms, …),
 * then how it failed (error class, URL). Reads the details the incident engine writes (contract:
 * IncidentDetails, measured values under `values`); other keys are shown by name.
 */
export function failingValues(details: IncidentDetails | Record<string, unknown> | null): Array<[string, string]> {
  if (!details) {
    return [];
  }
  const parsed = incidentDetailsSchema.safeParse(details);
  const measured = parsed.success ? (parsed.data.values ?? {}) : {};
  const rows: Array<[string, string]> = Object.keys(measured)
    .sort((a, b) => rank(VALUE_ORDER, a) - rank(VALUE_ORDER, b) || a.localeCompare(b))
    .map((k) => {
      const [label, unit] = VALUE_LABELS[k] ?? [k, ''];
      return [label, `${measured[k]}${unit}`];
    });
  // A check run from several locations: which of the live ones were failing.
  const where = parsed.success ? parsed.data.locations : undefined;
  if (where) {
    rows.push(['Failing locations', `${where.failing.length} of ${where.live.length}: ${where.failing.join(', ')} (quorum ${where.quorum})`]);
  }
  const detailOrder = Object.keys(DETAIL_LABELS);
  const rest = Object.keys(details)
    .filter((k) => !NOT_VALUES.has(k) || (k === 'values' && !parsed.success))
    .filter((k) => details[k as keyof typeof details] !== null && details[k as keyof typeof details] !== undefined)
    .sort((a, b) => rank(detailOrder, a) - rank(detailOrder, b) || a.localeCompare(b));
  for (const k of rest) {
    rows.push([DETAIL_LABELS[k] ?? k, show(details[k as keyof typeof details])]);
  }
  return rows;
}
