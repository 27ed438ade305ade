// deno-lint-ignore-file no-explicit-any
import type { Runtime } from './types.ts';

declare const Deno: any;

export function denoRuntime(): Runtime {
  return {
    name: 'deno',
    version: `deno ${Deno.version.deno}`,
    args: [...Deno.args],
    env: Deno.env.toObject(),
    cwd: () => Deno.cwd(),
    hostname: () => Deno.hostname(),
    readTextFile: (path) => Deno.readTextFile(path),
    appendTextFile: async (path, text) => {
      const folder = path.replace(/[\\/][^\\/]*$/, '');
      if (folder && folder !== path) await Deno.mkdir(folder, { recursive: true });
      await Deno.writeTextFile(path, text, { append: true });
    },
    fileExists: async (path) => {
      try {
        await Deno.stat(path);
        return true;
      } catch {
        return false;
      }
    },
    writeTextFile: (path, text, mode) => Deno.writeTextFile(path, text, { mode }),
    removeFile: async (path) => {
      try {
        await Deno.remove(path);
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
    },
    stdout: {
      write: (text) => void Deno.stdout.writeSync(new TextEncoder().encode(text)),
      isTTY: Deno.stdout.isTerminal(),
      columns: () => {
        try {
          return Deno.consoleSize().columns;
        } catch {
          return 120;
        }
      },
      rows: () => {
        try {
          return Deno.consoleSize().rows;
        } catch {
          return 24;
        }
      },
    },
    stderr: { write: (text) => void Deno.stderr.writeSync(new TextEncoder().encode(text)) },
    onShutdownSignal(handler) {
      let called = false;
      for (const sig of ['SIGINT', 'SIGTERM']) {
        Deno.addSignalListener(sig, () => {
          if (called) Deno.exit(130);
          called = true;
          handler(sig);
        });
      }
    },
    exit: (code) => Deno.exit(code) as never,
    serve: (fetchHandler, { port, hostname }) =>
      new Promise((resolve) => {
        const server = Deno.serve({ port, hostname, onListen: () => {} }, fetchHandler);
        resolve({ port: server.addr.port, close: () => server.shutdown() });
      }),
  };
}
