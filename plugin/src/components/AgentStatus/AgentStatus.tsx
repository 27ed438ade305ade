import React from 'react';
import { Alert } from '@grafana/ui';
import type { AgentStatus as Status } from '../../data/agent';
import { formatAgo } from '../../utils/format';
import { testIds } from '../testIds';

interface Props {
  status: Status | null;
  /** The config page also needs the public key to save secrets. */
  needsPublicKey?: boolean;
}

/** Tells the user when the agent cannot be acting on what they do here, and what to do about it. */
export function AgentStatusBanner({ status, needsPublicKey }: Props) {
  if (!status) {
    return null;
  }
  const { latest, stale, publicKey } = status;
  if (!latest) {
    return (
      <Alert
        severity="warning"
        title="No agent has connected to this database yet"
        data-testid={testIds.agentStatus.banner}
      >
        Changes made here are queued and wait for an agent. Start the probe agent with the same DATABASE_URL (`npm run
        agent -- run`, or the docker-compose stack); it registers itself in monitor_agents.
      </Alert>
    );
  }
  if (stale) {
    return (
      <Alert severity="error" title="The agent's heartbeat is stale" data-testid={testIds.agentStatus.banner}>
        Agent {latest.agentId} ({latest.runtime} {latest.version}) was last seen {formatAgo(latest.ageMs)}. Checks,
        alerts and the changes made here are on hold until it runs again: check its logs and restart it.
      </Alert>
    );
  }
  if (needsPublicKey && !publicKey) {
    return (
      <Alert severity="warning" title="Secrets cannot be saved" data-testid={testIds.agentStatus.banner}>
        The agent has not published a public key because MONITOR_SECRET_KEY is unset. Set MONITOR_SECRET_KEY (32
        characters or more) for the agent and restart it; until then, webhook URLs and bot tokens can only come from its
        environment.
      </Alert>
    );
  }
  return null;
}
