import React from 'react';
import { render, screen } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import type { AppRootProps } from '@grafana/data';
import { testIds } from '../testIds';
import { FakeBackend } from '../../test/fakeBackend';
import { asUser } from '../../test/render';
import { freshAgent } from '../../test/fixtures/agents';
import { openIncident } from '../../test/fixtures/incidents';
import { plugin } from '../../module';
import App from './App';

const meta = (jsonData = {}) => ({ id: 'blocktrust-monitor-app', jsonData }) as unknown as AppRootProps['meta'];

// Grafana also passes onNavChanged, query and path (deprecated); the app uses meta only.
const rootProps = (jsonData = {}) =>
  ({ meta: meta(jsonData), basename: '/a/blocktrust-monitor-app' }) as unknown as AppRootProps;

function renderApp(path: string, jsonData = {}) {
  return render(
    <MemoryRouter initialEntries={[path]} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
      <Routes>
        <Route path="/a/blocktrust-monitor-app/*" element={<App {...rootProps(jsonData)} />} />
      </Routes>
    </MemoryRouter>
  );
}

describe('App routes', () => {
  let backend: FakeBackend;
  beforeEach(() => {
    asUser('Admin');
    backend = new FakeBackend()
      .on(/FROM monitor_incidents WHERE id = 41/, [openIncident])
      .on(/FROM monitor_incidents/, [openIncident])
      .on(/FROM monitor_agents/, [freshAgent])
      .install();
  });

  it('shows the incidents list by default', async () => {
    renderApp('/a/blocktrust-monitor-app');
    expect(await screen.findByTestId(testIds.incidents.container)).toBeInTheDocument();
  });

  it('routes to an incident and to the configuration page', async () => {
    const first = renderApp('/a/blocktrust-monitor-app/incidents/41');
    expect(await screen.findByTestId(testIds.incident.container)).toBeInTheDocument();
    first.unmount();
    renderApp('/a/blocktrust-monitor-app/config');
    expect(await screen.findByTestId(testIds.config.container)).toBeInTheDocument();
  });

  it('queries the data source named in the app settings', async () => {
    const seen: string[] = [];
    backend.onRequest = (uid) => seen.push(uid);
    renderApp('/a/blocktrust-monitor-app/incidents', { datasourceUid: 'pg-two' });
    await screen.findByTestId(testIds.incidents.container);
    await screen.findAllByTestId(testIds.incidents.row);
    expect(new Set(seen)).toEqual(new Set(['pg-two']));
  });
});

describe('module', () => {
  it('wires the root page and the settings page', () => {
    expect(plugin.root).toBeDefined();
    expect(plugin.configPages?.map((p) => p.id)).toEqual(['settings']);
  });
});
