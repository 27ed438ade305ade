import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createDemoApi, type DemoControls } from '../../agent/src/demo/api.ts';

export interface DemoServer {
  url: string;
  controls: DemoControls;
  credentials: { email: string; password: string };
  close(): Promise<void>;
}

/** The demo Blocktrust API on 127.0.0.1 and a free port, standing in for the real one. */
export async function startDemoServer(opts: { tokenTtlSec?: number } = {}): Promise<DemoServer> {
  const credentials = { email: 'monitor@test.local', password: `pw-${crypto.randomUUID()}` };
  const { app, controls } = createDemoApi({ credentials, users: [credentials], tokenTtlSec: opts.tokenTtlSec });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    controls,
    credentials,
    close: () => new Promise((resolve) => {
      controls.reset();
      (server as unknown as { closeAllConnections(): void }).closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
