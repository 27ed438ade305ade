import React, { useState } from 'react';
import { Badge, Button, Field, FieldSet, RadioButtonGroup, useStyles2 } from '@grafana/ui';
import { IntentOutcome } from '../../components/IntentOutcome/IntentOutcome';
import { testIds } from '../../components/testIds';
import type { useChannels } from '../../data/config';
import { useIntent } from '../../data/intents';
import { getStyles } from './Config.styles';

interface ChannelResult {
  channel: string;
  ok: boolean;
  http_status?: number;
  error?: string;
}

export function TestAlert({ channels }: { channels: ReturnType<typeof useChannels> }) {
  const s = useStyles2(getStyles);
  const intent = useIntent();
  const [channel, setChannel] = useState('all');
  const options = [
    { label: 'All channels', value: 'all' },
    ...(channels.data ?? []).map((c) => ({ label: c.name, value: c.name })),
  ];
  const results = (intent.outcome?.result?.channels ?? []) as ChannelResult[];

  return (
    <FieldSet label="Test alert" className={s.section}>
      <p className={s.muted}>The agent sends a test message and records what each channel answered.</p>
      <Field label="Send to">
        <RadioButtonGroup options={options} value={channel} onChange={setChannel} />
      </Field>
      <Button
        icon="bell"
        variant="secondary"
        disabled={intent.busy}
        data-testid={testIds.config.testAlert.send}
        onClick={() => intent.run('alert.test', channel === 'all' ? {} : { channel })}
      >
        {intent.busy ? 'Sending…' : 'Send test alert'}
      </Button>
      <IntentOutcome intent={intent} applied="The agent sent the test alert" />
      {intent.outcome?.status === 'applied' && (
        <table className={s.table} data-testid={testIds.config.testAlert.results}>
          <tbody>
            {results.length === 0 && (
              <tr>
                <td className={s.muted}>No channel is configured, so nothing was sent.</td>
              </tr>
            )}
            {results.map((r) => (
              <tr key={r.channel}>
                <td>{r.channel}</td>
                <td>{r.ok ? <Badge color="green" text="delivered" /> : <Badge color="red" text="failed" />}</td>
                <td>{r.http_status ? `HTTP ${r.http_status}` : ''}</td>
                <td>{r.error ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </FieldSet>
  );
}
