import React from 'react';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { testIds } from '../../components/testIds';
import { FakeBackend } from '../../test/fakeBackend';
import { freshAgent } from '../../test/fixtures/agents';
import { ackedIncident, incidentEvents, openIncident, resolvedIncident } from '../../test/fixtures/incidents';
import { renderPage } from '../../test/render';
import IncidentDetail from './IncidentDetail';

const at = (id: number) => ({ path: `/incidents/${id}`, route: '/incidents/:id' });

describe('Incident detail', () => {
  let backend: FakeBackend;
  beforeEach(() => {
    backend = new FakeBackend()
      .on(/FROM monitor_incidents WHERE id = 41/, [openIncident])
      .on(/FROM monitor_incidents WHERE id = 42/, [ackedIncident])
      .on(/FROM monitor_incidents WHERE id = 40/, [resolvedIncident])
      .on(/FROM monitor_incident_events WHERE incident_id = 41/, incidentEvents)
      .on(/FROM monitor_agents/, [freshAgent])
      .install();
  });

  it('shows the timeline, the failing values and the links', async () => {
    renderPage(<IncidentDetail />, {
      ...at(41),
      role: 'Viewer',
      settings: { playbookBaseUrl: 'https://docs.example.com/playbooks/' },
    });
    expect(await screen.findByText(`#41 ${openIncident.title}`)).toBeInTheDocument();
    const timeline = await screen.findByTestId(testIds.incident.timeline);
    expect(within(timeline).getByText('opened')).toBeInTheDocument();
    expect(within(timeline).getByText('notified · slack')).toBeInTheDocument();
    const values = screen.getByTestId(testIds.incident.failingValues);
    expect(within(values).getByText('Error class')).toBeInTheDocument();
    expect(within(values).getByText('503')).toBeInTheDocument();
    const dashboard = screen.getByTestId(testIds.incident.dashboardLink);
    const href = new URL(dashboard.getAttribute('href')!, 'http://grafana');
    expect(href.pathname).toBe('/d/bt-check-detail');
    expect(href.searchParams.get('var-check')).toBe('api.health');
    expect(Number(href.searchParams.get('from'))).toBe(openIncident.opened_at - 15 * 60_000);
    expect(href.searchParams.get('to')).toBe('now');
    expect(screen.getByTestId(testIds.incident.playbookLink)).toHaveAttribute(
      'href',
      'https://docs.example.com/playbooks/down.md'
    );
    expect(within(values).queryByText('postmortem_url')).not.toBeInTheDocument();
    const postmortems = screen.getAllByRole('link', { name: /Post-mortem/ });
    expect(postmortems.map((a) => a.getAttribute('href'))).toEqual([
      'https://wiki.example.com/pm/41',
      'https://wiki.example.com/pm/41',
    ]);
    expect(within(timeline).getByText('see link')).toBeInTheDocument();
  });

  it("titles the incident in the reader's language from its check and condition", async () => {
    renderPage(<IncidentDetail />, { ...at(42), role: 'Viewer', language: 'pt-BR' });
    expect(await screen.findByText('#42 listener.lag: listener parado (sem heartbeat)')).toBeInTheDocument();
  });

  it('lets a Viewer read but not act', async () => {
    renderPage(<IncidentDetail />, { ...at(41), role: 'Viewer' });
    await screen.findByText(`#41 ${openIncident.title}`);
    expect(screen.queryByTestId(testIds.incident.acknowledge)).not.toBeInTheDocument();
    expect(screen.queryByTestId(testIds.incident.resolve)).not.toBeInTheDocument();
    expect(screen.queryByTestId(testIds.incident.noteSubmit)).not.toBeInTheDocument();
    expect(screen.getByText(/Editors acknowledge, resolve and add notes/)).toBeInTheDocument();
    expect(screen.getByTestId(testIds.incident.playbookLink)).toHaveTextContent('docs/playbooks/down.md');
  });

  it('lets an Editor acknowledge: writes the intent as that user and shows it applied', async () => {
    renderPage(<IncidentDetail />, { ...at(41), role: 'Editor' });
    fireEvent.click(await screen.findByTestId(testIds.incident.acknowledge));
    expect(await screen.findByText('Incident acknowledged')).toBeInTheDocument();
    expect(backend.intents).toEqual([
      { id: 1, author: 'editor-user', kind: 'incident.ack', payload: { incident_id: 41 } },
    ]);
  });

  it('resolves with a comment and shows the reason when the agent rejects it', async () => {
    backend.intentReply = () => ({ status: 'rejected', reason: 'incident 41 is already resolved' });
    renderPage(<IncidentDetail />, { ...at(41), role: 'Editor' });
    fireEvent.change(await screen.findByTestId(testIds.incident.resolveComment), {
      target: { value: "restarted the API's pods" },
    });
    fireEvent.click(screen.getByTestId(testIds.incident.resolve));
    expect(await screen.findByText('The agent rejected this change')).toBeInTheDocument();
    expect(screen.getByText('incident 41 is already resolved')).toBeInTheDocument();
    expect(backend.intents[0].payload).toEqual({ incident_id: 41, comment: "restarted the API's pods" });
  });

  it('says so when no agent applies the change in time', async () => {
    backend.intentReply = () => ({ status: 'pending' });
    renderPage(<IncidentDetail />, { ...at(42), role: 'Editor' });
    fireEvent.click(await screen.findByTestId(testIds.incident.unacknowledge));
    expect(await screen.findByText('Waiting for the agent')).toBeInTheDocument();
    expect(backend.intents[0]).toMatchObject({ kind: 'incident.unack', payload: { incident_id: 42 } });
  });

  it('validates a note before writing it, then sends text and post-mortem link', async () => {
    renderPage(<IncidentDetail />, { ...at(41), role: 'Editor' });
    fireEvent.click(await screen.findByTestId(testIds.incident.noteSubmit));
    expect(await screen.findByText(/Note: is required/)).toBeInTheDocument();
    fireEvent.change(screen.getByTestId(testIds.incident.noteText), {
      target: { value: 'Root cause: expired TLS cert' },
    });
    fireEvent.change(screen.getByTestId(testIds.incident.notePostmortem), { target: { value: 'wiki/pm' } });
    fireEvent.click(screen.getByTestId(testIds.incident.noteSubmit));
    expect(await screen.findByText(/Post-mortem link: must be an http\(s\) URL/)).toBeInTheDocument();
    expect(backend.intents).toHaveLength(0);
    fireEvent.change(screen.getByTestId(testIds.incident.notePostmortem), {
      target: { value: 'https://wiki.example.com/pm/41' },
    });
    fireEvent.click(screen.getByTestId(testIds.incident.noteSubmit));
    await screen.findByText('Note added');
    expect(backend.intents[0]).toMatchObject({
      kind: 'incident.note',
      payload: {
        incident_id: 41,
        text: 'Root cause: expired TLS cert',
        postmortem_url: 'https://wiki.example.com/pm/41',
      },
    });
  });

  it('offers no actions on a resolved incident and links the dashboard up to its end', async () => {
    renderPage(<IncidentDetail />, { ...at(40), role: 'Editor' });
    await screen.findByText(`#40 ${resolvedIncident.title}`);
    expect(screen.queryByTestId(testIds.incident.acknowledge)).not.toBeInTheDocument();
    const href = new URL(screen.getByTestId(testIds.incident.dashboardLink).getAttribute('href')!, 'http://grafana');
    expect(Number(href.searchParams.get('to'))).toBe(resolvedIncident.resolved_at + 15 * 60_000);
  });

  it('tells when the incident does not exist', async () => {
    renderPage(<IncidentDetail />, { ...at(999) });
    expect(await screen.findByText('Incident #999 does not exist')).toBeInTheDocument();
    await waitFor(() => expect(backend.statements.some((s) => s.includes('WHERE id = 999'))).toBe(true));
  });
});
