import React, { useState } from 'react';
import { Button, Field, FieldSet, Input, RadioButtonGroup, Stack, useStyles2 } from '@grafana/ui';
import { IntentOutcome } from '../../components/IntentOutcome/IntentOutcome';
import { testIds } from '../../components/testIds';
import { useSilences } from '../../data/config';
import { useIntent } from '../../data/intents';
import { formatTime } from '../../utils/format';
import { hasErrors, parseDuration, validateSilence, type SilenceForm } from '../../utils/validation';
import { getStyles } from './Config.styles';
import { ConfigTable } from './ConfigTable';

const SEVERITY_OPTIONS = [
  { label: 'any', value: 'any' },
  { label: 'info', value: 'info' },
  { label: 'warn', value: 'warn' },
  { label: 'crit', value: 'crit' },
];
const EMPTY: SilenceForm = { checkPattern: '*', severity: 'any', duration: '1h', comment: '' };

export function Silences() {
  const s = useStyles2(getStyles);
  const silences = useSilences();
  const intent = useIntent();
  const [form, setForm] = useState<SilenceForm>(EMPTY);
  const [touched, setTouched] = useState(false);
  const [lastAction, setLastAction] = useState('Silence created');
  const errors = validateSilence(form);
  const shown = touched ? errors : {};

  const create = async () => {
    setTouched(true);
    if (hasErrors(errors)) {
      return;
    }
    const endsAt = new Date(Date.now() + parseDuration(form.duration)!);
    setLastAction(`Alerts for ${form.checkPattern.trim()} silenced until ${formatTime(endsAt)}`);
    const outcome = await intent.run('silence.create', {
      check_pattern: form.checkPattern.trim(),
      ...(form.severity !== 'any' ? { severity: form.severity } : {}),
      ends_at: endsAt.toISOString(),
      ...(form.comment.trim() ? { comment: form.comment.trim() } : {}),
    });
    if (outcome?.status === 'applied') {
      setForm(EMPTY);
      setTouched(false);
      silences.reload();
    }
  };

  const expire = async (id: number) => {
    setLastAction(`Silence #${id} ended`);
    const outcome = await intent.run('silence.expire', { id });
    if (outcome?.status === 'applied') {
      silences.reload();
    }
  };

  return (
    <FieldSet label="Silences" className={s.section}>
      <p className={s.muted}>While a silence is active, matching incidents still open but send no alerts.</p>
      <ConfigTable
        state={silences}
        what="silences"
        testId={testIds.config.silences.table}
        columns={['Checks', 'Severity', 'From', 'Until', 'By', 'Comment', '']}
        empty="No active or upcoming silences."
        rowKey={(x) => x.id}
        cells={(x) => (
          <>
            <td>{x.checkPattern}</td>
            <td>{x.severity ?? 'any'}</td>
            <td>{formatTime(x.startsAt)}</td>
            <td>{formatTime(x.endsAt)}</td>
            <td>{x.author}</td>
            <td>{x.comment ?? ''}</td>
            <td>
              <Button size="sm" variant="secondary" disabled={intent.busy} onClick={() => expire(x.id)}>
                End now
              </Button>
            </td>
          </>
        )}
      />
      <Stack gap={2} wrap="wrap" alignItems="flex-start">
        <Field
          label="Checks"
          description="name or pattern: *, api.*"
          invalid={Boolean(shown.checkPattern)}
          error={shown.checkPattern}
        >
          <Input
            width={20}
            value={form.checkPattern}
            data-testid={testIds.config.silences.checkPattern}
            onChange={(e) => setForm({ ...form, checkPattern: e.currentTarget.value })}
          />
        </Field>
        <Field label="Severity" invalid={Boolean(shown.severity)} error={shown.severity}>
          <RadioButtonGroup
            options={SEVERITY_OPTIONS}
            value={form.severity}
            onChange={(severity) => setForm({ ...form, severity })}
          />
        </Field>
        <Field
          label="Duration"
          description="from now: 30m, 2h, 1d"
          invalid={Boolean(shown.duration)}
          error={shown.duration}
        >
          <Input
            width={12}
            value={form.duration}
            data-testid={testIds.config.silences.duration}
            onChange={(e) => setForm({ ...form, duration: e.currentTarget.value })}
          />
        </Field>
        <Field label="Comment" invalid={Boolean(shown.comment)} error={shown.comment}>
          <Input
            width={40}
            value={form.comment}
            data-testid={testIds.config.silences.comment}
            onChange={(e) => setForm({ ...form, comment: e.currentTarget.value })}
          />
        </Field>
      </Stack>
      <Button onClick={create} disabled={intent.busy} data-testid={testIds.config.silences.submit}>
        Silence
      </Button>
      <IntentOutcome intent={intent} applied={lastAction} />
    </FieldSet>
  );
}
