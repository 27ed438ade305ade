import { sql as m001 } from './001_metrics_and_incidents.ts';
import { sql as m002 } from './002_incident_timeline_outbox_config.ts';
import { sql as m003 } from './003_slo_functions.ts';
import { sql as m004 } from './004_incident_engine.ts';
import { sql as m005 } from './005_incident_streaks.ts';
import { sql as m006 } from './006_partitions_rollups.ts';
import { sql as m008 } from './008_check_leases.ts';
import { sql as m010 } from './010_intents_and_targets.ts';
import { sql as m011 } from './011_locations.ts';
import { sql as m012 } from './012_slo_speed.ts';
import { sql as m013 } from './013_function_settings.ts';
import { sql as m014 } from './014_weekly_rollups.ts';
import { sql as m015 } from './015_histogram_percentiles.ts';
import { sql as m016 } from './016_status_set_based.ts';
import { sql as m017 } from './017_slo_spans.ts';
import { sql as m018 } from './018_live_edges.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

// Append only: a released migration is never edited, a change is a new version.
export const migrations: Migration[] = [
  { version: 1, name: 'metrics_and_incidents', sql: m001 },
  { version: 2, name: 'incident_timeline_outbox_config', sql: m002 },
  { version: 3, name: 'slo_functions', sql: m003 },
  { version: 4, name: 'incident_engine', sql: m004 },
  { version: 5, name: 'incident_streaks', sql: m005 },
  { version: 6, name: 'partitions_rollups', sql: m006 },
  { version: 8, name: 'check_leases', sql: m008 },
  { version: 10, name: 'intents_and_targets', sql: m010 },
  { version: 11, name: 'locations', sql: m011 },
  { version: 12, name: 'slo_speed', sql: m012 },
  { version: 13, name: 'function_settings', sql: m013 },
  { version: 14, name: 'weekly_rollups', sql: m014 },
  { version: 15, name: 'histogram_percentiles', sql: m015 },
  { version: 16, name: 'status_set_based', sql: m016 },
  { version: 17, name: 'slo_spans', sql: m017 },
  { version: 18, name: 'live_edges', sql: m018 },
];
