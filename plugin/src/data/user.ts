import type { Language } from '@blocktrust-monitor/contract';
import { config } from '@grafana/runtime';

export interface CurrentUser {
  login: string;
  canEdit: boolean;
  isAdmin: boolean;
  /** The reader's language for incident titles: Brazilian Portuguese when Grafana is set to Portuguese, else English. */
  language: Language;
}

/** Editors and Admins act on incidents; Admins change configuration; Viewers read. */
export function currentUser(): CurrentUser {
  const user = config.bootData?.user;
  const role = user?.orgRole ?? 'Viewer';
  const isAdmin = role === 'Admin' || Boolean(user?.isGrafanaAdmin);
  return {
    login: user?.login || 'unknown',
    canEdit: isAdmin || role === 'Editor',
    isAdmin,
    language: /^pt\b/i.test(user?.language ?? '') ? 'pt-BR' : 'en',
  };
}
