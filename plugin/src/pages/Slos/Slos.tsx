import React, { useState } from 'react';
import { css } from '@emotion/css';
import type { GrafanaTheme2 } from '@grafana/data';
import { PluginPage } from '@grafana/runtime';
import { EmptyState, Field, LoadingPlaceholder, RadioButtonGroup, useStyles2 } from '@grafana/ui';
import { sloFigures, type SloWindowName } from '@blocktrust-monitor/contract';
import { QueryErrorAlert } from '../../components/QueryErrorAlert';
import { testIds } from '../../components/testIds';
import { useSlo } from '../../data/slo';
import { formatDuration } from '../../utils/format';

const WINDOW_OPTIONS: Array<{ label: string; value: SloWindowName }> = [
  { label: '24 h', value: '24h' },
  { label: '7 days', value: '7d' },
  { label: '30 days', value: '30d' },
];

const COLUMNS = [
  'Check',
  'Uptime',
  'Objective',
  'p99',
  'Objective',
  'Fast runs',
  'Failures',
  'Budget left',
  'Burn',
  'Maintenance',
];

/** Uptime, latency and error budget per check: the figures of `blocktrust-monitor slo`, from the same SQL. */
function Slos() {
  const s = useStyles2(getStyles);
  const [window, setWindow] = useState<SloWindowName>('24h');
  const slo = useSlo(window);
  return (
    <PluginPage>
      <div data-testid={testIds.sloReport.container}>
        <Field label="Window" description="Maintenance and heartbeats are excluded">
          <RadioButtonGroup options={WINDOW_OPTIONS} value={window} onChange={setWindow} />
        </Field>
        {slo.error && <QueryErrorAlert error={slo.error} what="SLOs" />}
        {slo.loading && !slo.data && <LoadingPlaceholder text="Loading SLOs…" />}
        {slo.data && slo.data.length === 0 && (
          <EmptyState variant="not-found" message="No check results in this window">
            The agent has not recorded any result in this window yet.
          </EmptyState>
        )}
        {slo.data && slo.data.length > 0 && (
          <table className={s.table} data-testid={testIds.sloReport.table}>
            <thead>
              <tr>
                {COLUMNS.map((c, i) => (
                  <th key={i}>{c}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {slo.data.map((r) => {
                const f = sloFigures(r);
                return (
                  <tr key={r.check} data-testid={testIds.sloReport.row}>
                    <td>{r.check}</td>
                    <td className={r.meetsUptime === false ? s.missed : undefined}>{f.uptime}</td>
                    <td>{f.uptimeTarget}</td>
                    <td className={r.meetsLatency === false ? s.missed : undefined}>{f.p99}</td>
                    <td>{f.latencyTarget}</td>
                    <td>{f.fastRuns}</td>
                    <td>{f.failures}</td>
                    <td>{f.budgetLeft}</td>
                    <td>{f.burn}</td>
                    <td>{r.excludedSec > 0 ? formatDuration(r.excludedSec * 1000) : '-'}</td>
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

export default Slos;

const getStyles = (theme: GrafanaTheme2) => ({
  table: css({
    width: '100%',
    borderCollapse: 'collapse',
    marginTop: theme.spacing(2),
    'th, td': { padding: theme.spacing(1), borderBottom: `1px solid ${theme.colors.border.weak}`, textAlign: 'right' },
    'th:first-child, td:first-child': { textAlign: 'left' },
    th: { color: theme.colors.text.secondary, fontWeight: theme.typography.fontWeightMedium },
  }),
  missed: css({ color: theme.colors.error.text }),
});
