import { rollupService } from '../core/rollups.ts';
import { startAgent, type AgentService, type RunningAgent } from '../core/agent.ts';
import { systemClock, type CheckResult } from '../core/types.ts';
import type { CliContext, Database } from './context.ts';
import { identity, type CheckWiring } from './wiring.ts';

/** The daemon as `run` and `demo` start it: checks, writer, heartbeat and the services beside them. */
export async function setupAgent(
  ctx: CliContext,
  db: Database,
  wiring: CheckWiring,
  onResult?: (r: CheckResult) => void,
): Promise<RunningAgent> {
  const services: AgentService[] = [rollupService({ db: db.pool, clock: systemClock, log: ctx.log })];
  return startAgent({
    env: ctx.env,
    pool: db.pool,
    clock: systemClock,
    log: ctx.log,
    identity: identity(ctx.runtime, ctx.env),
    specs: wiring.specs,
    resolveKind: wiring.resolveKind,
    classify: wiring.classify,
    auth: wiring.auth,
    fetch: wiring.fetch,
    services,
    onResult,
  });
}

export function untilShutdown(ctx: CliContext): Promise<string> {
  return new Promise((resolve) => ctx.runtime.onShutdownSignal(resolve));
}
