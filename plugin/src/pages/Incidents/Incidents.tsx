import React, { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { PluginPage } from '@grafana/runtime';
import { EmptyState, Field, Input, LoadingPlaceholder, RadioButtonGroup, Stack, useStyles2 } from '@grafana/ui';
import { AgentStatusBanner } from '../../components/AgentStatus/AgentStatus';
import { QueryErrorAlert } from '../../components/QueryErrorAlert';
import { testIds } from '../../components/testIds';
import { useAgentStatus } from '../../data/agent';
import { currentUser } from '../../data/user';
import { defaultFilters, incidentState, useIncidents, type IncidentFilters } from '../../data/incidents';
import { formatDuration, formatTime } from '../../utils/format';
import { incidentUrl } from '../../utils/utils.routing';
import { useNow } from '../../utils/useNow';
import { titleOf } from './Incidents.utils';
import { SeverityBadge, StateBadge } from './SeverityBadge';

const STATE_OPTIONS = [
  { label: 'All', value: 'all' },
  { label: 'Active', value: 'active' },
  { label: 'Open', value: 'open' },
  { label: 'Acknowledged', value: 'acked' },
  { label: 'Resolved', value: 'resolved' },
] as const;
const SEVERITY_OPTIONS = [
  { label: 'Any', value: 'all' },
  { label: 'crit', value: 'crit' },
  { label: 'warn', value: 'warn' },
  { label: 'info', value: 'info' },
] as const;
const RANGE_OPTIONS = [
  { label: '24 h', value: '24h' },
  { label: '7 days', value: '7d' },
  { label: '30 days', value: '30d' },
  { label: '90 days', value: '90d' },
] as const;

function Incidents() {
  const s = useStyles2(getStyles);
  const [filters, setFilters] = useState<IncidentFilters>(defaultFilters);
  const incidents = useIncidents(filters);
  const agent = useAgentStatus();
  const now = useNow();
  const { language } = currentUser();
  const { reload } = incidents;
  // New incidents and state changes show up without a page reload.
  useEffect(() => {
    const timer = setInterval(reload, 30_000);
    return () => clearInterval(timer);
  }, [reload]);
  const set =
    <K extends keyof IncidentFilters>(key: K) =>
    (value: IncidentFilters[K]) =>
      setFilters((f) => ({ ...f, [key]: value }));
  const filtered = JSON.stringify(filters) !== JSON.stringify(defaultFilters);

  return (
    <PluginPage>
      <div data-testid={testIds.incidents.container}>
        <AgentStatusBanner status={agent.data} />
        <Stack wrap="wrap" gap={2}>
          <Field label="State" data-testid={testIds.incidents.stateFilter}>
            <RadioButtonGroup options={[...STATE_OPTIONS]} value={filters.state} onChange={set('state')} />
          </Field>
          <Field label="Severity" data-testid={testIds.incidents.severityFilter}>
            <RadioButtonGroup options={[...SEVERITY_OPTIONS]} value={filters.severity} onChange={set('severity')} />
          </Field>
          <Field label="Check">
            <Input
              width={24}
              placeholder="e.g. api.health"
              data-testid={testIds.incidents.checkFilter}
              value={filters.check}
              onChange={(e) => set('check')(e.currentTarget.value)}
            />
          </Field>
          <Field label="Open or resolved within" data-testid={testIds.incidents.rangeFilter}>
            <RadioButtonGroup options={[...RANGE_OPTIONS]} value={filters.range} onChange={set('range')} />
          </Field>
        </Stack>

        {incidents.error && <QueryErrorAlert error={incidents.error} what="incidents" />}
        {incidents.loading && !incidents.data && <LoadingPlaceholder text="Loading incidents…" />}
        {incidents.data && incidents.data.length === 0 && (
          <div data-testid={testIds.incidents.empty}>
            <EmptyState
              variant={filtered ? 'not-found' : 'completed'}
              message={filtered ? 'No incident matches these filters' : 'No incidents in this time range'}
            >
              {filtered
                ? 'Widen the time range or clear a filter.'
                : 'Every check has been healthy. Incidents appear here when a check keeps failing.'}
            </EmptyState>
          </div>
        )}
        {incidents.data && incidents.data.length > 0 && (
          <table className={s.table} data-testid={testIds.incidents.table}>
            <thead>
              <tr>
                <th>Severity</th>
                <th>Incident</th>
                <th>Check</th>
                <th>Since</th>
                <th>Duration</th>
                <th>State</th>
              </tr>
            </thead>
            <tbody>
              {incidents.data.map((i) => {
                const state = incidentState(i);
                const end = i.resolvedAt?.getTime() ?? now;
                return (
                  <tr key={i.id} data-testid={testIds.incidents.row}>
                    <td>
                      <SeverityBadge severity={i.severity} />
                    </td>
                    <td>
                      <Link className={s.link} to={incidentUrl(i.id)}>
                        #{i.id} {titleOf(i, language)}
                      </Link>
                    </td>
                    <td>{i.checkName ?? '—'}</td>
                    <td>{formatTime(i.openedAt)}</td>
                    <td>{formatDuration(end - i.openedAt.getTime())}</td>
                    <td>
                      <StateBadge state={state} />
                      {state === 'acked' && i.acknowledgedBy && <span className={s.muted}> by {i.acknowledgedBy}</span>}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </div>
    </PluginPage>
  );
}

export default Incidents;

export const getStyles = (theme: GrafanaTheme2) => ({
  table: css({
    width: '100%',
    borderCollapse: 'collapse',
    marginTop: theme.spacing(2),
    'th, td': { padding: theme.spacing(1), borderBottom: `1px solid ${theme.colors.border.weak}`, textAlign: 'left' },
    th: { color: theme.colors.text.secondary, fontWeight: theme.typography.fontWeightMedium },
  }),
  muted: css({ color: theme.colors.text.secondary }),
  link: css({ color: theme.colors.text.link, '&:hover': { textDecoration: 'underline' } }),
});
