import { migrate } from '../db/migrate.ts';
import { describeDbError } from '../db/pool.ts';
import type { CliContext } from './context.ts';

export async function migrateCommand(ctx: CliContext): Promise<number> {
  const db = await ctx.database();
  try {
    const client = await db.pool.connect().catch((err) => {
      throw new Error(describeDbError(err));
    });
    try {
      const report = await migrate(client);
      ctx.out(report.applied.length
        ? `applied ${report.applied.map((m) => `${m.version} ${m.name}`).join(', ')}; schema version ${report.current}\n`
        : `schema is current (version ${report.current})\n`);
    } finally {
      client.release();
    }
    return 0;
  } finally {
    await db.close();
  }
}
