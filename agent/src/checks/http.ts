import { z } from 'zod';
import type { CheckOutcome } from '../core/types.ts';
import { LOGIN_NAME, sendWithLogin } from './auth.ts';
import {
  CheckError, classifyError, DEFAULT_MAX_REDIRECTS, DEFAULT_MAX_RESPONSE_BYTES, redactUrls, safeUrl,
} from './errors.ts';
import type { HttpAnswer } from './transport.ts';
import {
  clip,
  excerpt,
  fillTemplate,
  getPath,
  jsonEquals,
  jsonType,
  sha256Hex,
  shapeMismatch,
  show,
  JSON_TYPES,
  type JsonShape,
  type JsonType,
} from './json.ts';
import { specBaseShape } from './spec-base.ts';
import type { CheckContext, CheckSpecBase } from './types.ts';

export interface JsonAssertion {
  path: string;
  exists?: boolean;
  equals?: unknown;
  type?: JsonType;
}

export interface HttpExpect {
  /** Statuses that pass (default [200]). */
  status: number[];
  /** Body assertions below are checked on 2xx answers only. */
  json?: JsonAssertion[];
  bodySha256?: string;
  shape?: { [key: string]: JsonShape };
  /** The response field `response` must be the SHA-256 (hex) of the request body field `request`. */
  sha256Of?: { response: string; request: string };
  /** What a failing status means, in the user's words, e.g. {"404": "contracts are not deployed"}. */
  statusMeaning?: Record<string, string>;
}

/** One HTTP request and what its answer must look like (also a step of a `flow`). */
export interface HttpRequestSpec {
  method: string;
  /** Absolute URL, or… */
  url?: string;
  /** …a path relative to API_BASE. */
  path?: string;
  headers?: Record<string, string>;
  /** JSON body; strings may use {{uuid}} and {{now}} (fresh each run) and captured values in a flow. */
  body?: unknown;
  /** Send `Authorization: Bearer <token>` of this login profile: `explorer`, `user` or one of the checks file's (`true` means `explorer`). */
  auth: false | string;
  expect: HttpExpect;
  /** A larger answer is cut and fails as `too_large` (default MONITOR_MAX_RESPONSE_BYTES, 1 MiB). */
  maxResponseBytes?: number;
  /** Redirects followed; one more, or a URL seen twice, fails as `redirect_loop` (default 5). */
  maxRedirects?: number;
}

export interface HttpCheckSpec extends CheckSpecBase, HttpRequestSpec {
  kind: 'http';
}

const statusCode = z
  .number({ error: 'expected an HTTP status code' })
  .int({ error: 'expected an HTTP status code' })
  .min(100, { error: 'expected an HTTP status code (100-599)' })
  .max(599, { error: 'expected an HTTP status code (100-599)' });

const jsonShapeSchema: z.ZodType<JsonShape> = z.lazy(() =>
  z.union([z.enum([...JSON_TYPES, 'any']), z.record(z.string(), jsonShapeSchema)], {
    error: `expected a type name (${[...JSON_TYPES, 'any'].join(', ')}) or an object of shapes`,
  }),
);

const jsonAssertionSchema = z
  .strictObject({
    path: z.string({ error: 'expected a dotted path such as stats.total_events' }).min(1, { error: 'expected a dotted path' }),
    exists: z.boolean({ error: 'expected true or false' }).optional(),
    equals: z.unknown().optional(),
    type: z.enum(JSON_TYPES, { error: `expected one of ${JSON_TYPES.join(', ')}` }).optional(),
  })
  .refine((a) => a.exists !== undefined || a.equals !== undefined || a.type !== undefined, {
    error: 'expected at least one of exists, equals, type',
  });

export const httpExpectSchema = z.strictObject(
  {
    status: z
      .array(statusCode, { error: 'expected an array of HTTP status codes' })
      .min(1, { error: 'expected an array of HTTP status codes' })
      .default([200]),
    json: z.array(jsonAssertionSchema, { error: 'expected an array of JSON assertions' }).optional(),
    bodySha256: z
      .string({ error: 'expected a SHA-256 in hex' })
      .regex(/^[0-9a-fA-F]{64}$/, { error: 'expected a SHA-256 in hex (64 characters)' })
      .optional(),
    shape: z.record(z.string(), jsonShapeSchema, { error: 'expected an object describing the JSON shape' }).optional(),
    sha256Of: z
      .strictObject(
        {
          response: z.string({ error: 'expected a response field path' }).min(1),
          request: z.string({ error: 'expected a request body field path' }).min(1),
        },
        { error: 'expected {response, request}' },
      )
      .optional(),
    statusMeaning: z.record(z.string().regex(/^\d{3}$/), z.string(), { error: 'expected {"<status>": "<meaning>"}' }).optional(),
  },
  { error: 'expected an object' },
);

export const httpRequestShape = {
  method: z
    .string({ error: 'expected an HTTP method' })
    .regex(/^[A-Za-z]+$/, { error: 'expected an HTTP method such as GET or POST' })
    .transform((m) => m.toUpperCase())
    .default('GET'),
  url: z
    .string({ error: 'expected an absolute http(s) URL' })
    .refine((u) => /^https?:\/\//i.test(u) && URL.canParse(u), { error: 'expected an absolute http(s) URL' })
    .optional(),
  path: z
    .string({ error: 'expected a path such as /api/health' })
    .startsWith('/', { error: 'expected a path starting with /' })
    .optional(),
  headers: z
    .record(z.string(), z.string({ error: 'expected a header value (string)' }), { error: 'expected an object of headers' })
    .optional(),
  body: z.unknown().optional(),
  auth: z
    .union([z.boolean(), z.string().regex(LOGIN_NAME)], {
      error: 'expected true, false or the name of a login profile (explorer, user, or one under logins)',
    })
    .transform((v): false | string => (v === true ? 'explorer' : v))
    .default(false),
  expect: httpExpectSchema.default({ status: [200] }),
  maxResponseBytes: z
    .number({ error: 'expected a number of bytes' })
    .int({ error: 'expected a whole number of bytes' })
    .min(1, { error: 'expected at least 1 byte' })
    .max(1024 ** 3, { error: 'expected at most 1073741824 bytes (1 GiB)' })
    .optional(),
  maxRedirects: z
    .number({ error: 'expected a number of redirects' })
    .int({ error: 'expected a whole number of redirects' })
    .min(0, { error: 'expected 0 or more' })
    .max(20, { error: 'expected at most 20' })
    .optional(),
};

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const utf8 = new TextDecoder();

const needsTarget = (s: { url?: string; path?: string }) => (s.url === undefined) !== (s.path === undefined);
const targetError = { error: 'expected exactly one of url or path', path: ['path'] };

export const httpSchema = z
  .strictObject({ ...specBaseShape, kind: z.literal('http'), ...httpRequestShape })
  .refine(needsTarget, targetError) as unknown as z.ZodType<HttpCheckSpec>;

export const httpRequestSchema = z
  .strictObject({ name: z.string().optional(), ...httpRequestShape, capture: z.record(z.string(), z.string()).optional() })
  .refine(needsTarget, targetError);

/** The error text an API put in a failing answer (`error`, `details` or `message`), clipped; none if not JSON. */
export function answerError(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    for (const key of ['error', 'details', 'message']) {
      const v = body?.[key];
      if (typeof v === 'string' && v.trim()) return JSON.stringify(redactUrls(v.length > 200 ? `${v.slice(0, 200)}…` : v));
    }
  } catch {
    // not JSON: the excerpt in the details shows what came back
  }
  return undefined;
}

/** A finished exchange: what was sent and what came back. */
export interface Exchange {
  url: string;
  status: number;
  text: string;
  json?: unknown;
  requestBody?: unknown;
}

export type ExchangeResult = { ok: true; exchange: Exchange } | { ok: false; outcome: CheckOutcome };

const fail = (details: Record<string, unknown>): { ok: false; outcome: CheckOutcome } => ({
  ok: false,
  outcome: { ok: false, details },
});

export function resolveUrl(spec: { url?: string; path?: string }, apiBase: string): string {
  if (spec.url) return spec.url;
  return apiBase.replace(/\/+$/, '') + (spec.path ?? '/');
}

/**
 * Sends one request (with the token of the spec's login profile, see `sendWithLogin` for the one re-login on 401)
 * and checks the answer against `expect`. Network failures, statuses and assertions become a failing outcome.
 */
export async function exchange(
  spec: HttpRequestSpec,
  ctx: CheckContext,
  vars: Record<string, string> = {},
): Promise<ExchangeResult> {
  const url = fillTemplate(resolveUrl(spec, ctx.settings.apiBase), vars);
  const shown = safeUrl(url);
  const base = { url: shown, method: spec.method };
  const requestBody = spec.body === undefined ? undefined : fillTemplate(spec.body, vars);
  const headers: Record<string, string> = {};
  if (spec.headers) for (const [k, v] of Object.entries(fillTemplate(spec.headers, vars))) headers[k.toLowerCase()] = v;
  headers.accept ??= 'application/json';
  if (requestBody !== undefined) headers['content-type'] ??= 'application/json';

  const maxBytes = spec.maxResponseBytes ?? ctx.settings.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const maxRedirects = spec.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  let res!: HttpAnswer;
  try {
    // Redirects are followed here, not by the transport: a loop is named with the URLs it went through, and the
    // login token never follows a redirect to another origin.
    const login = spec.auth ? ctx.auth.login(spec.auth) : undefined;
    const origin = login ? new URL(url).origin : '';
    let target = url;
    let method = spec.method;
    let body = requestBody === undefined ? undefined : JSON.stringify(requestBody);
    const visited = [target];
    for (;;) {
      const req = { url: target, method, headers, body, signal: ctx.signal, maxBytes };
      res = login && new URL(target).origin === origin ? await sendWithLogin(login, ctx.http, req) : await ctx.http(req);
      const location = res.header('location');
      if (!REDIRECTS.has(res.status) || location === null) break;
      let next: string;
      try {
        next = new URL(location, target).toString();
      } catch {
        throw new CheckError('redirect_loop', `HTTP ${res.status} redirect to an invalid Location from ${safeUrl(target)}`, { status: res.status });
      }
      const path = [...visited, next].map(safeUrl);
      if (visited.includes(next)) {
        throw new CheckError('redirect_loop', `redirect loop: ${path.join(' → ')}`, { status: res.status, redirects: path });
      }
      if (visited.length > maxRedirects) {
        throw new CheckError('redirect_loop', `more than ${maxRedirects} redirects: ${path.join(' → ')}`, { status: res.status, redirects: path });
      }
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
        method = method === 'HEAD' ? 'HEAD' : 'GET';
        body = undefined;
        delete headers['content-type'];
      }
      visited.push(next);
      target = next;
    }
  } catch (err) {
    const c = classifyError(err, ctx.signal);
    const extra = err instanceof CheckError ? err.details : {};
    return fail({ ...base, ...extra, error_class: c.error_class, error: c.error });
  }

  const bytes = res.body;
  const text = utf8.decode(bytes);
  const expect = spec.expect;
  const withStatus = { ...base, status: res.status };
  if (!expect.status.includes(res.status)) {
    const meaning = expect.statusMeaning?.[String(res.status)];
    const said = answerError(text);
    return fail({
      ...withStatus,
      error_class: 'http_status',
      error:
        (meaning
          ? `${meaning} (HTTP ${res.status})`
          : `HTTP ${res.status} from ${spec.method} ${shown}, expected ${expect.status.join(' or ')}`) +
        (said ? `: ${said}` : ''),
      expected: expect.status,
      actual: res.status,
      body_excerpt: excerpt(text),
    });
  }
  if (res.status < 200 || res.status >= 300) return { ok: true, exchange: { url: shown, status: res.status, text, requestBody } };

  if (expect.bodySha256) {
    const actual = await sha256Hex(bytes);
    if (actual !== expect.bodySha256.toLowerCase()) {
      return fail({
        ...withStatus,
        error_class: 'assertion',
        error: 'the body does not have the expected SHA-256',
        expected: expect.bodySha256.toLowerCase(),
        actual,
      });
    }
  }

  let json: unknown;
  const wantsJson = expect.json?.length || expect.shape || expect.sha256Of;
  if (wantsJson || /json/i.test(res.header('content-type') ?? '')) {
    try {
      json = JSON.parse(text);
    } catch {
      if (wantsJson) {
        return fail({
          ...withStatus,
          error_class: 'invalid_json',
          error: `the answer of ${spec.method} ${shown} is not valid JSON`,
          content_type: res.header('content-type'),
          body_excerpt: excerpt(text),
        });
      }
    }
  }

  if (expect.shape) {
    const m = shapeMismatch(json, expect.shape);
    if (m) {
      return fail({
        ...withStatus,
        error_class: 'assertion',
        error: `${m.path}: expected ${m.expected}, got ${m.actual}`,
        path: m.path,
        expected: m.expected,
        actual: m.actual,
      });
    }
  }
  for (const a of expect.json ?? []) {
    const { found, value } = getPath(json, a.path);
    if (a.exists !== undefined && a.exists !== found) {
      return fail({
        ...withStatus,
        error_class: 'assertion',
        error: `${a.path}: expected ${a.exists ? 'present' : 'absent'}, got ${found ? show(value) : 'missing'}`,
        path: a.path,
        expected: a.exists ? 'present' : 'absent',
        actual: found ? clip(value) : 'missing',
      });
    }
    if (a.type !== undefined && jsonType(value) !== a.type) {
      return fail({
        ...withStatus,
        error_class: 'assertion',
        error: `${a.path}: expected a ${a.type}, got ${found ? jsonType(value) : 'missing'}`,
        path: a.path,
        expected: a.type,
        actual: found ? jsonType(value) : 'missing',
      });
    }
    if (a.equals !== undefined && !jsonEquals(value, a.equals)) {
      return fail({
        ...withStatus,
        error_class: 'assertion',
        error: `${a.path}: expected ${show(a.equals)}, got ${show(value)}`,
        path: a.path,
        expected: a.equals,
        actual: found ? clip(value) : 'missing',
      });
    }
  }
  if (expect.sha256Of) {
    const source = getPath(requestBody, expect.sha256Of.request);
    if (typeof source.value !== 'string') {
      return fail({
        ...withStatus,
        error_class: 'internal',
        error: `the request body has no text at ${expect.sha256Of.request} to hash`,
      });
    }
    const expected = await sha256Hex(source.value);
    const { value } = getPath(json, expect.sha256Of.response);
    if (typeof value !== 'string' || value.toLowerCase() !== expected) {
      return fail({
        ...withStatus,
        error_class: 'assertion',
        error: `${expect.sha256Of.response} is not the SHA-256 of ${expect.sha256Of.request}: expected ${expected}, got ${show(value)}`,
        path: expect.sha256Of.response,
        expected,
        actual: clip(value ?? 'missing'),
      });
    }
  }
  return { ok: true, exchange: { url: shown, status: res.status, text, json, requestBody } };
}

/** Fresh values for templates, so each run sends a text never sent before. */
export function runValues(ctx: CheckContext): Record<string, string> {
  return { uuid: crypto.randomUUID(), now: ctx.clock.now().toISOString() };
}

/** Kind `http`: one request, its status and body assertions. */
export async function runHttpCheck(spec: HttpCheckSpec, ctx: CheckContext): Promise<CheckOutcome> {
  // Fresh values only for a spec that may use them (a UUID per run costs more than the rest of a plain GET's setup).
  const templated = spec.body !== undefined || spec.headers !== undefined || (spec.url ?? spec.path ?? '').includes('{{');
  const r = await exchange(spec, ctx, templated ? runValues(ctx) : {});
  if (!r.ok) return r.outcome;
  return { ok: true, details: { url: r.exchange.url, status: r.exchange.status } };
}
