// The one way a benchmark gets its database: BENCH_DATABASE_URL's server (or the embedded one in .data/bench-pg),
// with a database of the given name created anew; stop() drops it and stops the embedded server.
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../agent/src/adapters/embedded-postgres.ts';

const root = path.resolve(import.meta.dirname, '..');

async function admin(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client(serverUrl);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function benchDatabase(name: string): Promise<{ url: string; stop(): Promise<void> }> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bench database name ${JSON.stringify(name)}: lower-case letters, digits and _ only`);
  const given = process.env.BENCH_DATABASE_URL;
  const server = given ? { url: given, stop: async () => {} } : await startEmbeddedPostgres({ dir: path.join(root, '.data/bench-pg') });
  await admin(server.url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(server.url, `CREATE DATABASE ${name}`);
  const u = new URL(server.url);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async stop() {
      await admin(server.url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await server.stop();
    },
  };
}
