import { CHECK_DETAIL_DASHBOARD_URL, PLAYBOOK_PATH } from '../../constants';
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

// Links attached to the incident are shown as links, not among the failing values.
const NOT_FAILING_VALUES = new Set(['postmortem_url']);

/** The values recorded when the check failed, most telling first. */
export function failingValues(details: Record<string, unknown> | null): Array<[string, string]> {
  if (!details) {
    return [];
  }
  const order = [
    'condition',
    'error_class',
    'error',
    'status',
    'url',
    'expected',
    'actual',
    'lag_sec',
    'block_number',
    'head_block',
    'lag_blocks',
  ];
  const keys = Object.keys(details)
    .filter((k) => !NOT_FAILING_VALUES.has(k))
    .sort((a, b) => {
      const ia = order.indexOf(a);
      const ib = order.indexOf(b);
      return (ia < 0 ? order.length : ia) - (ib < 0 ? order.length : ib) || a.localeCompare(b);
    });
  return keys.map((k) => {
    const v = details[k];
    return [k, typeof v === 'string' ? v : JSON.stringify(v)];
  });
}
