import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { writeHeartbeat } from '../../agent/src/listener/heartbeat.ts';
import { runCli } from '../helpers/cli.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { startDemoServer, type DemoServer } from '../helpers/demo-server.ts';

let db: TestDatabase;
let api: DemoServer;

before(async () => {
  db = await migratedDatabase('once');
  api = await startDemoServer();
});
after(async () => {
  await api.close();
  await db.drop();
});

const envFor = () => ({
  DATABASE_URL: db.url,
  API_BASE: api.url,
  JWT_MONITOR_EMAIL: api.credentials.email,
  JWT_MONITOR_PASS: api.credentials.password,
  JWT_USER_EMAIL: api.credentials.email,
  JWT_USER_PASS: api.credentials.password,
  MONITOR_LOG_FORMAT: 'json',
  // Every run must pass: an objective the test machine's load cannot miss.
  SLO_LATENCY_MS: '60000',
});

for (const runtime of ['node', 'deno'] as const) {
  describe(`once under ${runtime}`, () => {
    test('every Blocktrust check passes against a healthy API and listener; results are recorded', async () => {
      api.controls.reset();
      await writeHeartbeat(db.pool, '50000123');
      const before = (await db.pool.query(`SELECT COUNT(*)::int AS n FROM monitor_metrics WHERE check_name NOT LIKE '%.tick'`)).rows[0].n;
      const r = await runCli(['once'], envFor(), { runtime });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      for (const name of ['api.health', 'api.db', 'api.events', 'api.contracts', 'api.stats', 'listener.lag', 'listener.progress',
        'synthetic.hash', 'synthetic.wallet_info', 'synthetic.nft_status']) {
        assert.match(r.stdout, new RegExp(`^${name.replace('.', '\\.')}\\s+✓ ok`, 'm'), `${name} in\n${r.stdout}`);
      }
      assert.match(r.stdout, /^10 passed, 0 failed$/m);
      const after = (await db.pool.query(`SELECT COUNT(*)::int AS n FROM monitor_metrics WHERE check_name NOT LIKE '%.tick'`)).rows[0].n;
      assert.equal(after - before, 10);
      assert.doesNotMatch(r.stdout + r.stderr, new RegExp(api.credentials.password));
    });

    test('a wrong hash and a failing endpoint fail with their classes, and exit 1', async () => {
      api.controls.reset();
      api.controls.setFaults({ badHash: true, errorRateByPath: { '/api/explorer/stats': 1 } });
      await writeHeartbeat(db.pool, '50000124');
      const r = await runCli(['once'], envFor(), { runtime });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stdout, /^synthetic\.hash\s+✗ FAIL.*assertion/m);
      assert.match(r.stdout, /^api\.stats\s+✗ FAIL.*http_status/m);
      assert.match(r.stdout, /^api\.health\s+✓ ok/m);
      const { rows } = await db.pool.query(`SELECT details FROM monitor_metrics WHERE check_name = 'synthetic.hash' ORDER BY id DESC LIMIT 1`);
      assert.equal(rows[0].details.error_class, 'assertion');
      api.controls.reset();
    });
  });
}
