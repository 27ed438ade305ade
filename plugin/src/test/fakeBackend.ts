// Stands in for Grafana's backend at the getBackendSrv() boundary: answers /api/ds/query with table frames
// chosen by matching the SQL, records every statement, and plays the agent for monitor_intents.
import { Observable, of, throwError } from 'rxjs';
import { setBackendSrv, type BackendSrv, type BackendSrvRequest, type FetchResponse } from '@grafana/runtime';
import type { Row } from '../data/datasource';

type Answer = Row[] | ((sql: string) => Row[]);

export interface RecordedIntent {
  id: number;
  author: string;
  kind: string;
  payload: Record<string, unknown>;
}

export interface IntentReply {
  status: 'applied' | 'rejected' | 'pending';
  reason?: string;
  result?: Record<string, unknown>;
}

function toFrame(rows: Row[]) {
  const names = rows.length ? Object.keys(rows[0]) : [];
  return {
    schema: { fields: names.map((name) => ({ name })) },
    data: { values: names.map((n) => rows.map((r) => r[n])) },
  };
}

// Reads the literals back the way Postgres would: doubled quotes inside '…'.
function readLiterals(sql: string): string[] {
  return Array.from(sql.matchAll(/'((?:[^']|'')*)'/g), (m) => m[1].replace(/''/g, "'"));
}

export class FakeBackend {
  readonly statements: string[] = [];
  readonly intents: RecordedIntent[] = [];
  private answers: Array<{ pattern: RegExp; answer: Answer }> = [];
  private failure: { pattern: RegExp; status?: number; message: string } | null = null;
  intentReply: (intent: RecordedIntent) => IntentReply = () => ({ status: 'applied' });
  /** Called with the data source uid of every query. */
  onRequest: (uid: string) => void = () => {};

  /** Rows for every query whose SQL matches `pattern`; later calls win over earlier ones. */
  on(pattern: RegExp, answer: Answer): this {
    this.answers.unshift({ pattern, answer });
    return this;
  }

  /** Makes matching queries fail as Grafana would (HTTP status and message). */
  fail(pattern: RegExp, message: string, status?: number): this {
    this.failure = { pattern, message, status };
    return this;
  }

  install(): this {
    setBackendSrv({ fetch: (options: BackendSrvRequest) => this.fetch(options) } as unknown as BackendSrv);
    return this;
  }

  private fetch(options: BackendSrvRequest): Observable<FetchResponse> {
    if (options.url !== '/api/ds/query') {
      return throwError(() => ({ status: 404, data: { message: `unexpected request ${options.url}` } }));
    }
    const sql: string = options.data.queries[0].rawSql;
    this.onRequest(options.data.queries[0].datasource.uid);
    this.statements.push(sql);
    if (this.failure && this.failure.pattern.test(sql)) {
      const { status, message } = this.failure;
      return throwError(() => ({
        status: status ?? 400,
        data: { message, results: status ? undefined : { A: { error: message } } },
      }));
    }
    return of({ data: { results: { A: { frames: [toFrame(this.rows(sql))] } } } } as unknown as FetchResponse);
  }

  private rows(sql: string): Row[] {
    if (/^INSERT INTO monitor_intents/.test(sql)) {
      const [author, kind, payload] = readLiterals(sql);
      const intent = { id: this.intents.length + 1, author, kind, payload: JSON.parse(payload) };
      this.intents.push(intent);
      return [{ id: intent.id }];
    }
    const read = sql.match(/FROM monitor_intents WHERE id = (\d+)/);
    if (read) {
      const intent = this.intents[Number(read[1]) - 1];
      const reply = this.intentReply(intent);
      return [
        {
          id: intent.id,
          status: reply.status,
          reason: reply.reason ?? null,
          result: reply.result ? JSON.stringify(reply.result) : null,
        },
      ];
    }
    const hit = this.answers.find((a) => a.pattern.test(sql));
    if (!hit) {
      return [];
    }
    return typeof hit.answer === 'function' ? hit.answer(sql) : hit.answer;
  }
}
