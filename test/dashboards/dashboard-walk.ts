import { readFileSync } from 'node:fs';
import path from 'node:path';

export const DASHBOARD_DIR = path.resolve(import.meta.dirname, '../../plugin/src/dashboards');
export const DATASOURCE_UID = 'blocktrust-pg';

export interface PanelQuery {
  dashboard: string;
  /** Where the query lives: 'panel', 'annotation' or 'variable'. */
  kind: 'panel' | 'annotation' | 'variable';
  /** `<dashboard uid>/<panel title | annotation name | variable name>/<refId>` */
  key: string;
  rawSql: string;
  format: 'table' | 'time_series';
  datasourceUid?: string;
  panelType?: string;
}

export function loadDashboards(): { file: string; json: any }[] {
  return ['overview.json', 'check-detail.json'].map((file) => ({
    file,
    json: JSON.parse(readFileSync(path.join(DASHBOARD_DIR, file), 'utf8')),
  }));
}

/** Every query of a dashboard: panel targets (rows included), annotation queries and query variables. */
export function collectQueries(dashboard: any): PanelQuery[] {
  const uid: string = dashboard.uid;
  const out: PanelQuery[] = [];
  const walk = (panels: any[]) => {
    for (const p of panels ?? []) {
      if (p.type === 'row') {
        walk(p.panels);
        continue;
      }
      for (const t of p.targets ?? []) {
        out.push({
          dashboard: uid, kind: 'panel', key: `${uid}/${p.title}/${t.refId}`, rawSql: t.rawSql,
          format: t.format ?? 'time_series', datasourceUid: t.datasource?.uid ?? p.datasource?.uid, panelType: p.type,
        });
      }
    }
  };
  walk(dashboard.panels);
  for (const a of dashboard.annotations?.list ?? []) {
    if (a.builtIn) continue;
    const target = a.target ?? {};
    out.push({
      dashboard: uid, kind: 'annotation', key: `${uid}/${a.name}/${target.refId ?? 'Anno'}`,
      rawSql: target.rawSql ?? a.rawQuery, format: 'table', datasourceUid: a.datasource?.uid,
    });
  }
  for (const v of dashboard.templating?.list ?? []) {
    if (v.type !== 'query') continue;
    const sql = typeof v.query === 'string' ? v.query : v.query?.rawSql;
    out.push({ dashboard: uid, kind: 'variable', key: `${uid}/${v.name}/query`, rawSql: sql, format: 'table', datasourceUid: v.datasource?.uid });
  }
  return out;
}
