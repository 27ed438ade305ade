import { lastValueFrom } from 'rxjs';
import { getBackendSrv } from '@grafana/runtime';

export type Row = Record<string, unknown>;

export type QueryErrorKind = 'datasource_missing' | 'schema_missing' | 'permission' | 'query';

/** A failed data source query, classified so the page can tell the user what to do about it. */
export class QueryError extends Error {
  constructor(
    readonly kind: QueryErrorKind,
    message: string
  ) {
    super(message);
  }
}

interface Frame {
  schema?: { fields?: Array<{ name: string }> };
  data?: { values?: unknown[][] };
}

interface DsQueryResponse {
  results?: Record<string, { error?: string; frames?: Frame[] }>;
  message?: string;
}

function classify(uid: string, status: number | undefined, message: string): QueryError {
  if (status === 404 || /data ?source.*not found|not found.*data ?source/i.test(message)) {
    return new QueryError(
      'datasource_missing',
      `The Postgres data source "${uid}" was not found. Provision it (see provisioning/datasources) or set its uid in the app settings.`
    );
  }
  if (/relation "monitor_[a-z_]+" does not exist/i.test(message)) {
    return new QueryError(
      'schema_missing',
      `The monitor tables are missing in this database: start the agent once (it creates them) or run "blocktrust-monitor migrate". (${message})`
    );
  }
  if (/permission denied/i.test(message)) {
    return new QueryError(
      'permission',
      `The data source's database role may not do this: ${message}. Grant it as described in docs/plugin.md.`
    );
  }
  return new QueryError('query', message || 'The query failed without a message.');
}

/** Table frames (column-oriented) to rows keyed by column name. */
export function framesToRows(frames: Frame[] | undefined): Row[] {
  const frame = frames?.[0];
  const fields = frame?.schema?.fields ?? [];
  const values = frame?.data?.values ?? [];
  const length = values[0]?.length ?? 0;
  const rows: Row[] = [];
  for (let i = 0; i < length; i++) {
    const row: Row = {};
    fields.forEach((f, col) => (row[f.name] = values[col]?.[i] ?? null));
    rows.push(row);
  }
  return rows;
}

/** Runs one SQL statement on the app's Postgres data source through Grafana's query API. */
export async function runSql(uid: string, rawSql: string): Promise<Row[]> {
  let body: DsQueryResponse;
  try {
    const response = await lastValueFrom(
      getBackendSrv().fetch<DsQueryResponse>({
        url: '/api/ds/query',
        method: 'POST',
        // The SQL carries its own time bounds; Grafana still expects a range on every query request.
        data: { from: 'now-1h', to: 'now', queries: [{ refId: 'A', datasource: { uid }, rawSql, format: 'table' }] },
        showErrorAlert: false,
      })
    );
    body = response.data;
  } catch (err) {
    const e = err as { status?: number; data?: DsQueryResponse; message?: string };
    const message = e.data?.results?.A?.error ?? e.data?.message ?? e.message ?? String(err);
    throw classify(uid, e.status, message);
  }
  const result = body?.results?.A;
  if (result?.error) {
    throw classify(uid, undefined, result.error);
  }
  return framesToRows(result?.frames);
}

export const toDate = (v: unknown): Date | null => {
  if (v === null || v === undefined || v === '') {
    return null;
  }
  const d = typeof v === 'number' ? new Date(v) : new Date(String(v));
  return Number.isNaN(d.getTime()) ? null : d;
};

export const toNumber = (v: unknown): number | null => {
  if (v === null || v === undefined || v === '') {
    return null;
  }
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};

export const toText = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export const toBool = (v: unknown): boolean => v === true || v === 't' || v === 'true' || v === 1;

/** jsonb arrives as text from Postgres through Grafana; objects are accepted as they are. */
export function toJson<T = Record<string, unknown>>(v: unknown): T | null {
  if (v === null || v === undefined || v === '') {
    return null;
  }
  if (typeof v === 'object') {
    return v as T;
  }
  try {
    return JSON.parse(String(v)) as T;
  } catch {
    return null;
  }
}
