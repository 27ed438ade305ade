import React, { useState } from 'react';
import { DEFAULTS } from '@blocktrust-monitor/contract';
import { Button, Field, FieldSet, Input, Stack, useStyles2 } from '@grafana/ui';
import { IntentOutcome } from '../../components/IntentOutcome/IntentOutcome';
import { testIds } from '../../components/testIds';
import { useSloTargets } from '../../data/config';
import { useIntent } from '../../data/intents';
import { formatTime } from '../../utils/format';
import { validateSlo, type SloForm } from '../../utils/validation';
import { getStyles } from './Config.styles';
import { ConfigTable } from './ConfigTable';

const EMPTY: SloForm = { checkName: '*', uptimeTarget: '', latencyMs: '', maxLagSec: '' };
const show = (v: number | null, unit = '') => (v === null ? 'inherited' : `${v}${unit}`);

export function SloTargets() {
  const s = useStyles2(getStyles);
  const targets = useSloTargets();
  const intent = useIntent();
  const [form, setForm] = useState<SloForm>(EMPTY);
  const [touched, setTouched] = useState(false);
  const [lastAction, setLastAction] = useState('SLO target saved');
  const { errors, payload } = validateSlo(form);
  const shown = touched ? errors : {};
  const field = (key: keyof SloForm) => ({
    value: form[key],
    invalid: Boolean(shown[key]),
    onChange: (e: React.FormEvent<HTMLInputElement>) => setForm({ ...form, [key]: e.currentTarget.value }),
  });

  const save = async () => {
    setTouched(true);
    if (!payload) {
      return;
    }
    setLastAction(`SLO targets saved for ${payload.check_name === '*' ? 'all checks' : payload.check_name}`);
    const outcome = await intent.run('slo.set', { ...payload });
    if (outcome?.status === 'applied') {
      targets.reload();
    }
  };

  const remove = async (checkName: string) => {
    setLastAction(`${checkName} now follows the global targets`);
    const outcome = await intent.run('slo.delete', { check_name: checkName });
    if (outcome?.status === 'applied') {
      targets.reload();
    }
  };

  return (
    <FieldSet label="SLO targets" className={s.section}>
      <p className={s.muted}>
        A check without its own row uses the global row (*); an empty field inherits. Defaults: {DEFAULTS.uptimeTarget}{' '}
        % uptime, {DEFAULTS.latencyMs} ms, {DEFAULTS.maxLagSec} s listener lag.
      </p>
      <ConfigTable
        state={targets}
        what="SLO targets"
        testId={testIds.config.slo.table}
        columns={['Check', 'Uptime target', 'Latency objective', 'Max listener lag', 'Changed', '']}
        empty="No targets stored yet: the defaults apply until the agent writes the global row or you set one."
        rowKey={(t) => t.checkName}
        cells={(t) => (
          <>
            <td>{t.checkName === '*' ? '* (all checks)' : t.checkName}</td>
            <td>{show(t.uptimeTarget, ' %')}</td>
            <td>{show(t.latencyMs, ' ms')}</td>
            <td>{show(t.maxLagSec, ' s')}</td>
            <td>
              {formatTime(t.updatedAt)} {t.updatedBy ? `by ${t.updatedBy}` : ''}
            </td>
            <td>
              <Stack gap={1}>
                <Button
                  size="sm"
                  variant="secondary"
                  onClick={() =>
                    setForm({
                      checkName: t.checkName,
                      uptimeTarget: t.uptimeTarget?.toString() ?? '',
                      latencyMs: t.latencyMs?.toString() ?? '',
                      maxLagSec: t.maxLagSec?.toString() ?? '',
                    })
                  }
                >
                  Edit
                </Button>
                {t.checkName !== '*' && (
                  <Button
                    size="sm"
                    variant="destructive"
                    fill="text"
                    disabled={intent.busy}
                    onClick={() => remove(t.checkName)}
                  >
                    Remove
                  </Button>
                )}
              </Stack>
            </td>
          </>
        )}
      />
      <Stack gap={2} wrap="wrap" alignItems="flex-start">
        <Field label="Check" description="* or a check name" invalid={Boolean(shown.checkName)} error={shown.checkName}>
          <Input width={24} data-testid={testIds.config.slo.checkName} {...field('checkName')} />
        </Field>
        <Field label="Uptime target (%)" invalid={Boolean(shown.uptimeTarget)} error={shown.uptimeTarget}>
          <Input
            width={16}
            placeholder={String(DEFAULTS.uptimeTarget)}
            data-testid={testIds.config.slo.uptimeTarget}
            {...field('uptimeTarget')}
          />
        </Field>
        <Field label="Latency objective (ms)" invalid={Boolean(shown.latencyMs)} error={shown.latencyMs}>
          <Input
            width={16}
            placeholder={String(DEFAULTS.latencyMs)}
            data-testid={testIds.config.slo.latencyMs}
            {...field('latencyMs')}
          />
        </Field>
        <Field label="Max listener lag (s)" invalid={Boolean(shown.maxLagSec)} error={shown.maxLagSec}>
          <Input
            width={16}
            placeholder={String(DEFAULTS.maxLagSec)}
            data-testid={testIds.config.slo.maxLagSec}
            {...field('maxLagSec')}
          />
        </Field>
      </Stack>
      <Button onClick={save} disabled={intent.busy} data-testid={testIds.config.slo.submit}>
        {intent.busy ? 'Saving…' : 'Save SLO targets'}
      </Button>
      <IntentOutcome intent={intent} applied={lastAction} />
    </FieldSet>
  );
}
