#!/usr/bin/env node
// Accuracy and speed of the built-in optical flow (src/video/flow.ts) on synthetic motions with known flow
// (test/helpers/motion.ts: an analytic texture, sampled exactly at the moved coordinates). Not a test.
//
//   node bench/flow.mjs                          # 64x64, WASM, the default options
//   node bench/flow.mjs --size 128 --backend cpu
//   node bench/flow.mjs --alpha 8 --warps 3 --iterations 40 --levels 6 --sigma 1
//   node bench/flow.mjs --json
//
// Average endpoint error (EPE, px) over the pixels whose true correspondence lies inside frame 2, and over the
// inner pixels (8 px margin). The sources are bundled on the fly with esbuild (src/video/ is not exported yet).
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const args = process.argv.slice(2);
const value = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const size = Number(value('size', '64'));
const backend = value('backend', 'wasm');
const options = {};
for (const key of ['alpha', 'levels', 'warps', 'iterations', 'sigma']) if (value(key) !== undefined) options[key] = Number(value(key));

const outDir = join(root, 'node_modules', '.cache', 'nst-bench');
mkdirSync(outDir, { recursive: true });
const outfile = join(outDir, 'flow-bundle.mjs');
await build({
  stdin: {
    contents: `export * from './src/video/flow.ts'; export * from './test/helpers/motion.ts';`,
    resolveDir: root,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  packages: 'external',
  outfile,
  logLevel: 'warning',
});
const tf = await import('@tensorflow/tfjs-core');
if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
else await import('@tensorflow/tfjs-backend-cpu');
await tf.setBackend(backend);
await tf.ready();
const { opticalFlow, endpointError, OPTICAL_FLOW_DEFAULTS, framePair, translation, rotation, zoom } = await import(pathToFileURL(outfile).href);

const motions = [translation(1, 0), translation(2.5, -1.5), translation(6, 4), rotation(3), rotation(8), zoom(1.05), zoom(0.93)];
const rows = [];
for (const motion of motions) {
  const p = framePair(motion, size, size, 1);
  const a = tf.tensor4d(p.frame1, [1, size, size, 3]);
  const b = tf.tensor4d(p.frame2, [1, size, size, 3]);
  const truth = tf.tensor4d(p.flow, [1, size, size, 2]);
  const inside = tf.tensor4d(p.inside, [1, size, size, 1]);
  const margin = 8;
  const inner = tf.tidy(() => tf.mul(inside, tf.pad(tf.ones([1, size - 2 * margin, size - 2 * margin, 1]), [[0, 0], [margin, margin], [margin, margin], [0, 0]])));
  opticalFlow(a, b, options).dispose(); // warm-up (kernel compilation, WASM)
  const t0 = performance.now();
  const flow = opticalFlow(a, b, options);
  await flow.data();
  const ms = performance.now() - t0;
  const zero = tf.zerosLike(truth);
  const row = {
    motion: motion.name,
    maxTrueFlow: Math.max(...Array.from({ length: size * size }, (_, i) => Math.hypot(p.flow[2 * i], p.flow[2 * i + 1]))),
    epeZero: await endpointError(zero, truth, inside),
    epe: await endpointError(flow, truth, inside),
    epeInner: await endpointError(flow, truth, inner),
    ms,
  };
  rows.push(row);
  tf.dispose([a, b, truth, inside, inner, flow, zero]);
}
const settings = { size, backend, options: { ...OPTICAL_FLOW_DEFAULTS, ...options } };
if (args.includes('--json')) {
  console.log(JSON.stringify({ settings, rows }, null, 2));
} else {
  console.log(`optical flow on ${size}x${size}, ${backend}, ${JSON.stringify(settings.options)}`);
  console.log('| motion | largest true flow (px) | EPE of zero flow | EPE | EPE, 8 px margin | ms |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  const f = (x, d = 3) => x.toFixed(d);
  for (const r of rows) console.log(`| ${r.motion} | ${f(r.maxTrueFlow, 2)} | ${f(r.epeZero)} | ${f(r.epe)} | ${f(r.epeInner)} | ${f(r.ms, 0)} |`);
}
