// The agent's configuration from environment variables: the v1.2 guide's names and defaults (without its
// default credentials), plus MONITOR_* and ALERT_* additions. This schema is the single source of truth:
// .env.example and docs/configuration.md are checked against it.
import {
  DEFAULTS, LANGUAGES, LOCATION_NAME, LOCATION_NAME_RULE, SEVERITIES, slackWebhookProblem, TARGET_RANGES, TELEGRAM_BOT_TOKEN, TELEGRAM_BOT_TOKEN_RULE, TELEGRAM_CHAT_ID,
  TELEGRAM_CHAT_ID_RULE,
} from '@blocktrust-monitor/contract';
import { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "4h", "30m", "90s", "1500ms", or a bare number of seconds → milliseconds. */
export function parseDuration(text: string): number | null {
  const m = DURATION.exec(text.trim());
  if (!m) return null;
  return Math.round(Number(m[1]) * UNIT_MS[m[2] ?? 's']);
}

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalText = z.preprocess(blankToUndefined, z.string().trim().optional());
// Numbers are written in decimal digits only: 0x10, 1e1, 10_000 or Infinity are mistakes, not numbers.
const DECIMAL_INT = /^-?\d+$/;
const DECIMAL = /^-?\d+(?:\.\d+)?$/;
const decimal = (pattern: RegExp, example: string) =>
  z.union([z.string(), z.number()], { error: 'must be a number' }).transform((raw, ctx) => {
    const text = String(raw).trim();
    if (!pattern.test(text)) {
      const what = pattern === DECIMAL_INT ? 'a whole number' : 'a number';
      ctx.addIssue({ code: 'custom', message: `must be ${what} in decimal digits such as ${example}, got "${text.slice(0, 40)}"` });
      return z.NEVER;
    }
    return Number(text);
  });
const int = (def: number, min: number, max: number) =>
  z.preprocess(blankToUndefined, decimal(DECIMAL_INT, String(def))
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`)).default(def));
const num = (def: number, gt: number, lt: number) =>
  z.preprocess(blankToUndefined, decimal(DECIMAL, String(def))
    .pipe(z.number().gt(gt, `must be greater than ${gt}`).lt(lt, `must be less than ${lt}`)).default(def));
const duration = (def: string, minMs: number) =>
  z.preprocess(blankToUndefined, z.string().default(def)).transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === null || ms < minMs) {
      ctx.addIssue({ code: 'custom', message: `must be a duration like 4h, 30m or 90s (at least ${minMs / 1000}s), got "${text}"` });
      return z.NEVER;
    }
    return ms;
  });
const httpUrl = (what: string) =>
  z.string().trim().refine((v) => {
    try {
      return ['http:', 'https:'].includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, `must be an http(s) URL (${what})`);

const address = z.string().trim().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a contract address (0x and 40 hex digits)');

/** v1.2 used SQLAlchemy's `postgresql+psycopg2://` form; node-postgres wants `postgresql://`. */
export function normalizeDatabaseUrl(raw: string): string {
  return raw.trim().replace(/^postgres(?:ql)?\+\w+:\/\//, 'postgresql://');
}

/** The longest timeout of one check run (the checks file's `timeout_ms` has the same bound). */
export const MAX_CHECK_TIMEOUT_MS = 300_000;

export const envSchema = z.object({
  // v1.2 variables
  API_BASE: z.preprocess(blankToUndefined, httpUrl('base URL of the Blocktrust API').default('http://localhost:10000'))
    .transform((v) => v.replace(/\/+$/, '')),
  JWT_MONITOR_EMAIL: optionalText,
  JWT_MONITOR_PASS: optionalText,
  POLYGON_RPC_URL: z.preprocess(blankToUndefined, httpUrl('JSON-RPC endpoint').optional()),
  DATABASE_URL: z.preprocess(blankToUndefined, z.string().optional())
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      const url = normalizeDatabaseUrl(v);
      try {
        const u = new URL(url);
        if (!['postgresql:', 'postgres:'].includes(u.protocol)) throw new Error();
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a postgresql:// URL (postgresql+psycopg2:// is accepted too)' });
        return z.NEVER;
      }
      return url;
    }),
  ALERT_SLACK_WEBHOOK: z.preprocess(blankToUndefined, z.string().trim().superRefine((v, ctx) => {
    const problem = slackWebhookProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: `${problem} (Slack incoming webhook)` });
  }).optional()),
  ALERT_TELEGRAM_BOT: z.preprocess(blankToUndefined,
    z.string().trim().regex(TELEGRAM_BOT_TOKEN, TELEGRAM_BOT_TOKEN_RULE).optional()),
  ALERT_TELEGRAM_CHAT: z.preprocess(blankToUndefined,
    z.string().trim().regex(TELEGRAM_CHAT_ID, TELEGRAM_CHAT_ID_RULE).optional()),
  SLO_LATENCY_MS: int(DEFAULTS.latencyMs, TARGET_RANGES.latencyMs.min, TARGET_RANGES.latencyMs.max),
  SLO_UPTIME_TARGET: num(DEFAULTS.uptimeTarget, 0, 100),
  MONITOR_CHECK_INTERVAL: int(DEFAULTS.checkIntervalSec, 1, 86_400),
  MAX_LISTENER_LAG_SEC: int(DEFAULTS.maxLagSec, TARGET_RANGES.maxLagSec.min, TARGET_RANGES.maxLagSec.max),

  // additions
  MONITOR_CHECKS_FILE: optionalText,
  MONITOR_CHECK_TIMEOUT_MS: int(DEFAULTS.checkTimeoutMs, 100, MAX_CHECK_TIMEOUT_MS),
  MONITOR_FAILURE_THRESHOLD: int(DEFAULTS.failureThreshold, 1, 100),
  MONITOR_SUCCESS_THRESHOLD: int(DEFAULTS.successThreshold, 1, 100),
  MONITOR_AGENT_ID: optionalText,
  MONITOR_LOCATION: z.preprocess(blankToUndefined, z.string().trim().regex(LOCATION_NAME, `must be a location name: ${LOCATION_NAME_RULE}`).optional()),
  MONITOR_SECRET_KEY: z.preprocess(blankToUndefined,
    z.string().min(32, 'must be at least 32 characters (e.g. the output of `openssl rand -base64 32`)').optional()),
  MONITOR_LOG_LEVEL: z.preprocess(blankToUndefined, z.enum(['debug', 'info', 'warn', 'error']).default('info')),
  MONITOR_LOG_FORMAT: z.preprocess(blankToUndefined, z.enum(['text', 'json']).optional()),
  MONITOR_FLUSH_INTERVAL_MS: int(1000, 50, 60_000),
  MONITOR_BUFFER_MAX: int(10_000, 10, 10_000_000),
  MONITOR_MAX_RESPONSE_BYTES: int(1024 * 1024, 1024, 1024 ** 3),
  MONITOR_GRAFANA_URL: z.preprocess(blankToUndefined, httpUrl('Grafana base URL').default('http://localhost:3000'))
    .transform((v) => v.replace(/\/+$/, '')),
  MONITOR_PLAYBOOK_BASE_URL: z.preprocess(blankToUndefined, httpUrl('where docs/playbooks is published').optional()),
  MONITOR_METRICS_PORT: z.preprocess(blankToUndefined,
    decimal(DECIMAL_INT, '9464').pipe(z.number().min(1, 'must be a port number').max(65_535, 'must be a port number')).optional()),
  MONITOR_METRICS_HOST: z.preprocess(blankToUndefined, z.string().trim().default('127.0.0.1')),
  MONITOR_DATA_DIR: z.preprocess(blankToUndefined, z.string().default('.data')),
  MONITOR_RETENTION_DAYS: int(30, 1, 36_500),
  MONITOR_ROLLUP_RETENTION_DAYS: int(400, 1, 36_500),
  MONITOR_ARCHIVE_DIR: optionalText,
  MONITOR_MAINTENANCE_INTERVAL: duration('5m', 60_000),
  MONITOR_EMBEDDED_PG_PORT: int(54_329, 1024, 65_535),
  MONITOR_DEMO_PORT: int(10_000, 1, 65_535),
  MONITOR_DEMO_EMAIL: optionalText,
  MONITOR_DEMO_PASS: optionalText,
  MONITOR_STATUS_INTERVAL: int(300, 10, 86_400),
  ALERT_LANGUAGE: z.preprocess(blankToUndefined, z.enum(LANGUAGES).default(DEFAULTS.language)),
  ALERT_MIN_SEVERITY: z.preprocess(blankToUndefined, z.enum(SEVERITIES).default(DEFAULTS.minSeverity)),
  ALERT_REPEAT_INTERVAL: duration('4h', 60_000),
  ALERT_TELEGRAM_API_BASE: z.preprocess(blankToUndefined, httpUrl('Telegram Bot API base').default('https://api.telegram.org'))
    .transform((v) => v.replace(/\/+$/, '')),

  // the real API's second login and its listener's contracts
  JWT_USER_EMAIL: optionalText,
  JWT_USER_PASS: optionalText,
  MONITOR_LOGIN_TTL: duration('15m', 60_000),
  PROOF_REGISTRY_ADDRESS: z.preprocess(blankToUndefined, address.optional()),
  IDENTITY_NFT_ADDRESS: z.preprocess(blankToUndefined, address.optional()),
  // one message per root cause
  ALERT_GROUP_WINDOW: duration('10s', 0),
  ALERT_GROUP_BY: z.preprocess(blankToUndefined, z.enum(['host', 'error_class']).default('host')),
});

export type Env = z.infer<typeof envSchema>;

/** Variables whose values must never be printed. */
export const SECRET_VARIABLES = [
  'JWT_MONITOR_PASS', 'JWT_USER_PASS', 'DATABASE_URL', 'ALERT_SLACK_WEBHOOK', 'ALERT_TELEGRAM_BOT', 'MONITOR_SECRET_KEY', 'MONITOR_DEMO_PASS',
] as const;

export function loadEnv(vars: Record<string, string | undefined>): Env {
  const parsed = envSchema.safeParse(vars);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? '(environment)');
      problems.push(`${name}: ${issue.message}`);
    }
  }
  const given = (name: string) => Boolean(vars[name]?.trim());
  if (given('JWT_MONITOR_EMAIL') !== given('JWT_MONITOR_PASS')) {
    problems.push('JWT_MONITOR_EMAIL and JWT_MONITOR_PASS: set both (the dedicated monitoring login) or neither');
  }
  if (given('JWT_USER_EMAIL') !== given('JWT_USER_PASS')) {
    problems.push('JWT_USER_EMAIL and JWT_USER_PASS: set both (a platform user for the synthetic checks) or neither');
  }
  if (given('ALERT_TELEGRAM_BOT') !== given('ALERT_TELEGRAM_CHAT')) {
    problems.push('ALERT_TELEGRAM_BOT and ALERT_TELEGRAM_CHAT: set both or neither');
  }
  if (problems.length) throw new ConfigError(problems);
  const env = parsed.data!;
  // A run longer than its interval would make the next one skip: the default timeout shrinks to fit, a given one must.
  const intervalMs = env.MONITOR_CHECK_INTERVAL * 1000;
  if (env.MONITOR_CHECK_TIMEOUT_MS > intervalMs) {
    if (given('MONITOR_CHECK_TIMEOUT_MS')) {
      throw new ConfigError([`MONITOR_CHECK_TIMEOUT_MS: ${env.MONITOR_CHECK_TIMEOUT_MS} ms is longer than MONITOR_CHECK_INTERVAL ` +
        `(${env.MONITOR_CHECK_INTERVAL} s): a run must end before the next one is due`]);
    }
    env.MONITOR_CHECK_TIMEOUT_MS = Math.max(100, intervalMs);
  }
  return env;
}
