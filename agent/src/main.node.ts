#!/usr/bin/env node
import './adapters/node-heap.ts';
import { nodeRuntime } from './adapters/node.ts';
import { main } from './cli/main.ts';

const runtime = nodeRuntime();
main(runtime).then((code) => runtime.exit(code));
