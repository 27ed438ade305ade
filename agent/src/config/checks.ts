import {
  builtinLoginProfiles,
  fileLoginProfile,
  LOGIN_NAME,
  LOGIN_PROFILE_NAMES,
  loginProfileFileSchema,
  type LoginProfile,
} from '../checks/auth.ts';
import { builtinChecks } from '../checks/builtin.ts';
import { CheckSpecError, parseCheckSpec, type CheckDefaults, type CheckSpec } from '../checks/registry.ts';
import { camelKeys, parseChecksFile, parseLoginsSection } from './checks-file.ts';
import { ConfigError, type Env } from './env.ts';

export function checkDefaults(env: Env): CheckDefaults {
  return {
    intervalSec: env.MONITOR_CHECK_INTERVAL,
    timeoutMs: env.MONITOR_CHECK_TIMEOUT_MS,
    failureThreshold: env.MONITOR_FAILURE_THRESHOLD,
    successThreshold: env.MONITOR_SUCCESS_THRESHOLD,
  };
}

export interface ChecksConfig {
  specs: CheckSpec[];
  /** The built-in logins (explorer, user) and the checks file's own. */
  logins: LoginProfile[];
}

/** The login profiles a spec names (a flow names one per step). */
const loginsUsed = (spec: CheckSpec): string[] =>
  [
    (spec as { auth?: unknown }).auth,
    ...((spec as { steps?: Array<{ auth?: unknown }> }).steps ?? []).map((s) => s.auth),
  ].filter((a): a is string => typeof a === 'string');

/**
 * The checks the agent runs and the logins they use: the built-in Blocktrust set, then MONITOR_CHECKS_FILE on
 * top (an entry naming a built-in changes only the fields it gives; a new name adds a check; `logins` adds login
 * profiles whose credentials come from the variables it names in `vars`). Every problem in the file is reported
 * at once, each with the file, the entry and the key.
 */
export async function loadChecksConfig(
  env: Env,
  readFile: (path: string) => Promise<string>,
  vars: Record<string, string | undefined> = {},
): Promise<ChecksConfig> {
  const defaults = checkDefaults(env);
  const fallbackTtlSec = env.MONITOR_LOGIN_TTL / 1000;
  const logins = builtinLoginProfiles({
    explorer: { email: env.JWT_MONITOR_EMAIL, password: env.JWT_MONITOR_PASS },
    user: { email: env.JWT_USER_EMAIL, password: env.JWT_USER_PASS },
    fallbackTtlSec,
  });
  const specs = new Map<string, CheckSpec>(builtinChecks({
    ...defaults,
    polygonRpcUrl: env.POLYGON_RPC_URL,
    userLogin: Boolean(env.JWT_USER_EMAIL),
    contracts: [env.PROOF_REGISTRY_ADDRESS, env.IDENTITY_NFT_ADDRESS].filter((a): a is string => Boolean(a)),
  }).map((s) => [s.name, s]));
  const path = env.MONITOR_CHECKS_FILE;
  if (!path) return { specs: [...specs.values()], logins };
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
  for (const entry of parseLoginsSection(text, path)) {
    if (!LOGIN_NAME.test(entry.name)) {
      problems.push(`${entry.where}: a login name is lowercase letters, digits, '_' or '-', starting with a letter`);
      continue;
    }
    if ((LOGIN_PROFILE_NAMES as readonly string[]).includes(entry.name)) {
      problems.push(`${entry.where}: "${entry.name}" is built in (its credentials come from the environment); choose another name`);
      continue;
    }
    const parsed = loginProfileFileSchema.safeParse(camelKeys(entry.raw));
    if (!parsed.success) {
      const snake = (k: PropertyKey) => String(k).replace(/(?<=[a-z0-9])([A-Z])/g, (c) => `_${c.toLowerCase()}`);
      for (const issue of parsed.error.issues) {
        const key = issue.path.map(snake).join('.');
        const message = issue.code === 'unrecognized_keys'
          ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${snake(k)}"`).join(', ')} (credentials come from the variables email_from and password_from name)`
          : issue.message;
        problems.push(`${entry.where}${key ? `.${key}` : ''}: ${message}`);
      }
      continue;
    }
    logins.push(fileLoginProfile(entry.name, parsed.data, vars, fallbackTtlSec));
  }
  const known = new Set(logins.map((l) => l.name));
  for (const entry of parseChecksFile(text, path)) {
    const raw = camelKeys(entry.raw) as Record<string, unknown>;
    const base = specs.get(raw.name as string);
    try {
      const spec = parseCheckSpec(base ? { ...base, ...raw } : raw, entry.where, defaults, { snakeCaseKeys: true });
      for (const name of loginsUsed(spec).filter((n) => !known.has(n))) {
        problems.push(`${entry.where}.auth: no login profile "${name}": expected ${[...known].join(', ')} (add it under logins)`);
      }
      specs.set(raw.name as string, spec);
    } catch (err) {
      if (err instanceof CheckSpecError) problems.push(...err.problems);
      else throw err;
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return { specs: [...specs.values()], logins };
}
