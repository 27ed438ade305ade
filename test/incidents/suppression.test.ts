import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { findSuppression } from '../../agent/src/incidents/store.ts';
import { windowCovers, type MaintenanceWindow } from '../../agent/src/incidents/windows.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';

const at = (iso: string) => new Date(iso);
const daily: MaintenanceWindow = {
  id: 1, starts_at: at('2026-03-02T02:00:00Z'), ends_at: at('2026-03-02T03:00:00Z'), recurrence: 'daily', recurrence_until: at('2026-03-05T02:00:00Z'),
};
const weekly: MaintenanceWindow = { ...daily, id: 2, recurrence: 'weekly', recurrence_until: null };
const once: MaintenanceWindow = { ...daily, id: 3, recurrence: null, recurrence_until: null };

const instants: Array<[string, boolean, boolean, boolean]> = [
  // instant, daily, weekly, one-off
  ['2026-03-02T01:59:59Z', false, false, false],
  ['2026-03-02T02:00:00Z', true, true, true],
  ['2026-03-02T02:59:59Z', true, true, true],
  ['2026-03-02T03:00:00Z', false, false, false],
  ['2026-03-03T02:30:00Z', true, false, false],
  ['2026-03-05T02:30:00Z', true, false, false],
  ['2026-03-06T02:30:00Z', false, false, false],
  ['2026-03-09T02:30:00Z', false, true, false],
];

describe('maintenance windows and silences', () => {
  let db: TestDatabase;
  before(async () => {
    db = await migratedDatabase('suppression');
  });
  after(async () => db.drop());

  test('one-off, daily and weekly windows cover the right instants (in code)', () => {
    for (const [iso, d, w, o] of instants) {
      assert.deepEqual([windowCovers(daily, at(iso)), windowCovers(weekly, at(iso)), windowCovers(once, at(iso))], [d, w, o], iso);
    }
  });

  test('the agent finds the same windows in the database, by check pattern', async () => {
    for (const [pattern, w] of [['api.*', daily], ['listener.?ag', weekly], ['synthetic.hash', once]] as const) {
      await db.pool.query(`INSERT INTO monitor_maintenance_windows (check_pattern, starts_at, ends_at, recurrence, recurrence_until, reason, author)
        VALUES ($1, $2, $3, $4, $5, $6, 'ops')`, [pattern, w.starts_at, w.ends_at, w.recurrence, w.recurrence_until, `window ${w.id}`]);
    }
    for (const [iso, d, w, o] of instants) {
      const found = await Promise.all(['api.health', 'listener.lag', 'synthetic.hash'].map((c) => findSuppression(db.pool, c, 'crit', at(iso))));
      assert.deepEqual(found.map((f) => f?.by === 'maintenance'), [d, w, o], iso);
    }
    assert.equal(await findSuppression(db.pool, 'apixhealth', 'crit', at('2026-03-02T02:30:00Z')), null, "'.' in a pattern is literal");
    const hit = await findSuppression(db.pool, 'api.events', 'warn', at('2026-03-03T02:10:00Z'));
    assert.match(hit!.text, /^maintenance window #\d+: window 1$/);
  });

  test('a silence matches pattern, severity and time; the silence wins over maintenance in the message', async () => {
    await db.pool.query(`INSERT INTO monitor_silences (check_pattern, severity, starts_at, ends_at, author, comment)
      VALUES ('api.*', 'warn', '2026-03-02T00:00:00Z', '2026-03-02T12:00:00Z', 'ana', 'noisy')`);
    assert.equal((await findSuppression(db.pool, 'api.stats', 'warn', at('2026-03-02T05:00:00Z')))?.by, 'silence');
    assert.equal(await findSuppression(db.pool, 'api.stats', 'crit', at('2026-03-02T05:00:00Z')), null, 'another severity');
    assert.equal(await findSuppression(db.pool, 'listener.lag', 'warn', at('2026-03-02T05:00:00Z')), null, 'another check');
    assert.equal(await findSuppression(db.pool, 'api.stats', 'warn', at('2026-03-02T12:00:00Z')), null, 'ended');
    const both = await findSuppression(db.pool, 'api.stats', 'warn', at('2026-03-02T02:30:00Z'));
    assert.match(both!.text, /^silence #\d+ by ana until 2026-03-02T12:00:00\.000Z: noisy$/);
  });
});
