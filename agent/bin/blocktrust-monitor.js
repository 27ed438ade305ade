#!/usr/bin/env node
// The installed command runs the compiled agent (agent/dist, made by `npm run build`): no TypeScript at start-up.
// V8's young generation and helper threads are sized only when node starts: for the agent's memory figures run it with
// NODE_OPTIONS="--max-semi-space-size=4 --v8-pool-size=1", as the Docker image does (docs/scaling.md).
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/main.node.js', import.meta.url);
if (!existsSync(compiled)) {
  process.stderr.write('error: the agent is not built yet; run `npm run build` first, or use `npm run agent -- <command>`\n');
  process.exit(2);
}
await import(compiled.href);
