import React, { useState } from 'react';
import { Button, Field, FieldSet, Input, RadioButtonGroup, Stack, useStyles2 } from '@grafana/ui';
import { IntentOutcome } from '../../components/IntentOutcome/IntentOutcome';
import { testIds } from '../../components/testIds';
import { useMaintenanceWindows } from '../../data/config';
import { useIntent } from '../../data/intents';
import { formatTime } from '../../utils/format';
import { hasErrors, maintenancePayload, validateMaintenance, type MaintenanceForm } from '../../utils/validation';
import { getStyles } from './Config.styles';
import { ConfigTable } from './ConfigTable';

const RECURRENCE_OPTIONS = [
  { label: 'never', value: 'none' },
  { label: 'daily', value: 'daily' },
  { label: 'weekly', value: 'weekly' },
];
const EMPTY: MaintenanceForm = {
  checkPattern: '*',
  startsAt: '',
  endsAt: '',
  recurrence: 'none',
  recurrenceUntil: '',
  reason: '',
};

export function Maintenance() {
  const s = useStyles2(getStyles);
  const windows = useMaintenanceWindows();
  const intent = useIntent();
  const [form, setForm] = useState<MaintenanceForm>(EMPTY);
  const [touched, setTouched] = useState(false);
  const [lastAction, setLastAction] = useState('Maintenance window planned');
  const errors = validateMaintenance(form);
  const shown = touched ? errors : {};
  const text = (key: keyof MaintenanceForm) => ({
    value: form[key],
    onChange: (e: React.FormEvent<HTMLInputElement>) => setForm({ ...form, [key]: e.currentTarget.value }),
  });

  const create = async () => {
    setTouched(true);
    if (hasErrors(errors)) {
      return;
    }
    setLastAction(`Maintenance window for ${form.checkPattern.trim()} planned`);
    const outcome = await intent.run('maintenance.create', maintenancePayload(form));
    if (outcome?.status === 'applied') {
      setForm(EMPTY);
      setTouched(false);
      windows.reload();
    }
  };

  const remove = async (id: number) => {
    setLastAction(`Maintenance window #${id} deleted`);
    const outcome = await intent.run('maintenance.delete', { id });
    if (outcome?.status === 'applied') {
      windows.reload();
    }
  };

  return (
    <FieldSet label="Maintenance windows" className={s.section}>
      <p className={s.muted}>
        During a window, matching checks open no incidents and the time is left out of SLO figures. Times are in your
        browser’s time zone.
      </p>
      <ConfigTable
        state={windows}
        what="maintenance windows"
        testId={testIds.config.maintenance.table}
        columns={['Checks', 'Starts', 'Ends', 'Repeats', 'Reason', 'By', '']}
        empty="No current or planned maintenance."
        rowKey={(w) => w.id}
        cells={(w) => (
          <>
            <td>{w.checkPattern}</td>
            <td>{formatTime(w.startsAt)}</td>
            <td>{formatTime(w.endsAt)}</td>
            <td>
              {w.recurrence ?? 'never'}
              {w.recurrence && w.recurrenceUntil ? ` until ${formatTime(w.recurrenceUntil)}` : ''}
            </td>
            <td>{w.reason ?? ''}</td>
            <td>{w.author}</td>
            <td>
              <Button size="sm" variant="destructive" fill="text" disabled={intent.busy} onClick={() => remove(w.id)}>
                Delete
              </Button>
            </td>
          </>
        )}
      />
      <Stack gap={2} wrap="wrap" alignItems="flex-start">
        <Field label="Checks" invalid={Boolean(shown.checkPattern)} error={shown.checkPattern}>
          <Input width={20} data-testid={testIds.config.maintenance.checkPattern} {...text('checkPattern')} />
        </Field>
        <Field label="Starts" invalid={Boolean(shown.startsAt)} error={shown.startsAt}>
          <Input
            type="datetime-local"
            width={26}
            data-testid={testIds.config.maintenance.startsAt}
            {...text('startsAt')}
          />
        </Field>
        <Field label="Ends" invalid={Boolean(shown.endsAt)} error={shown.endsAt}>
          <Input type="datetime-local" width={26} data-testid={testIds.config.maintenance.endsAt} {...text('endsAt')} />
        </Field>
      </Stack>
      <Stack gap={2} wrap="wrap" alignItems="flex-start">
        <Field label="Repeats" invalid={Boolean(shown.recurrence)} error={shown.recurrence}>
          <RadioButtonGroup
            options={RECURRENCE_OPTIONS}
            value={form.recurrence}
            onChange={(recurrence) => setForm({ ...form, recurrence })}
          />
        </Field>
        {form.recurrence !== 'none' && (
          <Field label="Repeat until (optional)" invalid={Boolean(shown.recurrenceUntil)} error={shown.recurrenceUntil}>
            <Input
              type="datetime-local"
              width={26}
              data-testid={testIds.config.maintenance.recurrenceUntil}
              {...text('recurrenceUntil')}
            />
          </Field>
        )}
        <Field label="Reason" invalid={Boolean(shown.reason)} error={shown.reason}>
          <Input width={40} data-testid={testIds.config.maintenance.reason} {...text('reason')} />
        </Field>
      </Stack>
      <Button onClick={create} disabled={intent.busy} data-testid={testIds.config.maintenance.submit}>
        Plan maintenance
      </Button>
      <IntentOutcome intent={intent} applied={lastAction} />
    </FieldSet>
  );
}
