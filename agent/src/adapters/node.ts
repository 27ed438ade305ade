import { serve } from '@hono/node-server';
import { setMaxListeners } from 'node:events';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import type { Runtime } from './types.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';
import { undiciTransport } from './node-http.ts';

export function nodeRuntime(): Runtime {
  // Every run in flight, check loop and sleep listens on the agent's one shutdown signal: as many as there are checks.
  setMaxListeners(100_000);
  return {
    name: 'node',
    version: process.version,
    args: process.argv.slice(2),
    env: process.env,
    cwd: () => process.cwd(),
    hostname: () => hostname(),
    httpTransport: undiciTransport,
    readTextFile: (path) => readFile(path, 'utf8'),
    fileExists: async (path) => existsSync(path),
    writeTextFile: (path, text, mode) => writeFile(path, text, { mode }),
    removeFile: (path) => rm(path, { force: true }),
    appendTextFile: async (path, text) => {
      await mkdir(dirname(path), { recursive: true });
      await appendFile(path, text, 'utf8');
    },
    stdout: {
      write: (text) => void process.stdout.write(text),
      isTTY: Boolean(process.stdout.isTTY),
      columns: () => process.stdout.columns ?? 120,
      rows: () => process.stdout.rows ?? 24,
    },
    stderr: { write: (text) => void process.stderr.write(text) },
    onShutdownSignal(handler) {
      let called = false;
      for (const sig of ['SIGINT', 'SIGTERM'] as const) {
        process.on(sig, () => {
          if (called) process.exit(130);
          called = true;
          handler(sig);
        });
      }
    },
    exit: (code) => process.exit(code),
    serve: (fetchHandler, { port, hostname: host }) =>
      new Promise((resolve, reject) => {
        const server = serve({ fetch: fetchHandler, port, hostname: host }, (info) => {
          resolve({
            port: info.port,
            close: () => new Promise<void>((done) => {
              (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
              server.close(() => done());
            }),
          });
        });
        server.once('error', reject);
      }),
    async startEmbeddedPostgres(dir, port, log) {
      return startEmbeddedPostgres({ dir, port, log });
    },
  };
}
