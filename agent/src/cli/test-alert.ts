import type { CliContext } from './context.ts';

export async function testAlertCommand(ctx: CliContext): Promise<number> {
  ctx.out('test-alert: alert channels are not wired yet\n');
  return 1;
}
