// Small JSON helpers the HTTP and flow checks share: dotted paths, type names, shapes, templates, hashes.
import { redactUrls } from './errors.ts';

export type JsonType = 'string' | 'number' | 'boolean' | 'array' | 'object' | 'null';
export const JSON_TYPES: readonly JsonType[] = ['string', 'number', 'boolean', 'array', 'object', 'null'];

/** A shape: a type name ('any' accepts everything), or an object whose keys must be present with their own shapes. */
export type JsonShape = JsonType | 'any' | { [key: string]: JsonShape };

export function jsonType(value: unknown): JsonType | 'undefined' {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const t = typeof value;
  if (t === 'string' || t === 'number' || t === 'boolean' || t === 'object') return t;
  return 'undefined';
}

/** Value at a dotted path (`stats.total_events`, `events.0.id`); `found` tells a missing key from a null. */
export function getPath(root: unknown, path: string): { found: boolean; value: unknown } {
  let cur: unknown = root;
  for (const key of path.split('.').filter((k) => k !== '')) {
    if (Array.isArray(cur) && /^\d+$/.test(key)) {
      const i = Number(key);
      if (i >= cur.length) return { found: false, value: undefined };
      cur = cur[i];
    } else if (cur !== null && typeof cur === 'object' && Object.hasOwn(cur, key)) {
      cur = (cur as Record<string, unknown>)[key];
    } else {
      return { found: false, value: undefined };
    }
  }
  return { found: true, value: cur };
}

export interface ShapeMismatch {
  path: string;
  expected: string;
  actual: string;
}

/** The first place where `value` does not have `shape`, or undefined when it does. */
export function shapeMismatch(value: unknown, shape: JsonShape, path = ''): ShapeMismatch | undefined {
  const where = path || '(body)';
  if (shape === 'any') return value === undefined ? { path: where, expected: 'present', actual: 'missing' } : undefined;
  if (typeof shape === 'string') {
    const actual = jsonType(value);
    return actual === shape ? undefined : { path: where, expected: shape, actual: actual === 'undefined' ? 'missing' : actual };
  }
  const actual = jsonType(value);
  if (actual !== 'object') return { path: where, expected: 'object', actual: actual === 'undefined' ? 'missing' : actual };
  for (const [key, sub] of Object.entries(shape)) {
    const child = (value as Record<string, unknown>)[key];
    const mismatch = shapeMismatch(Object.hasOwn(value as object, key) ? child : undefined, sub, path ? `${path}.${key}` : key);
    if (mismatch) return mismatch;
  }
  return undefined;
}

/** Deep equality of JSON values (key order does not matter). */
export function jsonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const ta = jsonType(a);
  if (ta !== jsonType(b)) return false;
  if (ta === 'array') {
    const x = a as unknown[];
    const y = b as unknown[];
    return x.length === y.length && x.every((v, i) => jsonEquals(v, y[i]));
  }
  if (ta === 'object') {
    const x = a as Record<string, unknown>;
    const y = b as Record<string, unknown>;
    const kx = Object.keys(x);
    return kx.length === Object.keys(y).length && kx.every((k) => Object.hasOwn(y, k) && jsonEquals(x[k], y[k]));
  }
  return false;
}

/** Replaces `{{name}}` in every string of a JSON value; unknown names are left as they are. */
export function fillTemplate<T>(value: T, values: Record<string, string>): T {
  if (typeof value === 'string') {
    if (!value.includes('{{')) return value;
    return value.replace(/\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g, (m, name: string) => values[name] ?? m) as T;
  }
  if (Array.isArray(value)) return value.map((v) => fillTemplate(v, values)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillTemplate(v, values)])) as T;
  }
  return value;
}

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest('SHA-256', bytes as BufferSource);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A short, single-line excerpt of a body for details (never the whole body, no bearer tokens or query strings). */
export function excerpt(text: string, max = 200): string {
  const one = redactUrls(text.replace(/\s+/g, ' ').trim());
  return one.length > max ? `${one.slice(0, max)}…` : one;
}

/** A value seen in an answer, as stored in details: itself when small, else a shortened rendering. */
export function clip(value: unknown, max = 500): unknown {
  const s = JSON.stringify(value);
  return s !== undefined && s.length > max ? `${s.slice(0, max)}…` : value;
}

/** Renders a value for an error sentence. */
export function show(value: unknown): string {
  if (value === undefined) return 'missing';
  const s = JSON.stringify(value);
  return s.length > 80 ? `${s.slice(0, 80)}…` : s;
}
