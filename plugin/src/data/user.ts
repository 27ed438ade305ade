import { config } from '@grafana/runtime';

export interface CurrentUser {
  login: string;
  canEdit: boolean;
  isAdmin: boolean;
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
  };
}
