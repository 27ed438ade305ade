// MONITOR_CHECKS_FILE (YAML or JSON) adds, overrides or disables checks on top of the built-in Blocktrust set:
//   checks:
//     - name: api.stats            # a built-in: only the fields given change
//       interval_sec: 300
//     - name: synthetic.nft_status
//       enabled: false
//     - name: docs.site            # a new check: kind and its fields are required
//       kind: http
//       url: https://docs.example.com/health
import { CHECK_NAME_RULE, isCheckName } from '@blocktrust-monitor/contract';
import { isPair, isScalar, isSeq, parseDocument as parseYamlDocument, visit, type Document } from 'yaml';
import { ConfigError } from './env.ts';

export interface ChecksFileEntry {
  raw: Record<string, unknown>;
  where: string;
}

/** The file's text as a document (YAML, or JSON for a .json path). */
function parseDocument(text: string, path: string): unknown {
  const json = /\.json$/i.test(path);
  let doc: unknown;
  let parsed: Document;
  try {
    if (json) JSON.parse(text);
    // JSON is YAML too: one parser keeps how each number was written.
    parsed = parseYamlDocument(text, { uniqueKeys: true });
    if (parsed.errors.length) throw parsed.errors[0];
    doc = parsed.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // The yaml package ends its first line on "at line L, column C:" before a code excerpt: keep the position only.
    const first = (err as Error).message.split('\n')[0].replace(/:\s*$/, '');
    throw new ConfigError([`${path}: not valid ${json ? 'JSON' : 'YAML'}: ${first}`]);
  }
  const odd = nonDecimalNumbers(parsed);
  if (odd.length) throw new ConfigError(odd.map((line) => `${path}: ${line}`));
  return doc;
}

const DECIMAL = /^-?\d+(?:\.\d+)?$/;

/** Numbers written otherwise than in decimal digits (0x10, 0o17, 1e1, .inf), each with where it is: `checks[0].interval_sec`. */
function nonDecimalNumbers(doc: Document): string[] {
  const found: string[] = [];
  visit(doc, {
    Scalar(_key, node, ancestors) {
      if (typeof node.value !== 'number' || DECIMAL.test(node.source ?? String(node.value))) return;
      const chain = [...ancestors, node];
      let at = '';
      for (let i = 0; i < chain.length - 1; i++) {
        const parent = chain[i];
        const child = chain[i + 1];
        if (isSeq(parent)) at += `[${parent.items.indexOf(child as never)}]`;
        else if (isPair(parent) && child === parent.value) {
          at += `${at ? '.' : ''}${isScalar(parent.key) ? String(parent.key.value) : String(parent.key)}`;
        }
      }
      found.push(`${at}: expected a number in decimal digits (such as 60 or 1.5), got "${node.source}"`);
    },
  });
  return found;
}

/**
 * The file's `logins` section: named login profiles for `auth: <name>`, each kept with "file: logins.<name>"
 * for error messages.
 */
export function parseLoginsSection(text: string, path: string): Array<ChecksFileEntry & { name: string }> {
  const doc = parseDocument(text, path);
  const logins = doc && typeof doc === 'object' && !Array.isArray(doc) ? (doc as { logins?: unknown }).logins : undefined;
  if (logins === undefined || logins === null) return [];
  if (typeof logins !== 'object' || Array.isArray(logins)) throw new ConfigError([`${path}: logins: expected a mapping of login names`]);
  return Object.entries(logins as Record<string, unknown>).map(([name, raw]) => ({
    name,
    raw: raw as Record<string, unknown>,
    where: `${path}: logins.${name}`,
  }));
}

/** Parses the file's text into entries; each keeps "file: checks[i]" for error messages. */
export function parseChecksFile(text: string, path: string): ChecksFileEntry[] {
  const doc = parseDocument(text, path);
  if (doc === null || doc === undefined) return [];
  const list = Array.isArray(doc) ? doc : (doc as { checks?: unknown }).checks;
  if (list === undefined && typeof doc === 'object' && 'logins' in doc) return [];
  if (!Array.isArray(list)) throw new ConfigError([`${path}: expected a list under "checks"`]);
  const problems: string[] = [];
  const seen = new Set<string>();
  const entries: ChecksFileEntry[] = [];
  list.forEach((item, i) => {
    const where = `${path}: checks[${i}]`;
    if (!item || typeof item !== 'object' || Array.isArray(item)) {
      problems.push(`${where}: expected a mapping with at least "name"`);
      return;
    }
    const name = (item as { name?: unknown }).name;
    if (typeof name !== 'string' || !isCheckName(name)) {
      problems.push(`${where}.name: required, ${CHECK_NAME_RULE}`);
      return;
    }
    if (seen.has(name)) problems.push(`${where}.name: "${name}" is listed twice`);
    seen.add(name);
    entries.push({ raw: item as Record<string, unknown>, where });
  });
  if (problems.length) throw new ConfigError(problems);
  return entries;
}

// Values under these keys are the user's data (header names, JSON keys of the API, variable names): kept as written.
const VERBATIM_KEYS = new Set(['headers', 'body', 'shape', 'equals', 'capture', 'status_meaning', 'statusMeaning']);

/** snake_case keys of a file become the camelCase fields of a spec. */
export function camelKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelKeys);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [
      k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()),
      VERBATIM_KEYS.has(k) ? v : camelKeys(v),
    ]),
  );
}
