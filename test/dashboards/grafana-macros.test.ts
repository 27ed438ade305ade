import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyFill, expandGrafanaSql, formatInterval, rfc3339Nano, type MacroContext } from '../helpers/grafana-macros.ts';

const ctx: MacroContext = {
  from: new Date('2026-11-29T09:00:00.000Z'),
  to: new Date('2026-11-29T15:00:00.250Z'),
  intervalMs: 300_000,
  variables: { check: { value: "api.health" }, checks: { value: ['api.health', "o'brien"], multi: true } },
};
const x = (sql: string, c: MacroContext = ctx) => expandGrafanaSql(sql, c).sql;

const cases: [string, string, string][] = [
  ['$__time', 'SELECT $__time(ts)', 'SELECT ts AS "time"'],
  ['$__timeEpoch', 'SELECT $__timeEpoch(ts)', 'SELECT extract(epoch from ts) as "time"'],
  ['$__timeFilter', 'WHERE $__timeFilter(ts)', "WHERE ts BETWEEN '2026-11-29T09:00:00Z' AND '2026-11-29T15:00:00.25Z'"],
  ['$__timeFrom / $__timeTo', 'SELECT $__timeFrom(), $__timeTo()', "SELECT '2026-11-29T09:00:00Z', '2026-11-29T15:00:00.25Z'"],
  ['$__timeGroup', 'GROUP BY $__timeGroup(ts, 5m)', 'GROUP BY floor(extract(epoch from ts)/300)*300'],
  ['$__timeGroup quoted interval', "GROUP BY $__timeGroup(ts, '1h')", 'GROUP BY floor(extract(epoch from ts)/3600)*3600'],
  ['$__timeGroup followed by a comma gets the alias', "SELECT $__timeGroup(ts, '5m'), x", 'SELECT floor(extract(epoch from ts)/300)*300 AS "time", x'],
  ['$__timeGroupAlias', "SELECT $__timeGroupAlias(ts, '5m') ", 'SELECT floor(extract(epoch from ts)/300)*300 AS "time" '],
  ['$__timeGroupAlias with $__interval', 'SELECT $__timeGroupAlias(ts, $__interval)', 'SELECT floor(extract(epoch from ts)/300)*300 AS "time"'],
  ['sub-second interval', 'SELECT $__timeGroup(ts, 500ms)', 'SELECT floor(extract(epoch from ts)/0.5)*0.5'],
  ['$__unixEpochFilter', 'WHERE $__unixEpochFilter(t)', 'WHERE t >= 1795942800 AND t <= 1795964400'],
  ['$__unixEpochFrom/To', 'SELECT $__unixEpochFrom(), $__unixEpochTo()', 'SELECT 1795942800, 1795964400'],
  ['$__unixEpochGroupAlias', 'SELECT $__unixEpochGroupAlias(t, 1m)', 'SELECT floor((t)/60)*60 AS "time"'],
  ['$__interval and $__interval_ms', 'SELECT $__interval_ms, \'$__interval\'', "SELECT 300000, '5m'"],
  ['single-value variable, raw', "WHERE check_name = '$check'", "WHERE check_name = 'api.health'"],
  ['braced variable', "WHERE check_name = '${check}'", "WHERE check_name = 'api.health'"],
  ['multi-value variable, quoted list', 'WHERE check_name IN ($checks)', "WHERE check_name IN ('api.health','o''brien')"],
  ['sqlstring format', 'WHERE c = ${check:sqlstring}', "WHERE c = 'api.health'"],
  ['unknown variables stay', 'SELECT $unknown', 'SELECT $unknown'],
];

for (const [name, input, expected] of cases) {
  test(`macro expansion: ${name}`, () => assert.equal(x(input), expected));
}

test('a single value with a quote is escaped, so it stays inside its literal', () => {
  assert.equal(x("'$check'", { ...ctx, variables: { check: { value: "a'b" } } }), "'a''b'");
});

test('the fill argument of $__timeGroup is reported, not written into the SQL', () => {
  const e = expandGrafanaSql('SELECT $__timeGroupAlias(ts, 5m, 0)', ctx);
  assert.equal(e.sql, 'SELECT floor(extract(epoch from ts)/300)*300 AS "time"');
  assert.deepEqual(e.fill, { kind: 'value', value: 0 });
  assert.equal(e.fillIntervalMs, 300_000);
  assert.deepEqual(expandGrafanaSql('SELECT $__timeGroup(ts, 1h, NULL) ', ctx).fill, { kind: 'null' });
  assert.deepEqual(expandGrafanaSql('SELECT $__timeGroup(ts, 1h, previous) ', ctx).fill, { kind: 'previous' });
});

test('errors name the macro', () => {
  assert.throws(() => x('SELECT $__timeGroup(ts)'), /__timeGroup needs time column and interval/);
  assert.throws(() => x('WHERE $__timeFilter()'), /missing time column argument for macro __timeFilter/);
  assert.throws(() => x('SELECT $__nope(ts)'), /unknown macro "__nope"/);
  assert.throws(() => x('SELECT $__timeGroup(ts, soon)'), /error parsing interval soon/);
});

test('interval and time formats follow Grafana', () => {
  assert.deepEqual([1, 999, 1000, 90_000, 3_600_000, 86_400_000 * 2].map(formatInterval), ['1ms', '999ms', '1s', '1m', '1h', '2d']);
  assert.equal(rfc3339Nano(new Date('2026-01-02T03:04:05.000Z')), '2026-01-02T03:04:05Z');
  assert.equal(rfc3339Nano(new Date('2026-01-02T03:04:05.120Z')), '2026-01-02T03:04:05.12Z');
});

test('fill: missing intervals become nulls, a value, or the previous point, per metric', () => {
  const c: MacroContext = { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-01-01T00:20:00Z'), intervalMs: 300_000 };
  const t = (m: number) => Date.parse('2026-01-01T00:00:00Z') / 1000 + m * 60;
  const rows = [{ time: t(0), metric: 'a', v: 1 }, { time: t(10), metric: 'a', v: 2 }, { time: t(5), metric: 'b', v: 3 }];
  const nulls = applyFill(rows, expandGrafanaSql('SELECT $__timeGroupAlias(ts, 5m, NULL)', c), c);
  assert.deepEqual(nulls.map((s) => [s.metric, s.points.map((p) => p.values.v)]), [['a', [1, null, 2, null, null]], ['b', [null, 3, null, null, null]]]);
  const zero = applyFill(rows, expandGrafanaSql('SELECT $__timeGroupAlias(ts, 5m, 0)', c), c);
  assert.deepEqual(zero[0].points.map((p) => p.values.v), [1, 0, 2, 0, 0]);
  const prev = applyFill(rows, expandGrafanaSql('SELECT $__timeGroupAlias(ts, 5m, previous)', c), c);
  assert.deepEqual(prev[0].points.map((p) => p.values.v), [1, 1, 2, 2, 2]);
});
