import type { Env } from '../config/env.ts';
import { describeMaintenance, maintain, type ArchiveSink } from '../core/rollups.ts';
import type { Runtime } from '../adapters/types.ts';
import type { CliContext } from './context.ts';
import { ensureSchema } from './schema.ts';

/** With MONITOR_ARCHIVE_DIR set: each partition goes to `<dir>/<partition>.csv` before it is dropped. */
export function archiveSink(runtime: Runtime, env: Env): ArchiveSink | undefined {
  const dir = env.MONITOR_ARCHIVE_DIR?.replace(/\/+$/, '');
  if (!dir) return undefined;
  return async (partition, chunks) => {
    const file = `${dir}/${partition}.csv`;
    if (await runtime.fileExists(file)) throw new Error(`archive ${file} exists already: move it away, then run maintain again`);
    for await (const chunk of chunks) await runtime.appendTextFile(file, chunk);
    return file;
  };
}

export const maintenanceSettings = (ctx: CliContext) => ({
  retentionDays: ctx.env.MONITOR_RETENTION_DAYS,
  rollupRetentionDays: ctx.env.MONITOR_ROLLUP_RETENTION_DAYS,
  archive: archiveSink(ctx.runtime, ctx.env),
});

/** `maintain`: partitions ahead, rollups up to date, retention applied; prints what it did. */
export async function maintainCommand(ctx: CliContext): Promise<number> {
  const db = await ctx.database();
  try {
    await ensureSchema(db.pool);
    const report = await maintain(db.pool, { log: ctx.log, ...maintenanceSettings(ctx) });
    ctx.out(`${describeMaintenance(report).join('\n')}\n`);
    return 0;
  } finally {
    await db.close();
  }
}
