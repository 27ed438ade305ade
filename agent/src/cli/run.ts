import type { CliContext } from './context.ts';
import { setupAgent, untilShutdown } from './agent-setup.ts';
import { wireChecks } from './wiring.ts';

export async function runCommand(ctx: CliContext): Promise<number> {
  const wiring = await wireChecks(ctx.runtime, ctx.env, ctx.log);
  const db = await ctx.database();
  const agent = await setupAgent(ctx, db, wiring);
  const signal = await untilShutdown(ctx);
  ctx.log.info('stopping', { signal });
  await agent.stop();
  await db.close();
  ctx.log.info('stopped');
  return 0;
}
