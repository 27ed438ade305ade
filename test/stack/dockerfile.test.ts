// The agent images: small, multi-stage, non-root, pinned; they start the same CLI the tests run (`run`), from the
// entry point agent/package.json declares; the build context (.dockerignore) holds what they copy and no more.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { contextCopies, dockerignore, parseDockerfile, readRepoFile, repoFileExists, root, startCommand, type DockerInstruction } from './files.ts';

const agentPackage = JSON.parse(readRepoFile('agent/package.json'));
const rootPackage = JSON.parse(readRepoFile('package.json'));
const agentTsconfig = JSON.parse(readRepoFile('agent/tsconfig.json'));
const denoJson = JSON.parse(readRepoFile('deno.json'));

const froms = (instructions: DockerInstruction[]) => instructions.filter((i) => i.keyword === 'FROM').map((i) => i.args.split(/\s+/)[0]);
const finalStage = (instructions: DockerInstruction[]) => {
  const last = Math.max(...instructions.map((i) => i.stage));
  return instructions.filter((i) => i.stage === last);
};

describe('agent/Dockerfile (Node)', () => {
  const instructions = parseDockerfile('agent/Dockerfile');

  test('multi-stage, every base image pinned to a version, a slim Node 20 base', () => {
    const images = froms(instructions);
    assert.ok(images.length >= 2, 'a build stage and a runtime stage');
    for (const image of images) assert.match(image, /^node:20\.\d+\.\d+-[a-z]+-slim$|^node:20\.\d+\.\d+-alpine[\d.]*$/, image);
  });

  // The package bin is a committed stub (so that npm links it at install time) that runs the compiled entry point.
  const binTarget = (): string => {
    const stub: string = agentPackage.bin['blocktrust-monitor'];
    const target = /new URL\('([^']+)', import\.meta\.url\)/.exec(readRepoFile(path.posix.join('agent', stub)))?.[1];
    assert.ok(target, `${stub} names the compiled entry point`);
    return path.posix.relative('agent', path.posix.join('agent', path.posix.dirname(stub), target));
  };

  test('the container starts `node agent/dist/main.node.js run`: what the package bin runs, with the CLI\'s `run`', () => {
    const command = startCommand(instructions);
    assert.deepEqual(command, ['node', path.posix.join('agent', binTarget()), 'run']);
  });

  test('the bin is what tsc makes of agent/src/main.node.ts', () => {
    const bin = binTarget();
    const { outDir, rootDir } = agentTsconfig.compilerOptions;
    const source = path.posix.join('agent', rootDir, path.posix.relative(outDir, bin).replace(/\.js$/, '.ts'));
    assert.equal(source, 'agent/src/main.node.ts');
    assert.ok(repoFileExists(source), `${source} exists`);
    assert.ok(!(agentTsconfig.exclude ?? []).includes(path.posix.relative('agent', source)), 'tsc compiles it');
  });

  test('the CLI that entry point runs has the commands the images and the stack use', () => {
    const res = spawnSync(process.execPath, ['--import', 'tsx', 'agent/src/main.node.ts', '--help'], {
      cwd: root, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    assert.equal(res.status, 0, res.stderr);
    for (const command of ['run', 'migrate', 'demo-api', 'doctor', 'test-alert']) {
      assert.match(res.stdout, new RegExp(`^\\s+${command}\\b`, 'm'), `\`${command}\` in --help`);
    }
  });

  test('`blocktrust-monitor` is on the PATH in the image, running the same entry point (for `docker compose exec`)', () => {
    const final = finalStage(instructions);
    const workdir = final.filter((i) => i.keyword === 'WORKDIR').at(-1)?.args;
    const creating = final.find((i) => i.keyword === 'RUN' && i.args.includes('> /usr/local/bin/blocktrust-monitor'));
    assert.ok(creating && workdir, 'a RUN writes /usr/local/bin/blocktrust-monitor');
    const printf = /printf ('[^']*')/.exec(creating.args)?.[1];
    assert.ok(printf);
    const script = spawnSync('sh', ['-c', `printf ${printf}`], { encoding: 'utf8' }).stdout;
    const [node, entry] = startCommand(instructions);
    assert.equal(script, `#!/bin/sh\nexec ${node} ${path.posix.join(workdir, entry)} "$@"\n`);
    assert.match(creating.args, /chmod 755 \/usr\/local\/bin\/blocktrust-monitor/);
  });

  test('the runtime stage: production dependencies only, the compiled output only, a non-root user', () => {
    const final = finalStage(instructions);
    const installs = final.filter((i) => i.keyword === 'RUN' && /npm ci/.test(i.args));
    assert.equal(installs.length, 1);
    assert.match(installs[0].args, /--omit=dev/);
    assert.match(installs[0].args, /--omit=optional/, 'no embedded Postgres binaries in the image');
    const fromBuild = final.filter((i) => i.keyword === 'COPY' && /--from=/.test(i.args));
    assert.deepEqual(fromBuild.map((i) => i.args.split(/\s+/).slice(-2)), [['/app/agent/dist', 'agent/dist']]);
    const user = final.filter((i) => i.keyword === 'USER').at(-1)?.args;
    assert.ok(user && !['root', '0', '0:0'].includes(user), `USER ${user}`);
    assert.ok(final.findIndex((i) => i.keyword === 'USER') < final.findIndex((i) => i.keyword === 'ENTRYPOINT'));
  });
});

describe('agent/Dockerfile.deno', () => {
  const instructions = parseDockerfile('agent/Dockerfile.deno');

  test('runs on denoland/deno pinned to the Deno version the project tests with', () => {
    const image = froms(instructions).at(-1)!;
    const m = /^denoland\/deno:(?:[a-z]+-)?(\d+)\.(\d+)\.(\d+)$/.exec(image);
    assert.ok(m, `${image} is pinned`);
    const wanted = /(\d+)\.(\d+)/.exec(rootPackage.devDependencies.deno)!;
    assert.deepEqual([m[1], m[2]], [wanted[1], wanted[2]], `deno ${rootPackage.devDependencies.deno} in package.json`);
  });

  test('starts agent/src/main.deno.ts `run` with no more permissions than `deno task agent`', () => {
    const command = startCommand(instructions);
    assert.equal(command[0], 'deno');
    assert.equal(command[1], 'run');
    assert.deepEqual(command.slice(-2), ['agent/src/main.deno.ts', 'run']);
    assert.ok(repoFileExists('agent/src/main.deno.ts'));
    const taskFlags = new Set<string>(denoJson.tasks.agent.split(/\s+/).filter((w: string) => w.startsWith('--')));
    const flags = command.slice(2, -2);
    assert.ok(flags.length > 0 && flags.every((f) => f.startsWith('--allow-')), `${flags}`);
    assert.deepEqual(flags.filter((f) => !taskFlags.has(f)), []);
  });

  test('a non-root user, and the sources compiled at build time', () => {
    const final = finalStage(instructions);
    const user = final.filter((i) => i.keyword === 'USER').at(-1)?.args;
    assert.ok(user && !['root', '0'].includes(user));
    assert.ok(final.some((i) => i.keyword === 'RUN' && /deno cache agent\/src\/main\.deno\.ts/.test(i.args)));
  });
});

describe('.dockerignore', () => {
  const isIgnored = dockerignore('.dockerignore');

  test('the matcher reads Docker\'s rules (self-check)', () => {
    assert.equal(isIgnored('node_modules/pg/index.js'), true);
    assert.equal(isIgnored('agent/node_modules/x'), true);
    assert.equal(isIgnored('plugin/src/module.tsx'), true);
    assert.equal(isIgnored('plugin/package.json'), false);
    assert.equal(isIgnored('.env.example'), false);
  });

  test('keeps out dependencies, local state, secrets and history', () => {
    for (const p of ['node_modules', '.git/config', '.data/pg/PG_VERSION', '.env', '.env.production', 'agent/dist/main.node.js', 'plugin/dist/module.js']) {
      assert.equal(isIgnored(p), true, `${p} must stay out of the build context`);
    }
  });

  test('lets in everything the Dockerfiles copy', () => {
    for (const file of ['agent/Dockerfile', 'agent/Dockerfile.deno']) {
      const sources = contextCopies(parseDockerfile(file));
      assert.ok(sources.length > 0);
      for (const source of sources) {
        assert.ok(repoFileExists(source), `${file}: ${source} does not exist`);
        assert.equal(isIgnored(source), false, `${file}: ${source} is excluded by .dockerignore`);
      }
    }
    assert.equal(isIgnored('agent/src/main.node.ts'), false);
  });
});

describe('plugin/Dockerfile (Grafana with the app)', () => {
  const instructions = parseDockerfile('plugin/Dockerfile');
  const isIgnored = dockerignore('plugin/Dockerfile.dockerignore');

  test('builds the plugin in a Node stage and copies only plugin/dist into Grafana\'s plugin folder', () => {
    assert.deepEqual(froms(instructions).map((i) => i.split(':')[0]), ['node', 'grafana/grafana']);
    const final = finalStage(instructions);
    const copies = final.filter((i) => i.keyword === 'COPY');
    assert.deepEqual(copies.map((i) => i.args), ['--from=build /app/plugin/dist /var/lib/grafana/plugins/blocktrust-monitor-app']);
    assert.ok(instructions.some((i) => i.keyword === 'RUN' && /npm run build --workspace plugin/.test(i.args)));
  });

  test('its own ignore file lets in what it copies and keeps out dependencies and build output', () => {
    for (const source of contextCopies(instructions)) {
      assert.ok(repoFileExists(source), `${source} does not exist`);
      assert.equal(isIgnored(source), false, `${source} is excluded by plugin/Dockerfile.dockerignore`);
    }
    for (const p of ['plugin/src/module.tsx', 'plugin/.config/webpack/webpack.config.ts', 'package-lock.json']) assert.equal(isIgnored(p), false, p);
    for (const p of ['plugin/node_modules/react/index.js', 'plugin/dist/module.js', 'node_modules/x', '.git/config', '.data/pg', '.env', 'agent/src/main.node.ts']) {
      assert.equal(isIgnored(p), true, `${p} must stay out of the build context`);
    }
  });
});
