// The database keeps its own copy of some lists as CHECK constraints (a migration is SQL, written once and
// never edited): this test reads them from a migrated database and fails when one differs from the contract.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  CHANNEL_KINDS, DEFAULTS, INTENT_KINDS, INTENT_STATUSES, LANGUAGES, RECURRENCES, SEVERITIES,
} from '@blocktrust-monitor/contract';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';

describe('the schema agrees with the contract', () => {
  let db: TestDatabase;
  before(async () => {
    db = await migratedDatabase('contract_schema');
  });
  after(async () => db?.drop());

  /** The values a CHECK (column IN (…)) constraint of `table` allows for `column`. */
  async function allowed(table: string, column: string): Promise<string[]> {
    const { rows } = await db.pool.query<{ def: string }>(
      `SELECT pg_get_constraintdef(c.oid) AS def FROM pg_constraint c
       WHERE c.conrelid = $1::regclass AND c.contype = 'c'`, [table]);
    const def = rows.map((r) => r.def).find((d) => new RegExp(`\\(?\\b${column}\\b\\)? = ANY|\\b${column}\\b IN`).test(d));
    assert.ok(def, `${table}.${column} has a CHECK constraint`);
    return [...def.matchAll(/'([^']*)'/g)].map((m) => m[1]).sort();
  }

  test('intent kinds and statuses', async () => {
    assert.deepEqual(await allowed('monitor_intents', 'kind'), [...INTENT_KINDS].sort());
    assert.deepEqual(await allowed('monitor_intents', 'status'), [...INTENT_STATUSES].sort());
  });

  test('severities, channel kinds, languages and recurrences', async () => {
    const severities = [...SEVERITIES].sort();
    for (const [table, column] of [['monitor_incidents', 'severity'], ['monitor_notifications', 'severity'],
      ['monitor_channels', 'min_severity'], ['monitor_silences', 'severity']]) {
      assert.deepEqual(await allowed(table, column), severities, `${table}.${column}`);
    }
    assert.deepEqual(await allowed('monitor_channels', 'kind'), [...CHANNEL_KINDS].sort());
    assert.deepEqual(await allowed('monitor_channels', 'language'), [...LANGUAGES].sort());
    assert.deepEqual(await allowed('monitor_maintenance_windows', 'recurrence'), [...RECURRENCES].sort());
  });

  test('the SQL falls back to the contract\'s default targets', async () => {
    await db.pool.query(`DELETE FROM monitor_slo_targets`);
    const { rows } = await db.pool.query(
      `SELECT uptime_target::float8 AS uptime, latency_target_ms AS latency, max_lag_sec AS lag FROM monitor_effective_targets('any.check')`);
    assert.deepEqual(rows[0], { uptime: DEFAULTS.uptimeTarget, latency: DEFAULTS.latencyMs, lag: DEFAULTS.maxLagSec });
  });
});
