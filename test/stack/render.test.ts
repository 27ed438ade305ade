// render.yaml against the Blueprint fields Render documents (a small strict schema of the parts we use), and against
// the agent: a background worker on the Dockerfile, variables the schema knows, secrets never written in the file.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { envSchema, SECRET_VARIABLES } from '../../agent/src/config/env.ts';
import { parseDockerfile, readYaml, repoFileExists, startCommand } from './files.ts';

const REGIONS = ['oregon', 'ohio', 'virginia', 'frankfurt', 'singapore'] as const;

// One source per variable, as Render documents: value, generateValue, sync: false, fromDatabase, fromService; or fromGroup.
const envVar = z.union([
  z.strictObject({ key: z.string(), value: z.string() }),
  z.strictObject({ key: z.string(), generateValue: z.literal(true) }),
  z.strictObject({ key: z.string(), sync: z.literal(false) }),
  z.strictObject({
    key: z.string(),
    fromDatabase: z.strictObject({
      name: z.string(),
      property: z.enum(['connectionString', 'host', 'port', 'user', 'password', 'database']),
    }),
  }),
  z.strictObject({
    key: z.string(),
    fromService: z.strictObject({
      type: z.enum(['web', 'pserv', 'worker', 'cron', 'keyvalue', 'redis']),
      name: z.string(),
      property: z.enum(['host', 'port', 'hostport', 'connectionString']).optional(),
      envVarKey: z.string().optional(),
    }),
  }),
  z.strictObject({ fromGroup: z.string() }),
]);

// A background worker: no port, no health check path, no domains (those are web-service fields).
const worker = z.strictObject({
  type: z.literal('worker'),
  name: z.string().min(1),
  runtime: z.enum(['docker', 'image', 'node', 'python', 'elixir', 'go', 'ruby', 'rust']),
  plan: z.enum(['starter', 'standard', 'pro', 'pro plus', 'pro max', 'pro ultra']).optional(),
  region: z.enum(REGIONS).optional(),
  repo: z.string().optional(),
  branch: z.string().optional(),
  rootDir: z.string().optional(),
  dockerfilePath: z.string().optional(),
  dockerContext: z.string().optional(),
  dockerCommand: z.string().optional(),
  buildCommand: z.string().optional(),
  startCommand: z.string().optional(),
  preDeployCommand: z.string().optional(),
  numInstances: z.number().int().positive().optional(),
  autoDeploy: z.boolean().optional(),
  autoDeployTrigger: z.enum(['commit', 'checksPass', 'off']).optional(),
  maxShutdownDelaySeconds: z.number().int().min(1).max(300).optional(),
  envVars: z.array(envVar),
});

const database = z.strictObject({
  name: z.string().min(1),
  databaseName: z.string().regex(/^[a-z_][a-z0-9_]*$/).optional(),
  user: z.string().regex(/^[a-z_][a-z0-9_]*$/).optional(),
  plan: z.string().regex(/^(free|basic-\d+(mb|gb)|pro-\d+gb|accelerated-\d+gb|starter|standard|pro|pro plus)$/).optional(),
  region: z.enum(REGIONS).optional(),
  postgresMajorVersion: z.string().regex(/^\d{2}$/).optional(),
  diskSizeGB: z.number().int().positive().optional(),
  ipAllowList: z.array(z.strictObject({ source: z.string(), description: z.string().optional() })).optional(),
  highAvailability: z.strictObject({ enabled: z.boolean() }).optional(),
  readReplicas: z.array(z.strictObject({ name: z.string() })).optional(),
});

const blueprint = z.strictObject({
  services: z.array(worker).min(1),
  databases: z.array(database).optional(),
});

const parsed = blueprint.safeParse(readYaml('render.yaml'));
const issues = parsed.success ? '' : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
type Blueprint = z.infer<typeof blueprint>;
type EnvVar = z.infer<typeof envVar>;
const file = parsed.data as Blueprint;
const agent = () => file.services.find((s) => s.name === 'blocktrust-monitor-agent')!;
const byKey = (v: EnvVar) => ('key' in v ? v.key : undefined);

describe('render.yaml', () => {
  test('uses only the Blueprint fields Render documents, with valid values', () => {
    assert.ok(parsed.success, issues);
  });

  test('the schema above rejects what Render would (self-check)', () => {
    const bad = [
      { services: [{ type: 'worker', name: 'a', runtime: 'docker', envVars: [], healthCheckPath: '/' }] },
      { services: [{ type: 'worker', name: 'a', runtime: 'docker', envVars: [{ key: 'X', value: 'v', sync: false }] }] },
      { services: [{ type: 'worker', name: 'a', runtime: 'docker', envVars: [{ key: 'X', fromDatabase: { name: 'd', property: 'url' } }] }] },
    ];
    for (const sample of bad) assert.equal(blueprint.safeParse(sample).success, false, JSON.stringify(sample));
  });

  test('the agent is a background worker built from agent/Dockerfile, starting the image\'s own `run`', () => {
    const service = agent();
    assert.equal(service.type, 'worker');
    assert.equal(service.runtime, 'docker');
    assert.ok(repoFileExists(service.dockerfilePath!.replace(/^\.\//, '')), service.dockerfilePath);
    assert.equal(service.dockerContext, '.');
    const command = startCommand(parseDockerfile('agent/Dockerfile'));
    if (service.dockerCommand) assert.equal(service.dockerCommand, command.join(' '));
    assert.equal(command.at(-1), 'run');
  });

  test('DATABASE_URL comes from the Render Postgres declared in databases:', () => {
    const url = agent().envVars.find((v) => byKey(v) === 'DATABASE_URL');
    assert.ok(url && 'fromDatabase' in url, 'DATABASE_URL fromDatabase');
    assert.equal(url.fromDatabase.property, 'connectionString');
    assert.ok(file.databases?.some((d) => d.name === url.fromDatabase.name), `database ${url.fromDatabase.name} is declared`);
  });

  test('every variable is one the agent reads, set once, and fixed values pass the agent\'s own validation', () => {
    const keys = agent().envVars.map(byKey).filter((k): k is string => Boolean(k));
    assert.equal(new Set(keys).size, keys.length, 'no variable twice');
    const shape = envSchema.shape as Record<string, z.ZodType>;
    for (const v of agent().envVars) {
      const key = byKey(v);
      assert.ok(key && key in shape, `${key} is not a variable of agent/src/config/env.ts`);
      if ('value' in v) assert.ok(shape[key].safeParse(v.value).success, `${key}: "${v.value}" is refused by the agent`);
    }
  });

  test('secrets are never written in the file: asked for (sync: false), generated, or from the database', () => {
    for (const name of SECRET_VARIABLES) {
      const v = agent().envVars.find((e) => byKey(e) === name);
      if (!v) continue;
      assert.ok(!('value' in v), `${name} must not have a value in render.yaml`);
    }
    for (const name of ['JWT_MONITOR_PASS', 'ALERT_SLACK_WEBHOOK', 'ALERT_TELEGRAM_BOT']) {
      const v = agent().envVars.find((e) => byKey(e) === name);
      assert.ok(v && 'sync' in v && v.sync === false, `${name}: sync: false`);
    }
    const key = agent().envVars.find((e) => byKey(e) === 'MONITOR_SECRET_KEY');
    assert.ok(key && 'generateValue' in key, 'MONITOR_SECRET_KEY generated by Render (base64 of 256 bits, over 32 characters)');
  });

  test('what the agent needs to watch Blocktrust is asked for at setup', () => {
    for (const name of ['API_BASE', 'JWT_MONITOR_EMAIL', 'JWT_MONITOR_PASS']) {
      const v = agent().envVars.find((e) => byKey(e) === name);
      assert.ok(v && 'sync' in v, `${name}: sync: false`);
    }
  });
});
