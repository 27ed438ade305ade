// The shapes every part of the agent agrees on. Web standards only: this file runs on Node and Deno.

import type { Condition } from '@blocktrust-monitor/contract';

export { severityRank, type Condition, type ErrorClass, type Severity } from '@blocktrust-monitor/contract';

/** What a check function returns. The runner adds timing and the check's name. */
export interface CheckOutcome {
  ok: boolean;
  /** Stored in monitor_metrics.details. Failing runs carry error_class and error (a readable sentence). */
  details: Record<string, unknown>;
  /** For a failing run: which condition failed (default `down`). */
  condition?: Condition;
}

/** One row of monitor_metrics, as the agent writes it. */
export interface CheckResult {
  check: string;
  ts: Date;
  ok: boolean;
  latencyMs: number;
  details: Record<string, unknown>;
  condition?: Condition;
  /** Set when the run says nothing about the target (the monitor's own database failed): never recorded. */
  unrecordable?: string;
}

export interface Clock {
  now(): Date;
  /** Monotonic milliseconds, for durations. */
  monotonic(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** The subset of a pg Pool/Client the checks and stores use. */
export interface Queryable {
  // deno-lint-ignore no-explicit-any -- rows are typed by each caller; pg's own QueryResultRow is the same
  query<R extends Record<string, any> = Record<string, any>>(
    sql: string,
    params?: unknown[],
  ): Promise<{ rows: R[]; rowCount: number | null }>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  monotonic: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};
