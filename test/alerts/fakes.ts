// Test doubles shared by the alert, incident and intent tests: a clock the test moves by hand, a local
// server standing in for Slack and Telegram, and a logger that keeps every line it was given.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Clock, Logger } from '../../agent/src/core/types.ts';

export interface FakeClock extends Clock {
  advance(ms: number): void;
  set(at: Date): void;
}

export function fakeClock(start = new Date('2026-03-02T10:00:00Z')): FakeClock {
  let t = start.getTime();
  let mono = 0;
  return {
    now: () => new Date(t),
    monotonic: () => mono,
    sleep: async () => {},
    advance(ms) {
      t += ms;
      mono += ms;
    },
    set(at) {
      mono += Math.max(0, at.getTime() - t);
      t = at.getTime();
    },
  };
}

export interface CapturingLogger extends Logger {
  lines: string[];
}

/** Keeps every line exactly as the code under test wrote it (no redaction here: the code must not leak). */
export function capturingLogger(): CapturingLogger {
  const lines: string[] = [];
  const emit = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    lines.push(`${level} ${msg} ${fields ? JSON.stringify(fields) : ''}`);
  };
  return { lines, debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

export interface Received {
  service: 'slack' | 'telegram';
  path: string;
  body: any;
  /** Status we answered, or null when the request was left hanging (a timeout). */
  answered: number | null;
}

/** An answer; `after` holds it back until that promise settles (a slow channel). */
export type Reply = { status: number; body?: unknown; headers?: Record<string, string>; after?: Promise<unknown> } | 'hang';

/**
 * One local server for both services: Slack webhooks under /services/…, Telegram under /bot<token>/sendMessage.
 * `script` decides each answer (default 200); `received` lists what arrived and how it was answered.
 */
export async function startFakeChannels() {
  const received: Received[] = [];
  const hanging = new Set<ServerResponse>();
  let script: (r: Omit<Received, 'answered'>, index: number) => Reply = () => ({ status: 200 });
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const service = req.url?.startsWith('/bot') ? 'telegram' : 'slack';
      let body: any = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        // keep the raw text
      }
      const entry: Received = { service, path: req.url ?? '', body, answered: null };
      received.push(entry);
      const reply = script(entry, received.length - 1);
      if (reply === 'hang') {
        hanging.add(res);
        return;
      }
      const answer = () => {
        if (res.destroyed) return;
        entry.answered = reply.status;
        const payload = reply.body ?? (service === 'telegram' ? { ok: reply.status < 300, result: {} } : 'ok');
        res.writeHead(reply.status, { 'content-type': typeof payload === 'string' ? 'text/plain' : 'application/json', ...reply.headers });
        res.end(typeof payload === 'string' ? payload : JSON.stringify(payload));
      };
      if (reply.after) {
        hanging.add(res);
        void reply.after.finally(answer);
      } else {
        answer();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    received,
    slackUrl: (secret = 'T0AAA/B0BBB/slackSecretXYZ123') => `${base}/services/${secret}`,
    telegramBase: base,
    setScript(fn: typeof script) {
      script = fn;
    },
    /** Delivered = answered with a 2xx. */
    delivered(service?: 'slack' | 'telegram') {
      return received.filter((r) => (!service || r.service === service) && r.answered !== null && r.answered < 300);
    },
    texts(service: 'slack' | 'telegram') {
      return this.delivered(service).map((r) => (service === 'slack' ? r.body.text : r.body.text) as string);
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
