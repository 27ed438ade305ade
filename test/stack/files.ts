// Readers for the stack's files (compose, Dockerfiles, .env.example, docs), shared by the stack tests.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';

export const root = path.resolve(import.meta.dirname, '../..');

export function readRepoFile(relative: string): string {
  return readFileSync(path.join(root, relative), 'utf8');
}

export function repoFileExists(relative: string): boolean {
  return existsSync(path.join(root, relative));
}

export function readYaml<T = Record<string, unknown>>(relative: string): T {
  return parseYaml(readRepoFile(relative), { merge: true }) as T;
}

export interface ComposeService {
  image?: string;
  build?: string | { context?: string; dockerfile?: string; args?: Record<string, string> };
  pull_policy?: string;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null>;
  volumes?: string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: string[] | string; start_period?: string };
  restart?: string;
  profiles?: string[];
  ports?: string[];
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

export function readCompose(): ComposeFile {
  return readYaml<ComposeFile>('docker-compose.yml');
}

/** Compose's own interpolation for a value that holds no `${VAR}`: `$$` stands for a literal `$`. */
export function composeLiteral(text: string): string {
  if (/(^|[^$])\$\{/.test(text.replace(/\$\$/g, ''))) throw new Error(`not a literal: ${text}`);
  return text.replace(/\$\$/g, '$');
}

/** `${NAME}`, `${NAME:-default}` and `${NAME-default}` references in a compose file, with their defaults. */
export function composeVariables(text: string): Map<string, string | undefined> {
  const found = new Map<string, string | undefined>();
  for (const m of text.replace(/\$\$/g, '').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g)) {
    found.set(m[1], m[2]);
  }
  return found;
}

/** Lines `NAME=value` or `# NAME=value` of .env.example: the variable and its documented default. */
export function envExampleVariables(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^#? ?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) found.set(m[1], m[2].trim());
  }
  return found;
}

/** Table rows of docs/configuration.md: | `NAME` | default | meaning |. */
export function configDocVariables(text: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|\s*([^|]*?)\s*\|/.exec(line);
    if (m) found.set(m[1], m[2]);
  }
  return found;
}

function listTs(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) listTs(full, out);
    else if (entry.endsWith('.ts')) out.push(full);
  }
  return out;
}

/** Environment variable names read directly anywhere in agent/src, beside the schema (process.env.X, env.X, …). */
export function environmentReadsInAgentSources(): Map<string, string> {
  const patterns = [
    /process\.env\.([A-Z][A-Z0-9_]*)/g,
    /process\.env\[\s*['"]([A-Z][A-Z0-9_]*)['"]\s*\]/g,
    /Deno\.env\.get\(\s*['"]([A-Z][A-Z0-9_]*)['"]/g,
    /\b(?:env|vars|environment)\??\.([A-Z][A-Z0-9_]{2,})\b/g,
    /\b(?:env|vars|environment)\[\s*['"]([A-Z][A-Z0-9_]*)['"]\s*\]/g,
  ];
  const found = new Map<string, string>();
  for (const file of listTs(path.join(root, 'agent/src'))) {
    const text = readFileSync(file, 'utf8');
    for (const pattern of patterns) {
      for (const m of text.matchAll(pattern)) {
        if (!found.has(m[1])) found.set(m[1], path.relative(root, file));
      }
    }
  }
  return found;
}

export interface DockerInstruction {
  keyword: string;
  args: string;
  stage: number;
}

/**
 * Dockerfile instructions with continuation lines joined and comments dropped; `stage` counts FROMs from 0.
 * `${NAME}` in FROM lines is replaced by the default of the ARG declared before the first FROM.
 */
export function parseDockerfile(relative: string): DockerInstruction[] {
  const instructions = parseDockerfileRaw(relative);
  const args = new Map<string, string>();
  for (const i of instructions) {
    if (i.stage >= 0) break;
    const m = i.keyword === 'ARG' ? /^(\w+)=(\S+)$/.exec(i.args) : null;
    if (m) args.set(m[1], m[2]);
  }
  return instructions.map((i) => (i.keyword === 'FROM'
    ? { ...i, args: i.args.replace(/\$\{(\w+)\}/g, (whole, name: string) => args.get(name) ?? whole) }
    : i));
}

function parseDockerfileRaw(relative: string): DockerInstruction[] {
  const lines = readRepoFile(relative).split('\n');
  const out: DockerInstruction[] = [];
  let stage = -1;
  let pending = '';
  for (const raw of lines) {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) continue;
    if (pending && line.startsWith('#')) continue;
    pending += (pending ? ' ' : '') + line.replace(/\\$/, '').trim();
    if (line.endsWith('\\')) continue;
    const m = /^(\w+)\s+([\s\S]*)$/.exec(pending);
    pending = '';
    if (!m) continue;
    const keyword = m[1].toUpperCase();
    if (keyword === 'FROM') stage += 1;
    out.push({ keyword, args: m[2], stage });
  }
  return out;
}

/** The exec form of CMD/ENTRYPOINT (`["a", "b"]`); the shell form is refused, it would not forward signals. */
export function execForm(instruction: DockerInstruction | undefined): string[] {
  if (!instruction) return [];
  const parsed: unknown = JSON.parse(instruction.args);
  if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === 'string')) {
    throw new Error(`${instruction.keyword} is not in exec form: ${instruction.args}`);
  }
  return parsed;
}

/** The command a container of the final stage starts with: ENTRYPOINT followed by CMD. */
export function startCommand(instructions: DockerInstruction[]): string[] {
  const last = Math.max(...instructions.map((i) => i.stage));
  const final = instructions.filter((i) => i.stage === last);
  const entrypoint = final.filter((i) => i.keyword === 'ENTRYPOINT').at(-1);
  const cmd = final.filter((i) => i.keyword === 'CMD').at(-1);
  return [...execForm(entrypoint), ...execForm(cmd)];
}

/** .dockerignore semantics: globs with `*`, `?` and `**`; a `!` line re-includes; the last matching line wins. */
export function dockerignore(file: string): (relative: string) => boolean {
  const rules = readRepoFile(file).split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const glob = (negate ? line.slice(1) : line).replace(/^\/+/, '').replace(/\/+$/, '');
      let re = '';
      for (let i = 0; i < glob.length; i++) {
        const c = glob[i];
        if (c === '*' && glob[i + 1] === '*') {
          re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
          i += glob[i + 2] === '/' ? 2 : 1;
        } else if (c === '*') re += '[^/]*';
        else if (c === '?') re += '[^/]';
        else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      }
      return { negate, re: new RegExp(`^${re}$`) };
    });
  return (relative) => {
    const parts = relative.split('/');
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let ignored = false;
    for (const rule of rules) {
      if (candidates.some((c) => rule.re.test(c))) ignored = !rule.negate;
    }
    return ignored;
  };
}

/** Sources of COPY instructions that read the build context (not another stage). */
export function contextCopies(instructions: DockerInstruction[]): string[] {
  return instructions.filter((i) => i.keyword === 'COPY' && !/--from=/.test(i.args)).flatMap((i) => {
    const words = i.args.split(/\s+/).filter((w) => !w.startsWith('--'));
    return words.slice(0, -1);
  });
}
