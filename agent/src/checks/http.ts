import ky from 'ky';
import { z } from 'zod';
import type { CheckOutcome } from '../core/types.ts';
import { LOGIN_NAME, loginHooks } from './auth.ts';
import { CheckError, classifyError, redactUrls, safeUrl } from './errors.ts';
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
};

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
 * Sends one request (with the token of the spec's login profile, see `loginHooks` for the one re-login on 401)
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
  const headers = new Headers(fillTemplate(spec.headers ?? {}, vars));
  if (!headers.has('accept')) headers.set('accept', 'application/json');
  if (requestBody !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');

  let res: Response;
  let bytes: Uint8Array;
  try {
    // ky without retries or its own timeout: the runner owns timing; the one second attempt is the re-login on 401.
    const client = ky.create({
      fetch: ctx.fetch,
      retry: 0,
      timeout: false,
      throwHttpErrors: false,
      hooks: spec.auth ? loginHooks(ctx.auth.login(spec.auth), ctx.fetch, ctx.signal) : undefined,
    });
    res = await client(url, {
      method: spec.method,
      headers,
      body: requestBody === undefined ? undefined : JSON.stringify(requestBody),
      signal: ctx.signal,
      redirect: 'follow',
    });
    bytes = new Uint8Array(await res.arrayBuffer());
  } catch (err) {
    const c = classifyError(err, ctx.signal);
    const extra = err instanceof CheckError ? err.details : {};
    return fail({ ...base, ...extra, error_class: c.error_class, error: c.error });
  }

  const text = new TextDecoder().decode(bytes);
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
  if (wantsJson || /json/i.test(res.headers.get('content-type') ?? '')) {
    try {
      json = JSON.parse(text);
    } catch {
      if (wantsJson) {
        return fail({
          ...withStatus,
          error_class: 'invalid_json',
          error: `the answer of ${spec.method} ${shown} is not valid JSON`,
          content_type: res.headers.get('content-type'),
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
  const r = await exchange(spec, ctx, runValues(ctx));
  if (!r.ok) return r.outcome;
  return { ok: true, details: { url: r.exchange.url, status: r.exchange.status } };
}
