import type { HttpTransport } from './transport.ts';
import type { ZodType } from 'zod';
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
  /** Run once per interval from every location with a live agent (`all`), or from these; unset: once in total. */
  locations?: 'all' | string[];
  /** How many locations must fail to open an incident (default: a majority of the live locations). */
  quorum?: number;
}

/** Settings from the environment that checks read. */
export interface CheckSettings {
  apiBase: string;
  sloLatencyMs: number;
  maxListenerLagSec: number;
  polygonRpcUrl?: string;
  /** Default response size limit of a check (MONITOR_MAX_RESPONSE_BYTES). */
  maxResponseBytes?: number;
}

/** One login profile's session: logs in once and reuses the token until it expires. */
export interface Login {
  readonly profile: string;
  /** Successful logins so far. */
  readonly logins: number;
  /**
   * `force` logs in again, unless `rejected` is given and the cached token already differs from it
   * (another caller has logged in since): many callers hitting 401 together cause one login.
   */
  token(signal: AbortSignal, opts?: { force?: boolean; rejected?: string }): Promise<string>;
  /** A call answered 401 to `token`: log in again, or not (the token is too fresh for that to help). */
  unauthorized(token: string): { relogin: boolean; ageMs?: number };
  /** A call with `token` got an answer other than 401. */
  accepted(token: string): void;
  /** The token of a new login was refused too: wait longer before the next one. */
  rejectedAfterRelogin(): void;
}

/** The agent's logins to the API, one per profile (`explorer`, `user`). */
export interface AuthSession {
  readonly profiles: readonly string[];
  /** Whether the profile has its credentials. */
  configured(profile: string): boolean;
  login(profile: string): Login;
  /** The first profile's token (the explorer login). */
  token(signal: AbortSignal, opts?: { force?: boolean; rejected?: string }): Promise<string>;
}

export interface CheckContext {
  signal: AbortSignal;
  clock: Clock;
  log: Logger;
  db: Queryable;
  fetch: typeof fetch;
  /** HTTP requests of the `http` and `flow` kinds (the runtime's fastest; see transport.ts). */
  http: HttpTransport;
  auth: AuthSession;
  settings: CheckSettings;
  /** Survives between runs of the same check (e.g. the last block seen). */
  memory: Map<string, unknown>;
  /** When the agent started; the listener checks give a fresh start a grace period. Unset: the check's first run. */
  startedAt?: Date;
}

export type CheckFn<S extends CheckSpecBase = CheckSpecBase> = (spec: S, ctx: CheckContext) => Promise<CheckOutcome>;

/** A check function of whichever kind: the runner passes each the spec its registry entry validated. */
// deno-lint-ignore no-explicit-any -- spec types differ per kind; CheckFn<CheckSpecBase> would reject them all
export type AnyCheckFn = CheckFn<any>;

/** One entry of the check-kind registry: how to validate a spec of this kind, and how to run it. */
export interface CheckKind<S extends CheckSpecBase = CheckSpecBase> {
  schema: ZodType<S>;
  run: CheckFn<S>;
}
