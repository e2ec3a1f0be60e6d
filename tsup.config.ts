import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig, type Options } from 'tsup';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

/**
 * The built weights' manifest hash, pinned into the code (src/weights/pinned.ts) so the default weights must be the
 * set this build shipped with. `npm run weights` runs before the build (`npm run setup`); rebuild after rebuilding weights.
 */
const manifest = new URL('./weights/manifest.json', import.meta.url);
const weightsIntegrity = existsSync(manifest) ? createHash('sha256').update(readFileSync(manifest)).digest('hex') : '';

/**
 * Library entry points, one per host (package.json `exports`). Adapters do their setup (registering a backend,
 * configuring the platform) at the top level of their own file, so it must stay in that entry's output file and
 * not move into a shared `chunk-*` file: `sideEffects` in package.json lists the entry files only, and bundlers
 * drop a chunk they believe pure. That holds as long as no entry imports another adapter; the CLI, which uses the
 * Node adapter, imports it as the separate file `./node.js` (see `cliUsesBuiltNodeAdapter`).
 */
const LIBRARY = {
  index: 'src/index.ts',
  core: 'src/core.ts',
  experiments: 'src/experiments.ts',
  node: 'src/adapters/node.ts',
  webgl: 'src/adapters/webgl.ts',
  webgpu: 'src/adapters/webgpu.ts',
  wasm: 'src/adapters/wasm.ts',
  'wasm-node': 'src/adapters/wasm-node.ts',
  // Node only, needs the optional peers bullmq + ioredis (external: loaded only by this entry).
  queue: 'src/queue/index.ts',
};

/**
/**
 * The worker thread of `createWorkerStylizer()` (src/adapters/node/worker-stylizer.ts): an entry of its own, run
 * by path (`new Worker(new URL('./stylizer-worker.js', import.meta.url))`), ESM only, no types.
 */
const WORKER = 'src/adapters/node/stylizer-worker.ts';

/** The queue's child process (src/queue/child.ts), forked by `runWorker` by path: ESM only, no types. */
const QUEUE_CHILD = 'src/queue/child.ts';

/**
 * The CLI's, the stylizer worker's and the queue child's imports of `src/adapters/node.ts` become imports of the
 * built `dist/node.js` (same folder as their files), so the adapter's setup stays in its own entry file.
 */
const cliUsesBuiltNodeAdapter: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'cli-uses-built-node-adapter',
  setup(build) {
    const nodeAdapter = resolve('src/adapters/node.ts');
    build.onResolve({ filter: /^\.\.\/(adapters\/)?node\.js$/ }, (args) => {
      if (!args.importer.includes(`${resolve('src/cli')}`) && args.importer !== resolve(WORKER) && args.importer !== resolve(QUEUE_CHILD)) return undefined;
      if (resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts')) !== nodeAdapter) return undefined;
      return { path: './node.js', external: true };
    });
  },
};

export default defineConfig({
  entry: { ...LIBRARY, cli: 'src/cli/bin.ts', 'stylizer-worker': WORKER, 'queue-child': QUEUE_CHILD },
  format: ['esm', 'cjs'],
  dts: { entry: LIBRARY },
  // Maps point into src/ without embedding it (the published package would otherwise carry every source twice).
  sourcemap: true,
  esbuildOptions(options) {
    options.sourcesContent = false;
  },
  clean: true,
  splitting: true,
  // import.meta.url in the CJS build (the Node adapter locates weights and .wasm files with it).
  shims: true,
  target: 'es2022',
  platform: 'neutral',
  // sharp, bullmq and ioredis are optional peer dependencies, loaded with a dynamic import when installed (never bundled).
  external: [/^@tensorflow\//, /^node:/, 'sharp', 'bullmq', 'ioredis'],
  define: { __NST_VERSION__: JSON.stringify(pkg.version), __NST_WEIGHTS_INTEGRITY__: JSON.stringify(weightsIntegrity) },
  esbuildPlugins: [cliUsesBuiltNodeAdapter],
  // The `bin` is ESM (dist/cli.js), and so are the stylizer worker and the queue child (run by path); tsup builds
  // every entry in both formats, so drop their CommonJS copies, which nothing uses, with the chunk only the CLI loads.
  async onSuccess() {
    for (const f of readdirSync('dist')) {
      if (/^(cli|stylizer-worker|queue-child|commands-[\w-]+)\.cjs(\.map)?$/.test(f)) rmSync(`dist/${f}`);
    }
  },
});
