// doctor against the demo API and a real Postgres: ✗ (broken, exit 1) apart from ⚠ (advice, exit 0), --strict,
// and why the synthetic checks fail without a user login.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { writeHeartbeat } from '../../agent/src/listener/heartbeat.ts';
import { runCli } from '../helpers/cli.ts';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { startDemoServer, type DemoServer } from '../helpers/demo-server.ts';

let db: TestDatabase;
let api: DemoServer;

before(async () => {
  db = await migratedDatabase('doctor');
  api = await startDemoServer();
});
after(async () => {
  await api.close();
  await db.drop();
});

const env = (over: Record<string, string> = {}) => ({
  DATABASE_URL: db.url,
  API_BASE: api.url,
  JWT_MONITOR_EMAIL: api.credentials.email,
  JWT_MONITOR_PASS: api.credentials.password,
  JWT_USER_EMAIL: api.credentials.email,
  JWT_USER_PASS: api.credentials.password,
  MONITOR_LOG_LEVEL: 'error',
  ...over,
});
const line = (out: string, label: string) => out.split('\n').find((l) => l.slice(2).startsWith(`${label}:`)) ?? `(no ${label} line)`;

describe('doctor', () => {
  beforeEach(async () => {
    api.controls.reset();
    await writeHeartbeat(db.pool, String(Date.now()));
  });

  test('a healthy setup without an alert channel: ⚠ advice, exit 0; --strict makes it exit 1', async () => {
    const r = await runCli(['doctor'], env());
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(line(r.stdout, 'alert channels'), /^⚠ alert channels: none: incidents are recorded but nobody is told/);
    assert.match(line(r.stdout, 'monitoring login'), /^✓ /);
    assert.match(line(r.stdout, 'user login'), /^✓ user login: .* gets a token \(POST \/api\/auth\/login\)/);
    assert.match(line(r.stdout, 'API database'), /^✓ /);
    assert.match(r.stdout, /^1 piece of advice$/m);
    assert.doesNotMatch(r.stdout, /✗/);
    assert.ok(!(r.stdout + r.stderr).includes(api.credentials.password));

    const strict = await runCli(['doctor', '--strict'], env());
    assert.equal(strict.code, 1, strict.stdout);
    assert.match(strict.stdout, /1 piece of advice \(--strict: advice fails too\)/);
  });

  test('without a user login against an API that refuses the explorer token on user routes: ✗ with the reason', async () => {
    const r = await runCli(['doctor'], env({ JWT_USER_EMAIL: '', JWT_USER_PASS: '' }));
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const user = line(r.stdout, 'user login');
    assert.match(user, /^✗ user login: JWT_USER_EMAIL \/ JWT_USER_PASS not set: synthetic\.hash, synthetic\.wallet_info and synthetic\.nft_status send the explorer token/);
    assert.match(user, /POST \/api\/auth\/register/);
    assert.match(user, /This API does: GET \/api\/wallet\/info with the explorer token → HTTP 500 \{"details":"'user_id'"\}/);
    assert.match(r.stdout, /^1 problem found, 1 piece of advice$/m);
  });

  test("the API up but its database down: ✗ API database with the driver's error, while API reachable stays ✓", async () => {
    api.controls.setFaults({ dbDown: true });
    const r = await runCli(['doctor'], env());
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(line(r.stdout, 'API reachable'), /^✓ /);
    assert.match(line(r.stdout, 'API database'), /^✗ API database: GET \/api\/db\/health → HTTP 500: connection to server/);
  });

  test('a wrong user password is ✗ naming the user variables', async () => {
    const r = await runCli(['doctor'], env({ JWT_USER_PASS: 'not-the-password' }));
    assert.equal(r.code, 1);
    assert.match(line(r.stdout, 'user login'), /^✗ user login: user login rejected \(HTTP 401\): check JWT_USER_EMAIL and JWT_USER_PASS/);
    assert.ok(!r.stdout.includes('not-the-password'));
  });
});
