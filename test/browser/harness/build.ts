// Bundles the harness page (React, the real @grafana/ui, data and runtime) with esbuild.
import { build } from 'esbuild';
import path from 'node:path';

export async function buildHarness(outdir: string): Promise<void> {
  await build({
    entryPoints: [path.join(import.meta.dirname, 'entry.tsx')],
    outdir,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    minify: false,
    sourcemap: false,
    logLevel: 'error',
    define: { 'process.env.NODE_ENV': '"production"', global: 'globalThis' },
    loader: { '.svg': 'file', '.woff': 'file', '.woff2': 'file', '.ttf': 'file', '.png': 'file', '.eot': 'file' },
    nodePaths: [path.resolve(import.meta.dirname, '../../../node_modules')],
  });
}
