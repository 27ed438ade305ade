// docker-compose.yml: validated offline (dclint's compose schema and rules; Debian's docker-compose when installed),
// its structure checked, and its agent healthchecks run for real against Postgres.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { migratedDatabase, type TestDatabase } from '../helpers/db.ts';
import { composeLiteral, contextCopies, dockerignore, parseDockerfile, readCompose, readRepoFile, repoFileExists, root, type ComposeService } from './files.ts';

const PLUGIN_ID = 'blocktrust-monitor-app';
const compose = readCompose();
const services = compose.services;

// Start-up order reads better than alphabetical order; `name:` is refused by Debian's docker-compose 1.29.
const DCLINT_DISABLED = ['services-alphabetical-order', 'require-project-name-field'];

function dependsOn(service: ComposeService): Record<string, { condition?: string }> {
  const deps = service.depends_on ?? {};
  assert.ok(!Array.isArray(deps), 'depends_on must name a condition for each dependency');
  return deps;
}

function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).status === 0;
}

/** Parses semver "x.y.z" out of an image tag such as "12.4.10" or "17.6-alpine". */
function versionOf(image: string): number[] {
  const tag = image.split(':')[1] ?? '';
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(tag);
  assert.ok(m, `${image}: the tag names no version`);
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** Enough of npm's range syntax for grafanaDependency: space-separated >=, >, <, <=, = comparators. */
function satisfies(version: number[], range: string): boolean {
  return range.trim().split(/\s+/).every((part) => {
    const m = /^(>=|<=|>|<|=)?v?(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(part);
    assert.ok(m, `cannot read the range part "${part}"`);
    const c = compare(version, [Number(m[2]), Number(m[3] ?? 0), Number(m[4] ?? 0)]);
    switch (m[1] ?? '=') {
      case '>=': return c >= 0;
      case '>': return c > 0;
      case '<=': return c <= 0;
      case '<': return c < 0;
      default: return c === 0;
    }
  });
}

describe('docker-compose.yml validates offline', () => {
  test('dclint: compose schema and lint rules, no warnings', () => {
    const args = ['docker-compose.yml', '--max-warnings', '0', '--color', 'false'];
    for (const rule of DCLINT_DISABLED) args.push('--disable-rule', rule);
    const res = spawnSync(path.join(root, 'node_modules/.bin/dclint'), args, { cwd: root, encoding: 'utf8' });
    assert.equal(res.status, 0, `dclint failed:\n${res.stdout}${res.stderr}`);
  });

  test('Debian docker-compose: config -q, with and without the deno profile', {
    skip: hasCommand('docker-compose') ? false : 'docker-compose is not installed (apt-get install docker-compose)',
  }, () => {
    for (const extra of [[], ['--profile', 'deno']]) {
      const res = spawnSync('docker-compose', ['-f', 'docker-compose.yml', ...extra, 'config', '-q'], { cwd: root, encoding: 'utf8' });
      assert.equal(res.status, 0, `docker-compose ${extra.join(' ')} config -q:\n${res.stdout}${res.stderr}`);
    }
  });
});

describe('docker-compose.yml structure', () => {
  test('the services of the stack', () => {
    for (const name of ['postgres', 'migrate', 'grafana-role', 'demo', 'agent', 'agent-deno', 'grafana']) {
      assert.ok(services[name], `service ${name} is missing`);
    }
  });

  test('every service has an image pinned to a version, or a build', () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.build) continue;
      assert.ok(service.image, `${name} has neither image nor build`);
      assert.match(service.image, /^[\w./-]+:v?\d+(\.\d+)+[\w.-]*$/, `${name}: image ${service.image} is not pinned to a version`);
    }
  });

  test('every long-running service has a healthcheck; one-shot services do not restart', () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.restart === 'no') continue;
      assert.ok(service.healthcheck?.test, `${name} has no healthcheck`);
    }
    assert.equal(services.migrate.restart, 'no');
    assert.equal(services['grafana-role'].restart, 'no');
  });

  test('every dependency waits on a condition: healthy services, completed one-shots', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [dep, spec] of Object.entries(dependsOn(service))) {
        const target = services[dep];
        assert.ok(target, `${name} depends on unknown service ${dep}`);
        const expected = target.restart === 'no' ? 'service_completed_successfully' : 'service_healthy';
        assert.equal(spec.condition, expected, `${name} → ${dep}`);
      }
    }
  });

  test('start-up order: postgres, migrations, Grafana role, demo API, agent, Grafana', () => {
    assert.deepEqual(Object.keys(dependsOn(services.migrate)), ['postgres']);
    assert.deepEqual(Object.keys(dependsOn(services['grafana-role'])), ['migrate']);
    assert.ok('migrate' in dependsOn(services.demo));
    for (const agent of ['agent', 'agent-deno']) {
      assert.ok('migrate' in dependsOn(services[agent]), `${agent} after the migrations`);
      assert.ok('demo' in dependsOn(services[agent]), `${agent} after the demo API is healthy (no false incident at start)`);
    }
    assert.ok('grafana-role' in dependsOn(services.grafana));
  });

  test('one agent image: migrate builds it from agent/Dockerfile, demo and agent run it (never pulled); the CLI: migrate, demo-api, run', () => {
    const dockerfile = (s: ComposeService) => (typeof s.build === 'object' ? s.build.dockerfile : undefined);
    assert.equal(dockerfile(services.migrate), 'agent/Dockerfile');
    assert.equal(services.migrate.pull_policy, 'build', 'rebuilt on every up, so that the image follows the sources');
    for (const name of ['demo', 'agent']) {
      assert.equal(services[name].build, undefined, `${name} does not build the image again`);
      assert.equal(services[name].image, services.migrate.image, `${name} runs the image migrate builds`);
      assert.equal(services[name].pull_policy, 'never', `${name}: the image exists only where it was built`);
    }
    assert.deepEqual(services.migrate.command, ['migrate']);
    assert.deepEqual(services.demo.command, ['demo-api']);
    assert.deepEqual(services.agent.command, ['run']);
  });

  test('the demo API is published on this machine, so that the README\'s fault switches reach it', () => {
    assert.deepEqual(services.demo.ports, ['127.0.0.1:${DEMO_PORT:-10000}:10000']);
    assert.equal(services.demo.environment?.MONITOR_DEMO_PORT, '10000');
    assert.match(readRepoFile('README.md'), /curl -X POST localhost:10000\/__demo\/faults/);
  });

  test('the deno profile runs the same agent from agent/Dockerfile.deno', () => {
    const deno = services['agent-deno'];
    assert.deepEqual(deno.profiles, ['deno']);
    assert.equal(typeof deno.build === 'object' && deno.build.dockerfile, 'agent/Dockerfile.deno');
    assert.deepEqual(deno.command, ['run']);
    assert.deepEqual(Object.keys(deno.environment ?? {}).sort(), Object.keys(services.agent.environment ?? {}).sort());
    assert.notEqual(deno.environment?.MONITOR_AGENT_ID, services.agent.environment?.MONITOR_AGENT_ID);
  });

  test('Grafana: the plugin built into its image (plugin/Dockerfile), provisioning mounted, unsigned loading allowed for this id only', () => {
    const grafana = services.grafana;
    assert.equal(typeof grafana.build === 'object' && grafana.build.dockerfile, 'plugin/Dockerfile');
    assert.equal(grafana.pull_policy, 'build');
    assert.ok(!(grafana.volumes ?? []).some((v) => v.startsWith('./plugin/')), 'nothing of the plugin is mounted from the host');
    assert.ok(grafana.volumes?.includes('./provisioning:/etc/grafana/provisioning:ro'), 'provisioning mount');
    assert.equal(grafana.environment?.GF_PLUGINS_ALLOW_LOADING_UNSIGNED_PLUGINS, PLUGIN_ID);
    const home = String(grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH);
    assert.equal(home, `/var/lib/grafana/plugins/${PLUGIN_ID}/dashboards/overview.json`);
    assert.ok(repoFileExists('plugin/src/dashboards/overview.json'), 'the home dashboard ships in the plugin');
    assert.deepEqual(grafana.ports, ['127.0.0.1:${GRAFANA_PORT:-3000}:3000'], 'Grafana listens on this machine only');
  });

  test('the Grafana version satisfies the plugin\'s grafanaDependency', () => {
    const pluginJson = JSON.parse(readRepoFile('plugin/src/plugin.json'));
    assert.equal(pluginJson.id, PLUGIN_ID);
    const range: string = pluginJson.dependencies.grafanaDependency;
    const base = parseDockerfile('plugin/Dockerfile').filter((i) => i.keyword === 'FROM').at(-1)!.args;
    const build = services.grafana.build as { args?: Record<string, string> };
    const image = build.args?.GRAFANA_VERSION ? base.replace(/:.*$/, `:${build.args.GRAFANA_VERSION}`) : base;
    assert.match(image, /^grafana\/grafana(-oss)?:/);
    assert.equal(services.grafana.image?.split(':')[1], image.split(':')[1], 'the local image is tagged with the Grafana version');
    assert.ok(satisfies(versionOf(image), range), `${image} does not satisfy ${range}`);
    assert.ok(satisfies([12, 4, 10], '>=11.3.0') && !satisfies([11, 2, 0], '>=11.3.0 <13'), 'range reader self-check');
  });

  test('the Grafana role script gets the psql variable it expects, and every bind-mounted source exists', () => {
    const command = (services['grafana-role'].command as string[]).join(' ');
    const variable = /-v grafana_password=/.test(command) ? 'grafana_password' : '';
    assert.ok(variable, 'psql -v grafana_password=… is passed');
    assert.match(readRepoFile('provisioning/postgres/grafana-role.sql'), new RegExp(`:'${variable}'`));
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0];
        if (!source.startsWith('./')) continue;
        assert.ok(repoFileExists(source), `${name}: ${source} does not exist`);
      }
    }
  });

  test('Grafana gets every variable its provisioning files read', () => {
    const environment = services.grafana.environment ?? {};
    const dir = path.join(root, 'provisioning');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.ya?ml$/.test(f));
    assert.ok(files.length > 0, 'provisioning/**/*.yaml');
    for (const file of files) {
      const text = readFileSync(path.join(dir, file), 'utf8').split('\n').filter((l) => !l.trim().startsWith('#')).join('\n');
      for (const m of text.matchAll(/\$\{?([A-Z][A-Z0-9_]*)\}?/g)) {
        if (m[1].startsWith('__')) continue;
        assert.ok(m[1] in environment, `provisioning/${file} reads $${m[1]}, which the grafana service does not set`);
      }
    }
  });

  test('the demo password of the Grafana role is one grafana-role.sql accepts', () => {
    const sql = readRepoFile('provisioning/postgres/grafana-role.sql');
    const minimum = Number(/length\(pw\) < (\d+)/.exec(sql)?.[1] ?? 0);
    const password = /\$\{BLOCKTRUST_GRAFANA_DB_PASSWORD:-([^}]*)\}/.exec(readRepoFile('docker-compose.yml'))?.[1] ?? '';
    assert.ok(password.length >= minimum, `"${password}" is shorter than the ${minimum} characters the script requires`);
  });

  test('no secret is committed: secret-looking values come from the environment, with demo-only defaults', () => {
    const text = readRepoFile('docker-compose.yml');
    let seen = 0;
    for (const m of text.matchAll(/^\s*([A-Z][A-Z0-9_]*(?:PASS|PASSWORD|SECRET|SECRET_KEY|TOKEN|WEBHOOK|BOT))\s*:\s*(.*)$/gm)) {
      const [, key, value] = m;
      const interpolated = /^\$\{[A-Z0-9_]+:-(.*)\}$/.exec(value.trim());
      assert.ok(interpolated, `${key} must come from the environment: ${key}: \${VAR:-default}`);
      assert.ok(interpolated[1] === '' || interpolated[1].startsWith('demo'), `${key}: default "${interpolated[1]}" is not demo-only`);
      seen += 1;
    }
    assert.ok(seen >= 8, `only ${seen} secret-looking settings found: the pattern is stale`);
    for (const m of text.matchAll(/postgres(?:ql)?:\/\/[^:\s]+:([^@\s]+)@/g)) {
      assert.match(m[1], /^\$\{[A-Z_]+:-demo[^}]*\}$/, 'database URLs take the password from the environment');
    }
  });
});

describe('the agent healthchecks, run against a real Postgres', () => {
  let db: TestDatabase;
  before(async () => {
    db = await migratedDatabase('stack_health');
  });
  after(async () => db?.drop());

  const healthcheck = (service: string): string[] => {
    const test = services[service].healthcheck?.test;
    assert.ok(Array.isArray(test) && test[0] === 'CMD', `${service}: exec-form healthcheck`);
    return test.slice(1).map(composeLiteral);
  };

  function runHealthcheck(service: string, env: Record<string, string>): number | null {
    const [cmd, ...args] = healthcheck(service);
    const binary = cmd === 'deno' ? path.join(root, 'node_modules/.bin/deno') : process.execPath;
    const res = spawnSync(binary, args, {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...env },
    });
    return res.status;
  }

  async function tick(agentId: string, ageSec: number): Promise<void> {
    await db.pool.query(
      `INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details)
       VALUES (now() - make_interval(secs => $2), 'agent.tick', true, 0, jsonb_build_object('agent_id', $1::text))`,
      [agentId, ageSec],
    );
  }

  const cases = [
    { service: 'agent', agentId: 'compose-node' },
    { service: 'agent-deno', agentId: 'compose-deno' },
  ];

  for (const { service, agentId } of cases) {
    test(`${service}: unhealthy without its heartbeat, healthy with a fresh one, unhealthy when it is stale`, async () => {
      assert.equal(services[service].environment?.MONITOR_AGENT_ID, agentId);
      const env = { DATABASE_URL: db.url, MONITOR_AGENT_ID: agentId, MONITOR_CHECK_INTERVAL: '30' };
      await db.pool.query("DELETE FROM monitor_metrics WHERE check_name = 'agent.tick'");
      assert.equal(runHealthcheck(service, env), 1, 'no heartbeat at all');
      await tick('someone-else', 0);
      assert.equal(runHealthcheck(service, env), 1, "another agent's heartbeat does not count");
      await tick(agentId, 120);
      assert.equal(runHealthcheck(service, env), 1, 'a heartbeat 120 s old, interval 30 s');
      assert.equal(runHealthcheck(service, { ...env, MONITOR_CHECK_INTERVAL: '60' }), 0, '120 s old, interval 60 s');
      await tick(agentId, 1);
      assert.equal(runHealthcheck(service, env), 0, 'a fresh heartbeat');
      const unreachable = { ...env, DATABASE_URL: 'postgresql://nobody:x@127.0.0.1:1/none' };
      assert.equal(runHealthcheck(service, unreachable), 1, 'database unreachable');
    });
  }
});

describe('a fresh clone: `docker compose up` needs nothing built by hand first', () => {
  const git = spawnSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' });
  const tracked = new Set(git.status === 0 ? git.stdout.split('\n').filter(Boolean) : []);
  const inClone = (relative: string) => {
    const clean = relative.replace(/^\.\//, '').replace(/\/+$/, '');
    return tracked.has(clean) || [...tracked].some((f) => f.startsWith(`${clean}/`));
  };

  test('every bind mount, Dockerfile and file a Dockerfile copies is in the repository (no build output)', {
    skip: git.status === 0 ? false : 'not a git checkout: cannot tell committed files from built ones',
  }, () => {
    assert.ok(!inClone('plugin/dist') && !inClone('agent/dist'), 'build output is not committed (self-check)');
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0];
        if (source.startsWith('.')) assert.ok(inClone(source), `${name}: ${source} is not in a fresh clone`);
      }
      if (!service.build) continue;
      const build = typeof service.build === 'string' ? { context: service.build } : service.build;
      assert.equal(build.context ?? '.', '.', `${name}: the build context is the repository`);
      const file = build.dockerfile ?? 'Dockerfile';
      assert.ok(inClone(file), `${name}: ${file} is not in a fresh clone`);
      const ignoreFile = repoFileExists(`${file}.dockerignore`) ? `${file}.dockerignore` : '.dockerignore';
      const isIgnored = dockerignore(ignoreFile);
      for (const source of contextCopies(parseDockerfile(file))) {
        assert.ok(inClone(source), `${name}: ${file} copies ${source}, which is not in a fresh clone`);
        assert.equal(isIgnored(source), false, `${name}: ${file} copies ${source}, which ${ignoreFile} excludes`);
      }
    }
  });

  test('every image is pulled from a registry (a version tag) or built by a service of this file', () => {
    const built = new Set(Object.values(services).filter((s) => s.build && s.image).map((s) => s.image));
    for (const [name, service] of Object.entries(services)) {
      if (service.build || !service.image) continue;
      if (built.has(service.image)) {
        assert.equal(service.pull_policy, 'never', `${name}: ${service.image} is built here, never pulled`);
      } else {
        assert.ok(/^[\w.-]+\//.test(service.image) || /^(postgres|node|grafana)[:]/.test(service.image),
          `${name}: ${service.image} is neither built here nor a known registry image`);
      }
    }
  });
});
