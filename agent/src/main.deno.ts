import { denoRuntime } from './adapters/deno.ts';
import { main } from './cli/main.ts';

const runtime = denoRuntime();
main(runtime).then((code) => runtime.exit(code));
