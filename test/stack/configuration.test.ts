// Every variable the agent reads is documented in .env.example and docs/configuration.md, with the schema's default,
// and nothing documented is stale: each documented variable is read by the agent or by docker-compose.yml.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { envSchema, SECRET_VARIABLES } from '../../agent/src/config/env.ts';
import {
  composeVariables,
  configDocVariables,
  envExampleVariables,
  environmentReadsInAgentSources,
  readCompose,
  readRepoFile,
} from './files.ts';

const schemaKeys = Object.keys(envSchema.shape) as (keyof typeof envSchema.shape)[];
const sourceReads = environmentReadsInAgentSources();
const agentVariables = new Set<string>([...schemaKeys, ...sourceReads.keys()]);
const composeText = readRepoFile('docker-compose.yml');
const stackVariables = composeVariables(composeText);
const stackOnly = [...stackVariables.keys()].filter((name) => !agentVariables.has(name));
const example = envExampleVariables(readRepoFile('.env.example'));
const doc = configDocVariables(readRepoFile('docs/configuration.md'));

const missing = (expected: Iterable<string>, present: Map<string, string>) => [...expected].filter((n) => !present.has(n)).sort();

function schemaDefault(name: keyof typeof envSchema.shape): unknown {
  return envSchema.shape[name].parse(undefined);
}

describe('configuration reference', () => {
  test('the schema is the source of truth: variables read outside it are listed here by the source scan', () => {
    // Known to be read: the scan must at least see the schema's own users, or it is broken.
    assert.ok(sourceReads.has('API_BASE'), 'the scan of agent/src found no env.API_BASE read: the patterns are stale');
    const outside = [...sourceReads.keys()].filter((n) => !(schemaKeys as string[]).includes(n));
    assert.deepEqual(outside.map((n) => `${n} (${sourceReads.get(n)})`), [],
      'variables read in agent/src but missing from agent/src/config/env.ts: add them to the schema');
  });

  test('every variable the agent reads is in .env.example', () => {
    assert.deepEqual(missing(agentVariables, example), []);
  });

  test('every variable the agent reads is in docs/configuration.md', () => {
    assert.deepEqual(missing(agentVariables, doc), []);
  });

  test('every variable docker-compose.yml interpolates is in .env.example and docs/configuration.md', () => {
    assert.deepEqual(missing(stackVariables.keys(), example), []);
    assert.deepEqual(missing(stackVariables.keys(), doc), []);
  });

  test('no stale variables: each one documented is read by the agent or by docker-compose.yml', () => {
    const known = new Set([...agentVariables, ...stackVariables.keys()]);
    assert.deepEqual([...example.keys()].filter((n) => !known.has(n)), [], '.env.example');
    assert.deepEqual([...doc.keys()].filter((n) => !known.has(n)), [], 'docs/configuration.md');
  });

  test('.env.example shows the schema default of each variable, and no value where there is none', () => {
    for (const name of schemaKeys) {
      const shown = example.get(name);
      const expected = schemaDefault(name);
      if (expected === undefined) {
        assert.equal(shown, '', `${name}: no default in the schema, so .env.example must leave it empty`);
      } else {
        assert.deepEqual(envSchema.shape[name].parse(shown), expected, `${name}: .env.example shows "${shown}"`);
      }
    }
  });

  test('docs/configuration.md shows the schema default of each variable, or "none"', () => {
    for (const name of schemaKeys) {
      const cell = doc.get(name)!;
      const expected = schemaDefault(name);
      if (expected === undefined) {
        assert.equal(cell, 'none', `${name}: no default in the schema`);
      } else {
        const shown = /^`([^`]*)`$/.exec(cell)?.[1];
        assert.ok(shown !== undefined, `${name}: the default cell should be one code span, got ${cell}`);
        assert.deepEqual(envSchema.shape[name].parse(shown), expected, `${name}: docs show ${cell}`);
      }
    }
  });

  test('variables only the compose stack reads have the same default in the stack, .env.example and the docs', () => {
    assert.ok(stackOnly.length > 0);
    for (const name of stackOnly) {
      const stackDefault = stackVariables.get(name) ?? '';
      assert.equal(example.get(name), stackDefault, `${name} in .env.example`);
      assert.equal(doc.get(name), stackDefault === '' ? 'none' : `\`${stackDefault}\``, `${name} in docs`);
      if (/PASSWORD|SECRET|TOKEN/.test(name)) {
        assert.match(stackDefault, /^demo/, `${name}: a default password must say it is demo-only`);
      }
    }
  });

  test('secret variables are marked secret in the docs and never given a value in .env.example', () => {
    for (const name of SECRET_VARIABLES) {
      assert.equal(example.get(name), '', `${name} must be empty in .env.example`);
      const row = readRepoFile('docs/configuration.md').split('\n').find((l) => l.startsWith(`| \`${name}\``));
      assert.match(row ?? '', /\*secret\*/, `${name} row should say *secret*`);
    }
  });

  test('README: its configuration table names real variables with their real defaults, and links the full reference', () => {
    const readme = readRepoFile('README.md');
    assert.match(readme, /\]\(docs\/configuration\.md\)/, 'README links docs/configuration.md');
    assert.match(readme, /\]\(\.env\.example\)/, 'README links .env.example');
    const rows = readme.split('\n').filter((l) => /^\| `[A-Z][A-Z0-9_]*`/.test(l));
    for (const row of rows) {
      const [, names, cell] = row.split('|').map((c) => c.trim());
      for (const [, name] of names.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) {
        assert.ok((schemaKeys as string[]).includes(name) || stackVariables.has(name), `README names ${name}, which nothing reads`);
        if (!(schemaKeys as string[]).includes(name)) continue;
        const expected = schemaDefault(name as keyof typeof envSchema.shape);
        if (/^none\b/.test(cell)) {
          assert.equal(expected, undefined, `README: ${name} has a default`);
        } else {
          const shown = cell.replace(/`/g, '').split(/\s/)[0];
          assert.deepEqual(envSchema.shape[name as keyof typeof envSchema.shape].parse(shown), expected, `README: ${name} default ${cell}`);
        }
      }
    }
  });

  test('the compose stack passes the agent only variables the schema knows (no typos)', () => {
    const compose = readCompose();
    for (const service of ['agent', 'agent-deno', 'demo', 'migrate']) {
      const names = Object.keys(compose.services[service]?.environment ?? {});
      assert.ok(names.length > 0, `${service} has an environment`);
      assert.deepEqual(names.filter((n) => !(schemaKeys as string[]).includes(n)), [], service);
    }
  });
});
