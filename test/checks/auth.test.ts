import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createAuthSession } from '../../agent/src/checks/auth.ts';
import { classifyError } from '../../agent/src/checks/errors.ts';
import type { HttpCheckSpec } from '../../agent/src/checks/http.ts';
import { parseCheckSpec } from '../../agent/src/checks/registry.ts';
import { createDemoApi, type DemoControls } from '../../agent/src/demo/api.ts';
import {
  captureLog,
  checkContext,
  closedPort,
  fakeClock,
  runSpec,
  serveApp,
  type FakeClock,
  type LocalServer,
} from './helpers.ts';

const EMAIL = 'monitor@blocktrust.test';
const PASSWORD = 'pw-for-the-auth-tests-5b1e';

describe('monitoring login (AuthSession) against the demo API', () => {
  let server: LocalServer;
  let controls: DemoControls;
  let clock: FakeClock;
  before(async () => {
    clock = fakeClock(Date.now());
    const demo = createDemoApi({ credentials: { email: EMAIL, password: PASSWORD }, tokenTtlSec: 3600, now: () => clock.ms() });
    controls = demo.controls;
    server = await serveApp(demo.app);
  });
  after(() => server.close());
  beforeEach(() => controls.reset());

  const session = (over: { email?: string; password?: string } = {}) => {
    const log = captureLog();
    const auth = createAuthSession({ apiBase: server.url, email: EMAIL, password: PASSWORD, ...over, fetch, clock, log });
    return { auth, log };
  };
  const signal = () => AbortSignal.timeout(10_000);
  const events = (): HttpCheckSpec =>
    parseCheckSpec({ name: 'api.events', kind: 'http', path: '/api/explorer/events', auth: true }, 'test', {
      intervalSec: 60,
    }) as HttpCheckSpec;

  test('one login serves many concurrent and later calls', async () => {
    const { auth, log } = session();
    const before = controls.stats.logins;
    const tokens = await Promise.all(Array.from({ length: 20 }, () => auth.token(signal())));
    for (let i = 0; i < 10; i += 1) tokens.push(await auth.token(signal()));
    assert.equal(controls.stats.logins - before, 1, 'exactly one login');
    assert.equal(new Set(tokens).size, 1);
    const text = log.lines.join('\n');
    assert.ok(!text.includes(PASSWORD) && !text.includes(tokens[0]), 'neither the password nor the token is logged');
  });

  test('twenty authenticated checks share one login', async () => {
    const { auth } = session();
    const before = controls.stats.logins;
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => runSpec(events(), checkContext({ auth, settings: { apiBase: server.url } }))),
    );
    assert.ok(
      outcomes.every((o) => o.ok),
      JSON.stringify(outcomes.find((o) => !o.ok)),
    );
    assert.equal(controls.stats.logins - before, 1);
  });

  test('a token near its expiry is renewed by a new login', async () => {
    const { auth } = session();
    const first = await auth.token(signal());
    clock.advance(30 * 60_000);
    assert.equal(await auth.token(signal()), first, 'still valid half-way');
    clock.advance(29 * 60_000);
    const second = await auth.token(signal());
    assert.notEqual(second, first, 'renewed inside the safety margin before expiry');
    const outcome = await runSpec(events(), checkContext({ auth, clock, settings: { apiBase: server.url } }));
    assert.ok(outcome.ok, JSON.stringify(outcome.details));
  });

  test('a token in use for a while and rejected with 401 causes one forced re-login, then the call succeeds', async () => {
    const { auth } = session();
    await auth.token(signal());
    clock.advance(5 * 60_000);
    const before = controls.stats.logins;
    const beforeCalls = controls.stats.requests['/api/explorer/events'] ?? 0;
    controls.revokeTokens();
    const outcomes = await Promise.all(
      Array.from({ length: 5 }, () => runSpec(events(), checkContext({ auth, settings: { apiBase: server.url } }))),
    );
    assert.ok(
      outcomes.every((o) => o.ok),
      JSON.stringify(outcomes.map((o) => o.details)),
    );
    assert.equal(controls.stats.logins - before, 1, 'five callers hitting 401 together log in once');
    assert.equal((controls.stats.requests['/api/explorer/events'] ?? 0) - beforeCalls, 10, 'each call retried once');
  });

  test('a 401 to a fresh token fails as auth without another login; later one re-login and a single retry', async () => {
    const { auth } = session();
    controls.setFaults({ expiredTokens: true });
    const before = controls.stats.logins;
    const calls = () => controls.stats.requests['/api/explorer/events'] ?? 0;
    const beforeCalls = calls();
    const run = () => runSpec(events(), checkContext({ auth, settings: { apiBase: server.url } }));
    const first = await run();
    assert.equal(first.ok, false);
    assert.equal(first.details.error_class, 'auth');
    assert.equal(first.details.status, 401);
    assert.match(String(first.details.error), /rejected a fresh explorer token \(HTTP 401, issued 0 s ago\)/);
    assert.equal(first.details.body_excerpt, '{"error":"Token expired"}', "the answer's own words");
    assert.equal(controls.stats.logins - before, 1, 'no second login for a token issued moments ago');
    assert.equal(calls() - beforeCalls, 1, 'no retry either');

    clock.advance(2 * 60_000);
    const second = await run();
    assert.equal(second.details.error_class, 'auth');
    assert.match(String(second.details.error), /answered 401 even with a fresh explorer login token/);
    assert.equal(controls.stats.logins - before, 2, 'a token in use for two minutes: one re-login');
    assert.equal(calls() - beforeCalls, 3, 'and one retry');

    clock.advance(61_000);
    await run();
    assert.equal(controls.stats.logins - before, 2, 'the new login did not help: the next one waits longer');
  });

  const failures: Array<{
    name: string;
    over: () => Promise<{ email?: string; password?: string; apiBase?: string }>;
    cls: string;
    says: RegExp;
  }> = [
    {
      name: 'wrong password',
      over: async () => ({ password: 'not-the-password' }),
      cls: 'auth',
      says: /login rejected \(HTTP 401\)/,
    },
    {
      name: 'no credentials configured',
      over: async () => ({ email: undefined, password: undefined }),
      cls: 'auth',
      says: /JWT_MONITOR_EMAIL and JWT_MONITOR_PASS/,
    },
    {
      name: 'API unreachable',
      over: async () => ({ apiBase: `http://127.0.0.1:${await closedPort()}` }),
      cls: 'connect_refused',
      says: /login failed: connection refused/,
    },
  ];
  for (const f of failures) {
    test(`login fails clearly: ${f.name}`, async () => {
      const over = await f.over();
      const log = captureLog();
      const auth = createAuthSession({ apiBase: server.url, email: EMAIL, password: PASSWORD, ...over, fetch, clock, log });
      const err = await auth.token(signal()).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err, 'login must fail');
      const c = classifyError(err);
      assert.equal(c.error_class, f.cls);
      assert.match(c.error, f.says);
      assert.ok(!c.error.includes('not-the-password') && !c.error.includes(PASSWORD));
      const outcome = await runSpec(events(), checkContext({ auth, settings: { apiBase: server.url } }));
      assert.equal(outcome.details.error_class, f.cls, 'an authenticated check reports the login failure');
    });
  }

  test('rejected credentials are not retried by every call until a pause has passed', async () => {
    const { auth } = session({ password: 'not-the-password' });
    const before = controls.stats.loginAttempts;
    for (let i = 0; i < 5; i += 1) await assert.rejects(auth.token(signal()), /login rejected/);
    await assert.rejects(auth.token(signal(), { force: true }), /login rejected/);
    assert.equal(controls.stats.loginAttempts - before, 1);
    clock.advance(31_000);
    await assert.rejects(auth.token(signal()), /login rejected/);
    assert.equal(controls.stats.loginAttempts - before, 2, 'tried again after 30 s');
  });

  test('login answered 503 is an http_status failure', async () => {
    controls.setFaults({ errorRateByPath: { '/api/explorer/login': 1 } });
    const { auth } = session();
    const err = await auth.token(signal()).catch((e: unknown) => e);
    assert.deepEqual(classifyError(err), { error_class: 'http_status', error: 'explorer login failed: HTTP 503' });
  });
});
