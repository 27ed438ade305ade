import { SLO_WINDOWS, sloRowFrom, type SloRow, type SloWindowName } from '@blocktrust-monitor/contract';
import { useSql, type SqlState } from './useSql';

/** monitor_slo over the last window: the same function, and so the same figures, as the `slo` report. */
export function sloSql(window: SloWindowName): string {
  const seconds = SLO_WINDOWS[window] / 1000;
  return `SELECT * FROM monitor_slo(now() - make_interval(secs => ${seconds}), now()) ORDER BY check_name`;
}

export function useSlo(window: SloWindowName): SqlState<SloRow[]> {
  return useSql(sloSql(window), (rows) => rows.map((r) => sloRowFrom(r)));
}
