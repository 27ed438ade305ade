// Channels and targets that echo what they were sent: no secret the agent knows may reach a table the Grafana
// role reads, the agent's log, or what `test-alert` prints.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { channelSecretContext, loadAgentKey, seal } from '@blocktrust-monitor/contract';
import { SEALED_SECRET_MARKER } from '../../agent/src/intents/processor.ts';
import { runCli } from '../helpers/cli.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { checksFileWith, count, findSecrets, secretsInTables, startAgentProcess, until, killLeftoverAgents } from './helpers.ts';

const PASSWORD = 'Pw-echoed-by-the-target-7f3a91';
const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtb25pdG9yIn0.TokenSignatureEchoed42';
const SLACK_KEY = 'EchoSlackKey0123456789ab';
const OPS_KEY = 'SealedOpsKey9876543210zy';
const BOT = '7012345678:AAEchoBotSecret-0123456789abcdefXYZ';
const SECRET_KEY = 'a-test-only-secret-key-for-echo-tests-0123456789';

let db: TestDatabase;
let server: Server;
let base: string;
const seen = { slack: 0, ops: 0, telegram: 0 };

function echoServer(): Promise<Server> {
  const srv = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      const url = req.url ?? '';
      const auth = req.headers.authorization ?? '';
      if (url === '/api/explorer/login') {
        const ok = raw.includes(PASSWORD);
        res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' })
          .end(JSON.stringify(ok ? { token: TOKEN, expires_in: 3600 } : { error: `bad password ${raw}` }));
        return;
      }
      if (url === '/api/echo') {
        // A target that puts what it got (the bearer token) and the password into its error page.
        res.writeHead(500, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: `boom for ${auth}`, password_was: PASSWORD, bare_token: TOKEN }));
        return;
      }
      if (url.startsWith('/bot')) {
        seen.telegram += 1;
        const token = url.slice(4, url.indexOf('/', 4));
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({
          ok: false, error_code: 400,
          description: `Bad Request: chat not found for ${url} (token ${token}, secret ${token.split(':')[1]}) body ${raw}`,
        }));
        return;
      }
      if (url.includes(OPS_KEY)) seen.ops += 1;
      else seen.slack += 1;
      // Slack-like: the path, its parts one by one, URL-encoded and JSON-escaped.
      const parts = url.split('/').filter(Boolean);
      res.writeHead(403, { 'content-type': 'text/plain' })
        .end(`invalid_token ${url} team=${parts[1]} hook=${parts[2]} key=${parts[3]} enc=${encodeURIComponent(url)} json=${JSON.stringify({ url }).replaceAll('/', '\\/')}`);
    });
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)));
}

before(async () => {
  db = await migratedDatabase('echo');
  server = await echoServer();
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  await killLeftoverAgents();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await db.drop();
});

test('echoed secrets: 0 in every table Grafana reads, in the agent log and in test-alert output; the sealed payload is replaced', async () => {
  const slackUrl = `${base}/services/T0ECHO0001/B0ECHO0002/${SLACK_KEY}`;
  const opsUrl = `${base}/services/T0OPS00001/B0OPS00002/${OPS_KEY}`;
  const secrets: Record<string, string> = {
    'Slack webhook (environment)': slackUrl, 'its path': new URL(slackUrl).pathname, 'its key': SLACK_KEY,
    'its team and hook ids': 'T0ECHO0001/B0ECHO0002',
    'sealed Slack webhook (Grafana)': opsUrl, 'its key (sealed)': OPS_KEY,
    'Telegram bot token': BOT, 'its secret part': BOT.split(':')[1],
    'login password': PASSWORD, 'login token': TOKEN, 'token signature': 'TokenSignatureEchoed42',
    MONITOR_SECRET_KEY: SECRET_KEY,
  };
  const checksFile = await checksFileWith([
    { name: 'echo.api', kind: 'http', path: '/api/echo', auth: true, interval_sec: 2, timeout_ms: 2000, failure_threshold: 1 },
  ]);
  const env = {
    DATABASE_URL: db.url, API_BASE: base, JWT_MONITOR_EMAIL: 'monitor@example.test', JWT_MONITOR_PASS: PASSWORD,
    MONITOR_CHECKS_FILE: checksFile, MONITOR_SECRET_KEY: SECRET_KEY, MONITOR_LOG_LEVEL: 'debug',
    ALERT_SLACK_WEBHOOK: slackUrl, ALERT_TELEGRAM_BOT: BOT, ALERT_TELEGRAM_CHAT: '-100123', ALERT_TELEGRAM_API_BASE: base,
  };

  const key = await loadAgentKey(SECRET_KEY);
  const sealed = await seal(key.publicJwk, opsUrl, channelSecretContext('ops'));
  await db.pool.query(`INSERT INTO monitor_intents (author, kind, payload) VALUES ('admin', 'channel.upsert', $1)`,
    [JSON.stringify({ name: 'ops', kind: 'slack', enabled: true, min_severity: 'warn', language: 'en', secret_sealed: sealed })]);
  await db.pool.query(`INSERT INTO monitor_intents (author, kind, payload) VALUES ('admin', 'alert.test', '{"channel":"ops"}')`);

  const agent = startAgentProcess(['run'], env);
  try {
    await until('both intents handled', async () =>
      (await count(db.pool, `SELECT COUNT(*) AS n FROM monitor_intents WHERE status <> 'pending'`)) === 2);
    // On a loaded machine the channel created by the intent may miss the first opening (and a run may time out and
    // open a second incident): what matters is that every channel refused an opening message at least once.
    await until('an opening message failed on every channel', async () =>
      (await count(db.pool, `SELECT COUNT(DISTINCT channel) AS n FROM monitor_notifications WHERE kind = 'opened' AND status = 'failed'`)) === 3);
  } finally {
    assert.equal(await agent.stop(), 0, agent.logs());
  }
  const cli = await runCli(['test-alert'], env);
  assert.equal(cli.code, 1, 'every channel refused the test message');

  const intents = (await db.pool.query(`SELECT kind, status, payload, reason FROM monitor_intents ORDER BY id`)).rows;
  assert.deepEqual(intents.map((i) => [i.kind, i.status]), [['channel.upsert', 'applied'], ['alert.test', 'applied']], JSON.stringify(intents));
  assert.equal(intents[0].payload.secret_sealed, SEALED_SECRET_MARKER);
  assert.ok((await count(db.pool, `SELECT COUNT(*) AS n FROM monitor_metrics WHERE check_name = 'echo.api' AND NOT ok`)) >= 1);
  assert.ok(await count(db.pool, `SELECT COUNT(*) AS n FROM monitor_incident_events WHERE kind = 'notify_failed'`) >= 3);
  // Every channel was reached and echoed: the counts below are about redaction, not about nothing happening.
  assert.ok(seen.slack >= 2 && seen.ops >= 2 && seen.telegram >= 2, JSON.stringify(seen));
  assert.match(cli.stdout, /✗ slack \(slack\): HTTP 403: Slack answered HTTP 403: invalid_token/);

  const found = [
    ...await secretsInTables(db.pool, secrets),
    ...findSecrets(agent.logs(), secrets, 'agent log'),
    ...findSecrets(cli.stdout + cli.stderr, secrets, 'test-alert output'),
  ];
  assert.deepEqual(found, [], `secrets found: ${found.length}`);
  // What is left is still readable: the channel's words around the cut secret.
  const lastError = (await db.pool.query(`SELECT last_error FROM monitor_notifications WHERE channel = 'slack' AND kind = 'opened'`)).rows[0].last_error;
  assert.match(lastError, /^Slack answered HTTP 403: invalid_token \*\*\* team=\*\*\* hook=\*\*\* key=\*\*\*/);
});
