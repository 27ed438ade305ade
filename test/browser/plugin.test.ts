// The built plugin in a real browser, on rows the agent itself wrote: the real agent (`run`) probes the demo
// Blocktrust API while faults are switched on (down, slow, bad hash, listener stall) and writes results,
// incidents and timelines; then Debian's chromium loads plugin/dist/module.js into a harness page with the
// real @grafana/ui, whose /api/ds/query runs the SQL on that database as the least-privilege Grafana role,
// and the same running agent applies what the pages ask for.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { BrowserContext, Page } from 'playwright-core';
import { incidentDetailsSchema, loadAgentKey, sloFigures, sloRowFrom, type AgentKey } from '@blocktrust-monitor/contract';
import { writeHeartbeat } from '../../agent/src/listener/heartbeat.ts';
import { runCli } from '../helpers/cli.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { grantGrafanaRole } from '../helpers/grafana-role.ts';
import { startDemoServer, type DemoServer } from '../helpers/demo-server.ts';
import { SEALED_SECRET_MARKER } from '../../agent/src/intents/processor.ts';
import { buildHarness } from './harness/build.ts';
import { startHarnessServer, type HarnessServer } from './harness/server.ts';

const root = path.resolve(import.meta.dirname, '../..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const APP = '/a/blocktrust-monitor-app';
const SECRET_KEY = randomBytes(24).toString('base64url');
const WEBHOOK_PATH = `/services/T0BROWSER/B0BROWSER/${randomBytes(12).toString('hex')}`;
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
// The slow check's objective: far below the fault's latency, far above what a loaded machine adds.
const SLOW_OBJECTIVE_MS = 1500;
const SLOW_FAULT_MS = 4000;
// Agent-written rows the plugin's jest fixtures are made from (refreshed with UPDATE_SCREENSHOTS=1).
const FIXTURE = path.join(root, 'plugin/src/test/fixtures/agent-rows.json');

/** Waits for a condition with a generous deadline, never for a fixed time. */
async function until<T>(what: string, probe: () => Promise<T | undefined | null | false>, ms = 120_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** True when plugin/dist is missing or older than a file it is built from. */
function distIsStale(): boolean {
  const built = path.join(root, 'plugin/dist/module.js');
  if (!existsSync(built)) return true;
  const builtAt = statSync(built).mtimeMs;
  // Tests and their fixtures are not part of the build.
  const newer = (p: string): boolean => {
    if (/\.test\.tsx?$/.test(p) || p.endsWith(`${path.sep}test`)) return false;
    return statSync(p).isDirectory() ? readdirSync(p).some((e) => newer(path.join(p, e))) : statSync(p).mtimeMs > builtAt;
  };
  return [path.join(root, 'plugin/src'), path.join(root, 'contract/src'), path.join(root, 'plugin/package.json')].some(newer);
}

/**
 * Writes the incidents and timelines the agent wrote, as the plugin's SQL reads them, for the jest fixtures:
 * times become ages (ms before the dump) so the fixtures stay recent; every details object must fit the contract.
 */
async function writeFixture(pool: pg.Pool, opened: Record<string, { id: number }>): Promise<void> {
  const ids = Object.values(opened).map((i) => i.id);
  const { rows } = await pool.query(
    `SELECT id, (extract(epoch FROM now() - opened_at) * 1000)::bigint::int8 AS opened_ago_ms,
            (extract(epoch FROM now() - resolved_at) * 1000)::bigint::int8 AS resolved_ago_ms,
            severity, title, detail, check_name, condition, details
     FROM monitor_incidents WHERE id = ANY($1) ORDER BY id`, [ids]);
  const events = await pool.query(
    `SELECT id, incident_id, (extract(epoch FROM now() - ts) * 1000)::bigint::int8 AS ago_ms, kind, actor, channel, message, details
     FROM monitor_incident_events WHERE incident_id = ANY($1) ORDER BY incident_id, ts, id`, [ids]);
  for (const r of rows) incidentDetailsSchema.parse(r.details);
  const num = (v: unknown) => (v === null ? null : Number(v));
  const fixture = {
    incidents: rows.map((r) => ({ ...r, opened_ago_ms: num(r.opened_ago_ms), resolved_ago_ms: num(r.resolved_ago_ms) })),
    events: events.rows.map((e) => ({ ...e, ago_ms: num(e.ago_ms) })),
  };
  writeFileSync(FIXTURE, `${JSON.stringify(fixture, null, 2)}\n`);
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
  let api: DemoServer;
  let agent: ChildProcess | undefined;
  let agentLog = '';
  let checksDir: string;
  let heartbeats: ReturnType<typeof setInterval> | undefined;
  let listenerStalled = false;
  /** The incidents the faults opened, by check. */
  const incidents: Record<string, { id: number; title: string; condition: string; details: Record<string, unknown> }> = {};
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
    // The database is dropped WITH (FORCE) at the end: a connection ended that way is not a test failure.
    grafanaPool.on('error', () => {});
    grafanaPool.on('connect', (client) => client.on('error', () => {}));

    key = await loadAgentKey(SECRET_KEY);

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
    const slackBase = `http://127.0.0.1:${typeof slackAddress === 'object' && slackAddress ? slackAddress.port : 0}`;
    WEBHOOK = `${slackBase}${WEBHOOK_PATH}`;

    // The listener's heartbeat, as the Blocktrust listener writes it, until the stall fault stops it.
    let block = 50_000_000;
    heartbeats = setInterval(() => {
      if (!listenerStalled) void writeHeartbeat(db.pool, (block += 3)).catch(() => {});
    }, 500);
    api = await startDemoServer();
    checksDir = mkdtempSync(path.join(tmpdir(), 'bt-checks-'));
    const checksFile = path.join(checksDir, 'checks.yaml');
    // A timeout far above the slow fault, so that a loaded machine turns the slow check into a slower one, never a down
    // one; the check's interval is as long as its timeout, since a run may not outlast its interval.
    writeFileSync(checksFile, `checks:\n  - name: api.stats\n    latency_slo_ms: ${SLOW_OBJECTIVE_MS}\n    interval_sec: 12\n    timeout_ms: 12000\n`);
    agent = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'agent/src/main.node.ts'), 'run'], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DATABASE_URL: db.url, API_BASE: api.url,
        JWT_MONITOR_EMAIL: api.credentials.email, JWT_MONITOR_PASS: api.credentials.password,
        JWT_USER_EMAIL: api.credentials.email, JWT_USER_PASS: api.credentials.password,
        MONITOR_CHECK_INTERVAL: '1', MAX_LISTENER_LAG_SEC: '5', MONITOR_CHECKS_FILE: checksFile,
        MONITOR_SECRET_KEY: SECRET_KEY, MONITOR_AGENT_ID: 'browser-test', MONITOR_LOG_FORMAT: 'json',
        ALERT_SLACK_WEBHOOK: `${slackBase}/services/T0ENV/B0ENV/env-webhook`, MONITOR_GRAFANA_URL: 'http://127.0.0.1:3000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    agent.stdout!.on('data', (d) => (agentLog = (agentLog + d).slice(-20_000)));
    agent.stderr!.on('data', (d) => (agentLog = (agentLog + d).slice(-20_000)));
    const ran = (check: string) => async () =>
      (await db.pool.query(`SELECT count(*)::int AS n FROM monitor_metrics WHERE check_name = $1 AND ok`, [check])).rows[0].n >= 2;
    await until('healthy results', async () => (await ran('api.health')()) && (await ran('listener.lag')()) && (await ran('api.stats')()));
    await until('the agent\'s public key', async () => (await db.pool.query(`SELECT 1 FROM monitor_agents WHERE public_key IS NOT NULL`)).rowCount);

    // The faults of the quick start: down, slow, a wrong hash, a stalled listener.
    api.controls.setFaults({
      errorRateByPath: { '/api/health': 1 }, latencyByPath: { '/api/explorer/stats': SLOW_FAULT_MS }, badHash: true,
    });
    listenerStalled = true;
    const opened = async (check: string, condition: string) =>
      (await db.pool.query(`SELECT id, title, condition, details FROM monitor_incidents WHERE check_name = $1 AND condition = $2 ORDER BY id LIMIT 1`,
        [check, condition])).rows[0];
    for (const [check, condition] of [['api.health', 'down'], ['api.stats', 'slow'], ['synthetic.hash', 'down'], ['listener.lag', 'listener_stalled']]) {
      const row = await until(`a ${condition} incident of ${check}`, () => opened(check, condition), 180_000);
      incidents[check] = { id: Number(row.id), title: row.title, condition: row.condition, details: row.details };
    }
    // api.health heals: its incident resolves, so the pages show one resolved incident with a full timeline.
    api.controls.setFaults({ errorRateByPath: {} });
    await until('api.health resolved', async () =>
      (await db.pool.query(`SELECT 1 FROM monitor_incidents WHERE id = $1 AND resolved_at IS NOT NULL`, [incidents['api.health'].id])).rowCount);
    await until('the notifications on the timelines', async () =>
      (await db.pool.query(`SELECT count(DISTINCT incident_id)::int AS n FROM monitor_incident_events WHERE kind = 'notified'`)).rows[0].n >= 4);
    if (process.env.UPDATE_SCREENSHOTS) await writeFixture(db.pool, incidents);
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

  /** SIGTERM, as a service manager stops it; the agent must exit cleanly. */
  async function stopTheAgent(): Promise<void> {
    if (!agent || agent.exitCode !== null) return;
    const exited = new Promise((resolve) => agent!.once('exit', resolve));
    agent.kill('SIGTERM');
    const killer = setTimeout(() => agent?.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(killer);
  }

  after(async () => {
    await context?.close();
    await stopTheAgent();
    clearInterval(heartbeats);
    await api?.close();
    await server?.close();
    await new Promise((resolve) => (slack ? slack.close(resolve) : resolve(undefined)));
    await grafanaPool?.end();
    await db?.drop();
    for (const dir of [profile, harnessDir, checksDir]) if (dir) rmSync(dir, { recursive: true, force: true });
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

  test('the incidents page lists what the agent opened; the detail shows the failing values by name and the timeline', async () => {
    await page.goto(`${server.url}${APP}/incidents`);
    const rows = page.getByTestId('data-testid incidents-row');
    await rows.first().waitFor();
    const listed = await rows.allInnerTexts();
    for (const check of ['api.health', 'api.stats', 'synthetic.hash', 'listener.lag']) {
      const row = listed.find((r) => r.includes(incidents[check].title));
      assert.ok(row, `${check}: "${incidents[check].title}" is listed in ${JSON.stringify(listed)}`);
      assert.match(row, check === 'api.health' ? /resolved/ : /open/, check);
    }
    assert.match(listed.find((r) => r.includes(incidents['listener.lag'].title))!, /crit/, 'the agent rates a stalled listener crit');
    await shoot(page, 'incidents.png');

    // Down: the 503 the agent saw, as a named value; the timeline from opening to resolution.
    await page.goto(`${server.url}${APP}/incidents/${incidents['api.health'].id}`);
    const timeline = page.getByTestId('data-testid incident-timeline');
    await timeline.getByText('resolved', { exact: false }).first().waitFor();
    const timelineText = await timeline.innerText();
    assert.match(timelineText, /opened[\s\S]*notified · slack[\s\S]*resolved/);
    const values = await page.getByTestId('data-testid incident-failing-values').innerText();
    assert.match(values, /HTTP status\s+503/);
    assert.match(values, /Latency\s+\d+ ms/);
    assert.match(values, /Error class\s+http_status/);
    assert.match(values, /URL\s+http:\/\/127\.0\.0\.1:\d+\/api\/health/);
    assert.doesNotMatch(values, /[{}]|opened_by_result_at|values/, 'named values, not a JSON blob');
    const dashboard = await page.getByTestId('data-testid incident-dashboard-link').getAttribute('href');
    assert.match(dashboard ?? '', /^\/d\/bt-check-detail\?var-check=api\.health&from=\d+&to=\d+$/);
    const playbook = await page.getByTestId('data-testid incident-playbook-link').getAttribute('href');
    assert.equal(playbook, 'https://docs.example.com/blocktrust-monitor/playbooks/down.md');

    // Slow: the objective the check missed, next to what it took.
    await page.goto(`${server.url}${APP}/incidents/${incidents['api.stats'].id}`);
    const slow = await page.getByTestId('data-testid incident-failing-values').innerText();
    assert.match(slow, new RegExp(`Latency objective\\s+${SLOW_OBJECTIVE_MS} ms`));
    const took = Number(/Latency\s+(\d+) ms/.exec(slow)?.[1]);
    assert.ok(took >= SLOW_FAULT_MS, `the slow run took ${took} ms, over the objective`);

    // Stalled listener: the lag the agent measured.
    await page.goto(`${server.url}${APP}/incidents/${incidents['listener.lag'].id}`);
    assert.match(await page.getByTestId('data-testid incident-failing-values').innerText(), /Listener lag\s+[\d.]+ s/);
  });

  test('an Editor acknowledges an open incident; the running agent applies it', async () => {
    const id = incidents['synthetic.hash'].id;
    await page.goto(`${server.url}${APP}/incidents/${id}`);
    await page.getByTestId('data-testid incident-timeline').getByText('notified · slack').waitFor();
    assert.match(await page.getByTestId('data-testid incident-failing-values').innerText(), /Error class\s+assertion\nURL\s+http:\/\/127\.0\.0\.1:\d+\/api\/signature\/hash-file/);
    await page.getByTestId('data-testid incident-acknowledge').click();
    await page.getByText('Incident acknowledged').waitFor();
    await page.getByTestId('data-testid incident-timeline').getByText(/acknowledged/).first().waitFor();
    await shoot(page, 'incident-detail.png');

    const intent = await db.pool.query(`SELECT author, kind, payload, status FROM monitor_intents WHERE kind = 'incident.ack'`);
    assert.deepEqual(intent.rows, [{ author: 'admin', kind: 'incident.ack', payload: { incident_id: id }, status: 'applied' }]);
    const inc = await db.pool.query(`SELECT acknowledged_by FROM monitor_incidents WHERE id = $1`, [id]);
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
    // Once applied, the intent keeps a marker, not the seal: the Grafana role reads nothing derived from the secret.
    assert.equal(upsert.rows[0].payload.secret_sealed, SEALED_SECRET_MARKER);
    const channel = await db.pool.query(`SELECT kind, secret_sealed FROM monitor_channels WHERE name = 'ops-slack'`);
    assert.equal(channel.rows[0].kind, 'slack');
    const sealed = channel.rows[0].secret_sealed as string;
    assert.match(sealed, /^btm1\.[0-9a-f]{16}\./);
    assert.equal(sealed.split('.')[1], key.kid);
    assert.equal(await key.open(sealed, 'channel:ops-slack'), WEBHOOK, 'the agent key opens what the browser sealed');

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
    await results.getByText('delivered').first().waitFor();
    assert.match(await results.innerText(), /ops-slack[\s\S]*delivered[\s\S]*HTTP 200/);
    const toSaved = slackMessages.filter((m) => m.startsWith(`${WEBHOOK_PATH} `));
    assert.equal(toSaved.length, 1, 'the agent posted once to the webhook the browser sealed');
    const intent = await db.pool.query(`SELECT status, result FROM monitor_intents WHERE kind = 'alert.test'`);
    assert.equal(intent.rows[0].status, 'applied');
    assert.deepEqual(intent.rows[0].result.channels.find((c: { channel: string }) => c.channel === 'ops-slack'),
      { channel: 'ops-slack', ok: true, http_status: 200 });
    await shoot(page, 'config.png');
  });

  test('the SLO page shows exactly the figures of `slo --format json` on the same rows', async () => {
    await stopTheAgent();
    clearInterval(heartbeats);
    // The page and the CLI each read monitor_slo once; an hour rolled up between the two reads moves a p99 by one
    // histogram bucket, so both are read again (a few times at most) until they saw the same rows.
    let shown: string[][] = [];
    let expected: string[][] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      const cli = await runCli(['slo', '--format', 'json'], { DATABASE_URL: db.url, MONITOR_LOG_LEVEL: 'error' });
      assert.ok(cli.code === 0 || cli.code === 1, `slo failed: ${cli.stderr}`);
      // One object per check, snake_case as monitor_slo() returns it.
      const json = JSON.parse(cli.stdout) as Array<Record<string, number | string | null>>;
      const report = { rows: json.map((r) => sloRowFrom({ ...r, ok_count: Number(r.total) - Number(r.failures), excluded_sec: r.maintenance_excluded_sec })) };
      assert.ok(report.rows.length >= 9, 'every check the agent ran');
      await page.goto(`${server.url}${APP}/slos`);
      const rows = page.getByTestId('data-testid slo-report-row');
      await rows.first().waitFor();
      shown = (await rows.evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''))))
        .map((cells) => cells.slice(0, 9));
      expected = report.rows.map((r) => {
        const f = sloFigures(r);
        return [r.check, f.uptime, f.uptimeTarget, f.p99, f.latencyTarget, f.fastRuns, f.failures, f.budgetLeft, f.burn];
      });
      if (JSON.stringify(shown) === JSON.stringify(expected)) break;
    }
    assert.deepEqual(shown, expected);
    // The faults show: the down check missed its uptime objective, the slow one its latency objective.
    const stats = shown.find((cells) => cells[0] === 'api.stats')!;
    assert.match(stats[4], new RegExp(`^${SLOW_OBJECTIVE_MS} ms$`), 'the checks file objective, on the page as in the report');
    await shoot(page, 'slos.png');
  });

  test('the pages say what to do when the agent is stale, has no key, or the data source is missing', async () => {
    await stopTheAgent();
    assert.equal(agent?.exitCode, 0, `the agent did not stop cleanly:\n${agentLog.slice(-3000)}`);
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

  test('the pages ran without uncaught errors, and no secret reached the agent\'s log', () => {
    assert.deepEqual(pageErrors, []);
    assert.ok(agentLog.length > 0);
    for (const secret of ['env-webhook', secretPartOf(WEBHOOK), SECRET_KEY, api.credentials.password]) {
      assert.ok(!agentLog.includes(secret), 'a secret in the agent log');
    }
  });
});
