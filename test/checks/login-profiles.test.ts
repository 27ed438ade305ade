// The two login schemes of the real Blocktrust API, modelled by the demo API: a check per profile, expiry from
// the JWT exp claim or a configured TTL, the fresh-token 401, and no login storm.
import assert from 'node:assert/strict';
import { Hono } from 'hono';
import { after, before, beforeEach, describe, test } from 'node:test';
import { builtinLoginProfiles, createAuthSession } from '../../agent/src/checks/auth.ts';
import { builtinChecks } from '../../agent/src/checks/builtin.ts';
import { parseCheckSpec, type CheckSpec } from '../../agent/src/checks/registry.ts';
import { createDemoApi, type DemoControls } from '../../agent/src/demo/api.ts';
import { runCheck } from '../../agent/src/core/runner.ts';
import { classifyError } from '../../agent/src/checks/errors.ts';
import { captureLog, checkContext, fakeClock, runSpec, serveApp, type FakeClock, type LocalServer } from './helpers.ts';

const EXPLORER = { email: 'explorer@blocktrust.test', password: 'explorer-pw-3f9a' };
const USER = { email: 'monitor-user@blocktrust.test', password: 'user-pw-b71c' };

const byName = (specs: CheckSpec[], name: string) => specs.find((s) => s.name === name)!;

describe('login profiles against the demo API (both schemes of the real API)', () => {
  let server: LocalServer;
  let controls: DemoControls;
  let clock: FakeClock;
  before(async () => {
    clock = fakeClock(Date.now());
    const demo = createDemoApi({ credentials: EXPLORER, userTokenTtlSec: 3600, now: () => clock.ms() });
    controls = demo.controls;
    server = await serveApp(demo.app);
    const res = await fetch(`${server.url}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...USER, coercion_password: 'a-different-one' }),
    });
    assert.equal(res.status, 201, 'the monitoring user is created with POST /api/auth/register');
  });
  after(() => server.close());
  beforeEach(() => controls.reset());

  const session = (user: { email?: string; password?: string } = USER, extra: { fallbackTtlSec?: number } = {}) => {
    const log = captureLog();
    const auth = createAuthSession({
      apiBase: server.url,
      profiles: builtinLoginProfiles({ explorer: EXPLORER, user, ...extra }),
      fetch,
      clock,
      log,
    });
    return { auth, log };
  };
  const ctx = (auth: ReturnType<typeof createAuthSession>) => checkContext({ auth, clock, settings: { apiBase: server.url } });

  test('register refuses a coercion password equal to the password, and a second account with one email', async () => {
    const post = (body: unknown) =>
      fetch(`${server.url}/api/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal((await post({ email: 'x@y.z', password: 'same', coercion_password: 'same' })).status, 400);
    assert.equal((await post({ ...USER, coercion_password: 'other' })).status, 409);
  });

  test('explorer profile: api.events passes with the explorer login', async () => {
    const { auth } = session();
    const specs = builtinChecks({ intervalSec: 60, userLogin: true });
    const outcome = await runSpec(byName(specs, 'api.events'), ctx(auth));
    assert.ok(outcome.ok, JSON.stringify(outcome.details));
    assert.equal(auth.login('explorer').logins, 1);
    assert.equal(auth.login('user').logins, 0, 'no user login for an explorer route');
  });

  test('user profile: the three synthetic checks pass with the user login, sharing one login', async () => {
    const { auth, log } = session();
    const specs = builtinChecks({ intervalSec: 60, userLogin: true });
    const before = controls.stats.userLogins;
    for (const name of ['synthetic.hash', 'synthetic.wallet_info', 'synthetic.nft_status']) {
      const outcome = await runSpec(byName(specs, name), ctx(auth));
      assert.ok(outcome.ok, `${name}: ${JSON.stringify(outcome.details)}`);
    }
    assert.equal(controls.stats.userLogins - before, 1);
    assert.match(log.lines.join('\n'), /"login":"user".*"expiry_from":"exp claim"/, 'the user login has no expires_in');
    assert.ok(!log.lines.join('\n').includes(USER.password));
  });

  test("the explorer token on a user route fails with the real API's 500 {\"details\":\"'user_id'\"}, in words", async () => {
    const { auth } = session({});
    const specs = builtinChecks({ intervalSec: 60, userLogin: false });
    const outcome = await runSpec(byName(specs, 'synthetic.wallet_info'), ctx(auth));
    assert.equal(outcome.ok, false);
    assert.equal(outcome.details.status, 500);
    assert.equal(outcome.details.error_class, 'http_status');
    assert.match(String(outcome.details.error), /HTTP 500 .*\/api\/wallet\/info.*"'user_id'"/);
  });

  test('a user check without JWT_USER_* says which variables to set', async () => {
    const { auth } = session({});
    const outcome = await runSpec(byName(builtinChecks({ intervalSec: 60, userLogin: true }), 'synthetic.hash'), ctx(auth));
    assert.equal(outcome.details.error_class, 'auth');
    assert.match(String(outcome.details.error), /no user login configured: set JWT_USER_EMAIL and JWT_USER_PASS/);
  });

  test("wrong user credentials: the API's refusal, naming the user variables, never the password", async () => {
    const { auth } = session({ email: USER.email, password: 'wrong-user-password' });
    const err = await auth.login('user').token(AbortSignal.timeout(10_000)).catch((e: unknown) => e);
    const c = classifyError(err);
    assert.equal(c.error_class, 'auth');
    assert.match(c.error, /user login rejected \(HTTP 401\): check JWT_USER_EMAIL and JWT_USER_PASS/);
    assert.ok(!c.error.includes('wrong-user-password'));
  });

  test('the user token lives as long as its exp claim says: reused, then renewed before it expires', async () => {
    const { auth } = session();
    const user = auth.login('user');
    const signal = AbortSignal.timeout(10_000);
    const first = await user.token(signal);
    clock.advance(50 * 60_000);
    assert.equal(await user.token(signal), first, 'still valid after 50 of its 60 minutes');
    clock.advance(5 * 60_000);
    assert.notEqual(await user.token(signal), first, 'renewed within the last tenth of its life');
    assert.equal(user.logins, 2);
  });

  test('different secrets per scheme: the explorer token gets 401 on a user route, recorded as auth without a second login', async () => {
    const demo = createDemoApi({ credentials: EXPLORER, users: [USER], separateSecrets: true, now: () => clock.ms() });
    const other = await serveApp(demo.app);
    try {
      const auth = createAuthSession({
        apiBase: other.url,
        profiles: builtinLoginProfiles({ explorer: EXPLORER, user: {} }),
        fetch,
        clock,
        log: captureLog(),
      });
      const spec = byName(builtinChecks({ intervalSec: 60 }), 'synthetic.nft_status');
      const outcome = await runSpec(spec, checkContext({ auth, clock, settings: { apiBase: other.url } }));
      assert.equal(outcome.details.error_class, 'auth');
      assert.match(String(outcome.details.error), /rejected a fresh explorer token/);
      assert.equal(demo.controls.stats.logins, 1);
    } finally {
      await other.close();
    }
  });
});

describe('expiry when the login answer says nothing about it', () => {
  let server: LocalServer;
  let logins = 0;
  before(async () => {
    const app = new Hono();
    app.post('/api/explorer/login', (c) => {
      logins += 1;
      return c.json({ status: 'success', token: `opaque-${logins}` });
    });
    server = await serveApp(app);
  });
  after(() => server.close());

  test('an opaque token without expires_in lives the configured TTL', async () => {
    const clock = fakeClock(Date.now());
    const log = captureLog();
    const auth = createAuthSession({
      apiBase: server.url,
      profiles: builtinLoginProfiles({ explorer: EXPLORER, user: {}, fallbackTtlSec: 120 }),
      fetch,
      clock,
      log,
    });
    const signal = AbortSignal.timeout(10_000);
    assert.equal(await auth.token(signal), 'opaque-1');
    clock.advance(100_000);
    assert.equal(await auth.token(signal), 'opaque-1');
    clock.advance(10_000);
    assert.equal(await auth.token(signal), 'opaque-2', '120 s less a tenth: renewed after 108 s');
    assert.match(log.lines.join('\n'), /"expires_in_sec":120,"expiry_from":"MONITOR_LOGIN_TTL"/);
  });
});

describe('no login storm', () => {
  let server: LocalServer;
  let controls: DemoControls;
  before(async () => {
    const demo = createDemoApi({ credentials: EXPLORER });
    controls = demo.controls;
    const app = new Hono();
    // A route of the explorer scheme that refuses every token, however fresh.
    app.get('/api/explorer/refuses', (c) => c.json({ error: 'Token expired' }, 401));
    app.route('/', demo.app);
    server = await serveApp(app);
  });
  after(() => server.close());
  beforeEach(() => controls.reset());

  const refusing = parseCheckSpec(
    { name: 'refuses', kind: 'http', path: '/api/explorer/refuses', auth: true, intervalSec: 1 },
    'test',
    { intervalSec: 1 },
  );

  /** Runs the check as the runner does, once a second of the (fake) clock, and counts logins on the server. */
  async function everySecond(seconds: number, spec: CheckSpec, auth: ReturnType<typeof createAuthSession>, clock: FakeClock) {
    const attempts = () => controls.stats.requests['/api/explorer/login'] ?? 0;
    const before = { logins: controls.stats.logins, attempts: attempts() };
    const classes = new Set<string>();
    for (let i = 0; i < seconds; i += 1) {
      const result = await runCheck(
        spec,
        (s, c) => runSpec(s as CheckSpec, c),
        { ...checkContext({ auth, clock, settings: { apiBase: server.url } }), signal: undefined },
        classifyError,
      );
      assert.equal(result.ok, false);
      classes.add(String(result.details.error_class));
      clock.advance(1000);
    }
    return {
      logins: controls.stats.logins - before.logins,
      attempts: attempts() - before.attempts,
      classes,
    };
  }

  test('a route answering 401 forever, every second for 30 s: one login, each run recorded as auth', async () => {
    const clock = fakeClock(Date.now());
    const auth = createAuthSession({ apiBase: server.url, ...EXPLORER, fetch, clock, log: captureLog() });
    const r = await everySecond(30, refusing, auth, clock);
    assert.deepEqual([...r.classes], ['auth']);
    assert.ok(r.logins <= 2, `${r.logins} logins in 30 runs`);
  });

  test('the same for half an hour: new logins only ever further apart', async () => {
    const clock = fakeClock(Date.now());
    const auth = createAuthSession({ apiBase: server.url, ...EXPLORER, fetch, clock, log: captureLog() });
    const r = await everySecond(1800, refusing, auth, clock);
    // The first login, then re-logins once the token is 1, 2, 4, 8 minutes old: 5, where a login per 401 makes 1,800.
    assert.ok(r.logins >= 2 && r.logins <= 6, `${r.logins} logins in half an hour`);
  });

  test('a failing login backs off: attempts get further apart instead of one per run', async () => {
    const clock = fakeClock(Date.now());
    controls.setFaults({ errorRateByPath: { '/api/explorer/login': 1 } });
    const auth = createAuthSession({ apiBase: server.url, ...EXPLORER, fetch, clock, log: captureLog() });
    const events = parseCheckSpec({ name: 'e', kind: 'http', path: '/api/explorer/events', auth: true }, 'test', { intervalSec: 1 });
    const r = await everySecond(30, events, auth, clock);
    assert.deepEqual([...r.classes], ['http_status'], 'each run says the login failed');
    // 1, 2, 4, 8, 16 s apart: attempts at 0, 1, 3, 7, 15 and 31 s.
    assert.ok(r.attempts >= 2 && r.attempts <= 6, `${r.attempts} login attempts in 30 runs`);
  });

  test('rejected credentials back off longer each time', async () => {
    const clock = fakeClock(Date.now());
    const auth = createAuthSession({ apiBase: server.url, email: EXPLORER.email, password: 'wrong', fetch, clock, log: captureLog() });
    const events = parseCheckSpec({ name: 'e', kind: 'http', path: '/api/explorer/events', auth: true }, 'test', { intervalSec: 1 });
    const r = await everySecond(600, events, auth, clock);
    assert.deepEqual([...r.classes], ['auth']);
    // 30 s, 60 s, 120 s, 240 s apart: attempts at 0, 30, 90, 210 and 450 s.
    assert.ok(r.attempts >= 3 && r.attempts <= 5, `${r.attempts} login attempts in 10 minutes`);
  });
});

describe('login profiles from the checks file', () => {
  let server: LocalServer;
  let bodies: unknown[] = [];
  before(async () => {
    const app = new Hono();
    app.post('/api/partner/session', async (c) => {
      const body = (await c.req.json()) as { username?: string; secret?: string };
      bodies.push(body);
      if (body.username !== 'probe@partner.test' || body.secret !== 'partner-secret-9') return c.json({ error: 'no' }, 401);
      return c.json({ data: { access_token: 'partner-token-1' } });
    });
    app.get('/api/partner/status', (c) =>
      c.req.header('authorization') === 'Bearer partner-token-1' ? c.json({ ok: true }) : c.json({ error: 'Unauthorized' }, 401));
    server = await serveApp(app);
  });
  after(() => server.close());

  const FILE = `
logins:
  partner:
    path: /api/partner/session
    email_from: PARTNER_EMAIL
    password_from: PARTNER_PASS
    body: { username: "{{email}}", secret: "{{password}}" }
    token_field: data.access_token
    ttl_sec: 600
checks:
  - name: partner.status
    kind: http
    path: /api/partner/status
    auth: partner
`;
  const load = async (text: string, vars: Record<string, string> = {}) => {
    const { loadEnv } = await import('../../agent/src/config/env.ts');
    const { loadChecksConfig } = await import('../../agent/src/config/checks.ts');
    const env = loadEnv({ API_BASE: server.url, MONITOR_CHECKS_FILE: 'checks.yaml' });
    return loadChecksConfig(env, async () => text, vars);
  };

  test('a named login with its own path, body, token field and lifetime, credentials from the variables it names', async () => {
    bodies = [];
    const config = await load(FILE, { PARTNER_EMAIL: 'probe@partner.test', PARTNER_PASS: 'partner-secret-9' });
    assert.deepEqual(config.logins.map((l) => l.name), ['explorer', 'user', 'partner']);
    const log = captureLog();
    const auth = createAuthSession({ apiBase: server.url, profiles: config.logins, fetch, clock: fakeClock(Date.now()), log });
    const spec = config.specs.find((s) => s.name === 'partner.status')!;
    const outcome = await runSpec(spec, checkContext({ auth, settings: { apiBase: server.url } }));
    assert.ok(outcome.ok, JSON.stringify(outcome.details));
    assert.deepEqual(bodies, [{ username: 'probe@partner.test', secret: 'partner-secret-9' }]);
    assert.match(log.lines.join('\n'), /"login":"partner".*"expires_in_sec":600,"expiry_from":"MONITOR_LOGIN_TTL"/);
    assert.ok(!log.lines.join('\n').includes('partner-secret-9'));
  });

  test('its variables unset: the check says which ones to set', async () => {
    const config = await load(FILE);
    const auth = createAuthSession({ apiBase: server.url, profiles: config.logins, fetch, clock: fakeClock(Date.now()), log: captureLog() });
    const outcome = await runSpec(config.specs.find((s) => s.name === 'partner.status')!, checkContext({ auth, settings: { apiBase: server.url } }));
    assert.equal(outcome.details.error_class, 'auth');
    assert.match(String(outcome.details.error), /no partner login configured: set PARTNER_EMAIL and PARTNER_PASS/);
  });

  test('mistakes are named with the file and the key', async () => {
    await assert.rejects(load(FILE.replace('auth: partner', 'auth: partnr')),
      /checks\.yaml: checks\[0\]\.auth: no login profile "partnr": expected explorer, user, partner \(add it under logins\)/);
    await assert.rejects(load(FILE.replace('email_from: PARTNER_EMAIL', 'email_from: probe@partner.test')),
      /checks\.yaml: logins\.partner\.email_from: expected the name of an environment variable/);
    await assert.rejects(load(FILE.replace('  partner:\n', '  user:\n').replace('auth: partner', 'auth: user')),
      /checks\.yaml: logins\.user: "user" is built in/);
    await assert.rejects(load(FILE.replace('    ttl_sec: 600\n', '    ttl_sec: 600\n    password: hunter2\n')),
      /checks\.yaml: logins\.partner: unknown field "password" \(credentials come from the variables email_from and password_from name\)/);
  });
});
