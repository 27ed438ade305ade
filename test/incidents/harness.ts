// A small world for incident scenarios: a fresh database, fake Slack and Telegram, a hand-moved clock, and
// the engine and notifier wired as the agent wires them. `restart()` drops both and builds new ones.
import type { CheckResult, Severity } from '../../agent/src/core/types.ts';
import type { CheckSpecBase } from '../../agent/src/checks/types.ts';
import { createChannelDirectory, type AlertEnv } from '../../agent/src/alerts/directory.ts';
import { createIncidentEngine, type IncidentEngineConfig } from '../../agent/src/incidents/engine.ts';
import { createNotifier, type NotifierOptions } from '../../agent/src/alerts/notifier.ts';
import { createPgIncidentStore } from '../../agent/src/incidents/store.ts';
import { evaluateBurnRates } from '../../agent/src/slo/burn.ts';
import { migratedDatabase } from '../helpers/db.ts';
import { capturingLogger, fakeClock, startFakeChannels } from '../alerts/fakes.ts';

export const TELEGRAM_TOKEN = '123456789:AAEhBOweik6ad9r_QXMENQjcrGbqCr4K-Sk';
export const SLACK_SECRET = 'T0AAA/B0BBB/slackSecretXYZ123';

export function spec(name: string, over: Partial<CheckSpecBase> = {}): CheckSpecBase {
  return {
    name, kind: 'http', enabled: true, intervalSec: 60, timeoutMs: 5000, severity: 'crit', slowSeverity: 'warn',
    latencySloMs: 800, failureThreshold: 2, successThreshold: 2, ...over,
  };
}

export type Outcome = 'ok' | 'fail' | 'slow' | { condition: string };

export async function createWorld(opts: {
  prefix: string;
  env?: Partial<AlertEnv>;
  engine?: Partial<IncidentEngineConfig>;
  notifier?: NotifierOptions;
  specs?: CheckSpecBase[];
  channelTimeoutMs?: number;
}) {
  const db = await migratedDatabase(opts.prefix);
  const fake = await startFakeChannels();
  const clock = fakeClock();
  const log = capturingLogger();
  const env: AlertEnv = {
    slackWebhook: fake.slackUrl(SLACK_SECRET), telegramBot: TELEGRAM_TOKEN, telegramChat: '-100123',
    telegramApiBase: fake.telegramBase, language: 'en', minSeverity: 'warn', ...opts.env,
  };
  const specs = opts.specs ?? [spec('api.health')];
  const build = () => {
    const channels = createChannelDirectory({ db: db.pool, env, log, timeoutMs: opts.channelTimeoutMs ?? 2000, cacheMs: 0 });
    const store = createPgIncidentStore(db.pool, { clock, links: { grafanaUrl: 'http://grafana.test', playbookBaseUrl: 'https://docs.test/playbooks' } });
    const engine = createIncidentEngine({
      store, clock, log, channels, configured: () => specs,
      measureBurn: (now, policy) => evaluateBurnRates(db.pool, now, policy),
      config: { repeatIntervalMs: 4 * 3600_000, burnRate: false, ...opts.engine },
    });
    const notifier = createNotifier({ store, clock, log, channels, options: { baseBackoffMs: 5000, ...opts.notifier } });
    return { channels, engine, notifier, store };
  };
  let parts = build();
  const world = {
    db, fake, clock, log, env, specs,
    get engine() { return parts.engine; },
    get notifier() { return parts.notifier; },
    get channels() { return parts.channels; },
    get store() { return parts.store; },
    restart() {
      parts = build();
    },
    /** One run of `check` at the current time (written, then given to the engine), a tick and a delivery round; the clock moves 60 s. */
    async run(check: string, outcome: Outcome, extra: Record<string, unknown> = {}): Promise<void> {
      const r: CheckResult = { check, ts: clock.now(), ok: outcome === 'ok' || outcome === 'slow', latencyMs: outcome === 'slow' ? 1450 : 120, details: { ...extra } };
      // As the runner writes it: the objective the run was judged by.
      if (outcome === 'slow') Object.assign(r.details, { slow: true, latency_objective_ms: specs.find((s) => s.name === check)?.latencySloMs ?? 800 });
      if (outcome === 'fail') {
        r.condition = 'down';
        Object.assign(r.details, { error_class: 'http_status', error: 'GET /api/health answered HTTP 503.', status: 503, condition: 'down' });
      } else if (typeof outcome === 'object') {
        r.condition = outcome.condition as CheckResult['condition'];
        Object.assign(r.details, { error_class: outcome.condition, error: `${outcome.condition} failure`, condition: outcome.condition });
      }
      // As the agent does: the result is written, then the engine sees it.
      await db.pool.query(`INSERT INTO monitor_metrics (ts, check_name, ok, latency_ms, details) VALUES ($1, $2, $3, $4, $5)`,
        [r.ts, r.check, r.ok, r.latencyMs, JSON.stringify({ ...r.details, ...(r.condition ? { condition: r.condition } : {}) })]);
      await parts.engine.onResults([r], specs);
      await parts.engine.tick();
      await parts.notifier.runOnce();
      clock.advance(60_000);
    },
    async runs(check: string, outcomes: Outcome[]): Promise<void> {
      for (const o of outcomes) await world.run(check, o);
    },
    async incidents(): Promise<any[]> {
      return (await db.pool.query(`SELECT * FROM monitor_incidents ORDER BY id`)).rows;
    },
    async timeline(incidentId: number): Promise<any[]> {
      return (await db.pool.query(`SELECT kind, channel, actor, message FROM monitor_incident_events WHERE incident_id = $1 ORDER BY id`, [incidentId])).rows;
    },
    async outbox(): Promise<any[]> {
      return (await db.pool.query(`SELECT * FROM monitor_notifications ORDER BY id`)).rows;
    },
    async close() {
      await fake.close();
      await db.drop();
    },
  };
  return world;
}

export type World = Awaited<ReturnType<typeof createWorld>>;
export const severity = (s: Severity) => s;
