#!/usr/bin/env node
// The installed command runs the compiled agent (agent/dist, made by `npm run build`): no TypeScript at start-up.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/main.node.js', import.meta.url);
if (!existsSync(compiled)) {
  process.stderr.write('error: the agent is not built yet; run `npm run build` first, or use `npm run agent -- <command>`\n');
  process.exit(2);
}
await import(compiled.href);
