// V8's heap sizing for the agent on Node, set before anything else is loaded (main.node.ts imports this first).
// Left to itself, V8 lets the old generation grow to up to four times what survived the last full collection before
// it collects again: the agent's live heap is small and steady (about 25 MB at 1,000 checks), so most of its resident
// memory would be garbage waiting. The agent grows it by 10 % instead, which keeps the resident set near the live
// heap at a small CPU cost (more, shorter full collections). A `--heap-growing-percent` on node's own command line
// wins (`node --heap-growing-percent=0 agent/dist/main.node.js run` gives V8's own sizing back). The new generation
// can only be sized when node starts: NODE_OPTIONS=--max-semi-space-size=4, as the Docker image sets it
// (docs/scaling.md).
import { setFlagsFromString } from 'node:v8';

/** The old generation's growth between full collections, in percent. */
const HEAP_GROWING_PERCENT = 10;

if (!process.execArgv.some((a) => a.startsWith('--heap-growing-percent'))) {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
