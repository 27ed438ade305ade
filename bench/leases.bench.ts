// What sharing 1,000 checks between 3 agents costs Postgres: one agent's lease round (alive, who else is, its
// ~333 leases given back or renewed in one statement), beside a lease taken per run (one upsert per check, what
// an agent would spend per interval if every run asked the database first). Median of 20 rounds after 5 warm-up ones.
// Then the same round with the 1,000 checks run from every location (`locations: all`), 3 agents in each of 3
// locations, beside the plain round of the same run.
// Usage: npm run bench -- leases   (BENCH_DATABASE_URL, else the embedded Postgres)
import { loadavg } from 'node:os';
import pg from 'pg';
import { createCheckAssignment } from '../agent/src/core/assignment.ts';
import { memoryLogger } from '../agent/src/core/logger.ts';
import { systemClock, type Clock } from '../agent/src/core/types.ts';
import { migrate } from '../agent/src/db/migrate.ts';
import { benchDatabase } from './database.ts';

const CHECKS = Array.from({ length: 1000 }, (_, i) => `bench.check.${i}`);
const AGENTS = ['agent-a', 'agent-b', 'agent-c'];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const server = await benchDatabase('bt_bench_leases');
  const pool = new pg.Pool({ connectionString: server.url, max: 4 });
  const client = await pool.connect();
  await migrate(client);
  client.release();
  for (const id of AGENTS) {
    await pool.query(`INSERT INTO monitor_agents (agent_id, version, runtime, hostname, started_at, last_seen_at)
      VALUES ($1, 'bench', 'node', 'bench', now(), now())`, [id]);
  }
  const log = memoryLogger();

  /** One lease round of agent-a, as the running agent does every 5 s. */
  async function round(opts: { location?: string; everywhere?: boolean } = {}): Promise<number> {
    const controller = new AbortController();
    const clock: Clock = { ...systemClock, sleep: async () => controller.abort() };
    const checks = CHECKS.map((name) => (opts.everywhere ? { name, locations: 'all' as const } : { name }));
    const a = createCheckAssignment({ db: pool, agentId: 'agent-a', location: opts.location, checks, clock, log });
    const t = performance.now();
    await a.start(controller.signal);
    return performance.now() - t;
  }
  /** The baseline: one upsert per check, as if each run took its lease itself. */
  async function perRun(): Promise<number> {
    const t = performance.now();
    for (const check of CHECKS) {
      await pool.query(
        `INSERT INTO monitor_check_leases (check_name, location, agent_id, leased_until) VALUES ($1, '', 'agent-a', now() + interval '60 s')
         ON CONFLICT (check_name, location) DO UPDATE SET agent_id = EXCLUDED.agent_id, leased_until = EXCLUDED.leased_until
         WHERE monitor_check_leases.agent_id = EXCLUDED.agent_id OR monitor_check_leases.leased_until <= now()`, [check]);
    }
    return performance.now() - t;
  }
  const load = loadavg()[0].toFixed(1);
  for (let i = 0; i < 5; i++) await round();
  const ours = median(await Array.from({ length: 20 }).reduce<Promise<number[]>>(async (acc) => [...await acc, await round()], Promise.resolve([])));
  await pool.query('DELETE FROM monitor_check_leases');
  for (let i = 0; i < 2; i++) await perRun();
  const base = median(await Array.from({ length: 5 }).reduce<Promise<number[]>>(async (acc) => [...await acc, await perRun()], Promise.resolve([])));
  const held = Number((await pool.query(`SELECT COUNT(*) AS n FROM monitor_check_leases WHERE agent_id = 'agent-a'`)).rows[0].n);
  // Locations: agent-a and two more in each of three locations, every check run from all of them.
  await pool.query('DELETE FROM monitor_check_leases');
  await pool.query(`UPDATE monitor_agents SET location = 'sao-paulo'`);
  for (const [i, location] of ['sao-paulo', 'frankfurt', 'virginia'].entries()) {
    for (const n of [1, 2, 3]) {
      if (i === 0 && n === 1) continue;
      await pool.query(`INSERT INTO monitor_agents (agent_id, version, runtime, hostname, location, started_at, last_seen_at)
        VALUES ($1, 'bench', 'node', 'bench', $2, now(), now()) ON CONFLICT (agent_id) DO UPDATE SET location = $2, last_seen_at = now()`,
      [`${location}-${n}`, location]);
    }
  }
  await pool.query(`DELETE FROM monitor_agents WHERE agent_id IN ('agent-b', 'agent-c')`);
  await pool.query(`UPDATE monitor_agents SET last_seen_at = now()`);
  const plainRounds: number[] = [];
  const spreadRounds: number[] = [];
  for (let i = 0; i < 5; i++) await round({ location: 'sao-paulo', everywhere: true });
  for (let i = 0; i < 20; i++) {
    // Interleaved, so that a change of load hits both alike; each kind keeps its own leases.
    await pool.query('DELETE FROM monitor_check_leases');
    await round({ location: 'sao-paulo' });
    plainRounds.push(await round({ location: 'sao-paulo' }));
    await pool.query('DELETE FROM monitor_check_leases');
    await round({ location: 'sao-paulo', everywhere: true });
    spreadRounds.push(await round({ location: 'sao-paulo', everywhere: true }));
  }
  const heldHere = Number((await pool.query(`SELECT COUNT(*) AS n FROM monitor_check_leases WHERE agent_id = 'agent-a'`)).rows[0].n);
  console.log(`load average at start: ${load}; at the end: ${loadavg()[0].toFixed(1)}`);
  // Per minute at the default 60 s interval: 12 rounds of ours, one upsert per check for the baseline.
  console.log(`lease round of one of 3 agents over 1,000 checks: ${ours.toFixed(1)} ms, every 5 s`);
  console.log(`database time per minute at a 60 s interval: ours ${(ours * 12).toFixed(0)} ms | baseline ${base.toFixed(0)} ms ` +
    `(an upsert per run) | ${(base / (ours * 12)).toFixed(1)}× less; leases the baseline agent held: ${held}`);
  console.log(`lease round of one of 9 agents in 3 locations, 1,000 checks run from every location: ${median(spreadRounds).toFixed(1)} ms ` +
    `| baseline ${median(plainRounds).toFixed(1)} ms (the same agents, checks run once in total) | ` +
    `${(median(spreadRounds) / median(plainRounds)).toFixed(2)}×; leases held: ${heldHere} of ~333`);
  await pool.end();
  await server.stop();
}

await main();
