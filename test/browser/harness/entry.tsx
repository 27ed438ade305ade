// The page Grafana would be, reduced to what the plugin uses at run time: the shared modules it imports
// (React, @grafana/*, react-router, rxjs, emotion) handed to its AMD module, a backend service that posts
// /api/ds/query to this harness's server, and the app root rendered under /a/<plugin id>/.
import * as emotionCss from '@emotion/css';
import * as grafanaData from '@grafana/data';
import * as grafanaRuntime from '@grafana/runtime';
import * as grafanaUi from '@grafana/ui';
import React from 'react';
import * as ReactDOMClient from 'react-dom/client';
import * as ReactDOM from 'react-dom';
import * as ReactRouter from 'react-router';
import * as rxjs from 'rxjs';

const PLUGIN_ID = 'blocktrust-monitor-app';
const MODULE_URL = `/public/plugins/${PLUGIN_ID}/module.js`;

interface FetchRequest {
  url: string;
  method?: string;
  data?: unknown;
}

const backendSrv = {
  fetch(req: FetchRequest) {
    return rxjs.from(
      fetch(req.url, {
        method: req.method ?? 'GET',
        headers: { 'content-type': 'application/json' },
        body: req.data === undefined ? undefined : JSON.stringify(req.data),
      }).then(async (res) => {
        const data = await res.json();
        if (!res.ok) {
          throw { status: res.status, statusText: res.statusText, data };
        }
        return { data, status: res.status, ok: true, url: req.url, config: req };
      })
    );
  },
};
grafanaRuntime.setBackendSrv(backendSrv as unknown as grafanaRuntime.BackendSrv);

const shared: Record<string, unknown> = {
  '@emotion/css': emotionCss,
  '@grafana/data': grafanaData,
  '@grafana/runtime': grafanaRuntime,
  '@grafana/ui': grafanaUi,
  module: { uri: MODULE_URL },
  react: React,
  'react-dom': ReactDOM,
  'react-router': ReactRouter,
  rxjs,
};

function loadPlugin(): Promise<{ plugin: grafanaData.AppPlugin }> {
  return new Promise((resolve, reject) => {
    const w = window as unknown as { define?: unknown };
    w.define = (deps: string[], factory: (...mods: unknown[]) => { plugin: grafanaData.AppPlugin }) => {
      const missing = deps.filter((d) => !(d in shared));
      if (missing.length) {
        reject(new Error(`the plugin imports modules the harness does not provide: ${missing.join(', ')}`));
        return;
      }
      resolve(factory(...deps.map((d) => shared[d])));
    };
    const script = document.createElement('script');
    script.src = MODULE_URL;
    script.onerror = () => reject(new Error(`could not load ${MODULE_URL}`));
    document.head.appendChild(script);
  });
}

async function main() {
  const theme = grafanaData.createTheme({ colors: { mode: 'dark' } });
  document.body.style.background = theme.colors.background.canvas;
  document.body.style.color = theme.colors.text.primary;
  document.body.style.fontFamily = theme.typography.fontFamily;
  document.body.style.fontSize = `${theme.typography.fontSize}px`;
  document.body.style.margin = '0';

  const { plugin } = await loadPlugin();
  const Root = plugin.root!;
  const meta = {
    id: PLUGIN_ID,
    name: 'Blocktrust Monitor',
    type: 'app',
    enabled: true,
    jsonData: (window as unknown as { harnessJsonData?: object }).harnessJsonData ?? {},
  } as unknown as grafanaData.AppPluginMeta;

  const page = (
    <grafanaUi.ThemeContext.Provider value={theme}>
      <grafanaUi.GlobalStyles />
      <div style={{ padding: theme.spacing(3) }} id="plugin-root">
        <ReactRouter.Routes>
          <ReactRouter.Route
            path={`/a/${PLUGIN_ID}/*`}
            element={<Root meta={meta} basename={`/a/${PLUGIN_ID}`} onNavChanged={() => {}} query={{}} path={`/a/${PLUGIN_ID}`} />}
          />
        </ReactRouter.Routes>
      </div>
    </grafanaUi.ThemeContext.Provider>
  );
  ReactDOMClient.createRoot(document.getElementById('root')!).render(
    <BrowserRouter>{page}</BrowserRouter>
  );
  document.body.dataset.harness = 'ready';
}

// react-router 6 keeps BrowserRouter in react-router-dom; the harness builds one on react-router's Router.
function BrowserRouter({ children }: { children: React.ReactNode }) {
  const [location, setLocation] = React.useState(() => ({ ...window.location }));
  React.useEffect(() => {
    const onPop = () => setLocation({ ...window.location });
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  const navigator = React.useMemo(
    () => ({
      createHref: (to: ReactRouter.To) => (typeof to === 'string' ? to : ReactRouter.createPath(to)),
      go: (n: number) => window.history.go(n),
      push: (to: ReactRouter.To) => {
        window.history.pushState({}, '', typeof to === 'string' ? to : ReactRouter.createPath(to));
        setLocation({ ...window.location });
      },
      replace: (to: ReactRouter.To) => {
        window.history.replaceState({}, '', typeof to === 'string' ? to : ReactRouter.createPath(to));
        setLocation({ ...window.location });
      },
    }),
    []
  );
  return (
    <ReactRouter.Router
      location={{ pathname: location.pathname, search: location.search, hash: location.hash }}
      navigator={navigator}
    >
      {children}
    </ReactRouter.Router>
  );
}

main().catch((err) => {
  document.body.dataset.harness = 'failed';
  document.body.textContent = `harness failed: ${(err as Error).message}`;
});
