import type pg from 'pg';
import type { AuthSession, CheckContext, CheckSettings, CheckSpecBase } from '../checks/types.ts';
import type { Env } from '../config/env.ts';
import { describeDbError } from '../db/pool.ts';
import { createCheckAssignment, type CheckAssignment } from './assignment.ts';
import { migrate } from '../db/migrate.ts';
import { runCheck, type ErrorClassifier } from './runner.ts';
import { startScheduler, type SkippedRuns } from './scheduler.ts';
import type { CheckResult, Clock, Logger } from './types.ts';
import { createResultWriter, type ResultWriter } from './writer.ts';
import type { AnyCheckFn } from '../checks/types.ts';
import type { HttpTransport } from '../checks/transport.ts';
import type { TargetRow, TargetsCache } from './targets.ts';

export interface AgentIdentity {
  agentId: string;
  /** MONITOR_LOCATION: where this agent probes from. */
  location?: string;
  version: string;
  runtime: string;
  hostname: string;
}

/** Work that runs beside the checks (incidents, notifications, intents, rollups), started and stopped with the agent. */
export interface AgentService {
  name: string;
  start(signal: AbortSignal): Promise<void>;
}

export interface AgentDeps {
  env: Env;
  pool: pg.Pool;
  clock: Clock;
  log: Logger;
  identity: AgentIdentity;
  specs: CheckSpecBase[];
  resolveKind: (kind: string) => AnyCheckFn;
  classify: ErrorClassifier;
  auth: AuthSession;
  fetch: typeof fetch;
  http: HttpTransport;
  /** Called after each batch of results is in the database (the incident engine listens here). */
  onWritten?: (results: CheckResult[]) => Promise<void> | void;
  services?: AgentService[];
  /** Called for every result as it is produced (the terminal status view listens here). */
  onResult?: (result: CheckResult) => void;
  publicKey?: JsonWebKey & { kid?: string };
  /** Targets set from Grafana; without it the environment's and the checks file's apply. */
  targets?: TargetsCache;
  /** Which checks this agent runs now; built from the specs when not given (the daemon shares it with the incident engine). */
  assignment?: CheckAssignment;
}

export function checkSettings(env: Env): CheckSettings {
  return {
    apiBase: env.API_BASE,
    sloLatencyMs: env.SLO_LATENCY_MS,
    maxListenerLagSec: env.MAX_LISTENER_LAG_SEC,
    polygonRpcUrl: env.POLYGON_RPC_URL,
    maxResponseBytes: env.MONITOR_MAX_RESPONSE_BYTES,
  };
}

/** What a check run needs from the agent; `once` builds it without the daemon's other parts. */
export type CheckDeps = Pick<AgentDeps, 'env' | 'pool' | 'clock' | 'log' | 'fetch' | 'http' | 'auth'>;

export function checkContext(deps: CheckDeps, memory: Map<string, unknown>, startedAt: Date): Omit<CheckContext, 'signal'> {
  return {
    clock: deps.clock,
    log: deps.log,
    db: deps.pool,
    fetch: deps.fetch,
    http: deps.http,
    auth: deps.auth,
    settings: checkSettings(deps.env),
    memory,
    startedAt,
  };
}

/**
 * The spec and context of one run with the targets in force: a check's own row from Grafana first, then
 * its checks-file value, then the global row (which follows the environment unless set from Grafana).
 */
export function withTargets(
  spec: CheckSpecBase,
  ctx: Omit<CheckContext, 'signal'>,
  targets?: TargetsCache,
): { spec: CheckSpecBase; ctx: Omit<CheckContext, 'signal'> } {
  return targets ? applyTargets(spec, ctx, targets.get(spec.name), targets.get('*')) : { spec, ctx };
}

/** withTargets with the check's own and the global targets rows already read. */
function applyTargets(
  spec: CheckSpecBase,
  ctx: Omit<CheckContext, 'signal'>,
  own: TargetRow,
  global: TargetRow,
): { spec: CheckSpecBase; ctx: Omit<CheckContext, 'signal'> } {
  const latencySloMs = own.latencyMs ?? spec.latencySloMs ?? global.latencyMs;
  const maxLagSec = own.maxLagSec ?? (spec as { maxLagSec?: number }).maxLagSec;
  return {
    spec: { ...spec, latencySloMs, ...(maxLagSec !== undefined && 'maxLagSec' in spec ? { maxLagSec } : {}) } as CheckSpecBase,
    ctx: {
      ...ctx,
      settings: {
        ...ctx.settings,
        sloLatencyMs: global.latencyMs ?? ctx.settings.sloLatencyMs,
        maxListenerLagSec: own.maxLagSec ?? global.maxLagSec ?? ctx.settings.maxListenerLagSec,
      },
    },
  };
}

/** Migrates, retrying while the database is unreachable (the checks run meanwhile; results are held). */
async function migrateWhenReachable(deps: AgentDeps, signal: AbortSignal): Promise<boolean> {
  let delay = 1000;
  while (!signal.aborted) {
    try {
      const client = await deps.pool.connect();
      try {
        const report = await migrate(client);
        if (report.applied.length) {
          deps.log.info('database schema migrated', { applied: report.applied.map((m) => m.version), version: report.current });
        }
      } finally {
        client.release();
      }
      return true;
    } catch (err) {
      deps.log.warn('cannot migrate yet', { reason: describeDbError(err), retry_in_sec: delay / 1000 });
      await deps.clock.sleep(delay, signal);
      delay = Math.min(delay * 2, 30_000);
    }
  }
  return false;
}

async function registerAgent(deps: AgentDeps): Promise<void> {
  const { identity } = deps;
  await deps.pool.query(
    `INSERT INTO monitor_agents (agent_id, version, runtime, hostname, public_key, location, started_at, last_seen_at)
     VALUES ($1, $2, $3, $4, $5, $6, now(), now())
     ON CONFLICT (agent_id) DO UPDATE SET version = $2, runtime = $3, hostname = $4, public_key = $5, location = $6,
       started_at = now(), last_seen_at = now()`,
    [identity.agentId, identity.version, identity.runtime, identity.hostname, deps.publicKey ? JSON.stringify(deps.publicKey) : null,
      identity.location ?? null],
  );
}

/** The agent's own heartbeat: a dead agent shows as "no data", never as 100 % uptime. */
async function heartbeat(
  deps: AgentDeps, writer: ResultWriter, signal: AbortSignal, schemaReady: () => boolean, load: AgentLoad,
): Promise<void> {
  const intervalMs = Math.min(deps.env.MONITOR_CHECK_INTERVAL, 60) * 1000;
  while (!signal.aborted) {
    const behind = load.sinceLastTick();
    writer.add({
      check: 'agent.tick', ts: deps.clock.now(), ok: true, latencyMs: 0,
      details: {
        agent_id: deps.identity.agentId, version: deps.identity.version, runtime: deps.identity.runtime, held_results: writer.held(),
        ...(deps.identity.location ? { location: deps.identity.location } : {}),
        ...behind,
      },
    });
    if (schemaReady()) {
      await deps.pool.query('UPDATE monitor_agents SET last_seen_at = now() WHERE agent_id = $1', [deps.identity.agentId])
        .catch(() => {});
    }
    await deps.clock.sleep(intervalMs, signal);
  }
}

/** How far behind the agent itself is: skipped runs and event-loop lag, for the log, /metrics and agent.tick. */
export interface AgentLoad {
  skip(check: string, reason: keyof SkippedRuns): void;
  lag(ms: number): void;
  /** Totals since the start. */
  skipped(): SkippedRuns;
  /** The largest event-loop lag seen over the last few seconds, in ms. */
  lagMs(): number;
  /** Time the event loop has been stalled since the agent started, in ms (read before and after a run). */
  stallMs(): number;
  /** Samples the event loop every STALL_SAMPLE_MS until `signal` aborts. */
  sample(signal: AbortSignal): Promise<void>;
  /** What agent.tick reports: runs skipped and the worst lag since the previous tick; an overloaded flag when behind. */
  sinceLastTick(): { skipped_runs?: SkippedRuns; loop_lag_ms?: number; overloaded?: true };
}

/** Lag above this is the agent's own overload (logged, and marked on agent.tick). */
export const OVERLOAD_LAG_MS = 500;
/** How often the stall sampler wakes: every wake-up later than this adds the difference to the stall. */
const STALL_SAMPLE_MS = 20;

function createLoadTracker(deps: Pick<AgentDeps, 'clock' | 'log'>): AgentLoad {
  const total: SkippedRuns = { overlap: 0, late: 0, overloaded: 0 };
  let tick: SkippedRuns = { overlap: 0, late: 0, overloaded: 0 };
  let tickLag = 0;
  let recentLag = 0;
  let recentAt = 0;
  let lastComplaint = -Infinity;
  let stall = 0;
  return {
    skip(_check, reason) {
      total[reason] += 1;
      tick[reason] += 1;
    },
    lag(ms) {
      const now = deps.clock.monotonic();
      if (ms >= recentLag || now - recentAt > 5000) {
        recentLag = ms;
        recentAt = now;
      }
      tickLag = Math.max(tickLag, ms);
      if (ms >= OVERLOAD_LAG_MS && now - lastComplaint > 30_000) {
        lastComplaint = now;
        deps.log.warn('agent overloaded: its event loop is behind, so runs start late or are skipped', { loop_lag_ms: Math.round(ms) });
      }
    },
    stallMs: () => stall,
    async sample(signal) {
      while (!signal.aborted) {
        const before = deps.clock.monotonic();
        await deps.clock.sleep(STALL_SAMPLE_MS, signal);
        stall += Math.max(0, deps.clock.monotonic() - before - STALL_SAMPLE_MS);
      }
    },
    skipped: () => ({ ...total }),
    lagMs: () => (deps.clock.monotonic() - recentAt > 5000 ? 0 : recentLag),
    sinceLastTick() {
      const out: ReturnType<AgentLoad['sinceLastTick']> = {};
      if (tick.overlap || tick.late || tick.overloaded) out.skipped_runs = tick;
      if (tickLag >= OVERLOAD_LAG_MS / 5) out.loop_lag_ms = Math.round(tickLag);
      if (tick.late || tick.overloaded || tickLag >= OVERLOAD_LAG_MS) out.overloaded = true;
      tick = { overlap: 0, late: 0, overloaded: 0 };
      tickLag = 0;
      return out;
    },
  };
}

export interface RunningAgent {
  writer: ResultWriter;
  /** Runs skipped so far (previous run still going, or too late to start), and the event loop's recent lag. */
  load: AgentLoad;
  done: Promise<void>;
  stop(): Promise<void>;
}

export function startAgent(deps: AgentDeps): RunningAgent {
  const controller = new AbortController();
  const { signal } = controller;
  const startedAt = deps.clock.now();
  let schemaReady = false;
  // Batches stored before the schema is complete wait for it, so incident evaluation never meets a missing table.
  let beforeReady: CheckResult[] | null = [];
  const handOver = (batch: CheckResult[]) => {
    if (beforeReady) beforeReady.push(...batch);
    else return deps.onWritten?.(batch);
  };
  const load = createLoadTracker(deps);
  const writer = createResultWriter({
    db: deps.pool,
    clock: deps.clock,
    log: deps.log,
    flushIntervalMs: deps.env.MONITOR_FLUSH_INTERVAL_MS,
    maxHeld: deps.env.MONITOR_BUFFER_MAX,
    describeError: describeDbError,
    onWritten: deps.onWritten ? handOver : undefined,
    agentId: () => (schemaReady ? deps.identity.agentId : undefined),
    location: deps.identity.location,
  });
  const assignment = deps.assignment ?? createCheckAssignment({
    db: deps.pool, agentId: deps.identity.agentId, location: deps.identity.location, clock: deps.clock, log: deps.log,
    checks: deps.specs.filter((s) => s.enabled).map((s) => ({ name: s.name, locations: s.locations })),
  });
  /** Held results past which runs are shed while the database is reachable: half the hold. */
  const shedAbove = Math.floor(deps.env.MONITOR_BUFFER_MAX / 2);
  const enabled = deps.specs.filter((s) => s.enabled);
  // One context per check for the agent's life (its memory survives between runs); the targets in force are laid
  // over it again only when a targets row changed (see withTargets).
  const contexts = new Map(enabled.map((s) => [s.name, checkContext(deps, new Map<string, unknown>(), startedAt)]));
  const applied = new Map<string, { own: TargetRow; global: TargetRow; run: ReturnType<typeof withTargets> }>();
  const targetsOf = (spec: CheckSpecBase) => {
    const ctx = contexts.get(spec.name)!;
    if (!deps.targets) return { spec, ctx };
    const own = deps.targets.get(spec.name);
    const global = deps.targets.get('*');
    const last = applied.get(spec.name);
    if (last && last.own === own && last.global === global) return last.run;
    const run = applyTargets(spec, ctx, own, global);
    applied.set(spec.name, { own, global, run });
    return run;
  };
  deps.log.info('agent starting', {
    agent_id: deps.identity.agentId, version: deps.identity.version, runtime: deps.identity.runtime,
    ...(deps.identity.location ? { location: deps.identity.location } : {}),
    checks: enabled.map((s) => `${s.name}/${s.intervalSec}s`).join(','),
  });

  const scheduler = startScheduler({
    checks: enabled.map((spec) => ({
      spec,
      run: async (runSignal) => {
        // Another live agent holds this check (see assignment.ts): nothing to run or record here.
        if (!assignment.mayRun(spec.name)) return { check: spec.name, ts: deps.clock.now(), ok: true, latencyMs: 0, details: {}, unrecordable: 'elsewhere' };
        // Backpressure: while the database takes results but the writer is behind (the agent runs more than it can
        // store), runs are skipped and counted instead of letting the held results grow until the oldest are dropped.
        if (!writer.failing() && writer.held() > shedAbove) {
          load.skip(spec.name, 'overloaded');
          return { check: spec.name, ts: deps.clock.now(), ok: true, latencyMs: 0, details: {}, unrecordable: 'shed' };
        }
        const run = targetsOf(spec);
        const stalled = load.stallMs();
        const result = await runCheck(run.spec, deps.resolveKind(spec.kind), { ...run.ctx, signal: runSignal }, deps.classify);
        // The agent's own event loop stalled during the run: a slow run that is within its objective once the stall is
        // taken out, or a timeout that gave the target less than its timeout, measures the agent, not the target.
        // Neither stored nor counted toward incidents or SLOs; counted as overloaded.
        const stall = load.stallMs() - stalled;
        if (stall > 0) {
          const objective = run.spec.latencySloMs ?? run.ctx.settings.sloLatencyMs;
          const own = result.latencyMs - stall;
          if ((result.details.slow === true && own <= objective) || (result.details.error_class === 'timeout' && own < run.spec.timeoutMs)) {
            return { ...result, unrecordable: 'overloaded' };
          }
        }
        return result;
      },
    })),
    clock: deps.clock,
    log: deps.log,
    signal,
    onSkip: load.skip,
    onLag: load.lag,
    onResult: (result) => {
      if (result.unrecordable === 'elsewhere' || result.unrecordable === 'shed') return;
      if (result.unrecordable === 'overloaded' ||
        (load.lagMs() >= OVERLOAD_LAG_MS && (result.details.slow === true || result.details.error_class === 'timeout'))) {
        // Measured while the agent itself was stalled: it says nothing about the target, so it is neither stored nor
        // counted toward incidents or SLOs, only counted here (and on /metrics and agent.tick).
        load.skip(result.check, 'overloaded');
        return;
      }
      if (result.unrecordable) {
        deps.log.debug('run not recorded: the monitor database failed, not the check', { check: result.check, reason: result.unrecordable });
        return;
      }
      writer.add(result);
      deps.onResult?.(result);
    },
  });

  const background = (async () => {
    if (!(await migrateWhenReachable(deps, signal))) return;
    try {
      await registerAgent(deps);
    } catch (err) {
      deps.log.warn('could not register the agent', { reason: describeDbError(err) });
    }
    schemaReady = true;
    const held = beforeReady ?? [];
    beforeReady = null;
    if (held.length) void Promise.resolve(deps.onWritten?.(held)).catch(() => {});
    await Promise.all([{ name: 'check assignment', start: assignment.start }, ...(deps.services ?? [])].map((s) =>
      s.start(signal).catch((err) => deps.log.error(`${s.name} stopped`, { reason: String((err as Error)?.message ?? err) })),
    ));
  })();

  const done = Promise.all([
    scheduler,
    writer.start(signal),
    heartbeat(deps, writer, signal, () => schemaReady, load),
    load.sample(signal),
    background,
  ]).then(() => undefined);

  return {
    writer,
    load,
    done,
    async stop() {
      controller.abort();
      await done;
      const flushed = await writer.flush();
      if (!flushed && writer.held() > 0) {
        deps.log.error('stopping with results the database did not take', { lost: writer.held() });
      }
    },
  };
}
