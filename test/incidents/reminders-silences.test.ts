import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createWorld, spec, type World } from './harness.ts';

const HOUR = 3600_000;

describe('reminders, acknowledgement, silences and maintenance', () => {
  let w: World;
  before(async () => {
    w = await createWorld({ prefix: 'reminders', specs: [spec('api.health'), spec('api.stats'), spec('synthetic.hash'), spec('api.gone')] });
  });
  after(async () => w.close());

  test('an unacknowledged incident is reminded every repeat interval; acknowledging stops reminders', async () => {
    await w.runs('api.health', ['fail', 'fail']);
    assert.equal(w.fake.texts('slack').length, 1);
    // 9 h of outage, one failing run every 30 min.
    for (let i = 0; i < 18; i++) {
      w.clock.advance(30 * 60_000 - 60_000);
      await w.run('api.health', 'fail');
    }
    let texts = w.fake.texts('slack');
    assert.equal(texts.length, 3, 'opened + reminders at 4 h and 8 h');
    assert.match(texts[1], /^🚨 \[CRIT\] api\.health: down \(reminder 1, still open\)/);
    assert.match(texts[2], /\(reminder 2, still open\)/);
    const [inc] = await w.incidents();
    assert.equal(inc.reminder_count, 2);

    await w.db.pool.query(`UPDATE monitor_incidents SET acknowledged_at = $2, acknowledged_by = 'maria' WHERE id = $1`, [inc.id, w.clock.now()]);
    for (let i = 0; i < 20; i++) {
      w.clock.advance(HOUR - 60_000);
      await w.run('api.health', 'fail');
    }
    texts = w.fake.texts('slack');
    assert.equal(texts.length, 3, 'no reminder after the acknowledgement');
    await w.runs('api.health', ['ok', 'ok']);
    texts = w.fake.texts('slack');
    assert.equal(texts.length, 4, 'the resolution is still sent');
    assert.match(texts[3], /^✅ \[RESOLVED\] api\.health: down, resolved after 1 d 5 h/);
    const kinds = (await w.timeline(inc.id)).map((e) => e.kind).filter((k) => k !== 'notified');
    assert.deepEqual(kinds, ['opened', 'reminded', 'reminded', 'resolved']);
  });

  test('a silence suppresses notifications but the incident is recorded; it is announced once the silence ends', async () => {
    w.fake.received.length = 0;
    const now = w.clock.now();
    await w.db.pool.query(
      `INSERT INTO monitor_silences (check_pattern, starts_at, ends_at, author, comment) VALUES ('api.*', $1, $2, 'joao', 'deploy')`,
      [new Date(now.getTime() - 60_000), new Date(now.getTime() + 10 * 60_000)]);
    await w.runs('api.stats', ['fail', 'fail', 'fail']);
    const inc = (await w.incidents()).find((i) => i.check_name === 'api.stats');
    assert.ok(inc, 'recorded');
    assert.equal(w.fake.received.length, 0, 'nothing sent during the silence');
    const rows = (await w.outbox()).filter((n) => n.incident_id === inc.id);
    assert.deepEqual(rows.map((n) => n.status), ['suppressed', 'suppressed']);
    const events = await w.timeline(inc.id);
    assert.match(events.find((e) => e.kind === 'silenced').message, /suppressed by silence #\d+ by joao .*: deploy/);

    // Still failing after the silence ends: the opening goes out then, once.
    for (let i = 0; i < 10; i++) await w.run('api.stats', 'fail');
    assert.equal(w.fake.texts('slack').length, 1);
    assert.match(w.fake.texts('slack')[0], /^🚨 \[CRIT\] api\.stats: down/);
    await w.runs('api.stats', ['ok', 'ok']);
    assert.equal(w.fake.texts('slack').length, 2);
    assert.match(w.fake.texts('slack')[1], /RESOLVED/);
  });

  test('a silence matching by severity only silences that severity', async () => {
    w.fake.received.length = 0;
    const now = w.clock.now();
    await w.db.pool.query(
      `INSERT INTO monitor_silences (check_pattern, severity, starts_at, ends_at, author) VALUES ('*', 'warn', $1, $2, 'ana')`,
      [now, new Date(now.getTime() + HOUR)]);
    await w.runs('synthetic.hash', ['slow', 'slow', 'fail', 'fail']);
    const texts = w.fake.texts('slack');
    assert.equal(texts.length, 1, 'the warn opening is silenced, the crit escalation is not');
    assert.match(texts[0], /^🚨 \[CRIT\] synthetic\.hash: down \(escalated from WARN slow\)/);
    await w.runs('synthetic.hash', ['ok', 'ok']);
    assert.equal(w.fake.texts('slack').length, 2);
    await w.db.pool.query(`DELETE FROM monitor_silences`);
  });

  test('a maintenance window suppresses notifications and the SLO excludes it', async () => {
    w.fake.received.length = 0;
    const start = w.clock.now();
    await w.db.pool.query(
      `INSERT INTO monitor_maintenance_windows (check_pattern, starts_at, ends_at, reason, author) VALUES ('api.health', $1, $2, 'database upgrade', 'ops')`,
      [start, new Date(start.getTime() + 10 * 60_000)]);
    for (let i = 0; i < 10; i++) await w.run('api.health', 'fail');
    const inc = (await w.incidents()).filter((i) => i.check_name === 'api.health').at(-1);
    assert.equal(inc.resolved_at, null, 'recorded and open');
    assert.equal(w.fake.received.length, 0, 'nothing sent during maintenance');
    assert.match((await w.timeline(inc.id)).find((e) => e.kind === 'silenced').message, /maintenance window #\d+: database upgrade/);
    for (let i = 0; i < 10; i++) await w.run('api.health', 'ok');
    assert.equal(w.fake.received.length, 0, 'never announced, so no resolution either');
    const slo = (await w.db.pool.query(`SELECT * FROM monitor_slo($1, $2) WHERE check_name = 'api.health'`,
      [start, w.clock.now()])).rows[0];
    assert.equal(Number(slo.total), 10, 'the 10 failing runs inside the window are excluded');
    assert.equal(Number(slo.uptime_pct), 100);
    assert.equal(Number(slo.excluded_sec), 600);
  });

  test('an incident of a check that no longer runs is resolved after an hour without results, never right after a restart', async () => {
    w.fake.received.length = 0;
    await w.runs('api.gone', ['fail', 'fail']);
    const inc = (await w.incidents()).find((i) => i.check_name === 'api.gone');
    // The check is removed; the agent restarts two hours later.
    w.clock.advance(2 * HOUR);
    w.restart();
    await w.run('api.stats', 'ok');
    assert.equal((await w.incidents()).find((i) => i.id === inc.id).resolved_at, null, 'a fresh engine closes nothing');
    for (let i = 0; i < 60; i++) await w.run('api.stats', 'ok');
    const row = (await w.incidents()).find((i) => i.id === inc.id);
    assert.ok(row.resolved_at, 'resolved once the engine has run for an hour');
    const resolved = w.fake.texts('slack').filter((t) => t.startsWith('✅'));
    assert.equal(resolved.length, 1);
    assert.match(resolved[0], /^✅ \[RESOLVED\] api\.gone: down, resolved after 3 h \d+ m\nno result from api\.gone for 1 h: the check is no longer run\n/);
  });
});
