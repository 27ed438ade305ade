import type { Runtime } from '../adapters/types.ts';
import { createAuthSession } from '../checks/auth.ts';
import { classifyError } from '../checks/errors.ts';
import { fetchTransport, type HttpTransport } from '../checks/transport.ts';
import type { AnyCheckFn, CheckSpecBase } from '../checks/types.ts';
import { loadChecksConfig } from '../config/checks.ts';
import type { Env } from '../config/env.ts';
import { checkKinds } from '../checks/registry.ts';
import type { AgentIdentity } from '../core/agent.ts';
import { systemClock, type Logger } from '../core/types.ts';
import { readEnvironment, VERSION } from './context.ts';

export function identity(runtime: Runtime, env: Env): AgentIdentity {
  const host = runtime.hostname();
  return {
    agentId: env.MONITOR_AGENT_ID ?? `${host}-${runtime.name}`,
    ...(env.MONITOR_LOCATION ? { location: env.MONITOR_LOCATION } : {}),
    version: VERSION,
    runtime: `${runtime.name} ${runtime.version}`.replace(/^deno deno/, 'deno'),
    hostname: host,
  };
}

export function resolveKind(kind: string): AnyCheckFn {
  const entry = (checkKinds as Record<string, { run: AnyCheckFn }>)[kind];
  if (!entry) throw new Error(`unknown check kind "${kind}"`);
  return entry.run;
}

/** What the agent's requests call themselves, so a target can tell the monitor's probes (and their location) apart. */
export function userAgent(version: string, location?: string): string {
  return `blocktrust-monitor/${version}${location ? ` (+location ${location})` : ''}`;
}

/** fetch that sends `userAgent` unless the request names its own User-Agent (a check's `headers`). */
export function withUserAgent(fetchFn: typeof fetch, agent: string): typeof fetch {
  return (input, init) => {
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    if (headers.has('user-agent')) return fetchFn(input, init);
    headers.set('user-agent', agent);
    return fetchFn(input, { ...init, headers });
  };
}

/** The transport that sends `userAgent` unless the check's own headers name one. */
export function withUserAgentHeader(transport: HttpTransport, agent: string): HttpTransport {
  return (req) => transport('user-agent' in req.headers ? req : { ...req, headers: { ...req.headers, 'user-agent': agent } });
}

export interface CheckWiring {
  specs: CheckSpecBase[];
  auth: ReturnType<typeof createAuthSession>;
  resolveKind: typeof resolveKind;
  classify: typeof classifyError;
  fetch: typeof fetch;
  http: HttpTransport;
}

export async function wireChecks(runtime: Runtime, env: Env, log: Logger): Promise<CheckWiring> {
  // The checks file's logins name the variables holding their credentials: read them as the agent reads its own.
  const vars = env.MONITOR_CHECKS_FILE ? await readEnvironment(runtime) : {};
  const { specs, logins } = await loadChecksConfig(env, (path) => runtime.readTextFile(path), vars);
  const name = userAgent(VERSION, env.MONITOR_LOCATION);
  const probe = withUserAgent(globalThis.fetch.bind(globalThis), name);
  const auth = createAuthSession({
    apiBase: env.API_BASE,
    profiles: logins,
    fetch: probe,
    clock: systemClock,
    log,
  });
  const http = withUserAgentHeader(runtime.httpTransport?.() ?? fetchTransport(probe), name);
  return { specs, auth, resolveKind, classify: classifyError, fetch: probe, http };
}
