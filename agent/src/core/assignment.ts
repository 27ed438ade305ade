// Several agents on one database share the checks, with no coordinator: every agent sees the same list of live
// agents (monitor_agents rows seen within STALE_MS) and gives each check to the same one by rendezvous hashing,
// so the checks spread evenly and only the dead agent's checks move when one dies. A lease per check in
// monitor_check_leases, taken for one interval before each run, keeps it to one run per interval while agents
// briefly disagree on who is alive (one just started, one just died).
//
//   const assignment = createCheckAssignment({ db, agentId, clock, log });
//   assignment.start(signal);              // touches this agent's row and reads the live list every REFRESH_MS
//   if (await assignment.mayRun(spec)) …   // before each run
import type { CheckSpecBase } from '../checks/types.ts';
import type { Clock, Logger, Queryable } from './types.ts';

/** How often an agent says it is alive and reads who else is. */
export const REFRESH_MS = 5000;
/** An agent not seen for this long is taken for dead: its checks move to the others. */
export const STALE_MS = 15_000;

export interface CheckAssignment {
  start(signal: AbortSignal): Promise<void>;
  mayRun(spec: CheckSpecBase): Promise<boolean>;
  /** The live agents as last read (this one included). */
  live(): string[];
}

/** FNV-1a over the text: a stable, well-spread 32-bit hash, the same on every agent and runtime. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The agent a check belongs to: the highest hash of (check, agent) among the live agents. */
export function ownerOf(check: string, agents: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const agent of agents) {
    const score = hash(`${check}\u0000${agent}`);
    if (score > bestScore || (score === bestScore && best !== undefined && agent < best)) {
      best = agent;
      bestScore = score;
    }
  }
  return best;
}

export function createCheckAssignment(deps: { db: Queryable; agentId: string; clock: Clock; log: Logger }): CheckAssignment {
  const { db, agentId, clock, log } = deps;
  let agents: string[] = [agentId];
  let reported = '';

  async function refresh(): Promise<void> {
    await db.query('UPDATE monitor_agents SET last_seen_at = now() WHERE agent_id = $1', [agentId]);
    const { rows } = await db.query<{ agent_id: string }>(
      `SELECT agent_id FROM monitor_agents WHERE last_seen_at > now() - make_interval(secs => $1::double precision / 1000)
       ORDER BY agent_id`, [STALE_MS]);
    agents = [...new Set([agentId, ...rows.map((r) => r.agent_id)])].sort();
    const now = agents.join(',');
    if (now !== reported && (reported || agents.length > 1)) log.info('agents sharing the checks', { agents: now });
    reported = now;
  }

  return {
    async start(signal) {
      while (!signal.aborted) {
        await refresh().catch((err) => log.debug('cannot read the live agents; keeping the last list', { reason: String((err as Error).message) }));
        await clock.sleep(REFRESH_MS, signal);
      }
    },
    async mayRun(spec) {
      if (ownerOf(spec.name, agents) !== agentId) return false;
      try {
        const { rows } = await db.query(
          `INSERT INTO monitor_check_leases (check_name, agent_id, leased_until)
           VALUES ($1, $2, now() + make_interval(secs => $3))
           ON CONFLICT (check_name) DO UPDATE SET agent_id = EXCLUDED.agent_id, leased_until = EXCLUDED.leased_until
           WHERE monitor_check_leases.agent_id = EXCLUDED.agent_id OR monitor_check_leases.leased_until <= now()
           RETURNING agent_id`,
          [spec.name, agentId, spec.intervalSec]);
        return rows.length === 1;
      } catch {
        // The database is down: the owner runs its checks anyway and the writer holds the results.
        return true;
      }
    },
    live: () => [...agents],
  };
}
