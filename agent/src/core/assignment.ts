// Several agents on one database share the checks, with no coordinator: every agent sees the same list of live
// agents (monitor_agents rows seen within STALE_MS) and gives each check to the same one by rendezvous hashing,
// so the checks spread evenly and only a dead agent's checks move. Leases in monitor_check_leases make the
// hand-over safe while agents briefly disagree on who is alive: an agent runs a check only while it holds its
// lease, takes and renews the leases of all its checks in one statement every REFRESH_MS, and gives back those
// it no longer owns. The runs themselves never wait on the database.
// A check with `locations` runs once in each of its locations that has a live agent: the same hashing among that
// location's agents only, with a lease per (check, location). Other checks hold their lease under location ''.
//
//   const assignment = createCheckAssignment({ db, agentId, location: 'sao-paulo', checks: [{ name: 'api.health' }, …], clock, log });
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
  /** The locations that have a live agent, as last read ('' stands for agents without a location). */
  liveLocations(): string[];
}

/** A check as the assignment sees it: run once in total, or once per location (`all`, or the ones listed). */
export interface AssignedCheck {
  name: string;
  locations?: 'all' | readonly string[];
}

/** Whether a check runs in a location: `all` takes every location, agents without one included (''). */
export const runsIn = (check: AssignedCheck, location: string): boolean =>
  check.locations === 'all' || (check.locations !== undefined && check.locations.includes(location));

/** murmur3's finaliser: every input bit moves about half of the output bits. */
function mix(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over the text, mixed: a stable 32-bit hash, the same on every agent and runtime. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return mix(h);
}

/**
 * The score of an agent for a check. Check and agent are hashed apart and then combined, so that names differing
 * only in their last characters (share.c1, share.c2; agent-a, agent-b) still score independently: one hash of
 * "check, agent" gave one of three agents half of the checks.
 */
const score = (checkHash: number, agent: string): number => mix(checkHash ^ Math.imul(hash(agent), 0x9e3779b1));

/** The agent a check belongs to: the highest hash of (check, agent) among the live agents. */
export function ownerOf(check: string, agents: readonly string[]): string | undefined {
  const checkHash = hash(check);
  let best: string | undefined;
  let bestScore = -1;
  for (const agent of agents) {
    const value = score(checkHash, agent);
    if (value > bestScore || (value === bestScore && best !== undefined && agent < best)) {
      best = agent;
      bestScore = value;
    }
  }
  return best;
}

/**
 * The checks an agent runs, as (check, lease location) pairs, given the live agents and their locations: a
 * multi-location check among the agents of its own location (if the check runs there), any other among all.
 */
export function checksOf(
  agentId: string, location: string, checks: readonly AssignedCheck[], agents: ReadonlyMap<string, string>,
): Array<{ check: string; location: string }> {
  const all = [...agents.keys()];
  const here = all.filter((a) => agents.get(a) === location);
  const out: Array<{ check: string; location: string }> = [];
  for (const c of checks) {
    if (c.locations === undefined) {
      if (ownerOf(c.name, all) === agentId) out.push({ check: c.name, location: '' });
    } else if (runsIn(c, location) && ownerOf(c.name, here) === agentId) {
      out.push({ check: c.name, location });
    }
  }
  return out;
}

const locationsOf = (agents: ReadonlyMap<string, string>) => [...new Set(agents.values())].sort();

export function createCheckAssignment(deps: {
  db: Queryable;
  agentId: string;
  /** MONITOR_LOCATION; unset: '' */
  location?: string;
  checks: readonly AssignedCheck[];
  clock: Clock;
  log: Logger;
}): CheckAssignment {
  const { db, agentId, clock, log } = deps;
  const location = deps.location ?? '';
  let agents = new Map<string, string>([[agentId, location]]);
  // Until the first successful round the agent runs every check it may run from its location, as a lone agent
  // would (the database may be down).
  let held: Set<string> | null = null;
  const local = new Set(deps.checks.filter((c) => c.locations === undefined || runsIn(c, location)).map((c) => c.name));
  let reported = '';

  async function refresh(): Promise<void> {
    await db.query('UPDATE monitor_agents SET last_seen_at = now() WHERE agent_id = $1', [agentId]);
    const { rows } = await db.query<{ agent_id: string; location: string | null }>(
      `SELECT agent_id, location FROM monitor_agents
       WHERE last_seen_at > now() - make_interval(secs => $1::double precision / 1000) ORDER BY agent_id`, [STALE_MS]);
    const seen: Array<[string, string]> = [...rows.map((r): [string, string] => [r.agent_id, r.location ?? '']), [agentId, location]];
    agents = new Map(seen.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const mine = checksOf(agentId, location, deps.checks, agents);
    const names = mine.map((m) => m.check);
    const places = mine.map((m) => m.location);
    await db.query(
      `DELETE FROM monitor_check_leases WHERE agent_id = $1
         AND (check_name, location) NOT IN (SELECT * FROM unnest($2::text[], $3::text[]))`, [agentId, names, places]);
    const taken = await db.query<{ check_name: string }>(
      `INSERT INTO monitor_check_leases (check_name, location, agent_id, leased_until)
       SELECT c, l, $3, now() + make_interval(secs => $4::double precision / 1000) FROM unnest($1::text[], $2::text[]) AS x(c, l)
       ON CONFLICT (check_name, location) DO UPDATE SET agent_id = EXCLUDED.agent_id, leased_until = EXCLUDED.leased_until
       WHERE monitor_check_leases.agent_id = EXCLUDED.agent_id OR monitor_check_leases.leased_until <= now()
       RETURNING check_name`, [names, places, agentId, STALE_MS]);
    held = new Set(taken.rows.map((r) => r.check_name));
    const now = [...agents].map(([a, l]) => (l ? `${a}@${l}` : a)).join(',');
    if (now !== reported && (reported || agents.size > 1)) {
      const places = locationsOf(agents);
      log.info('agents sharing the checks', {
        agents: [...agents.keys()].join(','), ...(places.some(Boolean) ? { locations: places.join(',') } : {}),
        running_here: held.size, waiting_for_lease: mine.length - held.size,
      });
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
    mayRun: (check) => (held === null ? local.has(check) : held.has(check)),
    live: () => [...agents.keys()],
    liveLocations: () => locationsOf(agents),
  };
}
