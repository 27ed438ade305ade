import pluginJson from './plugin.json';

export const PLUGIN_BASE_URL = `/a/${pluginJson.id}`;

/** The provisioned Postgres data source; the app settings (jsonData.datasourceUid) may name another. */
export const DEFAULT_DATASOURCE_UID = 'blocktrust-pg';

export const CHECK_DETAIL_DASHBOARD_URL = '/d/bt-check-detail';

/** Playbooks are docs/playbooks/<condition>.md; the app settings give the URL they are served from. */
export const PLAYBOOK_PATH = 'docs/playbooks';

/** An agent whose heartbeat is older than this is shown as stale (same limit as the Grafana alert rule). */
export const AGENT_STALE_MS = 3 * 60 * 1000;

export enum ROUTES {
  Incidents = 'incidents',
  Slos = 'slos',
  Config = 'config',
}
