import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parse } from 'yaml';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { expandGrafanaSql } from '../helpers/grafana-macros.ts';

const dir = path.resolve(import.meta.dirname, '../../provisioning');
const load = (file: string) => parse(readFileSync(path.join(dir, file), 'utf8'));

test('data source: Postgres, fixed uid, least-privilege user, secrets and host from the environment', () => {
  const doc = load('datasources/blocktrust.yaml');
  assert.equal(doc.apiVersion, 1);
  assert.equal(doc.datasources.length, 1);
  const ds = doc.datasources[0];
  assert.equal(ds.uid, 'blocktrust-pg');
  assert.equal(ds.type, 'grafana-postgresql-datasource');
  assert.equal(ds.access, 'proxy');
  assert.ok(ds.name);
  assert.equal(ds.user, 'blocktrust_grafana');
  assert.equal(ds.url, '${BLOCKTRUST_DB_HOST}');
  assert.equal(ds.jsonData.database, '${BLOCKTRUST_DB_NAME}');
  assert.equal(ds.jsonData.sslmode, '${BLOCKTRUST_DB_SSLMODE}');
  assert.equal(ds.secureJsonData.password, '${BLOCKTRUST_GRAFANA_DB_PASSWORD}');
  assert.equal(ds.password, undefined, 'the password is only in secureJsonData');
  assert.equal(ds.editable, false);
});

test('app: enabled with the data source uid the pages read', () => {
  const doc = load('plugins/blocktrust-monitor-app.yaml');
  assert.equal(doc.apiVersion, 1);
  assert.deepEqual(doc.apps.map((a: any) => [a.type, a.disabled, a.org_id]), [['blocktrust-monitor-app', false, 1]]);
  assert.equal(doc.apps[0].jsonData.datasourceUid, 'blocktrust-pg');
  assert.ok('playbookBaseUrl' in doc.apps[0].jsonData);
});

const rule = () => load('alerting/watchdog.yaml').groups[0].rules[0];

test('watchdog rule: well formed, NoData and errors alert, 3 minute threshold', () => {
  const doc = load('alerting/watchdog.yaml');
  assert.equal(doc.apiVersion, 1);
  const g = doc.groups[0];
  for (const field of ['orgId', 'name', 'folder', 'interval']) assert.ok(g[field], `group.${field}`);
  const r = rule();
  for (const field of ['uid', 'title', 'condition', 'data', 'for']) assert.ok(r[field] !== undefined, `rule.${field}`);
  assert.equal(r.noDataState, 'Alerting');
  assert.equal(r.execErrState, 'Alerting');
  const refs = r.data.map((d: any) => d.refId);
  assert.ok(refs.includes(r.condition), 'the condition names one of the queries');
  for (const d of r.data) assert.equal(d.model.refId, d.refId);
  assert.equal(r.data[0].datasourceUid, 'blocktrust-pg');
  assert.ok(r.data[0].relativeTimeRange.from > 0);
  const threshold = r.data.find((d: any) => d.refId === r.condition).model;
  assert.deepEqual([threshold.type, threshold.conditions[0].evaluator.type, threshold.conditions[0].evaluator.params], ['threshold', 'gt', [180]]);
});

let db: TestDatabase;
before(async () => {
  db = await migratedDatabase('watchdog');
});
after(async () => db.drop());

/** Grafana's evaluation of the rule: the query, reduce to the last value, threshold; no rows means NoData. */
async function evaluate(): Promise<'Normal' | 'Alerting' | 'NoData'> {
  const r = rule();
  const query = r.data[0].model;
  const to = new Date();
  const { sql } = expandGrafanaSql(query.rawSql, { from: new Date(to.getTime() - r.data[0].relativeTimeRange.from * 1000), to, intervalMs: query.intervalMs });
  const { rows, fields } = await db.pool.query(sql);
  if (rows.length === 0) return r.noDataState === 'Alerting' ? 'Alerting' : 'NoData';
  const valueField = fields.find((f) => f.name !== 'time')!.name;
  const last = Number(rows[rows.length - 1][valueField]);
  const limit = r.data.find((d: any) => d.refId === r.condition).model.conditions[0].evaluator.params[0];
  return last > limit ? 'Alerting' : 'Normal';
}

test('watchdog rule on a real database: never seen → alerting, fresh → normal, 4 minutes old → alerting', async () => {
  assert.equal(await evaluate(), 'Alerting');
  await db.pool.query(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details)
    VALUES (now() - interval '20 seconds', 'agent.tick', true, 0, '{"agent_id":"a"}')`);
  assert.equal(await evaluate(), 'Normal');
  await db.pool.query(`UPDATE monitor_metrics SET ts = now() - interval '4 minutes' WHERE check_name = 'agent.tick'`);
  assert.equal(await evaluate(), 'Alerting');
});
