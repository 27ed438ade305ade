import type { CheckOutcome, Clock, Logger, Queryable, Severity } from '../core/types.ts';

/** Fields every check has, whatever its kind. Kind-specific fields live in each kind's spec. */
export interface CheckSpecBase {
  name: string;
  kind: string;
  enabled: boolean;
  intervalSec: number;
  timeoutMs: number;
  /** Severity of a `down` incident. */
  severity: Severity;
  /** Severity of a `slow` incident (over the latency objective). */
  slowSeverity: Severity;
  /** Latency objective for this check; defaults to SLO_LATENCY_MS. */
  latencySloMs?: number;
  /** Uptime objective in percent; defaults to SLO_UPTIME_TARGET. */
  uptimeTarget?: number;
  failureThreshold: number;
  successThreshold: number;
}

/** Settings from the environment that checks read. */
export interface CheckSettings {
  apiBase: string;
  sloLatencyMs: number;
  maxListenerLagSec: number;
  polygonRpcUrl?: string;
}

/** Logs in once and reuses the token until it expires or a call answers 401. */
export interface AuthSession {
  token(signal: AbortSignal, opts?: { force?: boolean }): Promise<string>;
}

export interface CheckContext {
  signal: AbortSignal;
  clock: Clock;
  log: Logger;
  db: Queryable;
  fetch: typeof fetch;
  auth: AuthSession;
  settings: CheckSettings;
  /** Survives between runs of the same check (e.g. the last block seen). */
  memory: Map<string, unknown>;
}

export type CheckFn<S extends CheckSpecBase = CheckSpecBase> = (spec: S, ctx: CheckContext) => Promise<CheckOutcome>;
