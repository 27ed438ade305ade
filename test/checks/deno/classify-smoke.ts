// Run by deno.test.ts under Deno: real fetch failures of each class, classified by the same code as on Node.
// Prints one JSON object {scenario: {error_class, error}}.
import { createAuthSession } from '../../../agent/src/checks/auth.ts';
import { classifyError } from '../../../agent/src/checks/errors.ts';
import { parseCheckSpec } from '../../../agent/src/checks/registry.ts';
import { runHttpCheck, type HttpCheckSpec } from '../../../agent/src/checks/http.ts';
import { fetchTransport } from '../../../agent/src/checks/transport.ts';
import { systemClock } from '../../../agent/src/core/types.ts';

// Typed loosely so that the Node typecheck of test/ accepts this Deno-only file.
declare const Deno: any;

const [certFile, keyFile] = Deno.args;
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const noDb = { query: () => Promise.reject(new Error('no database here')) };
const noAuth = createAuthSession({ apiBase: 'http://127.0.0.1:1', profiles: [], fetch, clock: systemClock, log: { debug() {}, info() {}, warn() {}, error() {} } });

const closed = Deno.listen({ hostname: '127.0.0.1', port: 0 });
const closedPort: number = closed.addr.port;
closed.close();

const stop = new AbortController();
const tls = Deno.serve(
  {
    hostname: '127.0.0.1',
    port: 0,
    cert: Deno.readTextFileSync(certFile),
    key: Deno.readTextFileSync(keyFile),
    signal: stop.signal,
    onListen() {},
  },
  () => new Response('{}'),
);
const hung = Deno.listen({ hostname: '127.0.0.1', port: 0 });
const held: Array<{ close(): void }> = [];
(async () => {
  for await (const conn of hung) held.push(conn);
})();
const dropper = Deno.listen({ hostname: '127.0.0.1', port: 0 });
(async () => {
  for await (const conn of dropper) conn.close();
})();

const urls: Record<string, [string, number]> = {
  connect_refused: [`http://127.0.0.1:${closedPort}/api/health`, 5000],
  dns: ['http://api.blocktrust-monitor-test.invalid/api/health', 5000],
  tls: [`https://127.0.0.1:${tls.addr.port}/api/health`, 5000],
  network: [`http://127.0.0.1:${dropper.addr.port}/api/health`, 5000],
  timeout: [`http://127.0.0.1:${hung.addr.port}/api/health`, 300],
};
const out: Record<string, unknown> = {};
for (const [scenario, [url, timeoutMs]] of Object.entries(urls)) {
  const spec = parseCheckSpec({ name: 't', kind: 'http', url }, 'deno', { intervalSec: 60 }) as HttpCheckSpec;
  const signal = AbortSignal.timeout(timeoutMs);
  const ctx = {
    signal,
    clock: systemClock,
    log: quiet,
    db: noDb,
    fetch,
    http: fetchTransport(fetch),
    auth: noAuth,
    settings: { apiBase: 'http://127.0.0.1:1', sloLatencyMs: 800, maxListenerLagSec: 180 },
    memory: new Map(),
  };
  try {
    const o = await runHttpCheck(spec, ctx);
    out[scenario] = { error_class: o.details.error_class, error: o.details.error };
  } catch (err) {
    out[scenario] = classifyError(err, signal);
  }
}
console.log(JSON.stringify(out));
stop.abort();
hung.close();
dropper.close();
for (const c of held) c.close();
await tls.finished;
Deno.exit(0);
