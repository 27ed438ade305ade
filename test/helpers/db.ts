import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../../agent/src/db/migrate.ts';

/** Server-level URL of the Postgres the tests use (set by test/run.ts, or by the caller). */
export function testServerUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run the tests with `npm test`, which starts a Postgres');
  return url;
}

export function withDatabase(serverUrl: string, database: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

export interface TestDatabase {
  name: string;
  url: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

/** A new, empty database for one test file or test; dropped by `drop()`. */
export async function freshDatabase(prefix = 't'): Promise<TestDatabase> {
  const server = testServerUrl();
  const name = `bt_${prefix.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = withDatabase(server, name);
  const pool = new pg.Pool({ connectionString: url, max: 5 });
  // DROP DATABASE … WITH (FORCE) ends connections a test left open, idle or checked out; that is not a test failure.
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return {
    name,
    url,
    pool,
    async drop() {
      await pool.end();
      const c = new pg.Client({ connectionString: server });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A new database with the agent's schema, as the agent's `migrate` leaves it. */
export async function migratedDatabase(prefix = 't'): Promise<TestDatabase> {
  const db = await freshDatabase(prefix);
  const client = await db.pool.connect();
  try {
    await migrate(client);
  } finally {
    client.release();
  }
  return db;
}
