import { PLUGIN_BASE_URL, ROUTES } from '../constants';

/** Prefixes an app route with the plugin's base URL: `incidents` → `/a/blocktrust-monitor-app/incidents`. */
export function prefixRoute(route: string): string {
  return `${PLUGIN_BASE_URL}/${route}`;
}

export const incidentUrl = (id: number): string => prefixRoute(`${ROUTES.Incidents}/${id}`);
