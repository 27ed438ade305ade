import React from 'react';
import { fireEvent, render, screen } from '@testing-library/react';
import type { AppPluginMeta, PluginConfigPageProps, PluginMeta } from '@grafana/data';
import type { AppSettings } from '../../types';
import { testIds } from '../testIds';
import AppConfig, { validateAppSettings } from './AppConfig';

const props = (jsonData: AppSettings = {}) =>
  ({
    plugin: {
      meta: { id: 'blocktrust-monitor-app', enabled: true, pinned: true, jsonData } as PluginMeta<AppSettings>,
    },
    query: {},
  }) as unknown as PluginConfigPageProps<AppPluginMeta<AppSettings>>;

describe('App settings', () => {
  it('defaults to the provisioned data source', () => {
    render(<AppConfig {...props()} />);
    expect(screen.getByTestId(testIds.appConfig.datasourceUid)).toHaveValue('blocktrust-pg');
    expect(screen.getByTestId(testIds.appConfig.submit)).toBeEnabled();
  });

  it('shows stored settings and refuses invalid ones with a message', () => {
    render(<AppConfig {...props({ datasourceUid: 'pg-2', playbookBaseUrl: 'https://docs.example.com/pb' })} />);
    expect(screen.getByTestId(testIds.appConfig.datasourceUid)).toHaveValue('pg-2');
    fireEvent.change(screen.getByTestId(testIds.appConfig.playbookBaseUrl), { target: { value: 'docs/pb' } });
    expect(screen.getByText(/Playbook URL: enter a full URL/)).toBeInTheDocument();
    expect(screen.getByTestId(testIds.appConfig.submit)).toBeDisabled();
  });

  it('validates the uid', () => {
    expect(validateAppSettings({ datasourceUid: 'blocktrust-pg', playbookBaseUrl: '' })).toEqual({});
    expect(validateAppSettings({ datasourceUid: "x' OR 1=1", playbookBaseUrl: '' }).datasourceUid).toMatch(
      /Data source uid/
    );
    expect(validateAppSettings({ datasourceUid: 'a', playbookBaseUrl: 'ftp://x' }).playbookBaseUrl).toMatch(/https/);
  });
});
