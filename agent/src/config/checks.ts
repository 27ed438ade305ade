import { builtinChecks } from '../checks/builtin.ts';
import { CheckSpecError, parseCheckSpec, type CheckDefaults, type CheckSpec } from '../checks/registry.ts';
import { camelKeys, parseChecksFile } from './checks-file.ts';
import { ConfigError, type Env } from './env.ts';

export function checkDefaults(env: Env): CheckDefaults {
  return {
    intervalSec: env.MONITOR_CHECK_INTERVAL,
    timeoutMs: env.MONITOR_CHECK_TIMEOUT_MS,
    failureThreshold: env.MONITOR_FAILURE_THRESHOLD,
    successThreshold: env.MONITOR_SUCCESS_THRESHOLD,
  };
}

/**
 * The checks the agent runs: the built-in Blocktrust set, then MONITOR_CHECKS_FILE on top (an entry
 * naming a built-in changes only the fields it gives; a new name adds a check). Every problem in the
 * file is reported at once, each with the file, the entry and the key.
 */
export async function loadCheckSpecs(env: Env, readFile: (path: string) => Promise<string>): Promise<CheckSpec[]> {
  const defaults = checkDefaults(env);
  const specs = new Map<string, CheckSpec>(builtinChecks({ ...defaults, polygonRpcUrl: env.POLYGON_RPC_URL }).map((s) => [s.name, s]));
  const path = env.MONITOR_CHECKS_FILE;
  if (!path) return [...specs.values()];
  let text: string;
  try {
    text = await readFile(path);
  } catch (err) {
    const code = (err as { code?: string; name?: string }).code ?? (err as { name?: string }).name;
    const why = code === 'ENOENT' || code === 'NotFound' ? 'no such file'
      : code === 'EACCES' || code === 'PermissionDenied' ? 'permission denied'
      : code === 'EISDIR' || code === 'IsADirectory' ? 'it is a folder'
      : (err as Error).message;
    throw new ConfigError([`MONITOR_CHECKS_FILE: cannot read ${path}: ${why} (the path is relative to the folder the agent starts in)`]);
  }
  const problems: string[] = [];
  for (const entry of parseChecksFile(text, path)) {
    const raw = camelKeys(entry.raw) as Record<string, unknown>;
    const base = specs.get(raw.name as string);
    try {
      specs.set(raw.name as string, parseCheckSpec(base ? { ...base, ...raw } : raw, entry.where, defaults, { snakeCaseKeys: true }));
    } catch (err) {
      if (err instanceof CheckSpecError) problems.push(...err.problems);
      else throw err;
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return [...specs.values()];
}
