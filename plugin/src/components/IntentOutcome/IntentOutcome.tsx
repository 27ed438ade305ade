import React from 'react';
import { css } from '@emotion/css';
import { Alert } from '@grafana/ui';
import type { IntentRun } from '../../data/intents';
import { testIds } from '../testIds';

interface Props {
  intent: Pick<IntentRun, 'outcome' | 'error' | 'clear'>;
  /** What was applied, in the user's words: "Incident acknowledged". */
  applied: string;
}

/** Shows what the agent did with the last change: applied, rejected (with its reason) or still waiting. */
export function IntentOutcome(props: Props) {
  return (
    <div className={spaced}>
      <OutcomeAlert {...props} />
    </div>
  );
}

function OutcomeAlert({ intent, applied }: Props) {
  const { outcome, error, clear } = intent;
  if (error) {
    return (
      <Alert severity="error" title="The change was not sent" onRemove={clear} data-testid={testIds.intent.outcome}>
        {error.message}
      </Alert>
    );
  }
  if (!outcome) {
    return null;
  }
  if (outcome.status === 'applied') {
    return <Alert severity="success" title={applied} onRemove={clear} data-testid={testIds.intent.outcome} />;
  }
  if (outcome.status === 'rejected') {
    return (
      <Alert
        severity="error"
        title="The agent rejected this change"
        onRemove={clear}
        data-testid={testIds.intent.outcome}
      >
        {outcome.reason || 'No reason was given.'}
      </Alert>
    );
  }
  return (
    <Alert severity="warning" title="Waiting for the agent" onRemove={clear} data-testid={testIds.intent.outcome}>
      Change #{outcome.id} is queued, but no agent has applied it yet. A running agent applies changes within seconds;
      if this stays, check that the agent is running.
    </Alert>
  );
}

const spaced = css({ marginTop: 16, '&:empty': { display: 'none' } });
