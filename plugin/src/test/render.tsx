import React from 'react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { render } from '@testing-library/react';
import { config } from '@grafana/runtime';
import { AppSettingsContext } from '../data/settings';
import { intentWaitSettings } from '../data/intents';
import type { AppSettings } from '../types';

intentWaitSettings.delaysMs = [5];
intentWaitSettings.timeoutMs = 50;

export type Role = 'Viewer' | 'Editor' | 'Admin';

export function asUser(role: Role, login = `${role.toLowerCase()}-user`, language = 'en-US') {
  const boot = config.bootData as unknown as { user: Record<string, unknown> };
  boot.user = { ...(boot.user ?? {}), login, orgRole: role, isGrafanaAdmin: false, language };
}

/** Renders a page at `path` under the app's routes, with the app settings and a given role. */
export function renderPage(
  element: React.ReactElement,
  {
    path = '/',
    route = '*',
    settings = {},
    role = 'Admin',
    language,
  }: { path?: string; route?: string; settings?: AppSettings; role?: Role; language?: string } = {}
) {
  asUser(role, undefined, language);
  return render(
    <AppSettingsContext.Provider value={settings}>
      <MemoryRouter initialEntries={[path]} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
        <Routes>
          <Route path={route} element={element} />
        </Routes>
      </MemoryRouter>
    </AppSettingsContext.Provider>
  );
}
