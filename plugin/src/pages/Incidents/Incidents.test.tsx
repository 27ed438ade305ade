import React from 'react';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { testIds } from '../../components/testIds';
import { FakeBackend } from '../../test/fakeBackend';
import { freshAgent, staleAgent } from '../../test/fixtures/agents';
import { ackedIncident, openIncident, resolvedIncident } from '../../test/fixtures/incidents';
import { renderPage } from '../../test/render';
import Incidents from './Incidents';

describe('Incidents page', () => {
  let backend: FakeBackend;
  beforeEach(() => {
    backend = new FakeBackend()
      .on(/FROM monitor_incidents/, [openIncident, ackedIncident, resolvedIncident])
      .on(/FROM monitor_agents/, [freshAgent])
      .install();
  });

  it('lists incidents with severity, check, duration and state, linking to each', async () => {
    renderPage(<Incidents />);
    const rows = await screen.findAllByTestId(testIds.incidents.row);
    expect(rows).toHaveLength(3);
    expect(within(rows[0]).getByText('crit')).toBeInTheDocument();
    expect(within(rows[0]).getByText('api.health')).toBeInTheDocument();
    expect(within(rows[0]).getByText('1h 35m')).toBeInTheDocument();
    expect(within(rows[0]).getByText('open')).toBeInTheDocument();
    expect(within(rows[0]).getByRole('link')).toHaveAttribute('href', '/a/blocktrust-monitor-app/incidents/41');
    expect(within(rows[1]).getByText('acknowledged')).toBeInTheDocument();
    expect(within(rows[1]).getByText(/by maria/)).toBeInTheDocument();
    expect(within(rows[2]).getByText('resolved')).toBeInTheDocument();
    expect(within(rows[2]).getByText('1h 0m')).toBeInTheDocument();
    expect(screen.queryByTestId(testIds.agentStatus.banner)).not.toBeInTheDocument();
  });

  it('turns the filters into SQL with the typed values quoted', async () => {
    renderPage(<Incidents />);
    await screen.findAllByTestId(testIds.incidents.row);
    fireEvent.click(within(screen.getByTestId(testIds.incidents.stateFilter)).getByLabelText('Acknowledged'));
    fireEvent.click(within(screen.getByTestId(testIds.incidents.severityFilter)).getByLabelText('warn'));
    fireEvent.click(within(screen.getByTestId(testIds.incidents.rangeFilter)).getByLabelText('30 days'));
    fireEvent.change(screen.getByTestId(testIds.incidents.checkFilter), { target: { value: "Api.H'" } });
    await waitFor(() => {
      const last = backend.statements.filter((s) => s.includes('FROM monitor_incidents')).pop()!;
      expect(last).toContain('resolved_at IS NULL AND acknowledged_at IS NOT NULL');
      expect(last).toContain("lower(severity) = 'warn'");
      expect(last).toContain("interval '30 days'");
      expect(last).toContain("strpos(lower(coalesce(check_name, '')), 'api.h''') > 0");
    });
  });

  it('says when nothing matches and what to do', async () => {
    backend.on(/FROM monitor_incidents/, []);
    renderPage(<Incidents />);
    expect(await screen.findByText('No incidents in this time range')).toBeInTheDocument();
    fireEvent.click(within(screen.getByTestId(testIds.incidents.severityFilter)).getByLabelText('crit'));
    expect(await screen.findByText('No incident matches these filters')).toBeInTheDocument();
    expect(screen.getByText(/Widen the time range/)).toBeInTheDocument();
  });

  it('explains a missing data source', async () => {
    backend.fail(/./, 'Data source not found', 404);
    renderPage(<Incidents />, { settings: { datasourceUid: 'other-pg' } });
    expect(await screen.findByText(/Data source missing: incidents/)).toBeInTheDocument();
    expect(screen.getByText(/"other-pg" was not found/)).toBeInTheDocument();
  });

  it('explains missing tables', async () => {
    backend.fail(/FROM monitor_incidents/, 'pq: relation "monitor_incidents" does not exist');
    renderPage(<Incidents />);
    expect(await screen.findByText(/Monitor tables missing/)).toBeInTheDocument();
    expect(screen.getByText(/blocktrust-monitor migrate/)).toBeInTheDocument();
  });

  it('warns when no agent was ever seen, or its heartbeat is stale', async () => {
    backend.on(/FROM monitor_agents/, []);
    const first = renderPage(<Incidents />);
    expect(await screen.findByText('No agent has connected to this database yet')).toBeInTheDocument();
    first.unmount();
    backend.on(/FROM monitor_agents/, [staleAgent]);
    renderPage(<Incidents />);
    expect(await screen.findByText("The agent's heartbeat is stale")).toBeInTheDocument();
    expect(screen.getByText(/last seen 10m ago/)).toBeInTheDocument();
  });
});
