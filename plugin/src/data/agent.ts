import { AGENT_STALE_MS } from '../constants';
import type { AgentInfo, PublicKeyJwk } from '../types';
import { toDate, toJson, toNumber, toText } from './datasource';
import { useSql } from './useSql';

export interface AgentStatus {
  /** The most recently seen agent, if any agent ever registered. */
  latest: (AgentInfo & { ageMs: number }) | null;
  stale: boolean;
  /** The public key of the most recently seen agent that published one. */
  publicKey: PublicKeyJwk | null;
}

// Age is computed by Postgres so that a skewed browser clock cannot make a live agent look stale.
export const AGENT_SQL = `SELECT agent_id, version, runtime, last_seen_at, public_key::text AS public_key,
  extract(epoch FROM (now() - last_seen_at)) * 1000 AS age_ms
  FROM monitor_agents ORDER BY last_seen_at DESC LIMIT 20`;

export function useAgentStatus() {
  return useSql(AGENT_SQL, (rows): AgentStatus => {
    const agents = rows.map((r) => ({
      agentId: toText(r.agent_id) ?? '',
      version: toText(r.version) ?? '',
      runtime: toText(r.runtime) ?? '',
      lastSeenAt: toDate(r.last_seen_at) ?? new Date(0),
      publicKey: toJson<PublicKeyJwk>(r.public_key),
      ageMs: toNumber(r.age_ms) ?? Number.POSITIVE_INFINITY,
    }));
    const latest = agents[0] ?? null;
    return {
      latest,
      stale: latest ? latest.ageMs > AGENT_STALE_MS : false,
      publicKey: agents.find((a) => a.publicKey)?.publicKey ?? null,
    };
  });
}
