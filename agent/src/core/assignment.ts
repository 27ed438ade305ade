// Several agents on one database share the checks, with no coordinator: every agent sees the same list of live
// agents (monitor_agents rows seen within STALE_MS) and gives each check to the same one by rendezvous hashing,
// so the checks spread evenly and only a dead agent's checks move. Leases in monitor_check_leases make the
// hand-over safe while agents briefly disagree on who is alive: an agent runs a check only while it holds its
// lease, takes and renews the leases of all its checks in one statement every REFRESH_MS, and gives back those
// it no longer owns. The runs themselves never wait on the database.
//
//   const assignment = createCheckAssignment({ db, agentId, checks: ['api.health', …], clock, log });
//   assignment.start(signal);            // every REFRESH_MS: alive, who else is, leases taken and given back
//   if (assignment.mayRun('api.health')) …
import type { Clock, Logger, Queryable } from './types.ts';

/** How often an agent says it is alive, reads who else is, and renews its leases. */
export const REFRESH_MS = 5000;
/** An agent not seen for this long is taken for dead; a lease not renewed for this long is free. */
export const STALE_MS = 15_000;

export interface CheckAssignment {
  start(signal: AbortSignal): Promise<void>;
  /** Whether this agent runs the check now (no database call). */
  mayRun(check: string): boolean;
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

export function createCheckAssignment(deps: {
  db: Queryable;
  agentId: string;
  checks: readonly string[];
  clock: Clock;
  log: Logger;
}): CheckAssignment {
  const { db, agentId, clock, log } = deps;
  let agents: string[] = [agentId];
  // Until the first successful round the agent runs every check, as a lone agent would (the database may be down).
  let held: Set<string> | null = null;
  let reported = '';

  async function refresh(): Promise<void> {
    await db.query('UPDATE monitor_agents SET last_seen_at = now() WHERE agent_id = $1', [agentId]);
    const { rows } = await db.query<{ agent_id: string }>(
      `SELECT agent_id FROM monitor_agents WHERE last_seen_at > now() - make_interval(secs => $1::double precision / 1000)
       ORDER BY agent_id`, [STALE_MS]);
    agents = [...new Set([agentId, ...rows.map((r) => r.agent_id)])].sort();
    const mine = deps.checks.filter((c) => ownerOf(c, agents) === agentId);
    await db.query(`DELETE FROM monitor_check_leases WHERE agent_id = $1 AND NOT (check_name = ANY($2::text[]))`, [agentId, mine]);
    const taken = await db.query<{ check_name: string }>(
      `INSERT INTO monitor_check_leases (check_name, agent_id, leased_until)
       SELECT c, $2, now() + make_interval(secs => $3::double precision / 1000) FROM unnest($1::text[]) AS c
       ON CONFLICT (check_name) DO UPDATE SET agent_id = EXCLUDED.agent_id, leased_until = EXCLUDED.leased_until
       WHERE monitor_check_leases.agent_id = EXCLUDED.agent_id OR monitor_check_leases.leased_until <= now()
       RETURNING check_name`, [mine, agentId, STALE_MS]);
    held = new Set(taken.rows.map((r) => r.check_name));
    const now = agents.join(',');
    if (now !== reported && (reported || agents.length > 1)) {
      log.info('agents sharing the checks', { agents: now, running_here: held.size, waiting_for_lease: mine.length - held.size });
    }
    reported = now;
  }

  return {
    async start(signal) {
      while (!signal.aborted) {
        await refresh().catch((err) => log.debug('cannot renew the check leases; keeping the last ones', { reason: String((err as Error).message) }));
        await clock.sleep(REFRESH_MS, signal);
      }
    },
    mayRun: (check) => held === null || held.has(check),
    live: () => [...agents],
  };
}
