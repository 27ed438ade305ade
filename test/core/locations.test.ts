// Locations, piece by piece: MONITOR_LOCATION and the checks file's `locations`/`quorum` are checked strictly, the
// assignment gives a multi-location check to one agent per location (leases per check and location), every result
// and agent row names its location, and every request names it in its User-Agent.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { undiciTransport } from '../../agent/src/adapters/node-http.ts';
import { fetchTransport } from '../../agent/src/checks/transport.ts';
import { userAgent, withUserAgent, withUserAgentHeader } from '../../agent/src/cli/wiring.ts';
import { loadChecksConfig } from '../../agent/src/config/checks.ts';
import { ConfigError, loadEnv } from '../../agent/src/config/env.ts';
import { checksOf, createCheckAssignment, ownerOf, type AssignedCheck } from '../../agent/src/core/assignment.ts';
import { memoryLogger } from '../../agent/src/core/logger.ts';
import { systemClock } from '../../agent/src/core/types.ts';
import { createResultWriter } from '../../agent/src/core/writer.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';

async function problems(fn: () => unknown): Promise<string[]> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('configuration', () => {
  test('MONITOR_LOCATION: a lowercase name, or unset', async () => {
    assert.equal(loadEnv({ MONITOR_LOCATION: ' sao-paulo ' }).MONITOR_LOCATION, 'sao-paulo');
    assert.equal(loadEnv({ MONITOR_LOCATION: '' }).MONITOR_LOCATION, undefined);
    for (const bad of ['São Paulo', 'Frankfurt', '-eu', 'a'.repeat(64)]) {
      const got = await problems(() => loadEnv({ MONITOR_LOCATION: bad }));
      assert.equal(got.length, 1, bad);
      assert.match(got[0], /^MONITOR_LOCATION: must be a location name: lowercase letters, digits/, bad);
    }
  });

  test('locations and quorum in a checks file: every mistake named where it is', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'bt-locations-')), 'checks.yaml');
    const entry = (name: string, extra: string) => [`  - name: ${name}`, '    kind: http', '    url: http://127.0.0.1:9/', `    ${extra}`];
    await writeFile(file, ['checks:',
      ...entry('ok.all', 'locations: all'),
      ...entry('ok.listed', 'locations: [sao-paulo, frankfurt]\n    quorum: 2'),
      ...entry('bad.word', 'locations: everywhere'),
      ...entry('bad.empty', 'locations: []'),
      ...entry('bad.name', 'locations: [Sao Paulo]'),
      ...entry('bad.twice', 'locations: [frankfurt, frankfurt]'),
      ...entry('bad.zero', 'locations: all\n    quorum: 0'),
      ...entry('bad.more', 'locations: [sao-paulo, frankfurt]\n    quorum: 3'),
      ...entry('bad.alone', 'quorum: 2'),
      ...entry('bad.half', 'locations: all\n    quorum: 1.5'),
    ].join('\n'));
    const got = await problems(() => loadChecksConfig(loadEnv({ MONITOR_CHECKS_FILE: file }), (p) => readFile(p, 'utf8')));
    assert.deepEqual(got, [
      `${file}: checks[2].locations: expected "all" or a list of location names`,
      `${file}: checks[3].locations: expected at least one location (or "all")`,
      `${file}: checks[4].locations[0]: expected a location name: lowercase letters, digits, '.', '_' or '-', starting with a letter or digit, at most 63 (e.g. sao-paulo)`,
      `${file}: checks[5].locations: a location is listed twice`,
      `${file}: checks[6].quorum: expected at least 1 location`,
      `${file}: checks[7].quorum: 3 is more than the 2 locations listed`,
      `${file}: checks[8].quorum: applies to a check run from several locations: add locations (all, or a list)`,
      `${file}: checks[9].quorum: expected a whole number of locations`,
    ]);
    await writeFile(file, ['checks:', ...entry('ok.all', 'locations: all'), ...entry('ok.listed', 'locations: [sao-paulo, frankfurt]\n    quorum: 2'),
      '  - name: api.health', '    locations: all'].join('\n'));
    const specs = (await loadChecksConfig(loadEnv({ MONITOR_CHECKS_FILE: file }), (p) => readFile(p, 'utf8'))).specs;
    const byName = new Map(specs.map((s) => [s.name, s]));
    assert.deepEqual([byName.get('ok.all')!.locations, byName.get('ok.all')!.quorum], ['all', undefined]);
    assert.deepEqual([byName.get('ok.listed')!.locations, byName.get('ok.listed')!.quorum], [['sao-paulo', 'frankfurt'], 2]);
    assert.equal(byName.get('api.health')!.locations, 'all', 'a built-in can be run from every location');
    assert.equal(byName.get('api.stats')!.locations, undefined, 'checks without it run once in total');
  });
});

describe('assignment by location', () => {
  const checks: AssignedCheck[] = [
    { name: 'once' }, { name: 'everywhere', locations: 'all' }, { name: 'two-places', locations: ['sao-paulo', 'frankfurt'] },
  ];
  const agents = new Map([['fra-1', 'frankfurt'], ['sp-1', 'sao-paulo'], ['sp-2', 'sao-paulo'], ['va-1', 'virginia'], ['plain', '']]);

  test('each check once in total, or once per location among that location\'s agents', () => {
    const all = [...agents.keys()];
    const runs = all.flatMap((id) => checksOf(id, agents.get(id)!, checks, agents).map((c) => `${c.check}@${c.location || '-'}:${id}`)).sort();
    const sp = ownerOf('everywhere', ['sp-1', 'sp-2']);
    const sp2 = ownerOf('two-places', ['sp-1', 'sp-2']);
    assert.deepEqual(runs, [
      `everywhere@-:plain`, `everywhere@frankfurt:fra-1`, `everywhere@sao-paulo:${sp}`, `everywhere@virginia:va-1`,
      `once@-:${ownerOf('once', all)}`,
      `two-places@frankfurt:fra-1`, `two-places@sao-paulo:${sp2}`,
    ].sort());
  });

  test('the hash spreads the checks evenly, whatever the checks and agents are called', () => {
    for (const names of [['agent-a', 'agent-b', 'agent-c'], ['sp-1', 'sp-2', 'sp-3'], ['a', 'b', 'c']]) {
      for (const [prefix, n, slack] of [['check.', 3000, 0.15], ['share.c', 300, 0.25], ['c', 300, 0.25]] as const) {
        const counts = new Map(names.map((a) => [a, 0]));
        for (let i = 0; i < n; i++) {
          const owner = ownerOf(`${prefix}${i}`, names)!;
          counts.set(owner, counts.get(owner)! + 1);
        }
        const fair = n / names.length;
        assert.ok([...counts.values()].every((k) => Math.abs(k - fair) <= slack * fair),
          `${names.join(',')} over ${prefix}0..${n - 1}: ${JSON.stringify([...counts])}`);
      }
    }
  });

  let db: TestDatabase;
  before(async () => {
    db = await migratedDatabase('locassign');
  });
  after(async () => db.drop());

  test('leases per check and location in Postgres; a location whose only agent is gone stops running it', async () => {
    for (const [id, location] of agents) {
      await db.pool.query(`INSERT INTO monitor_agents (agent_id, version, runtime, hostname, location, started_at, last_seen_at)
        VALUES ($1, '0', 'node', 'h', $2, now(), now())`, [id, location || null]);
    }
    const log = memoryLogger();
    // One lease round each: the clock's first sleep (after the round) ends the loop.
    const round = async (ids: string[]) => {
      const made = ids.map((id) => {
        const controller = new AbortController();
        const clock = { ...systemClock, sleep: async () => controller.abort() };
        const assignment = createCheckAssignment({ db: db.pool, agentId: id, location: agents.get(id), checks, clock, log });
        return { assignment, done: assignment.start(controller.signal) };
      });
      await Promise.all(made.map((m) => m.done));
      return made.map((m) => m.assignment);
    };
    const made = await round([...agents.keys()]);
    const leases = (await db.pool.query(`SELECT check_name, location, agent_id FROM monitor_check_leases ORDER BY 1, 2`)).rows
      .map((r) => `${r.check_name}@${r.location || '-'}:${r.agent_id}`);
    assert.equal(leases.length, 7, leases.join(' '));
    assert.deepEqual(made[0].liveLocations(), ['', 'frankfurt', 'sao-paulo', 'virginia']);
    const va = made[[...agents.keys()].indexOf('va-1')];
    assert.deepEqual([va.mayRun('everywhere'), va.mayRun('two-places')], [true, false]);

    // virginia's only agent stops being seen: the others keep their leases, nobody takes virginia's.
    await db.pool.query(`UPDATE monitor_agents SET last_seen_at = now() - interval '1 hour' WHERE agent_id = 'va-1'`);
    await db.pool.query(`UPDATE monitor_check_leases SET leased_until = now() - interval '1 second' WHERE agent_id = 'va-1'`);
    const later = await round(['fra-1', 'sp-1', 'sp-2', 'plain']);
    assert.deepEqual(later[0].liveLocations(), ['', 'frankfurt', 'sao-paulo']);
    const held = (await db.pool.query(`SELECT check_name, location FROM monitor_check_leases WHERE leased_until > now() ORDER BY 1, 2`)).rows
      .map((r) => `${r.check_name}@${r.location || '-'}`);
    assert.deepEqual(held, ['everywhere@-', 'everywhere@frankfurt', 'everywhere@sao-paulo', 'once@-', 'two-places@frankfurt', 'two-places@sao-paulo']);
  });

  test('results and the agent name their location; the listener\'s own rows have none', async () => {
    const writer = createResultWriter({
      db: db.pool, clock: systemClock, log: memoryLogger(), flushIntervalMs: 1000, maxHeld: 100, describeError: String,
      agentId: () => 'sp-1', location: 'sao-paulo',
    });
    writer.add({ check: 'loc.written', ts: new Date(), ok: true, latencyMs: 5, details: {} });
    assert.equal(await writer.flush(), true);
    await db.pool.query(`INSERT INTO monitor_metrics (check_name, ok, latency_ms, details) VALUES ('listener.tick', true, 0, '{"note":"heartbeat","block_number":"1"}')`);
    const rows = (await db.pool.query(`SELECT check_name, agent_id, location FROM monitor_metrics WHERE check_name IN ('loc.written', 'listener.tick') ORDER BY 1`)).rows;
    assert.deepEqual(rows, [
      { check_name: 'listener.tick', agent_id: null, location: null },
      { check_name: 'loc.written', agent_id: 'sp-1', location: 'sao-paulo' },
    ]);
  });
});

test('every request names the agent and its location in its User-Agent, unless the check sets its own', async () => {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(String(req.headers['user-agent']));
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  try {
    const probe = withUserAgent(globalThis.fetch, userAgent('1.2.3', 'sao-paulo'));
    await (await probe(url)).text();
    await (await probe(new Request(url, { headers: { accept: 'application/json' } }))).text();
    await (await probe(url, { headers: { 'User-Agent': 'custom/1' } })).text();
    await (await withUserAgent(globalThis.fetch, userAgent('1.2.3'))(url)).text();
    assert.deepEqual(seen, [
      'blocktrust-monitor/1.2.3 (+location sao-paulo)', 'blocktrust-monitor/1.2.3 (+location sao-paulo)', 'custom/1', 'blocktrust-monitor/1.2.3',
    ]);
    // The checks' own transport: undici's dispatcher on Node, fetch elsewhere.
    seen.length = 0;
    for (const transport of [undiciTransport(), fetchTransport(globalThis.fetch)]) {
      const http = withUserAgentHeader(transport, userAgent('1.2.3', 'frankfurt'));
      const signal = AbortSignal.timeout(10_000);
      await http({ url, method: 'GET', headers: { accept: 'application/json' }, signal, maxBytes: 1024 });
      await http({ url, method: 'GET', headers: { 'user-agent': 'custom/2' }, signal, maxBytes: 1024 });
    }
    assert.deepEqual(seen, ['blocktrust-monitor/1.2.3 (+location frankfurt)', 'custom/2', 'blocktrust-monitor/1.2.3 (+location frankfurt)', 'custom/2']);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
