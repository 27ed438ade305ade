import { CliError, type CliContext } from './context.ts';
import { setupAgent, untilShutdown } from './agent-setup.ts';
import { wireChecks } from './wiring.ts';

/** Waits for a clean stop, but not forever: a stuck stop is logged and the process exits anyway. */
export async function stopWithin(ctx: CliContext, stopping: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  const outcome = await Promise.race([stopping.then(() => 'stopped' as const), late]);
  clearTimeout(timer);
  if (outcome === 'late') {
    ctx.log.error('the agent did not stop within the limit; exiting anyway', { limit_sec: ms / 1000 });
    ctx.runtime.exit(1);
  }
}

export async function runCommand(ctx: CliContext, opts: { embedded?: boolean } = {}): Promise<number> {
  if (!ctx.env.DATABASE_URL && !opts.embedded) {
    throw new CliError('DATABASE_URL is not set, and `run` writes every result to the database it is given',
      'set DATABASE_URL to your Postgres, or add --embedded to use the embedded demo database (.data/pg; that of a running `npm start` if one runs)');
  }
  const wiring = await wireChecks(ctx.runtime, ctx.env, ctx.log);
  const db = await ctx.database();
  const agent = await setupAgent(ctx, db, wiring);
  const signal = await untilShutdown(ctx);
  ctx.log.info('stopping', { signal });
  await stopWithin(ctx, agent.stop(), 20_000);
  await db.close();
  ctx.log.info('stopped');
  return 0;
}
