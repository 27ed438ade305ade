// Three agents on one database share the checks: each check runs once per interval in total, each result names
// the agent that ran it, and when an agent is killed its checks move to the others.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ownerOf, STALE_MS } from '../../agent/src/core/assignment.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { startDemoServer, type DemoServer } from '../helpers/demo-server.ts';
import { startFakeChannels } from '../alerts/fakes.ts';
import { checksFileWith, count, startAgentProcess, until, type AgentProcess, killLeftoverAgents } from './helpers.ts';

const CHECKS = Array.from({ length: 9 }, (_, i) => `share.c${i}`);
const AGENTS = ['agent-a', 'agent-b', 'agent-c'];
let db: TestDatabase;
let api: DemoServer;

before(async () => {
  db = await migratedDatabase('share');
  api = await startDemoServer();
});
after(async () => {
  await killLeftoverAgents();
  await api.close();
  await db.drop();
});

type Row = { check_name: string; ts: Date; agent_id: string | null };
const results = async (from: Date, to = new Date(Date.now() + 3_600_000)) => (await db.pool.query<Row>(
  `SELECT check_name, ts, agent_id FROM monitor_metrics WHERE check_name LIKE 'share.%' AND ts >= $1 AND ts < $2 ORDER BY check_name, ts`,
  [from, to])).rows;

test('3 agents: one run per check per interval in total, by the agent each check belongs to; a killed agent\'s checks move', async () => {
  const file = await checksFileWith(CHECKS.map((name) => ({ name, kind: 'http', path: '/api/health', interval_sec: 2 })));
  const env = { DATABASE_URL: db.url, API_BASE: api.url, MONITOR_CHECKS_FILE: file, MONITOR_LOG_LEVEL: 'info' };
  const agents = new Map<string, AgentProcess>(AGENTS.map((id) => [id, startAgentProcess(['run'], { ...env, MONITOR_AGENT_ID: id })]));
  try {
    // Steady: every agent has seen the three, and one more interval passed.
    await until('each agent sees all three', () =>
      [...agents.values()].every((a) => a.logs().includes(`"agents":"${AGENTS.join(',')}"`)), 90_000);
    await new Promise((r) => setTimeout(r, 4000));
    const from = new Date();
    await until('10 s of steady results', () => Date.now() - from.getTime() >= 10_000);
    const steady = await results(from, new Date());
    for (const check of CHECKS) {
      const rows = steady.filter((r) => r.check_name === check);
      assert.ok(rows.length >= 3, `${check}: ${rows.length} results in 10 s`);
      const owner = ownerOf(check, AGENTS);
      assert.deepEqual([...new Set(rows.map((r) => r.agent_id))], [owner], `${check} runs on ${owner} only`);
      const gaps = rows.slice(1).map((r, i) => r.ts.getTime() - rows[i].ts.getTime());
      assert.deepEqual(gaps.filter((g) => g < 1500), [], `${check}: never two runs in one interval`);
    }
    assert.equal(new Set(steady.map((r) => r.agent_id)).size, 3, 'the checks are spread over the three agents');

    // kill -9 one agent that owns checks: after it is stale, the others take its checks over.
    const victim = 'agent-b';
    await agents.get(victim)!.kill9();
    const killedAt = new Date();
    const survivors = AGENTS.filter((a) => a !== victim);
    await until('its checks taken over', async () => {
      const after = await results(killedAt);
      return CHECKS.every((c) => after.some((r) => r.check_name === c && r.agent_id === ownerOf(c, survivors)));
    }, STALE_MS + 60_000);
    const movedFrom = new Date(Date.now());
    await until('two more intervals', () => Date.now() - movedFrom.getTime() >= 4000);
    const later = await results(movedFrom, new Date());
    for (const check of CHECKS) {
      const rows = later.filter((r) => r.check_name === check);
      assert.deepEqual([...new Set(rows.map((r) => r.agent_id))], [ownerOf(check, survivors)], `${check} after the kill`);
      const gaps = rows.slice(1).map((r, i) => r.ts.getTime() - rows[i].ts.getTime());
      assert.deepEqual(gaps.filter((g) => g < 1500), [], `${check}: never two runs in one interval after the kill`);
    }
  } finally {
    const codes = await Promise.all([...agents.values()].map((a) => (a.child.exitCode !== null || a.child.signalCode !== null ? 'gone' : a.stop())));
    assert.deepEqual(codes.filter((c) => c !== 'gone' && c !== 0), [], 'every agent still running stops cleanly');
  }
});

test('2 agents, a Slack that takes 3 s per message: each opening once per channel, Telegram not held up', async () => {
  const own = await migratedDatabase('sharealerts');
  const chat = await startFakeChannels();
  const names = ['alert.c0', 'alert.c1', 'alert.c2', 'alert.c3'];
  chat.setScript((r) => (r.service === 'slack' ? { status: 200, after: new Promise((done) => setTimeout(done, 3000)) } : { status: 200 }));
  api.controls.setFaults({ errorRateByPath: { '/api/health': 1 } });
  const env = {
    DATABASE_URL: own.url, API_BASE: api.url,
    MONITOR_CHECKS_FILE: await checksFileWith(names.map((name) => ({ name, kind: 'http', path: '/api/health', interval_sec: 2, failure_threshold: 1 }))),
    ALERT_SLACK_WEBHOOK: chat.slackUrl(), ALERT_TELEGRAM_BOT: '6212345678:AAShare-bot-token-0123456789abcdef', ALERT_TELEGRAM_CHAT: '-1',
    ALERT_TELEGRAM_API_BASE: chat.telegramBase, ALERT_GROUP_WINDOW: '0', // one message per incident, to count them
  };
  const agents = ['alerts-a', 'alerts-b'].map((id) => startAgentProcess(['run'], { ...env, MONITOR_AGENT_ID: id }));
  try {
    await until('every opening sent on both channels', async () =>
      (await count(own.pool, `SELECT COUNT(*) AS n FROM monitor_notifications WHERE kind = 'opened' AND status = 'sent'`)) === 2 * names.length,
    120_000);
    assert.equal(await count(own.pool, `SELECT COUNT(*) AS n FROM monitor_incidents`), names.length);
    for (const service of ['slack', 'telegram'] as const) {
      const texts = chat.received.filter((r) => r.service === service).map((r) => String(r.body.text).split('\n')[0]).sort();
      assert.deepEqual(texts, names.map((n) => `🚨 [CRIT] ${n}: down`).sort(), `${service}: each opening once`);
    }
    // Telegram's last message arrived before Slack's last request: the 3 s answers held Slack only.
    const last = (service: string) => chat.received.map((r) => r.service).lastIndexOf(service as 'slack');
    assert.ok(last('telegram') < last('slack'), chat.received.map((r) => r.service).join(','));
  } finally {
    api.controls.reset();
    for (const a of agents) assert.equal(await a.stop(), 0, a.logs());
    await chat.close();
    await own.drop();
  }
});
