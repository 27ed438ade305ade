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
  const auth = createAuthSession({
    apiBase: env.API_BASE,
    profiles: logins,
    fetch: globalThis.fetch.bind(globalThis),
    clock: systemClock,
    log,
  });
  const fetchFn = globalThis.fetch.bind(globalThis);
  return { specs, auth, resolveKind, classify: classifyError, fetch: fetchFn, http: runtime.httpTransport?.() ?? fetchTransport(fetchFn) };
}
