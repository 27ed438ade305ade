import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { systemClock } from '../../agent/src/core/types.ts';
import { loadAgentKey, seal, type AgentKey } from '@blocktrust-monitor/contract';
import { createChannelDirectory } from '../../agent/src/alerts/directory.ts';
import { createIntentProcessor, type IntentProcessor } from '../../agent/src/intents/processor.ts';
import { syncSloDefaults } from '../../agent/src/slo/targets.ts';
import { createWorld, spec, type World } from '../incidents/harness.ts';

const SECRET_KEY = 'test-only monitor secret key, 32+ characters long';
const NEW_WEBHOOK_SECRET = 'T0NEW/B0NEW/newSlackSecret456';

describe('intents from Grafana', () => {
  let w: World;
  let key: AgentKey;
  let intents: IntentProcessor;
  const defaults = { uptimeTarget: 99.5, latencyMs: 800, maxLagSec: 180 };

  async function submit(kind: string, payload: unknown, author = 'maria'): Promise<{ status: string; reason: string | null; result: any }> {
    const { rows } = await w.db.pool.query(`INSERT INTO monitor_intents (author, kind, payload) VALUES ($1, $2, $3) RETURNING id`,
      [author, kind, JSON.stringify(payload)]);
    await intents.processPending();
    return (await w.db.pool.query(`SELECT status, reason, result FROM monitor_intents WHERE id = $1`, [rows[0].id])).rows[0];
  }

  before(async () => {
    w = await createWorld({ prefix: 'intents', env: { telegramBot: undefined, telegramChat: undefined }, specs: [spec('api.health')] });
    key = await loadAgentKey(SECRET_KEY);
    const channels = createChannelDirectory({ db: w.db.pool, env: w.env, agentKey: key, log: w.log, cacheMs: 0, timeoutMs: 2000 });
    intents = createIntentProcessor({
      db: w.db.pool, clock: w.clock, log: w.log, channels, agentKey: key, alertEnv: w.env,
      links: { grafanaUrl: 'http://grafana.test' }, sloDefaults: defaults,
    });
  });
  after(async () => w.close());

  test('acknowledge, note, withdraw and resolve an incident; each is on the timeline with its author', async () => {
    await w.runs('api.health', ['fail', 'fail']);
    const [inc] = await w.incidents();
    let r = await submit('incident.ack', { incident_id: inc.id });
    assert.equal(r.status, 'applied');
    r = await submit('incident.ack', { incident_id: inc.id }, 'joao');
    assert.deepEqual([r.status, r.reason], ['rejected', `incident ${inc.id} is already acknowledged by maria`]);
    r = await submit('incident.note', { incident_id: inc.id, text: 'rolling back the deploy', postmortem_url: 'https://wiki.test/pm/1' });
    assert.equal(r.status, 'applied');
    r = await submit('incident.unack', { incident_id: String(inc.id) });
    assert.equal(r.status, 'applied');
    r = await submit('incident.resolve', { incident_id: inc.id, comment: 'fixed by rollback' }, 'joao');
    assert.equal(r.status, 'applied');
    const events = await w.timeline(inc.id);
    const mine = events.filter((e) => e.actor !== 'agent').map((e) => [e.kind, e.actor]);
    assert.deepEqual(mine, [['acknowledged', 'maria'], ['note', 'maria'], ['unacknowledged', 'maria'], ['resolved', 'joao']]);
    assert.match(events.find((e) => e.kind === 'resolved').message, /^resolved after 2 m by joao: fixed by rollback$/);
    await w.notifier.runOnce();
    const slack = w.fake.texts('slack');
    assert.match(slack.at(-1)!, /^✅ \[RESOLVED\] api\.health: down, resolved after 2 m by joao\nfixed by rollback\n/);
    const row = (await w.incidents())[0];
    assert.equal(row.details.postmortem_url, 'https://wiki.test/pm/1');
    r = await submit('incident.resolve', { incident_id: inc.id });
    assert.deepEqual([r.status, r.reason], ['rejected', `incident ${inc.id} is already resolved`]);
    // The check still fails: a new incident needs the full threshold again.
    await w.run('api.health', 'fail');
    assert.equal((await w.incidents()).length, 1);
    await w.runs('api.health', ['fail', 'ok', 'ok']);
    assert.equal((await w.incidents()).length, 2);
  });

  test('invalid intents are rejected with a reason naming the field, and change nothing', async () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ['incident.ack', {}, /^incident_id: must be a positive whole number$/],
      ['incident.ack', { incident_id: 999999 }, /^incident_id: there is no incident 999999$/],
      ['incident.note', { incident_id: 1 }, /^text: is required$/],
      ['incident.note', { incident_id: 1, text: 'x', postmortem_url: 'javascript:alert(1)' }, /^postmortem_url: must be an http\(s\) URL$/],
      ['incident.ack', { incident_id: 1, colour: 'red' }, /^colour: unknown field$/],
      ['slo.set', { check_name: 'api.health' }, /^set at least one of uptime_target, latency_ms, max_lag_sec$/],
      ['slo.set', { check_name: 'api.health', uptime_target: 100 }, /^uptime_target: must be greater than 0 and less than 100$/],
      ['slo.set', { check_name: 'api health', latency_ms: 500 }, /^check_name: must be '\*' \(all checks\) or a check name/],
      ['slo.set', { check_name: '*', latency_ms: 12.5 }, /^latency_ms: must be a whole number$/],
      ['slo.delete', { check_name: 'api.nothing' }, /^check_name: no SLO targets are set for api\.nothing$/],
      ['channel.upsert', { name: 'ops', kind: 'email' }, /^kind: must be one of slack, telegram$/],
      ['channel.upsert', { name: 'ops', kind: 'slack' }, /^channel ops has no secret: give its Slack webhook URL$/],
      ['channel.upsert', { name: '-ops', kind: 'slack' }, /^name: must start with a letter or digit/],
      ['channel.upsert', { name: 'ops', kind: 'slack', min_severity: 'critical' }, /^min_severity: must be one of info, warn, crit$/],
      ['channel.upsert', { name: 'ops', kind: 'slack', secret_sealed: 'not-sealed' }, /^secret_sealed: sealed secret must look like btm1\./],
      ['channel.delete', { name: 'slack' }, /^channel slack comes from the environment/],
      ['silence.create', { check_pattern: 'api.*' }, /^ends_at: is required/],
      ['silence.create', { check_pattern: 'api.*', ends_at: 'tomorrow' }, /^ends_at: must be an ISO 8601 date and time/],
      ['silence.create', { check_pattern: 'api/*', ends_at: '2099-01-01T00:00:00Z' }, /^check_pattern: must be a check name or a glob/],
      ['silence.create', { ends_at: '2020-01-01T00:00:00Z' }, /^ends_at: must be (after starts_at|in the future)$/],
      ['silence.expire', { id: 424242 }, /^id: there is no silence 424242$/],
      ['maintenance.create', { starts_at: '2026-03-03T01:00:00Z', ends_at: '2026-03-04T02:00:00Z', recurrence: 'daily' }, /^ends_at: a daily window must be shorter than its period$/],
      ['maintenance.create', { starts_at: '2026-03-03T01:00:00Z', ends_at: '2026-03-03T02:00:00Z', recurrence_until: '2026-04-01T00:00:00Z' }, /^recurrence_until: only for a recurring window/],
      ['maintenance.delete', { id: 'x' }, /^id: must be a positive whole number$/],
      ['alert.test', { channel: 'nope' }, /^channel: there is no channel nope$/],
    ];
    const before = await w.db.pool.query(`SELECT (SELECT count(*) FROM monitor_channels) c, (SELECT count(*) FROM monitor_silences) s,
      (SELECT count(*) FROM monitor_maintenance_windows) m, (SELECT count(*) FROM monitor_slo_targets) t`);
    for (const [kind, payload, reason] of cases) {
      const r = await submit(kind, payload);
      assert.equal(r.status, 'rejected', `${kind} ${JSON.stringify(payload)}`);
      assert.match(r.reason ?? '', reason, `${kind} ${JSON.stringify(payload)}`);
    }
    const afterRows = await w.db.pool.query(`SELECT (SELECT count(*) FROM monitor_channels) c, (SELECT count(*) FROM monitor_silences) s,
      (SELECT count(*) FROM monitor_maintenance_windows) m, (SELECT count(*) FROM monitor_slo_targets) t`);
    assert.deepEqual(afterRows.rows, before.rows);
  });

  test('a channel with a secret sealed in the browser is opened by the agent, used, and a wrong-context seal is rejected', async () => {
    const webhook = w.fake.slackUrl(NEW_WEBHOOK_SECRET);
    const wrong = await seal(key.publicJwk, webhook, 'channel:someone-else');
    let r = await submit('channel.upsert', { name: 'ops', kind: 'slack', min_severity: 'crit', language: 'pt-BR', secret_sealed: wrong });
    assert.equal(r.status, 'rejected');
    assert.match(r.reason!, /^secret_sealed: sealed secret does not open for channel:ops/);
    assert.ok(!r.reason!.includes(NEW_WEBHOOK_SECRET));

    const sealed = await seal(key.publicJwk, webhook, 'channel:ops');
    r = await submit('channel.upsert', { name: 'ops', kind: 'slack', min_severity: 'crit', language: 'pt-BR', secret_sealed: sealed });
    assert.equal(r.status, 'applied', r.reason ?? '');
    assert.deepEqual(r.result, { name: 'ops', secret_configured: true, secret_from_env: false });
    const stored = (await w.db.pool.query(`SELECT secret_sealed, secret_configured FROM monitor_channels WHERE name = 'ops'`)).rows[0];
    assert.ok(stored.secret_sealed.startsWith('btm1.'));
    assert.ok(!stored.secret_sealed.includes(NEW_WEBHOOK_SECRET));

    // Updating settings without a secret keeps the stored one.
    r = await submit('channel.upsert', { name: 'ops', kind: 'slack', min_severity: 'warn', language: 'pt-BR' });
    assert.equal(r.status, 'applied');
    w.fake.received.length = 0;
    r = await submit('alert.test', { channel: 'ops' });
    assert.equal(r.status, 'applied');
    assert.deepEqual(r.result, { channels: [{ channel: 'ops', ok: true, http_status: 200 }] });
    assert.equal(w.fake.received.length, 1);
    assert.ok(w.fake.received[0].path.endsWith(NEW_WEBHOOK_SECRET));
    assert.match(w.fake.received[0].body.text, /^ℹ️ \[TESTE\] Alerta de teste do Blocktrust Monitor para ops/);

    r = await submit('alert.test', {});
    assert.deepEqual(r.result.channels.map((c: any) => [c.channel, c.ok]).sort(), [['ops', true], ['slack', true]]);

    r = await submit('channel.upsert', { name: 'ops', kind: 'slack', secret_reset: true });
    assert.deepEqual([r.status, r.reason], ['rejected', 'channel ops has no secret: give its Slack webhook URL']);
    r = await submit('channel.delete', { name: 'ops' });
    assert.equal(r.status, 'applied');
  });

  test("SLO targets: the UI's '*' row survives the environment sync; deleting it brings the environment back", async () => {
    await syncSloDefaults(w.db.pool, defaults);
    let star = (await w.db.pool.query(`SELECT uptime_target, latency_ms, updated_by FROM monitor_slo_targets WHERE check_name = '*'`)).rows[0];
    assert.deepEqual([Number(star.uptime_target), star.latency_ms, star.updated_by], [99.5, 800, 'env']);
    let r = await submit('slo.set', { check_name: '*', uptime_target: 99.9 }, 'admin');
    assert.equal(r.status, 'applied');
    assert.deepEqual(r.result, { check_name: '*', uptime_target: 99.9, latency_ms: 800, max_lag_sec: 180 });
    await syncSloDefaults(w.db.pool, { ...defaults, latencyMs: 500 });
    star = (await w.db.pool.query(`SELECT uptime_target, latency_ms, updated_by FROM monitor_slo_targets WHERE check_name = '*'`)).rows[0];
    assert.deepEqual([Number(star.uptime_target), star.latency_ms, star.updated_by], [99.9, 800, 'admin']);
    r = await submit('slo.set', { check_name: 'listener.lag', max_lag_sec: 300 });
    assert.equal(r.status, 'applied');
    r = await submit('slo.delete', { check_name: '*' });
    assert.equal(r.status, 'applied');
    star = (await w.db.pool.query(`SELECT uptime_target, updated_by FROM monitor_slo_targets WHERE check_name = '*'`)).rows[0];
    assert.deepEqual([Number(star.uptime_target), star.updated_by], [99.5, 'env']);
  });

  test('silences and maintenance windows are created and ended by intents', async () => {
    const now = w.clock.now();
    let r = await submit('silence.create', { check_pattern: 'api.*', severity: 'warn', ends_at: new Date(now.getTime() + 3600_000).toISOString(), comment: 'deploy' });
    assert.equal(r.status, 'applied');
    const silenceId = r.result.id;
    w.clock.advance(60_000);
    r = await submit('silence.expire', { id: silenceId });
    assert.equal(r.status, 'applied');
    const s = (await w.db.pool.query(`SELECT ends_at, author FROM monitor_silences WHERE id = $1`, [silenceId])).rows[0];
    assert.equal(s.ends_at.getTime(), now.getTime() + 60_000);
    assert.equal(s.author, 'maria');
    r = await submit('silence.expire', { id: silenceId });
    assert.deepEqual([r.status, r.reason], ['rejected', `silence ${silenceId} has already ended`]);
    r = await submit('maintenance.create', { check_pattern: '*', starts_at: '2026-03-03T02:00:00Z', ends_at: '2026-03-03T03:00:00Z', recurrence: 'weekly', reason: 'backups' });
    assert.equal(r.status, 'applied');
    r = await submit('maintenance.delete', { id: r.result.id });
    assert.equal(r.status, 'applied');
  });

  test('an intent is applied within moments of its INSERT through LISTEN/NOTIFY, without waiting for the poll', async () => {
    const listening = createIntentProcessor({
      db: w.db.pool, clock: systemClock, log: w.log, channels: createChannelDirectory({ db: w.db.pool, env: w.env, log: w.log }),
      alertEnv: w.env, links: {}, pollMs: 10 * 60_000,
      listen: async () => {
        const c = new pg.Client(w.db.url);
        await c.connect();
        return c;
      },
    });
    const stop = new AbortController();
    const running = listening.start(stop.signal);
    const appliedSoon = async (payload: string) => {
      const { rows } = await w.db.pool.query(`INSERT INTO monitor_intents (author, kind, payload) VALUES ('maria', 'slo.set', $1) RETURNING id`, [payload]);
      let status = 'pending';
      for (let i = 0; i < 200 && status === 'pending'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        status = (await w.db.pool.query(`SELECT status FROM monitor_intents WHERE id = $1`, [rows[0].id])).rows[0].status;
      }
      return status;
    };
    // The first is applied by the first round (after LISTEN); the processor then sleeps for its 10-minute poll,
    // so the second can only be applied because its INSERT woke it up.
    assert.equal(await appliedSoon('{"check_name":"api.events","latency_ms":1200}'), 'applied');
    const status = await appliedSoon('{"check_name":"api.events","latency_ms":1300}');
    stop.abort();
    await running;
    assert.equal(status, 'applied', 'applied long before the 10-minute poll');
  });

  test('no secret reached a log line, the outbox or the timeline', async () => {
    assert.ok(w.log.lines.length > 5, 'the scenarios above did log');
    const logs = w.log.lines.join('\n');
    assert.ok(!logs.includes('newSlackSecret456'), 'the sealed webhook never reaches a log line');
    assert.ok(!logs.includes(SECRET_KEY));
  });
});
