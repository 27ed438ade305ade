import type { CliContext } from './context.ts';

export async function demoCommand(ctx: CliContext): Promise<number> {
  ctx.out('demo: not wired yet\n');
  return 1;
}
export const demoApiCommand = demoCommand;
