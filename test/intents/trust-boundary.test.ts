// What the Grafana data source's database role can and cannot do, exactly as docs/plugin.md ("Trust boundary")
// states it: it reads what the pages show, inserts intents with any author it claims (Viewer/Editor/Admin gating
// happens in the browser only), and Postgres records which role inserted each intent where the role cannot forge it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { loadAgentKey } from '@blocktrust-monitor/contract';
import { createChannelDirectory } from '../../agent/src/alerts/directory.ts';
import { systemClock, type Logger } from '../../agent/src/core/types.ts';
import { createIntentProcessor, type IntentProcessor } from '../../agent/src/intents/processor.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { grantGrafanaRole } from '../helpers/grafana-role.ts';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

describe('trust boundary of the Grafana data source', () => {
  let db: TestDatabase;
  let grafana: pg.Pool;
  let intents: IntentProcessor;

  before(async () => {
    db = await migratedDatabase('trust_boundary');
    assert.ok(await grantGrafanaRole(db.pool), 'provisioning/postgres/grafana-role.sql');
    grafana = new pg.Pool({ connectionString: db.url, max: 2, options: '-c role=blocktrust_grafana' });
    const env = { language: 'en' as const, minSeverity: 'warn' as const };
    const agentKey = await loadAgentKey('trust-boundary test key, not a real MONITOR_SECRET_KEY');
    intents = createIntentProcessor({
      db: db.pool, clock: systemClock, log: quiet, agentKey, alertEnv: env, links: { grafanaUrl: 'http://127.0.0.1' },
      channels: createChannelDirectory({ db: db.pool, env, agentKey, log: quiet, cacheMs: 0 }),
    });
  });
  after(async () => {
    await grafana?.end();
    await db?.drop();
  });

  test('any user of the data source can ask for any change under any name: the author is a claim, recorded as such', async () => {
    // A Viewer's browser session can send this SQL through /api/ds/query as well as the Config page can.
    const { rows } = await grafana.query(
      `INSERT INTO monitor_intents (author, kind, payload) VALUES ('admin', 'slo.set', '{"check_name":"*","latency_ms":1234}') RETURNING id`);
    await intents.processPending();
    const intent = await db.pool.query(`SELECT author, db_role, status FROM monitor_intents WHERE id = $1`, [rows[0].id]);
    assert.deepEqual(intent.rows, [{ author: 'admin', db_role: 'blocktrust_grafana', status: 'applied' }]);
    const target = await db.pool.query(`SELECT latency_ms, updated_by FROM monitor_slo_targets WHERE check_name = '*'`);
    assert.deepEqual(target.rows, [{ latency_ms: 1234, updated_by: 'admin' }], 'applied under the claimed name');
  });

  test('the role cannot choose the recorded database role, forge an outcome, or read sealed secrets', async () => {
    const denied = async (sql: string) => assert.rejects(grafana.query(sql), /permission denied/, sql);
    await denied(`INSERT INTO monitor_intents (author, kind, payload, db_role) VALUES ('x', 'alert.test', '{}', 'blocktrust')`);
    await denied(`INSERT INTO monitor_intents (author, kind, payload, status) VALUES ('x', 'alert.test', '{}', 'applied')`);
    await denied(`UPDATE monitor_intents SET author = 'someone else'`);
    await denied(`SELECT secret_sealed FROM monitor_channels`);
    await denied(`UPDATE monitor_slo_targets SET latency_ms = 1`);
  });

  test('an intent the agent itself or an operator inserts carries its own role', async () => {
    const { rows } = await db.pool.query(
      `INSERT INTO monitor_intents (author, kind, payload) VALUES ('ops-script', 'alert.test', '{}') RETURNING db_role, current_user AS me`);
    assert.equal(rows[0].db_role, rows[0].me);
    assert.notEqual(rows[0].db_role, 'blocktrust_grafana');
  });

  test('the docs say what the role allows and that the author is not verified', () => {
    const doc = readFileSync('docs/plugin.md', 'utf8');
    const section = /## Trust boundary\n([^]*?)\n## /.exec(doc)?.[1] ?? '';
    for (const claim of [/INSERT[^.]*\(author, kind, payload\)/, /any author/i, /only in the\s+browser/i, /db_role/, /secret_sealed/]) {
      assert.match(section, claim);
    }
  });
});
