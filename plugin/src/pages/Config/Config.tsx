import React from 'react';
import { PluginPage } from '@grafana/runtime';
import { Alert, LoadingPlaceholder } from '@grafana/ui';
import { AgentStatusBanner } from '../../components/AgentStatus/AgentStatus';
import { QueryErrorAlert } from '../../components/QueryErrorAlert';
import { testIds } from '../../components/testIds';
import { useAgentStatus } from '../../data/agent';
import { useChannels } from '../../data/config';
import { QueryError } from '../../data/datasource';
import { currentUser } from '../../data/user';
import { Channels } from './Channels';
import { Maintenance } from './Maintenance';
import { Silences } from './Silences';
import { SloTargets } from './SloTargets';
import { TestAlert } from './TestAlert';

function Config() {
  if (!currentUser().isAdmin) {
    return (
      <PluginPage>
        <Alert severity="info" title="Only Admins change the monitor's configuration">
          Ask an organisation Admin to change SLO targets, alert channels, silences or maintenance windows.
        </Alert>
      </PluginPage>
    );
  }
  return <ConfigSections />;
}

function ConfigSections() {
  const agent = useAgentStatus();
  // One list for the channel editor and the test alert, so a new channel can be tested at once.
  const channels = useChannels();

  // Without the data source nothing below can load; say so once instead of five times.
  if (agent.error instanceof QueryError && agent.error.kind !== 'query') {
    return (
      <PluginPage>
        <QueryErrorAlert error={agent.error} what="configuration" />
      </PluginPage>
    );
  }

  return (
    <PluginPage>
      <div data-testid={testIds.config.container}>
        {agent.loading && !agent.data && <LoadingPlaceholder text="Checking the agent…" />}
        <AgentStatusBanner status={agent.data} needsPublicKey />
        <SloTargets />
        <Channels channels={channels} publicKey={agent.data?.publicKey ?? null} />
        <Silences />
        <Maintenance />
        <TestAlert channels={channels} />
      </div>
    </PluginPage>
  );
}

export default Config;
