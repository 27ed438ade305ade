// A stand-in for Grafana on 127.0.0.1: serves the harness page and the built plugin, and answers
// /api/ds/query like Grafana's Postgres data source (table frames, times as epoch ms, numbers as numbers,
// query errors in results.A.error) by running the SQL on the test database.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type pg from 'pg';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

// Postgres type oids the frames convert: timestamps to epoch ms, numeric and int8 to numbers.
const TIME_OIDS = new Set([1082, 1114, 1184]);
const NUMBER_OIDS = new Set([20, 21, 23, 700, 701, 1700]);

export interface HarnessServer {
  url: string;
  queries: string[];
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function answerQuery(pool: pg.Pool, uid: string, payload: string) {
  const { queries } = JSON.parse(payload) as { queries: Array<{ refId: string; datasource: { uid: string }; rawSql: string }> };
  const results: Record<string, unknown> = {};
  let status = 200;
  for (const q of queries) {
    if (q.datasource?.uid !== uid) {
      return { status: 404, json: { message: 'Data source not found' } };
    }
    try {
      const res = await pool.query({ text: q.rawSql, rowMode: 'array' });
      const fields = res.fields.map((f) => ({
        name: f.name,
        type: TIME_OIDS.has(f.dataTypeID) ? 'time' : NUMBER_OIDS.has(f.dataTypeID) ? 'number' : 'string',
      }));
      const values = fields.map((f, i) =>
        (res.rows as unknown[][]).map((row) => {
          const v = row[i];
          if (v === null || v === undefined) return null;
          if (f.type === 'time') return (v as Date).getTime();
          if (f.type === 'number') return Number(v);
          return typeof v === 'object' ? JSON.stringify(v) : v;
        }),
      );
      results[q.refId] = { status: 200, frames: [{ schema: { refId: q.refId, fields }, data: { values } }] };
    } catch (err) {
      status = 400;
      results[q.refId] = { status: 400, error: (err as Error).message };
    }
  }
  return { status, json: { results } };
}

export async function startHarnessServer(opts: {
  pool: pg.Pool;
  pluginDist: string;
  harnessDir: string;
  /** Grafana's icon set, served where @grafana/ui looks for it (public/build/img/icons). */
  iconsDir: string;
  datasourceUid?: string;
  jsonData?: object;
}): Promise<HarnessServer> {
  const uid = opts.datasourceUid ?? 'blocktrust-pg';
  const queries: string[] = [];
  const pluginPrefix = '/public/plugins/blocktrust-monitor-app/';
  const iconsPrefix = '/public/build/img/icons/';
  const indexHtml = (jsonData: object) => `<!doctype html><html><head><meta charset="utf-8"><title>Blocktrust Monitor</title>
<script>window.grafanaBootData = ${JSON.stringify({
    assets: { dark: '', light: '' },
    settings: { appSubUrl: '', featureToggles: {}, buildInfo: { version: '12.4.10' } },
    user: { login: 'admin', name: 'Admin', orgRole: 'Admin', isGrafanaAdmin: false, theme: 'dark', timezone: 'utc' },
    navTree: [],
  })}; window.__grafana_public_path__ = '/public/'; window.harnessJsonData = ${JSON.stringify(jsonData)};</script>
<link rel="stylesheet" href="/harness/entry.css"></head>
<body><div id="root"></div><script src="/harness/entry.js"></script></body></html>`;

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    try {
      if (req.method === 'POST' && url.pathname === '/api/ds/query') {
        const payload = await body(req);
        for (const q of JSON.parse(payload).queries ?? []) queries.push(q.rawSql);
        const { status, json } = await answerQuery(opts.pool, uid, payload);
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
        return;
      }
      const mounts: Array<[string, string]> = [
        [pluginPrefix, opts.pluginDist],
        [iconsPrefix, opts.iconsDir],
        ['/harness/', opts.harnessDir],
      ];
      const mount = mounts.find(([prefix]) => url.pathname.startsWith(prefix));
      if (mount) {
        const file = path.resolve(mount[1], decodeURIComponent(url.pathname.slice(mount[0].length)));
        if (!file.startsWith(path.resolve(mount[1]) + path.sep)) {
          res.writeHead(403).end();
          return;
        }
        const data = await readFile(file).catch(() => null);
        if (!data) {
          res.writeHead(404).end();
          return;
        }
        res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(data);
        return;
      }
      // ?datasource=<uid> opens the app as if its settings named another data source.
      const datasourceUid = url.searchParams.get('datasource');
      const jsonData = { ...opts.jsonData, ...(datasourceUid ? { datasourceUid } : {}) };
      res.writeHead(200, { 'content-type': 'text/html' }).end(indexHtml(jsonData));
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end((err as Error).message);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    queries,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
