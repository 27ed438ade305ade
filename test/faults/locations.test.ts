// Agents in three locations (two of them in sao-paulo) against a local target that fails the requests of chosen
// locations, told apart by User-Agent: a check with `locations: all` runs once per interval in each location, an
// incident opens only when 2 of 3 locations fail and names them, and each channel gets one message per transition;
// once a location's only agent is killed, the quorum counts the locations left.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { ownerOf } from '../../agent/src/core/assignment.ts';
import { VERSION } from '../../agent/src/cli/version.ts';
import { startFakeChannels } from '../alerts/fakes.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { checksFileWith, count, killLeftoverAgents, startAgentProcess, until, type AgentProcess } from './helpers.ts';

const AGENTS: Record<string, string> = { 'fra-1': 'frankfurt', 'sp-1': 'sao-paulo', 'sp-2': 'sao-paulo', 'va-1': 'virginia' };
const LOCATIONS = ['frankfurt', 'sao-paulo', 'virginia'];
const MULTI = 'probe.everywhere';
const SINGLE = 'probe.once';
const INTERVAL_MS = 2000;

/** A target that answers 503 to the probes of the failing locations on /probe, and 200 on /ok to everyone. */
async function startTarget() {
  const failing = new Set<string>();
  const agents = new Set<string>();
  const server: Server = createServer((req, res) => {
    const ua = String(req.headers['user-agent'] ?? '');
    agents.add(ua);
    const location = /\(\+location ([^)]+)\)/.exec(ua)?.[1];
    const fail = req.url === '/probe' && location !== undefined && failing.has(location);
    res.writeHead(fail ? 503 : 200, { 'content-type': 'application/json' });
    res.end(fail ? '{"error":"unavailable here"}' : '{"status":"ok"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    userAgents: agents,
    fail: (...locations: string[]) => {
      failing.clear();
      for (const l of locations) failing.add(l);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

let db: TestDatabase;
let target: Awaited<ReturnType<typeof startTarget>>;
let chat: Awaited<ReturnType<typeof startFakeChannels>>;

before(async () => {
  db = await migratedDatabase('locations');
  target = await startTarget();
  chat = await startFakeChannels();
});
after(async () => {
  await killLeftoverAgents();
  await target.close();
  await chat.close();
  await db.drop();
});

type Row = { check_name: string; ts: Date; ok: boolean; agent_id: string; location: string | null };
const rows = async (check: string, from: Date, to = new Date(Date.now() + 3_600_000)) => (await db.pool.query<Row>(
  `SELECT check_name, ts, ok, agent_id, location FROM monitor_metrics WHERE check_name = $1 AND ts >= $2 AND ts < $3 ORDER BY ts`,
  [check, from, to])).rows;
const messages = (service: 'slack' | 'telegram') =>
  chat.received.filter((r) => r.service === service).map((r) => String(r.body.text));
/** Results of each location at or after `from`, failing or not. */
async function resultsSince(from: Date): Promise<Map<string, Row[]>> {
  const out = new Map<string, Row[]>(LOCATIONS.map((l) => [l, []]));
  for (const r of await rows(MULTI, from)) out.get(r.location ?? '')?.push(r);
  return out;
}

test('3 locations: once per interval per location; 1 of 3 failing opens nothing; 2 of 3 opens one incident naming them; a dead location stops counting', async () => {
  const file = await checksFileWith([
    { name: MULTI, kind: 'http', url: `${target.url}/probe`, interval_sec: INTERVAL_MS / 1000, locations: 'all', failure_threshold: 2, success_threshold: 2 },
    { name: SINGLE, kind: 'http', url: `${target.url}/ok`, interval_sec: INTERVAL_MS / 1000 },
    { name: 'api.db', enabled: false },
  ]);
  const env = {
    DATABASE_URL: db.url, MONITOR_CHECKS_FILE: file, MONITOR_LOG_LEVEL: 'info',
    ALERT_SLACK_WEBHOOK: chat.slackUrl(), ALERT_TELEGRAM_BOT: '6212345678:AALocations-bot-token-0123456789ab', ALERT_TELEGRAM_CHAT: '-1',
    ALERT_TELEGRAM_API_BASE: chat.telegramBase, ALERT_GROUP_WINDOW: '0',
  };
  const agents = new Map<string, AgentProcess>(Object.entries(AGENTS).map(([id, location]) =>
    [id, startAgentProcess(['run'], { ...env, MONITOR_AGENT_ID: id, MONITOR_LOCATION: location })]));
  try {
    const ids = Object.keys(AGENTS).sort();
    await until('each agent sees all four', () => [...agents.values()].every((a) => a.logs().includes(`"agents":"${ids.join(',')}"`)), 120_000);

    // Steady: after one more lease round, count the runs of a 12 s window (at most 7 per location at a 2 s interval;
    // a check run twice per interval would reach about twice that).
    await new Promise((r) => setTimeout(r, 6000));
    const from = new Date();
    await until('12 s of steady results', () => Date.now() - from.getTime() >= 12_000, 20_000);
    const to = new Date();
    const most = Math.floor((to.getTime() - from.getTime()) / INTERVAL_MS) + 1;
    const steady = await rows(MULTI, from, to);
    const owners: Record<string, string> = {
      frankfurt: 'fra-1', virginia: 'va-1', 'sao-paulo': ownerOf(MULTI, ['sp-1', 'sp-2'])!,
    };
    for (const location of LOCATIONS) {
      const here = steady.filter((r) => r.location === location);
      assert.ok(here.length >= 2 && here.length <= most, `${location}: ${here.length} runs in ${to.getTime() - from.getTime()} ms (at most ${most})`);
      assert.deepEqual([...new Set(here.map((r) => r.agent_id))], [owners[location]], `${location}: run by one agent of the location`);
    }
    assert.deepEqual(steady.filter((r) => !LOCATIONS.includes(r.location ?? '')), [], 'every result names its location');
    const once = await rows(SINGLE, from, to);
    assert.ok(once.length >= 2 && once.length <= most, `${SINGLE} runs once per interval in total: ${once.length} runs`);
    assert.deepEqual([...new Set(once.map((r) => r.agent_id))], [ownerOf(SINGLE, ids)], `${SINGLE} runs on the agent the hash names`);
    for (const location of LOCATIONS) {
      assert.ok(target.userAgents.has(`blocktrust-monitor/${VERSION} (+location ${location})`), [...target.userAgents].join(' | '));
    }

    // 1 of 3 failing: sao-paulo passes its threshold, the other two keep passing; no incident.
    target.fail('sao-paulo');
    await until('sao-paulo counted as failing', async () => (await count(db.pool,
      `SELECT COUNT(*) AS n FROM monitor_check_streaks WHERE check_name = $1 AND condition = 'down' AND location = 'sao-paulo' AND failing`,
      [MULTI])) === 1, 60_000);
    const flagged = new Date();
    await until('two more runs in every location', async () =>
      [...(await resultsSince(flagged)).values()].every((list) => list.length >= 2), 60_000);
    const alone = await resultsSince(flagged);
    assert.ok(alone.get('sao-paulo')!.every((r) => !r.ok), 'sao-paulo fails');
    assert.ok(alone.get('frankfurt')!.every((r) => r.ok) && alone.get('virginia')!.every((r) => r.ok), 'the others pass');
    assert.deepEqual((await db.pool.query(`SELECT check_name, condition, details FROM monitor_incidents`)).rows, [],
      '1 of 3 locations failing opens nothing');
    assert.deepEqual(chat.received, [], 'and sends nothing');

    // 2 of 3 failing: one incident, naming both, one message per channel.
    target.fail('sao-paulo', 'frankfurt');
    await until('the opening sent on both channels', async () => (await count(db.pool,
      `SELECT COUNT(*) AS n FROM monitor_notifications WHERE kind = 'opened' AND status = 'sent'`)) === 2, 90_000);
    const incidents = (await db.pool.query(`SELECT check_name, condition, details FROM monitor_incidents`)).rows;
    assert.deepEqual(incidents.map((i) => [i.check_name, i.condition]), [[MULTI, 'down']]);
    assert.deepEqual(incidents[0].details.locations, { failing: ['frankfurt', 'sao-paulo'], live: LOCATIONS, quorum: 2 });

    // All pass again: the incident resolves once.
    target.fail();
    await until('the resolution sent on both channels', async () => (await count(db.pool,
      `SELECT COUNT(*) AS n FROM monitor_notifications WHERE kind = 'resolved' AND status = 'sent'`)) === 2, 90_000);
    const healed = new Date();
    await until('two more passing runs in every location', async () =>
      [...(await resultsSince(healed)).values()].every((list) => list.filter((r) => r.ok).length >= 2), 60_000);
    assert.equal(await count(db.pool, `SELECT COUNT(*) AS n FROM monitor_incidents`), 1);
    assert.equal(await count(db.pool, `SELECT COUNT(*) AS n FROM monitor_notifications WHERE status <> 'sent'`), 0);
    for (const service of ['slack', 'telegram'] as const) {
      const texts = messages(service);
      assert.deepEqual(texts.map((t) => t.split('\n')[0].replace(/, resolved after .*/, '')),
        [`🚨 [CRIT] ${MULTI}: down`, `✅ [RESOLVED] ${MULTI}: down`], `${service}: one message per transition`);
      assert.equal(texts[0].split('\n')[1], '2 of 3 locations: frankfurt, sao-paulo', `${service}: the opening names the locations`);
    }

    // virginia's only agent is killed: virginia stops contributing and the quorum base shrinks to the two left.
    const survivors = ['fra-1', 'sp-1', 'sp-2'];
    const logged = new Map(survivors.map((id) => [id, agents.get(id)!.logs().length]));
    await agents.get('va-1')!.kill9();
    // Each survivor says so once its own lease round no longer sees virginia; its next decisions count two locations.
    await until('every survivor counts two live locations', () => survivors.every((id) =>
      agents.get(id)!.logs().slice(logged.get(id)).includes('"locations":"frankfurt,sao-paulo"')), 90_000);
    const shrunk = new Date();
    target.fail('sao-paulo', 'frankfurt');
    await until('the second opening sent on both channels', async () => (await count(db.pool,
      `SELECT COUNT(*) AS n FROM monitor_notifications WHERE kind = 'opened' AND status = 'sent'`)) === 4, 90_000);
    const second = (await db.pool.query(`SELECT details FROM monitor_incidents WHERE resolved_at IS NULL`)).rows;
    assert.deepEqual(second.map((i) => i.details.locations), [{ failing: ['frankfurt', 'sao-paulo'], live: ['frankfurt', 'sao-paulo'], quorum: 2 }]);
    assert.deepEqual((await resultsSince(shrunk)).get('virginia'), [], 'nothing runs in virginia any more');
    for (const service of ['slack', 'telegram'] as const) {
      assert.equal(messages(service).length, 3, `${service}: one more message, for the one new incident`);
      assert.equal(messages(service)[2].split('\n')[1], '2 of 2 locations: frankfurt, sao-paulo');
    }
  } finally {
    const codes = await Promise.all([...agents.values()].map((a) => (a.child.exitCode !== null || a.child.signalCode !== null ? 'gone' : a.stop())));
    assert.deepEqual(codes.filter((c) => c !== 'gone' && c !== 0), [], 'every agent still running stops cleanly');
  }
});
