// The built plugin in a real browser: Debian's chromium loads plugin/dist/module.js into a harness page
// with the real @grafana/ui, whose /api/ds/query runs the SQL on a test database as the least-privilege
// Grafana role, while the agent's own intent processor applies what the pages ask for.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { BrowserContext, Page } from 'playwright-core';
import { createChannelDirectory } from '../../agent/src/alerts/directory.ts';
import { systemClock, type Logger } from '../../agent/src/core/types.ts';
import { loadAgentKey, type AgentKey } from '@blocktrust-monitor/contract';
import { createIntentProcessor } from '../../agent/src/intents/processor.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { buildHarness } from './harness/build.ts';
import { startHarnessServer, type HarnessServer } from './harness/server.ts';

const root = path.resolve(import.meta.dirname, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const APP = '/a/blocktrust-monitor-app';
const SECRET_KEY = randomBytes(24).toString('base64url');
const WEBHOOK_PATH = `/services/T0BROWSER/B0BROWSER/${randomBytes(12).toString('hex')}`;
const ROLE_SQL = path.join(root, 'provisioning/postgres/grafana-role.sql');
// Screenshots go to test-results/; UPDATE_SCREENSHOTS=1 also refreshes the ones the docs show.
const SCREENSHOTS = [
  path.join(root, 'test-results/screenshots'),
  ...(process.env.UPDATE_SCREENSHOTS ? [path.join(root, 'docs/screenshots')] : []),
];

const missing = !existsSync(CHROMIUM) ? `chromium not found at ${CHROMIUM} (apt-get install -y chromium)` : null;
if (missing && process.env.REQUIRE_BROWSER) {
  throw new Error(`REQUIRE_BROWSER is set but ${missing}`);
}

const secretPartOf = (webhook: string) => webhook.split('/').pop()!;
const quietLog: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Grants of provisioning/postgres/grafana-role.sql for this database; the role itself is shared by the server. */
async function grantGrafanaRole(admin: pg.Pool): Promise<boolean> {
  if (!existsSync(ROLE_SQL)) return false;
  const script = readFileSync(ROLE_SQL, 'utf8');
  const at = script.indexOf('DO $grants$');
  if (at < 0) return false;
  await admin
    .query(`DO $$ BEGIN CREATE ROLE blocktrust_grafana NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`)
    .catch((err) => {
      if (!/already exists|duplicate/.test((err as Error).message)) throw err;
    });
  await admin.query(script.slice(at).replace(/^\\.*$/gm, ''));
  return true;
}

/** True when plugin/dist is missing or older than a file it is built from. */
function distIsStale(): boolean {
  const built = path.join(root, 'plugin/dist/module.js');
  if (!existsSync(built)) return true;
  const builtAt = statSync(built).mtimeMs;
  const newer = (p: string): boolean =>
    statSync(p).isDirectory() ? readdirSync(p).some((e) => newer(path.join(p, e))) : statSync(p).mtimeMs > builtAt;
  return [path.join(root, 'plugin/src'), path.join(root, 'plugin/package.json')].some(newer);
}

async function shoot(page: Page, name: string): Promise<void> {
  for (const dir of SCREENSHOTS) {
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, name), fullPage: true });
  }
}

// A skipped test (not a skipped suite) so that the run's summary counts it.
if (missing) test('Grafana app plugin in a browser', { skip: missing }, () => {});
else describe('Grafana app plugin in a browser', () => {
  let db: TestDatabase;
  let grafanaPool: pg.Pool;
  let key: AgentKey;
  let server: HarnessServer;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  let harnessDir: string;
  const stopAgent = new AbortController();
  let agentDone: Promise<void> | undefined;
  let incidentId: number;
  let restricted = false;
  // Stands in for Slack on 127.0.0.1, so a test alert reaches no one.
  let slack: Server;
  let WEBHOOK = '';
  const slackMessages: string[] = [];
  const pageErrors: string[] = [];

  before(async () => {
    db = await migratedDatabase('plugin_browser');
    restricted = await grantGrafanaRole(db.pool);
    grafanaPool = new pg.Pool({
      connectionString: db.url,
      max: 4,
      ...(restricted ? { options: '-c role=blocktrust_grafana' } : {}),
    });

    key = await loadAgentKey(SECRET_KEY);
    await db.pool.query(
      `INSERT INTO monitor_agents (agent_id, version, runtime, hostname, public_key) VALUES ('browser-test', '0.1.0', 'node', 'ci', $1)`,
      [JSON.stringify(key.publicJwk)],
    );
    await db.pool.query(`INSERT INTO monitor_slo_targets (check_name, uptime_target, latency_ms, max_lag_sec, updated_by)
      VALUES ('*', 99.5, 800, 180, 'env')`);
    const inc = await db.pool.query(`INSERT INTO monitor_incidents (opened_at, severity, title, detail, check_name, condition, details)
      VALUES (now() - interval '47 minutes', 'crit', 'api.health is down', 'GET /health answered 503 three times in a row',
              'api.health', 'down', '{"error_class":"http_status","status":503,"error":"HTTP 503 Service Unavailable","url":"https://api.blocktrust.example/health"}')
      RETURNING id`);
    incidentId = Number(inc.rows[0].id);
    await db.pool.query(`INSERT INTO monitor_incidents (opened_at, resolved_at, severity, title, check_name, condition)
      VALUES (now() - interval '2 days', now() - interval '47 hours', 'warn', 'listener.lag is behind', 'listener.lag', 'listener_stalled')`);
    await db.pool.query(
      `INSERT INTO monitor_incident_events (incident_id, ts, kind, actor, channel, message) VALUES
       ($1, now() - interval '47 minutes', 'opened', 'agent', NULL, 'api.health: HTTP 503 (3 failures in a row)'),
       ($1, now() - interval '46 minutes', 'notified', 'agent', 'ops-slack', 'alert sent')`,
      [incidentId],
    );

    slack = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        slackMessages.push(`${req.url} ${body}`);
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((resolve) => slack.listen(0, '127.0.0.1', resolve));
    const slackAddress = slack.address();
    WEBHOOK = `http://127.0.0.1:${typeof slackAddress === 'object' && slackAddress ? slackAddress.port : 0}${WEBHOOK_PATH}`;

    const channels = createChannelDirectory({ db: db.pool, env: { language: 'en', minSeverity: 'warn' }, agentKey: key, log: quietLog, cacheMs: 0 });
    const processor = createIntentProcessor({
      db: db.pool,
      listen: async () => {
        const client = new pg.Client({ connectionString: db.url });
        await client.connect();
        return client;
      },
      clock: systemClock,
      log: quietLog,
      channels,
      agentKey: key,
      alertEnv: { language: 'en', minSeverity: 'warn' },
      links: { grafanaUrl: 'http://127.0.0.1' },
      pollMs: 500,
    });
    agentDone = processor.start(stopAgent.signal);

    if (distIsStale()) {
      const build = spawnSync('npm', ['run', 'build', '-w', 'plugin'], { cwd: root, encoding: 'utf8' });
      assert.equal(build.status, 0, `plugin build failed:\n${build.stdout}\n${build.stderr}`);
    }
    harnessDir = mkdtempSync(path.join(tmpdir(), 'bt-harness-'));
    await buildHarness(harnessDir);
    server = await startHarnessServer({
      pool: grafanaPool,
      pluginDist: path.join(root, 'plugin/dist'),
      harnessDir,
      iconsDir: path.join(root, 'node_modules/@grafana/ui/dist/public/img/icons'),
      jsonData: { playbookBaseUrl: 'https://docs.example.com/blocktrust-monitor/playbooks' },
    });

    const { chromium } = await import('playwright-core');
    profile = mkdtempSync(path.join(tmpdir(), 'bt-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 900 },
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run',
      ],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  after(async () => {
    await context?.close();
    stopAgent.abort();
    await agentDone?.catch(() => {});
    await server?.close();
    await new Promise((resolve) => (slack ? slack.close(resolve) : resolve(undefined)));
    await grafanaPool?.end();
    await db?.drop();
    for (const dir of [profile, harnessDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the build is what Grafana loads: module.js, plugin.json filled in, both dashboards', () => {
    const dist = path.join(root, 'plugin/dist');
    const manifest = JSON.parse(readFileSync(path.join(dist, 'plugin.json'), 'utf8'));
    assert.equal(manifest.id, 'blocktrust-monitor-app');
    assert.equal(manifest.info.version, JSON.parse(readFileSync(path.join(root, 'plugin/package.json'), 'utf8')).version);
    assert.match(manifest.info.updated, /^\d{4}-\d{2}-\d{2}$/);
    assert.ok(!JSON.stringify(manifest).includes('%'), 'no template variable is left');
    assert.ok(existsSync(path.join(dist, 'module.js')));
    for (const inc of manifest.includes.filter((i: { type: string }) => i.type === 'dashboard')) {
      const dashboard = JSON.parse(readFileSync(path.join(dist, inc.path), 'utf8'));
      assert.ok(['bt-overview', 'bt-check-detail'].includes(dashboard.uid), inc.path);
    }
    for (const logo of Object.values(manifest.info.logos) as string[]) assert.ok(existsSync(path.join(dist, logo)), logo);
    // What the plugin validator also asks of a release: source maps, and a README that describes this plugin.
    assert.ok(existsSync(path.join(dist, 'module.js.map')));
    const readme = readFileSync(path.join(dist, 'README.md'), 'utf8');
    assert.match(readme, /^# Blocktrust Monitor/);
    assert.doesNotMatch(readme, /create-plugin|template/i);
  });

  test('an Editor acknowledges an incident from the incidents page', async () => {
    await page.goto(`${server.url}${APP}/incidents`);
    const rows = page.getByTestId('data-testid incidents-row');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 2);
    assert.match(await rows.first().innerText(), /crit[\s\S]*api\.health is down[\s\S]*api\.health[\s\S]*open/);
    await shoot(page, 'incidents.png');

    await rows.first().getByRole('link').click();
    await page.getByTestId('data-testid incident-timeline').getByText('notified · ops-slack').waitFor();
    assert.match(await page.getByTestId('data-testid incident-failing-values').innerText(), /status\s+503/);
    const dashboard = await page.getByTestId('data-testid incident-dashboard-link').getAttribute('href');
    assert.match(dashboard ?? '', /^\/d\/bt-check-detail\?var-check=api\.health&from=\d+&to=now$/);
    const playbook = await page.getByTestId('data-testid incident-playbook-link').getAttribute('href');
    assert.equal(playbook, 'https://docs.example.com/blocktrust-monitor/playbooks/down.md');
    await page.getByTestId('data-testid incident-acknowledge').click();
    await page.getByText('Incident acknowledged').waitFor();
    await page.getByTestId('data-testid incident-timeline').getByText(/acknowledged/).first().waitFor();
    await shoot(page, 'incident-detail.png');

    const intent = await db.pool.query(`SELECT author, kind, payload, status FROM monitor_intents WHERE kind = 'incident.ack'`);
    assert.deepEqual(intent.rows, [{ author: 'admin', kind: 'incident.ack', payload: { incident_id: incidentId }, status: 'applied' }]);
    const inc = await db.pool.query(`SELECT acknowledged_by FROM monitor_incidents WHERE id = $1`, [incidentId]);
    assert.equal(inc.rows[0].acknowledged_by, 'admin');
  });

  test('an Admin changes an SLO target and saves a Slack webhook, which is stored only sealed', async () => {
    await page.goto(`${server.url}${APP}/config`);
    await page.getByTestId('data-testid slo-table').waitFor();
    await page.getByTestId('data-testid slo-check-name').fill('api.health');
    await page.getByTestId('data-testid slo-uptime-target').fill('99.9');
    await page.getByTestId('data-testid slo-latency-ms').fill('650');
    await page.getByTestId('data-testid slo-submit').click();
    await page.getByText('SLO targets saved for api.health').waitFor();
    await page.getByTestId('data-testid slo-table').getByText('650 ms').waitFor();

    await page.getByTestId('data-testid channels-add').click();
    await page.getByTestId('data-testid channel-name').fill('ops-slack');
    await page.getByTestId('data-testid channel-secret').fill(WEBHOOK);
    await page.getByTestId('data-testid channel-submit').click();
    await page.getByText('Channel ops-slack saved').waitFor();
    await page.getByTestId('data-testid channels-table').getByText('configured').waitFor();
    // The stored secret is never shown again: the form offers only to replace or reset it.
    await page.getByTestId('data-testid channels-table').getByRole('button', { name: 'Edit' }).click();
    const form = page.getByTestId('data-testid channel-form');
    await form.getByRole('button', { name: 'Reset' }).waitFor();
    assert.equal(await form.getByTestId('data-testid channel-secret').inputValue(), 'configured');
    assert.ok(!(await page.content()).includes(secretPartOf(WEBHOOK)));
    for (const dir of SCREENSHOTS) await form.screenshot({ path: path.join(dir, 'config-channel-edit.png') });
    await page.getByTestId('data-testid channel-form').getByRole('button', { name: 'Cancel' }).click();

    const slo = await db.pool.query(`SELECT kind, payload, status FROM monitor_intents WHERE kind = 'slo.set'`);
    assert.deepEqual(slo.rows, [
      { kind: 'slo.set', payload: { check_name: 'api.health', uptime_target: 99.9, latency_ms: 650 }, status: 'applied' },
    ]);
    const target = await db.pool.query(`SELECT uptime_target::float8 AS u, latency_ms, updated_by FROM monitor_slo_targets WHERE check_name = 'api.health'`);
    assert.deepEqual(target.rows, [{ u: 99.9, latency_ms: 650, updated_by: 'admin' }]);

    const upsert = await db.pool.query(`SELECT payload, status FROM monitor_intents WHERE kind = 'channel.upsert'`);
    assert.equal(upsert.rows.length, 1);
    assert.equal(upsert.rows[0].status, 'applied');
    const sealed = upsert.rows[0].payload.secret_sealed as string;
    assert.match(sealed, /^btm1\.[0-9a-f]{16}\./);
    assert.equal(sealed.split('.')[1], key.kid);
    assert.equal(await key.open(sealed, 'channel:ops-slack'), WEBHOOK, 'the agent key opens what the browser sealed');
    const channel = await db.pool.query(`SELECT kind, secret_sealed FROM monitor_channels WHERE name = 'ops-slack'`);
    assert.equal(channel.rows[0].kind, 'slack');
    assert.equal(await key.open(channel.rows[0].secret_sealed, 'channel:ops-slack'), WEBHOOK);

    // The plaintext is nowhere in the database, nor in any SQL the page sent.
    const secretPart = secretPartOf(WEBHOOK);
    const dump = await db.pool.query(`SELECT string_agg(t::text, ' ') AS all FROM (
      SELECT to_jsonb(i) AS t FROM monitor_intents i UNION ALL SELECT to_jsonb(c) FROM monitor_channels c) x`);
    assert.ok(!dump.rows[0].all.includes(secretPart), 'the webhook is stored only sealed');
    assert.ok(!server.queries.some((q) => q.includes(secretPart)), 'the webhook never left the browser in clear');
    assert.ok(!server.queries.some((q) => /secret_sealed\s*(,|FROM)/i.test(q) && /^SELECT/i.test(q.trim())), 'no page reads sealed secrets');
    if (restricted) {
      // The pages worked as the data source's role, which cannot read sealed secrets at all.
      assert.equal((await grafanaPool.query('SELECT current_user AS u')).rows[0].u, 'blocktrust_grafana');
      await assert.rejects(grafanaPool.query('SELECT secret_sealed FROM monitor_channels'), /permission denied/);
    }
  });

  test('a test alert reaches the saved webhook and the page shows what it answered', async () => {
    await page.getByTestId('data-testid test-alert-send').click();
    const results = page.getByTestId('data-testid test-alert-results');
    await results.getByText('delivered').waitFor();
    assert.match(await results.innerText(), /ops-slack[\s\S]*delivered[\s\S]*HTTP 200/);
    assert.equal(slackMessages.length, 1);
    assert.ok(slackMessages[0].startsWith(`${WEBHOOK_PATH} `), 'the agent posted to the webhook the browser sealed');
    const intent = await db.pool.query(`SELECT status, result FROM monitor_intents WHERE kind = 'alert.test'`);
    assert.deepEqual(intent.rows, [{ status: 'applied', result: { channels: [{ channel: 'ops-slack', ok: true, http_status: 200 }] } }]);
    await shoot(page, 'config.png');
  });

  test('the pages say what to do when the agent is stale, has no key, or the data source is missing', async () => {
    await db.pool.query(`UPDATE monitor_agents SET last_seen_at = now() - interval '10 minutes'`);
    await page.goto(`${server.url}${APP}/incidents`);
    await page.getByText("The agent's heartbeat is stale").waitFor();
    assert.match(await page.getByTestId('data-testid agent-status').innerText(), /last seen 10m ago/);
    await shoot(page, 'state-agent-stale.png');

    await db.pool.query(`UPDATE monitor_agents SET last_seen_at = now(), public_key = NULL`);
    await page.goto(`${server.url}${APP}/config`);
    await page.getByText('Secrets cannot be saved').waitFor();
    assert.match(await page.getByTestId('data-testid agent-status').innerText(), /MONITOR_SECRET_KEY is unset/);

    await page.goto(`${server.url}${APP}/incidents?datasource=no-such-pg`);
    await page.getByText('Data source missing: incidents').waitFor();
    assert.match(await page.locator('body').innerText(), /"no-such-pg" was not found/);
    await shoot(page, 'state-datasource-missing.png');
  });

  test('the pages ran without uncaught errors', () => {
    assert.deepEqual(pageErrors, []);
  });
});
