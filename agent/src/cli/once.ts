import { checkContext, withTargets, type CheckDeps } from '../core/agent.ts';
import { createTargetsCache } from '../core/targets.ts';
import { runCheck } from '../core/runner.ts';
import { createResultWriter } from '../core/writer.ts';
import { systemClock } from '../core/types.ts';
import { describeDbError } from '../db/pool.ts';
import { ConfigError } from '../config/env.ts';
import type { CliContext } from './context.ts';
import { ensureSchema } from './schema.ts';
import { resultsTable } from './table.ts';
import { wireChecks } from './wiring.ts';

/** Every enabled check once, concurrently; results are recorded like the daemon's. Exit 1 if any failed. */
export async function onceCommand(ctx: CliContext, opts: { check?: string[] }): Promise<number> {
  const wiring = await wireChecks(ctx.runtime, ctx.env, ctx.log);
  let specs = wiring.specs.filter((s) => s.enabled);
  if (opts.check?.length) {
    const unknown = opts.check.filter((n) => !wiring.specs.some((s) => s.name === n));
    if (unknown.length) throw new ConfigError(unknown.map((n) => `--check: no check named "${n}" (known: ${wiring.specs.map((s) => s.name).join(', ')})`));
    specs = wiring.specs.filter((s) => opts.check!.includes(s.name));
  }
  const db = await ctx.database();
  try {
    await ensureSchema(db.pool);
    const deps: CheckDeps = { env: ctx.env, pool: db.pool, clock: systemClock, log: ctx.log, fetch: wiring.fetch, http: wiring.http, auth: wiring.auth };
    // No start-up grace here: `once` is asked for explicitly, a missing heartbeat is a finding.
    const targets = createTargetsCache({ db: db.pool, clock: systemClock, log: ctx.log });
    await targets.refresh();
    const results = await Promise.all(specs.map((spec) => {
      const run = withTargets(spec, checkContext(deps, new Map(), new Date(0)), targets);
      return runCheck(run.spec, wiring.resolveKind(spec.kind), run.ctx, wiring.classify);
    }));
    const writer = createResultWriter({
      db: db.pool, clock: systemClock, log: ctx.log, flushIntervalMs: 1000, maxHeld: results.length,
      describeError: describeDbError,
    });
    results.filter((r) => !r.unrecordable).forEach((r) => writer.add(r));
    if (!(await writer.flush())) ctx.out('warning: the results could not be written to the database\n');
    ctx.out(resultsTable(results, ctx.runtime.stdout.columns()));
    const failed = results.filter((r) => !r.ok);
    ctx.out(`${results.length - failed.length} passed, ${failed.length} failed\n`);
    return failed.length ? 1 : 0;
  } finally {
    await db.close();
  }
}
