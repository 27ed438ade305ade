import React, { useState } from 'react';
import { lastValueFrom } from 'rxjs';
import type { AppPluginMeta, PluginConfigPageProps, PluginMeta } from '@grafana/data';
import { getBackendSrv } from '@grafana/runtime';
import { Alert, Button, Field, FieldSet, Input, Stack } from '@grafana/ui';
import { DEFAULT_DATASOURCE_UID } from '../../constants';
import type { AppSettings } from '../../types';
import { testIds } from '../testIds';

export interface AppConfigProps extends PluginConfigPageProps<AppPluginMeta<AppSettings>> {}

const UID = /^[a-zA-Z0-9_-]{1,40}$/;

export function validateAppSettings(s: { datasourceUid: string; playbookBaseUrl: string }) {
  const errors: { datasourceUid?: string; playbookBaseUrl?: string } = {};
  if (!UID.test(s.datasourceUid.trim())) {
    errors.datasourceUid = 'Data source uid: 1 to 40 letters, digits, - or _ (the provisioned one is blocktrust-pg)';
  }
  if (s.playbookBaseUrl.trim()) {
    try {
      const u = new URL(s.playbookBaseUrl.trim());
      if (u.protocol !== 'https:' && u.protocol !== 'http:') {
        errors.playbookBaseUrl = 'Playbook URL: must start with https:// or http://';
      }
    } catch {
      errors.playbookBaseUrl =
        'Playbook URL: enter a full URL, e.g. https://example.com/blocktrust-monitor/docs/playbooks';
    }
  }
  return errors;
}

/** Grafana's plugin settings page: which data source the app uses and where the playbooks are served. */
const AppConfig = ({ plugin }: AppConfigProps) => {
  const { enabled, pinned, jsonData } = plugin.meta;
  const [datasourceUid, setDatasourceUid] = useState(jsonData?.datasourceUid ?? DEFAULT_DATASOURCE_UID);
  const [playbookBaseUrl, setPlaybookBaseUrl] = useState(jsonData?.playbookBaseUrl ?? '');
  const [saveError, setSaveError] = useState<string | null>(null);
  const errors = validateAppSettings({ datasourceUid, playbookBaseUrl });

  const onSubmit = async (event: React.FormEvent) => {
    event.preventDefault();
    if (Object.keys(errors).length) {
      return;
    }
    try {
      await updatePlugin(plugin.meta.id, {
        enabled,
        pinned,
        jsonData: { datasourceUid: datasourceUid.trim(), playbookBaseUrl: playbookBaseUrl.trim() },
      });
      // The app reads its settings when it loads; a reload applies the new ones.
      window.location.reload();
    } catch (err) {
      setSaveError((err as { data?: { message?: string } }).data?.message ?? String(err));
    }
  };

  return (
    <form onSubmit={onSubmit}>
      <FieldSet label="Blocktrust Monitor">
        {saveError && <Alert title="Settings were not saved">{saveError}</Alert>}
        <Field
          label="Postgres data source uid"
          description="The Grafana Postgres data source that reads the monitor tables and writes intents."
          invalid={Boolean(errors.datasourceUid)}
          error={errors.datasourceUid}
        >
          <Input
            width={40}
            id="config-datasource-uid"
            data-testid={testIds.appConfig.datasourceUid}
            value={datasourceUid}
            onChange={(e) => setDatasourceUid(e.currentTarget.value)}
          />
        </Field>
        <Field
          label="Playbook base URL"
          description="Where docs/playbooks/<condition>.md are served (same as the agent's MONITOR_PLAYBOOK_BASE_URL)."
          invalid={Boolean(errors.playbookBaseUrl)}
          error={errors.playbookBaseUrl}
        >
          <Input
            width={60}
            id="config-playbook-base-url"
            data-testid={testIds.appConfig.playbookBaseUrl}
            value={playbookBaseUrl}
            placeholder="https://example.com/blocktrust-monitor/docs/playbooks"
            onChange={(e) => setPlaybookBaseUrl(e.currentTarget.value)}
          />
        </Field>
        <Stack>
          <Button type="submit" data-testid={testIds.appConfig.submit} disabled={Object.keys(errors).length > 0}>
            Save settings
          </Button>
        </Stack>
      </FieldSet>
    </form>
  );
};

export default AppConfig;

const updatePlugin = async (pluginId: string, data: Partial<PluginMeta<AppSettings>>) =>
  lastValueFrom(getBackendSrv().fetch({ url: `/api/plugins/${pluginId}/settings`, method: 'POST', data }));
