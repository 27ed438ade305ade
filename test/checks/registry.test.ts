import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ADDED_CHECK_NAMES, BUILTIN_CHECK_NAMES, builtinChecks } from '../../agent/src/checks/builtin.ts';
import { CheckSpecError, checkKinds, parseCheckSpec } from '../../agent/src/checks/registry.ts';

const defaults = { intervalSec: 30 };
const where = 'checks.yaml: checks[2]';

describe('parseCheckSpec: clear errors naming the file and key', () => {
  const scenarios: Array<{ name: string; raw: unknown; message: string }> = [
    {
      name: 'status not a list',
      raw: { name: 'a', kind: 'http', path: '/x', expect: { status: 200 } },
      message: 'checks.yaml: checks[2].expect.status: expected an array of HTTP status codes',
    },
    {
      name: 'status out of range',
      raw: { name: 'a', kind: 'http', path: '/x', expect: { status: [200, 700] } },
      message: 'checks.yaml: checks[2].expect.status[1]: expected an HTTP status code (100-599)',
    },
    {
      name: 'unknown kind',
      raw: { name: 'a', kind: 'tcp' },
      message:
        'checks.yaml: checks[2].kind: unknown kind "tcp": expected one of http, flow, listener_lag, listener_progress, chain_head, listener_events',
    },
    {
      name: 'missing kind',
      raw: { name: 'a' },
      message: 'checks.yaml: checks[2].kind: required: expected one of http, flow, listener_lag, listener_progress, chain_head, listener_events',
    },
    {
      name: 'both url and path',
      raw: { name: 'a', kind: 'http', path: '/x', url: 'http://x.test/' },
      message: 'checks.yaml: checks[2].path: expected exactly one of url or path',
    },
    {
      name: 'neither url nor path',
      raw: { name: 'a', kind: 'http' },
      message: 'checks.yaml: checks[2].path: expected exactly one of url or path',
    },
    {
      name: 'url not http',
      raw: { name: 'a', kind: 'http', url: 'ftp://x' },
      message: 'checks.yaml: checks[2].url: expected an absolute http(s) URL',
    },
    {
      name: 'typo in a field name',
      raw: { name: 'a', kind: 'http', path: '/x', expcet: {} },
      message: 'checks.yaml: checks[2]: unknown field "expcet"',
    },
    {
      name: 'bad severity',
      raw: { name: 'a', kind: 'http', path: '/x', severity: 'critical' },
      message: 'checks.yaml: checks[2].severity: expected one of info, warn, crit',
    },
    {
      name: 'interval too small',
      raw: { name: 'a', kind: 'http', path: '/x', intervalSec: 0.5 },
      message: 'checks.yaml: checks[2].intervalSec: expected at least 1 second',
    },
    {
      name: 'json assertion without a test',
      raw: { name: 'a', kind: 'http', path: '/x', expect: { json: [{ path: 'a' }] } },
      message: 'checks.yaml: checks[2].expect.json[0]: expected at least one of exists, equals, type',
    },
    {
      name: 'bad shape type',
      raw: { name: 'a', kind: 'http', path: '/x', expect: { shape: { a: 'text' } } },
      message:
        'checks.yaml: checks[2].expect.shape.a: expected a type name (string, number, boolean, array, object, null, any) or an object of shapes',
    },
    {
      name: 'negative max lag',
      raw: { name: 'a', kind: 'listener_lag', maxLagSec: -3 },
      message: 'checks.yaml: checks[2].maxLagSec: expected a positive number of seconds',
    },
    {
      name: 'fractional maxLagBlocks',
      raw: { name: 'a', kind: 'chain_head', maxLagBlocks: 2.5 },
      message: 'checks.yaml: checks[2].maxLagBlocks: expected a whole number of blocks',
    },
    {
      name: 'flow without steps',
      raw: { name: 'a', kind: 'flow', steps: [] },
      message: 'checks.yaml: checks[2].steps: expected at least one step',
    },
    { name: 'not a mapping', raw: 'api.health', message: 'checks.yaml: checks[2]: expected a mapping with name and kind' },
  ];
  for (const s of scenarios) {
    test(s.name, () => {
      assert.throws(
        () => parseCheckSpec(s.raw, where, defaults),
        (err: unknown) => err instanceof CheckSpecError && err.message === s.message,
      );
    });
  }

  test("snakeCaseKeys names spec fields as a checks file writes them, and leaves the API's keys alone", () => {
    const messages = (raw: unknown) => {
      try {
        parseCheckSpec(raw, where, defaults, { snakeCaseKeys: true });
      } catch (err) {
        return (err as CheckSpecError).problems;
      }
      return [];
    };
    assert.deepEqual(
      messages({ name: 'a', kind: 'http', path: '/x', intervalSec: 0, expect: { bodySha256: 'x', shape: { eventsBy: 'str' } } }),
      [
        'checks.yaml: checks[2].interval_sec: expected at least 1 second',
        'checks.yaml: checks[2].expect.body_sha256: expected a SHA-256 in hex (64 characters)',
        'checks.yaml: checks[2].expect.shape.eventsBy: expected a type name (string, number, boolean, array, object, null, any) or an object of shapes',
      ],
    );
    assert.deepEqual(messages({ name: 'a', kind: 'listener_lag', maxLagSecs: 3 }), [
      'checks.yaml: checks[2]: unknown field "max_lag_secs"',
    ]);
  });

  test('fills defaults from the defaults argument', () => {
    const spec = parseCheckSpec({ name: 'docs.site', kind: 'http', url: 'https://docs.example.com/health' }, where, defaults);
    assert.deepEqual(
      { ...spec },
      {
        name: 'docs.site',
        kind: 'http',
        url: 'https://docs.example.com/health',
        enabled: true,
        intervalSec: 30,
        timeoutMs: 10_000,
        failureThreshold: 2,
        successThreshold: 2,
        severity: 'crit',
        slowSeverity: 'warn',
        method: 'GET',
        auth: false,
        expect: { status: [200] },
      },
    );
    assert.equal(
      parseCheckSpec({ name: 'x', kind: 'listener_lag', timeoutMs: 5000 }, where, { intervalSec: 5, timeoutMs: 2000 }).timeoutMs,
      5000,
    );
  });
});

describe('built-in Blocktrust checks', () => {
  test("the nine v1.2 checks and api.db, with the guide's severities, all valid specs", () => {
    const specs = builtinChecks({ intervalSec: 60 });
    assert.deepEqual(
      specs.map((s) => s.name).sort(),
      [...BUILTIN_CHECK_NAMES, ...ADDED_CHECK_NAMES].sort(),
    );
    const sev = Object.fromEntries(specs.map((s) => [s.name, [s.severity, s.slowSeverity]]));
    assert.deepEqual(sev, {
      'api.health': ['crit', 'warn'],
      'api.db': ['crit', 'warn'],
      'api.events': ['crit', 'warn'],
      'api.contracts': ['warn', 'warn'],
      'api.stats': ['warn', 'warn'],
      'listener.lag': ['crit', 'warn'],
      'listener.progress': ['warn', 'warn'],
      'synthetic.hash': ['crit', 'warn'],
      'synthetic.wallet_info': ['warn', 'warn'],
      'synthetic.nft_status': ['warn', 'warn'],
    });
    for (const s of specs) {
      assert.ok(Object.hasOwn(checkKinds, s.kind));
      assert.deepEqual(parseCheckSpec(s, s.name, { intervalSec: 60 }), s, `${s.name} is valid as written`);
    }
  });

  test('the login each check uses: explorer for the explorer routes, user for the synthetic checks once it is set', () => {
    const logins = (userLogin: boolean) =>
      Object.fromEntries(builtinChecks({ intervalSec: 60, userLogin }).map((s) => [s.name, (s as { auth?: unknown }).auth ?? false]));
    const explorerOnly = logins(false);
    assert.deepEqual(
      [explorerOnly['api.events'], explorerOnly['synthetic.hash'], explorerOnly['synthetic.wallet_info'], explorerOnly['synthetic.nft_status']],
      ['explorer', 'explorer', 'explorer', 'explorer'],
      'without JWT_USER_* the synthetic checks keep the explorer token',
    );
    const both = logins(true);
    assert.deepEqual(
      [both['api.events'], both['synthetic.hash'], both['synthetic.wallet_info'], both['synthetic.nft_status']],
      ['explorer', 'user', 'user', 'user'],
    );
    assert.equal(both['api.health'], false);
    assert.equal(both['api.db'], false);
  });

  test('auth in a checks file: true means explorer, a profile by name, anything else is refused', () => {
    const parse = (auth: unknown) =>
      (parseCheckSpec({ name: 'x', kind: 'http', path: '/x', auth }, 'checks.yaml: checks[0]', { intervalSec: 60 }) as { auth: unknown }).auth;
    assert.equal(parse(true), 'explorer');
    assert.equal(parse(false), false);
    assert.equal(parse('user'), 'user');
    assert.equal(parse(undefined), false);
    assert.equal(parse('partner'), 'partner', 'a profile of the checks file; loading the file checks that it exists');
    assert.throws(() => parse(42), /checks\.yaml: checks\[0\]\.auth: expected true, false or the name of a login profile \(explorer, user, or one under logins\)/);
  });

  test('chain.head only when POLYGON_RPC_URL is set, without the URL in the spec', () => {
    assert.ok(!builtinChecks({ intervalSec: 60 }).some((s) => s.name === 'chain.head'));
    const specs = builtinChecks({ intervalSec: 60, polygonRpcUrl: 'https://polygon.example/v1/KEY' });
    const head = specs.find((s) => s.name === 'chain.head');
    assert.equal(head?.kind, 'chain_head');
    assert.ok(!JSON.stringify(head).includes('KEY'));
  });

  test('intervals and timeouts come from the defaults', () => {
    for (const s of builtinChecks({ intervalSec: 5, timeoutMs: 3000, failureThreshold: 3, successThreshold: 1 })) {
      assert.deepEqual([s.intervalSec, s.timeoutMs, s.failureThreshold, s.successThreshold], [5, 3000, 3, 1]);
    }
  });
});
