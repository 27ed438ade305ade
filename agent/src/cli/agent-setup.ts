import { createPgGroupingStore } from '../alerts/grouping.ts';
import { createNotifier } from '../alerts/notifier.ts';
import { createIncidentEngine } from '../incidents/engine.ts';
import { createPgIncidentStore } from '../incidents/store.ts';
import { evaluateBurnRates } from '../slo/burn.ts';
import { createIntentProcessor } from '../intents/processor.ts';
import pg from 'pg';
import { maintenanceService } from '../core/rollups.ts';
import { maintenanceSettings } from './maintain.ts';
import { createTargetsCache } from '../core/targets.ts';
import { createAgentMetrics, metricsHandler } from '../core/metrics.ts';
import type { ServeHandle } from '../adapters/types.ts';
import { startAgent, type AgentService, type RunningAgent } from '../core/agent.ts';
import { createCheckAssignment } from '../core/assignment.ts';
import { systemClock, type CheckResult } from '../core/types.ts';
import type { CliContext, Database } from './context.ts';
import { agentKeyFrom, alertEnv, channelDirectory } from './alerting.ts';
import { identity, type CheckWiring } from './wiring.ts';

const ENGINE_TICK_MS = 5000;

/** The daemon as `run` and `demo` start it: checks, writer, heartbeat, incidents, notifications, rollups. */
export async function setupAgent(
  ctx: CliContext,
  db: Database,
  wiring: CheckWiring,
  onResult?: (r: CheckResult) => void,
): Promise<RunningAgent> {
  const { env, log } = ctx;
  const clock = systemClock;
  const me = identity(ctx.runtime, env);
  const assignment = createCheckAssignment({
    db: db.pool, agentId: me.agentId, location: me.location, clock, log,
    checks: wiring.specs.filter((s) => s.enabled).map((s) => ({ name: s.name, locations: s.locations })),
  });
  const agentKey = await agentKeyFrom(env);
  const channels = channelDirectory(env, db.pool, log, agentKey);
  const store = createPgIncidentStore(db.pool, {
    clock, links: { grafanaUrl: env.MONITOR_GRAFANA_URL, playbookBaseUrl: env.MONITOR_PLAYBOOK_BASE_URL },
  });
  const engine = createIncidentEngine({
    store,
    clock,
    log,
    channels,
    configured: () => wiring.specs,
    location: me.location,
    liveLocations: () => assignment.liveLocations(),
    measureBurn: (now, policy) => evaluateBurnRates(db.pool, now, policy),
    config: {
      repeatIntervalMs: env.ALERT_REPEAT_INTERVAL,
      failureThreshold: env.MONITOR_FAILURE_THRESHOLD,
      successThreshold: env.MONITOR_SUCCESS_THRESHOLD,
    },
  });
  const notifier = createNotifier({
    store, clock, log, channels,
    grouping: { store: createPgGroupingStore(db.pool), options: { windowMs: env.ALERT_GROUP_WINDOW, by: env.ALERT_GROUP_BY } },
  });
  const targets = createTargetsCache({ db: db.pool, clock, log, everyMs: 60_000 });
  const intents = createIntentProcessor({
    db: db.pool,
    listen: async () => {
      const client = new pg.Client({ connectionString: db.url, application_name: 'blocktrust-monitor-listen' });
      client.on('error', () => {}); // the processor listens too; this one only keeps a late error from crashing
      await client.connect();
      return client;
    },
    clock,
    log,
    channels,
    agentKey,
    alertEnv: alertEnv(env),
    store,
    sloDefaults: { uptimeTarget: env.SLO_UPTIME_TARGET, latencyMs: env.SLO_LATENCY_MS, maxLagSec: env.MAX_LISTENER_LAG_SEC },
    checkTargets: wiring.specs.map((s) => ({
      check: s.name, uptimeTarget: s.uptimeTarget, latencyMs: s.latencySloMs, maxLagSec: (s as { maxLagSec?: number }).maxLagSec,
    })),
    // The cache is read again when an intent changes a target; its own slow poll only catches another agent's change.
    onTargetsChanged: () => targets.refresh(),
  });
  const services: AgentService[] = [
    maintenanceService({ db: db.pool, clock, log, everyMs: env.MONITOR_MAINTENANCE_INTERVAL, ...maintenanceSettings(ctx) }),
    { name: 'notifier', start: (signal) => notifier.start(signal) },
    { name: 'intents', start: (signal) => intents.start(signal) },
    {
      name: 'incident timers',
      async start(signal) {
        while (!signal.aborted) {
          await engine.tick().catch((err) => log.error('incident timers failed', { reason: (err as Error).message }));
          await clock.sleep(ENGINE_TICK_MS, signal);
        }
      },
    },
  ];
  services.push(targets);
  const specs = new Map(wiring.specs.map((s) => [s.name, s]));
  const metrics = env.MONITOR_METRICS_PORT ? createAgentMetrics() : undefined;
  const agent = startAgent({
    env,
    pool: db.pool,
    clock,
    log,
    identity: me,
    assignment,
    specs: wiring.specs,
    resolveKind: wiring.resolveKind,
    classify: wiring.classify,
    auth: wiring.auth,
    fetch: wiring.fetch,
    http: wiring.http,
    services,
    onResult: (r) => {
      metrics?.observe(r);
      onResult?.(r);
    },
    onWritten: (results) => engine.onResults(results, specs),
    publicKey: agentKey?.publicJwk,
    targets,
  });
  let metricsServer: ServeHandle | undefined;
  if (metrics && env.MONITOR_METRICS_PORT) {
    const handler = metricsHandler(metrics, () => !agent.writer.failing());
    metricsServer = await ctx.runtime.serve((req) => {
      metrics.setHeld(agent.writer.held(), agent.writer.dropped());
      metrics.setIncidentWork(engine.backlog(), engine.evaluated());
      metrics.setLoad({ ...agent.load.skipped() }, agent.load.lagMs());
      return handler(req);
    }, { port: env.MONITOR_METRICS_PORT, hostname: env.MONITOR_METRICS_HOST });
    log.info('Prometheus metrics served', { url: `http://${env.MONITOR_METRICS_HOST}:${metricsServer.port}/metrics` });
  }
  return {
    ...agent,
    async stop() {
      await metricsServer?.close();
      await agent.stop();
    },
  };
}

export function untilShutdown(ctx: CliContext): Promise<string> {
  return new Promise((resolve) => ctx.runtime.onShutdownSignal(resolve));
}
