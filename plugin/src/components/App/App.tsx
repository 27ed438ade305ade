import React, { Suspense, lazy } from 'react';
import { Navigate, Route, Routes } from 'react-router-dom';
import type { AppRootProps } from '@grafana/data';
import { LoadingPlaceholder } from '@grafana/ui';
import { ROUTES } from '../../constants';
import { AppSettingsContext } from '../../data/settings';
import type { AppSettings } from '../../types';

const Incidents = lazy(() => import('../../pages/Incidents/Incidents'));
const IncidentDetail = lazy(() => import('../../pages/Incidents/IncidentDetail'));
const Config = lazy(() => import('../../pages/Config/Config'));
const Slos = lazy(() => import('../../pages/Slos/Slos'));

function App({ meta }: AppRootProps<AppSettings>) {
  return (
    <AppSettingsContext.Provider value={meta.jsonData ?? {}}>
      <Suspense fallback={<LoadingPlaceholder text="Loading…" />}>
        <Routes>
          <Route path={ROUTES.Incidents} element={<Incidents />} />
          <Route path={`${ROUTES.Incidents}/:id`} element={<IncidentDetail />} />
          <Route path={ROUTES.Slos} element={<Slos />} />
          <Route path={ROUTES.Config} element={<Config />} />
          <Route path="*" element={<Navigate to={ROUTES.Incidents} replace />} />
        </Routes>
      </Suspense>
    </AppSettingsContext.Provider>
  );
}

export default App;
