import { DEFAULTS } from '@blocktrust-monitor/contract';
import type { z } from 'zod';
import { chainHeadSchema, runChainHead, type ChainHeadSpec } from './chain-head.ts';
import { flowSchema, runFlow, type FlowSpec } from './flow.ts';
import { httpSchema, runHttpCheck, type HttpCheckSpec } from './http.ts';
import { listenerEventsSchema, runListenerEvents, type ListenerEventsSpec } from './listener-events.ts';
import { listenerLagSchema, runListenerLag, type ListenerLagSpec } from './listener-lag.ts';
import { listenerProgressSchema, runListenerProgress, type ListenerProgressSpec } from './listener-progress.ts';
import type { CheckKind } from './types.ts';

export const checkKinds = {
  http: { schema: httpSchema, run: runHttpCheck },
  flow: { schema: flowSchema, run: runFlow },
  listener_lag: { schema: listenerLagSchema, run: runListenerLag },
  listener_progress: { schema: listenerProgressSchema, run: runListenerProgress },
  chain_head: { schema: chainHeadSchema, run: runChainHead },
  listener_events: { schema: listenerEventsSchema, run: runListenerEvents },
} satisfies {
  http: CheckKind<HttpCheckSpec>;
  flow: CheckKind<FlowSpec>;
  listener_lag: CheckKind<ListenerLagSpec>;
  listener_progress: CheckKind<ListenerProgressSpec>;
  chain_head: CheckKind<ChainHeadSpec>;
  listener_events: CheckKind<ListenerEventsSpec>;
  // deno-lint-ignore no-explicit-any -- each kind has its own spec type; the index accepts them all
} & Record<string, CheckKind<any>>;

export type CheckKindName = keyof typeof checkKinds;
export type CheckSpec = HttpCheckSpec | FlowSpec | ListenerLagSpec | ListenerProgressSpec | ChainHeadSpec | ListenerEventsSpec;
export const CHECK_KIND_NAMES = Object.keys(checkKinds) as CheckKindName[];

/** Values for the fields a check may leave out. */
export interface CheckDefaults {
  /** MONITOR_CHECK_INTERVAL */
  intervalSec: number;
  timeoutMs?: number;
  failureThreshold?: number;
  successThreshold?: number;
}

export class CheckSpecError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'CheckSpecError';
  }
}

export interface ParseOptions {
  /** Name spec fields in messages as a checks file writes them (`interval_sec`, not `intervalSec`). */
  snakeCaseKeys?: boolean;
}

// Spec fields with more than one word; other keys (the API's JSON keys, header names) are shown as they are.
const CAMEL_FIELDS = new Set([
  'intervalSec',
  'timeoutMs',
  'slowSeverity',
  'latencySloMs',
  'uptimeTarget',
  'failureThreshold',
  'successThreshold',
  'bodySha256',
  'sha256Of',
  'statusMeaning',
  'maxLagSec',
  'graceSec',
  'stallMinutes',
  'rpcUrl',
  'maxLagBlocks',
  'rpcStallMinutes',
  'maxResponseBytes',
  'maxRedirects',
  'blockRange',
  'eventsTable',
]);
const snake = (key: string) => key.replace(/(?<=[a-z0-9])([A-Z])/g, (c) => `_${c.toLowerCase()}`);

function pathText(path: readonly PropertyKey[], o: ParseOptions): string {
  return path
    .map((p, i) => {
      if (typeof p === 'number') return `[${p}]`;
      const key = o.snakeCaseKeys && CAMEL_FIELDS.has(String(p)) ? snake(String(p)) : String(p);
      return `${i === 0 ? '' : '.'}${key}`;
    })
    .join('');
}

function issueLines(error: z.ZodError, where: string, o: ParseOptions): string[] {
  return error.issues.map((issue) => {
    const key = pathText(issue.path, o);
    const at = key ? `${where}.${key}` : where;
    if (issue.code === 'unrecognized_keys') {
      const keys = (issue as { keys: string[] }).keys.map((k) => (o.snakeCaseKeys ? snake(k) : k));
      return `${at}: unknown field${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}`;
    }
    return `${at}: ${issue.message}`;
  });
}

/**
 * Validates one check spec of any kind and fills in defaults. `where` names its origin for messages,
 * e.g. `checks.yaml: checks[2]`, so that an error reads `checks.yaml: checks[2].expect.status: expected an array of HTTP status codes`.
 */
export function parseCheckSpec(raw: unknown, where: string, defaults: CheckDefaults, options: ParseOptions = {}): CheckSpec {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new CheckSpecError([`${where}: expected a mapping with name and kind`]);
  const kind = (raw as { kind?: unknown }).kind;
  if (typeof kind !== 'string' || !Object.hasOwn(checkKinds, kind)) {
    throw new CheckSpecError([
      `${where}.kind: ${kind === undefined ? 'required' : `unknown kind ${JSON.stringify(kind)}`}: expected one of ${CHECK_KIND_NAMES.join(', ')}`,
    ]);
  }
  const withDefaults: Record<string, unknown> = {
    intervalSec: defaults.intervalSec,
    timeoutMs: defaults.timeoutMs ?? DEFAULTS.checkTimeoutMs,
    failureThreshold: defaults.failureThreshold ?? DEFAULTS.failureThreshold,
    successThreshold: defaults.successThreshold ?? DEFAULTS.successThreshold,
    ...raw,
  };
  // A timeout the check did not set shrinks to its interval; one it set must fit (checked below).
  const interval = withDefaults.intervalSec;
  if (!('timeoutMs' in raw) && typeof interval === 'number' && interval > 0 && Number(withDefaults.timeoutMs) > interval * 1000) {
    withDefaults.timeoutMs = Math.max(100, Math.round(interval * 1000));
  }
  const parsed = (checkKinds[kind as CheckKindName].schema as z.ZodType<CheckSpec>).safeParse(withDefaults);
  if (!parsed.success) throw new CheckSpecError(issueLines(parsed.error, where, options));
  if (parsed.data.timeoutMs > parsed.data.intervalSec * 1000) {
    const [t, i] = options.snakeCaseKeys ? ['timeout_ms', 'interval_sec'] : ['timeoutMs', 'intervalSec'];
    throw new CheckSpecError([`${where}.${t}: ${parsed.data.timeoutMs} ms is longer than ${i} (${parsed.data.intervalSec} s): ` +
      'a run must end before the next one is due']);
  }
  const { locations, quorum } = parsed.data;
  if (quorum !== undefined && locations === undefined) {
    throw new CheckSpecError([`${where}.quorum: applies to a check run from several locations: add locations (all, or a list)`]);
  }
  if (quorum !== undefined && Array.isArray(locations) && quorum > locations.length) {
    throw new CheckSpecError([`${where}.quorum: ${quorum} is more than the ${locations.length} location${locations.length > 1 ? 's' : ''} listed`]);
  }
  return parsed.data;
}
