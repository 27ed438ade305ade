import React, { useState } from 'react';
import {
  Alert,
  Badge,
  Button,
  Field,
  FieldSet,
  Input,
  RadioButtonGroup,
  SecretInput,
  Stack,
  Switch,
  useStyles2,
} from '@grafana/ui';
import { IntentOutcome } from '../../components/IntentOutcome/IntentOutcome';
import { testIds } from '../../components/testIds';
import type { useChannels } from '../../data/config';
import { useIntent } from '../../data/intents';
import type { Channel, PublicKeyJwk } from '../../types';
import {
  CHANNEL_KINDS,
  channelSecretContext,
  DEFAULTS,
  LANGUAGES,
  seal,
  SEVERITIES,
  type ChannelKind,
  type Language,
} from '@blocktrust-monitor/contract';
import { hasErrors, validateChannel, type ChannelForm } from '../../utils/validation';
import { getStyles } from './Config.styles';
import { ConfigTable } from './ConfigTable';

const KIND_LABELS: Record<ChannelKind, string> = { slack: 'Slack', telegram: 'Telegram' };
const LANGUAGE_LABELS: Record<Language, string> = { en: 'English', 'pt-BR': 'Português (Brasil)' };
const KIND_OPTIONS = CHANNEL_KINDS.map((value) => ({ label: KIND_LABELS[value], value }));
const SEVERITY_OPTIONS = SEVERITIES.map((value) => ({ label: value, value }));
const LANGUAGE_OPTIONS = LANGUAGES.map((value) => ({ label: LANGUAGE_LABELS[value], value }));

interface EditState extends ChannelForm {
  /** A secret is stored and the user has not reset it. */
  secretConfigured: boolean;
  secretReset: boolean;
}

const newChannel = (): EditState => ({
  name: '',
  kind: 'slack',
  enabled: true,
  minSeverity: DEFAULTS.minSeverity,
  language: DEFAULTS.language,
  chatId: '',
  secret: '',
  isNew: true,
  secretConfigured: false,
  secretReset: false,
});

const fromChannel = (c: Channel): EditState => ({
  name: c.name,
  kind: c.kind,
  enabled: c.enabled,
  minSeverity: c.minSeverity,
  language: c.language,
  chatId: c.chatId ?? '',
  secret: '',
  isNew: false,
  secretConfigured: c.secretConfigured,
  secretReset: false,
});

interface Props {
  channels: ReturnType<typeof useChannels>;
  publicKey: PublicKeyJwk | null;
}

export function Channels({ channels, publicKey }: Props) {
  const s = useStyles2(getStyles);
  const intent = useIntent();
  const [edit, setEdit] = useState<EditState | null>(null);
  const [touched, setTouched] = useState(false);
  const [sealError, setSealError] = useState<string | null>(null);
  const [lastAction, setLastAction] = useState('Channel saved');
  const errors = edit ? validateChannel(edit) : {};
  const shown = touched ? errors : {};

  const open = (state: EditState) => {
    setEdit(state);
    setTouched(false);
    setSealError(null);
    intent.clear();
  };

  const save = async () => {
    if (!edit) {
      return;
    }
    setTouched(true);
    setSealError(null);
    if (hasErrors(errors)) {
      return;
    }
    const name = edit.name.trim();
    const payload: Record<string, unknown> = {
      name,
      kind: edit.kind,
      enabled: edit.enabled,
      min_severity: edit.minSeverity,
      language: edit.language,
      chat_id: edit.kind === 'telegram' ? edit.chatId.trim() : null,
    };
    const secret = edit.secret.trim();
    if (secret) {
      if (!publicKey) {
        setSealError(
          'The agent has not published a public key (MONITOR_SECRET_KEY is unset), so the secret cannot be sealed. Set MONITOR_SECRET_KEY for the agent and restart it.'
        );
        return;
      }
      try {
        payload.secret_sealed = await seal(publicKey, secret, channelSecretContext(name));
      } catch (err) {
        setSealError((err as Error).message);
        return;
      }
    } else if (edit.secretReset) {
      payload.secret_reset = true;
    }
    setLastAction(`Channel ${name} saved`);
    const outcome = await intent.run('channel.upsert', payload);
    if (outcome?.status === 'applied') {
      setEdit(null);
      setTouched(false);
      channels.reload();
    }
  };

  const remove = async (name: string) => {
    setLastAction(`Channel ${name} deleted`);
    const outcome = await intent.run('channel.delete', { name });
    if (outcome?.status === 'applied') {
      channels.reload();
    }
  };

  const secretLabel = edit?.kind === 'telegram' ? 'Bot token' : 'Slack webhook URL';

  return (
    <FieldSet label="Alert channels" className={s.section}>
      <ConfigTable
        state={channels}
        what="alert channels"
        testId={testIds.config.channels.table}
        columns={['Name', 'Kind', 'Enabled', 'Minimum severity', 'Language', 'Secret', '']}
        empty="No channels stored here. Channels from the agent’s environment (ALERT_SLACK_WEBHOOK, ALERT_TELEGRAM_BOT) still send; add one to manage it from Grafana."
        rowKey={(c) => c.name}
        cells={(c) => (
          <>
            <td>{c.name}</td>
            <td>
              {c.kind}
              {c.chatId ? ` (chat ${c.chatId})` : ''}
            </td>
            <td>{c.enabled ? 'yes' : 'no'}</td>
            <td>{c.minSeverity}</td>
            <td>{c.language}</td>
            <td>
              {c.secretConfigured ? <Badge color="green" text="configured" /> : <Badge color="orange" text="not set" />}
            </td>
            <td>
              <Stack gap={1}>
                <Button size="sm" variant="secondary" onClick={() => open(fromChannel(c))}>
                  Edit
                </Button>
                <Button
                  size="sm"
                  variant="destructive"
                  fill="text"
                  disabled={intent.busy}
                  onClick={() => remove(c.name)}
                >
                  Delete
                </Button>
              </Stack>
            </td>
          </>
        )}
      />
      {!edit && (
        <Button
          icon="plus"
          variant="secondary"
          onClick={() => open(newChannel())}
          data-testid={testIds.config.channels.add}
        >
          Add channel
        </Button>
      )}
      {edit && (
        <div data-testid={testIds.config.channels.form}>
          <Stack gap={2} wrap="wrap" alignItems="flex-start">
            <Field label="Name" invalid={Boolean(shown.name)} error={shown.name}>
              <Input
                width={24}
                disabled={!edit.isNew}
                placeholder="ops-slack"
                value={edit.name}
                data-testid={testIds.config.channels.name}
                onChange={(e) => setEdit({ ...edit, name: e.currentTarget.value })}
              />
            </Field>
            <Field label="Kind" invalid={Boolean(shown.kind)} error={shown.kind}>
              <RadioButtonGroup
                options={KIND_OPTIONS}
                value={edit.kind}
                disabled={!edit.isNew}
                onChange={(kind) => setEdit({ ...edit, kind, secret: '' })}
              />
            </Field>
            <Field label="Enabled">
              <Switch value={edit.enabled} onChange={(e) => setEdit({ ...edit, enabled: e.currentTarget.checked })} />
            </Field>
          </Stack>
          <Stack gap={2} wrap="wrap" alignItems="flex-start">
            <Field label="Minimum severity" invalid={Boolean(shown.minSeverity)} error={shown.minSeverity}>
              <RadioButtonGroup
                options={SEVERITY_OPTIONS}
                value={edit.minSeverity}
                onChange={(minSeverity) => setEdit({ ...edit, minSeverity })}
              />
            </Field>
            <Field label="Language" invalid={Boolean(shown.language)} error={shown.language}>
              <RadioButtonGroup
                options={LANGUAGE_OPTIONS}
                value={edit.language}
                onChange={(language) => setEdit({ ...edit, language })}
              />
            </Field>
          </Stack>
          {edit.kind === 'telegram' && (
            <Field label="Chat id" invalid={Boolean(shown.chatId)} error={shown.chatId}>
              <Input
                width={30}
                placeholder="-1001234567890"
                value={edit.chatId}
                data-testid={testIds.config.channels.chatId}
                onChange={(e) => setEdit({ ...edit, chatId: e.currentTarget.value })}
              />
            </Field>
          )}
          <Field
            label={secretLabel}
            description="Write-only: sealed in this browser to the agent's key, never shown again."
            invalid={Boolean(shown.secret)}
            error={shown.secret}
          >
            <SecretInput
              width={60}
              isConfigured={edit.secretConfigured}
              value={edit.secret}
              placeholder={edit.kind === 'telegram' ? '123456789:AA…' : 'https://hooks.slack.com/services/…'}
              data-testid={testIds.config.channels.secret}
              onChange={(e) => setEdit({ ...edit, secret: e.currentTarget.value })}
              onReset={() => setEdit({ ...edit, secret: '', secretConfigured: false, secretReset: true })}
            />
          </Field>
          {sealError && <Alert title="The secret was not saved">{sealError}</Alert>}
          <Stack gap={1}>
            <Button onClick={save} disabled={intent.busy} data-testid={testIds.config.channels.submit}>
              {intent.busy ? 'Saving…' : 'Save channel'}
            </Button>
            <Button variant="secondary" fill="text" onClick={() => setEdit(null)}>
              Cancel
            </Button>
          </Stack>
        </div>
      )}
      <IntentOutcome intent={intent} applied={lastAction} />
    </FieldSet>
  );
}
