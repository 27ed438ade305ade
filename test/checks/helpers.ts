// Test doubles shared by the check tests: a check context, a controllable clock, local servers.
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { generateKeyPairSync, sign } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { createAuthSession } from '../../agent/src/checks/auth.ts';
import { classifyError } from '../../agent/src/checks/errors.ts';
import { checkKinds, type CheckSpec } from '../../agent/src/checks/registry.ts';
import type { AuthSession, CheckContext, CheckSettings } from '../../agent/src/checks/types.ts';
import type { CheckOutcome, Clock, Logger, Queryable } from '../../agent/src/core/types.ts';
import { undiciTransport } from '../../agent/src/adapters/node-http.ts';

/** The transport the agent uses on Node, shared by every test context. */
const nodeHttp = undiciTransport();

export interface FakeClock extends Clock {
  advance(ms: number): void;
  ms(): number;
}

/** A clock that moves only when told to. */
export function fakeClock(start = Date.parse('2026-06-01T12:00:00Z')): FakeClock {
  let t = start;
  return {
    now: () => new Date(t),
    monotonic: () => t,
    sleep: async () => {},
    advance: (ms) => {
      t += ms;
    },
    ms: () => t,
  };
}

export interface CapturedLog extends Logger {
  lines: string[];
}

/** A logger that keeps every line, so tests can assert what was (not) logged. */
export function captureLog(): CapturedLog {
  const lines: string[] = [];
  const put = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${msg} ${fields ? JSON.stringify(fields) : ''}`);
  };
  return { lines, debug: put('debug'), info: put('info'), warn: put('warn'), error: put('error') };
}

// No login profile at all: a check that needs one fails with a clear error.
const noAuth: AuthSession = createAuthSession({
  apiBase: 'http://127.0.0.1:9',
  profiles: [],
  fetch: globalThis.fetch,
  clock: fakeClock(),
  log: captureLog(),
});

export interface ContextOptions {
  db?: Queryable;
  clock?: Clock;
  log?: Logger;
  auth?: AuthSession;
  settings?: Partial<CheckSettings>;
  memory?: Map<string, unknown>;
  startedAt?: Date;
  signal?: AbortSignal;
  timeoutMs?: number;
}

const noDb: Queryable = {
  query: async () => {
    throw new Error('this test has no database');
  },
};

export function checkContext(o: ContextOptions = {}): CheckContext {
  return {
    signal: o.signal ?? AbortSignal.timeout(o.timeoutMs ?? 10_000),
    clock: o.clock ?? fakeClock(),
    log: o.log ?? captureLog(),
    db: o.db ?? noDb,
    fetch: globalThis.fetch,
    http: nodeHttp,
    auth: o.auth ?? noAuth,
    settings: { apiBase: 'http://127.0.0.1:9', sloLatencyMs: 800, maxListenerLagSec: 180, ...o.settings },
    memory: o.memory ?? new Map(),
    startedAt: o.startedAt,
  };
}

/** Runs a spec of any kind as the runner does: a deadline, and anything thrown classified. */
export async function runSpec(spec: CheckSpec, ctx: CheckContext): Promise<CheckOutcome> {
  const kind = checkKinds[spec.kind as keyof typeof checkKinds] as {
    run: (s: CheckSpec, c: CheckContext) => Promise<CheckOutcome>;
  };
  try {
    return await kind.run(spec, ctx);
  } catch (err) {
    return { ok: false, details: { ...classifyError(err, ctx.signal) } };
  }
}

export interface LocalServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

function closer(server: http.Server | https.Server | net.Server): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if ('closeAllConnections' in server) server.closeAllConnections();
      server.close(() => resolve());
    });
}

/** Serves a Hono app on 127.0.0.1 with a free port. */
export async function serveApp(app: Hono): Promise<LocalServer> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => {
      resolve({ url: `http://127.0.0.1:${info.port}`, port: info.port, close: closer(server as http.Server) });
    });
  });
}

export async function serveHttp(handler: http.RequestListener): Promise<LocalServer> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port, close: closer(server) };
}

/** A TCP server that accepts and at once drops every connection (a reset mid-request). */
export async function serveDropper(): Promise<LocalServer> {
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port, close: closer(server) };
}

/** A port nothing listens on: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function der(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
const seq = (...p: Buffer[]) => der(0x30, ...p);
const oid = (bytes: number[]) => der(0x06, Buffer.from(bytes));
const ECDSA_SHA256 = seq(oid([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02]));
const utcTime = (d: Date) => der(0x17, Buffer.from(d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z'));

/**
 * A self-signed certificate for 127.0.0.1 made on the spot (node:crypto signs a hand-built X.509 DER),
 * so that no private key is committed.
 */
export function selfSignedCert(): { key: string; cert: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const name = seq(der(0x31, seq(oid([0x55, 0x04, 0x03]), der(0x0c, Buffer.from('localhost')))));
  const now = Date.now();
  const san = seq(oid([0x55, 0x1d, 0x11]), der(0x04, seq(der(0x87, Buffer.from([127, 0, 0, 1])))));
  const tbs = seq(
    der(0xa0, der(0x02, Buffer.from([2]))),
    der(0x02, Buffer.from([0x01, 0x23, 0x45, 0x67])),
    ECDSA_SHA256,
    name,
    seq(utcTime(new Date(now - 86_400_000)), utcTime(new Date(now + 86_400_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    der(0xa3, seq(san)),
  );
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  const cert = seq(tbs, ECDSA_SHA256, der(0x03, Buffer.from([0]), signature));
  const pem = `-----BEGIN CERTIFICATE-----\n${cert
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END CERTIFICATE-----\n`;
  return { key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, cert: pem };
}

export async function serveHttps(handler: http.RequestListener): Promise<LocalServer> {
  const server = https.createServer(selfSignedCert(), handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { url: `https://127.0.0.1:${port}`, port, close: closer(server) };
}
