import { createContext, useContext } from 'react';
import { DEFAULT_DATASOURCE_UID } from '../constants';
import type { AppSettings } from '../types';

export const AppSettingsContext = createContext<AppSettings>({});

export function useAppSettings(): Required<AppSettings> {
  const s = useContext(AppSettingsContext);
  return {
    datasourceUid: s.datasourceUid?.trim() || DEFAULT_DATASOURCE_UID,
    playbookBaseUrl: s.playbookBaseUrl?.trim() || '',
  };
}

export const useDatasourceUid = (): string => useAppSettings().datasourceUid;
