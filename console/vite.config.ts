/**
 * The web console's build (docs/console.md): Preact + cytoscape, bundled by Vite into
 * build/public/console, which the API serves at /console on Node (src/node/console.ts) and the Worker
 * serves as static assets (wrangler.toml). scripts/build.ts runs it and checks the size budget.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/console/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  // The same bundle whoever builds it: vitest sets NODE_ENV=test, which would keep cytoscape's development checks.
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  build: {
    outDir: here('../build/public/console'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
    // The budget that counts is gzipped (scripts/build.ts checks 250 kB); cytoscape and fcose are ~500 kB minified.
    chunkSizeWarningLimit: 700,
  },
  // `npx vite console` during development: the API on :4000 behind the same origin.
  server: { proxy: { '/graphql': 'http://127.0.0.1:4000' } },
});
