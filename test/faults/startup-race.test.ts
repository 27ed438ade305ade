// Start-up: results produced while the schema is still being migrated are not evaluated early; once migrations
// are done they count toward incidents from the very first run.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { migrations } from '../../agent/src/db/migrations/index.ts';
import { freshDatabase, type TestDatabase } from '../helpers/db.ts';
import { checksFileWith, count, startAgentProcess, until, killLeftoverAgents } from './helpers.ts';

const MIGRATION_LOCK_KEY = 727_384_105_221;
let db: TestDatabase;
let target: Server;
let hits = 0;

before(async () => {
  db = await freshDatabase('startrace');
  target = createServer((_req, res) => {
    hits += 1;
    res.writeHead(503).end('down');
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
});
after(async () => {
  await killLeftoverAgents();
  target.closeAllConnections();
  await new Promise((r) => target.close(r));
  await db.drop();
});

test('results of runs made before migrations finish are evaluated once they are done, from the first one', async () => {
  // The schema half done, as an older agent left it: monitor_metrics exists, the incident engine's tables do not.
  const setup = new pg.Client({ connectionString: db.url });
  await setup.connect();
  await setup.query(`CREATE TABLE monitor_schema_migrations (version INT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
  for (const m of migrations.filter((x) => x.version <= 3)) {
    await setup.query(m.sql);
    await setup.query('INSERT INTO monitor_schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
  }
  // Another agent is migrating: the lock is held until we say so.
  await setup.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  const port = (target.address() as AddressInfo).port;
  const agent = startAgentProcess(['run'], {
    DATABASE_URL: db.url, MONITOR_LOG_LEVEL: 'debug',
    MONITOR_CHECKS_FILE: await checksFileWith([
      { name: 'race.api', kind: 'http', url: `http://127.0.0.1:${port}/`, interval_sec: 1, failure_threshold: 3 },
    ]),
  });
  try {
    await until('five runs while migrations wait', () => hits >= 5);
    await setup.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    await until('the incident', async () => (await count(db.pool, `SELECT COUNT(*) AS n FROM monitor_incidents WHERE check_name = 'race.api'`)) === 1);
  } finally {
    await setup.end();
    assert.equal(await agent.stop(), 0, agent.logs());
  }
  const first = (await db.pool.query(`SELECT min(ts) AS ts, COUNT(*)::int AS n FROM monitor_metrics WHERE check_name = 'race.api'`)).rows[0];
  const incident = (await db.pool.query(`SELECT opened_at, details FROM monitor_incidents WHERE check_name = 'race.api'`)).rows[0];
  // Opened at the first failing run (made while migrations waited), by the third one.
  assert.equal(incident.opened_at.getTime(), first.ts.getTime());
  const third = (await db.pool.query(`SELECT ts FROM monitor_metrics WHERE check_name = 'race.api' ORDER BY ts OFFSET 2 LIMIT 1`)).rows[0].ts;
  assert.equal(new Date(incident.details.opened_by_result_at).getTime(), third.getTime());
  assert.ok(first.n >= 5, `${first.n} results`);
  assert.doesNotMatch(agent.logs(), /processing written results failed|does not exist/);
});
