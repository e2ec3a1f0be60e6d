import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The page imports the library by its published name; here the name points at the repo's built package
// (`npm run build` makes dist/), so the page exercises the same bundle users get.
const here = fileURLToPath(new URL('.', import.meta.url));
const dist = fileURLToPath(new URL('../../dist/', import.meta.url));

// Sample photos copied in by scripts/prepare-assets.mjs (absent when ../shared/images was not found: the page
// then offers only its procedural samples). Listing them at build time means no request can 404 at run time.
const LABELS: Record<string, { label: string; role: 'content' | 'style' }> = {
  'tubingen.jpg': { label: 'Tübingen (photo)', role: 'content' },
  'starry_night.jpg': { label: 'The Starry Night', role: 'style' },
};
const samplesDir = `${here}public/samples`;
const samples = existsSync(samplesDir)
  ? readdirSync(samplesDir)
      .filter((f) => f in LABELS)
      .sort()
      .map((file) => ({ file, ...LABELS[file] }))
  : [];

export default defineConfig({
  root: here,
  base: './',
  resolve: {
    alias: [
      { find: /^neural-style-tfjs\/(webgl|webgpu|wasm|core|experiments)$/, replacement: `${dist}$1.js` },
      { find: /^neural-style-tfjs$/, replacement: `${dist}index.js` },
    ],
  },
  define: { __SAMPLES__: JSON.stringify(samples) },
  worker: { format: 'es' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // TF.js (core + WebGL backend) is one large chunk by nature.
    chunkSizeWarningLimit: 4000,
  },
  preview: { host: '127.0.0.1', port: 4173 },
  server: { host: '127.0.0.1', port: 5173 },
});
