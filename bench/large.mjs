#!/usr/bin/env node
// A large stylisation (default 2048 px, WASM): wall time, peak memory and loss per scale, with the tiling and
// L-BFGS history the memory plan chose. Long: every budget is a flag. Not a test.
//
//   node bench/large.mjs                                   # 2048 px, the library's schedule (512→1024→2048 px, 100+18+3)
//   npm run bench -- --large                               # the same, from the benchmark runner
//   node bench/large.mjs --size 1024 --scales 0.25,0.5,1 --iterations 20,5,2   # a reduced budget
//   node bench/large.mjs --tile 512 --halo 64              # force tiles / a smaller halo
//   node bench/large.mjs --out docs/generated/large.png --json
//
// Needs the built package (npm run build) and weights (npm run weights). Content tubingen.jpg, style
// starry_night.jpg from ../shared/images (seeded noise when absent).
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flag, value } from './common.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const list = (s) => s.split(',').map(Number);
const cfg = {
  backend: value('backend', 'wasm'),
  size: Number(value('size', '2048')),
  // Undefined: the library's defaults (coarse-to-fine above 1024 px).
  scales: value('scales') && list(value('scales')),
  iterations: value('iterations') && list(value('iterations')),
  tile: value('tile', 'auto'),
  halo: value('halo', 'exact'),
  styleScale: Number(value('style-scale', '0.5')),
  out: value('out', undefined),
};
const json = flag('json');
const log = (...m) => (json ? process.stderr : process.stdout).write(`${m.join(' ')}\n`);

const nst = await import(join(here, '..', 'dist', 'node.js'));
const { noiseImage } = await import(join(here, '..', 'dist', 'core.js'));
const tf = await import('@tensorflow/tfjs-core');
const backend = await nst.ready(cfg.backend);
const shared = join(here, '..', '..', 'shared', 'images');

async function image(name, seed) {
  const path = join(shared, name);
  if (existsSync(path)) return nst.readImage(path);
  const t = noiseImage(768, 1024, seed);
  const data = await t.data();
  t.dispose();
  return { data, width: 1024, height: 768, channels: 3 };
}

/** High-water mark of backend memory: the WASM heap (it only grows) or the tensor bytes in use. */
const peak = { bytes: 0 };
function sampleBackend() {
  const b = tf.backend();
  peak.bytes = Math.max(peak.bytes, b?.wasm?.HEAPU8 ? b.wasm.HEAPU8.length : tf.memory().numBytes);
}

const content = await image('tubingen.jpg', 1);
const style = await image('starry_night.jpg', 2);
const model = await nst.loadVgg19();
const tile = cfg.tile === 'auto' ? 'auto' : cfg.tile === 'off' ? false : cfg.halo === 'exact' ? Number(cfg.tile) : { size: Number(cfg.tile), halo: Number(cfg.halo) };
log(`${cfg.size} px on ${backend}: scales ${cfg.scales ?? 'auto'}, iterations ${cfg.iterations ?? 'auto'}, tile ${JSON.stringify(tile)}, style scale ${cfg.styleScale}`);

const perScale = [];
const t0 = performance.now();
let lastTileLog = 0;
const r = await nst.stylize({
  model, content, style, size: cfg.size,
  ...(cfg.scales ? { scales: cfg.scales } : {}),
  ...(cfg.iterations ? { iterations: cfg.iterations.length === 1 ? cfg.iterations[0] : cfg.iterations } : {}),
  styleScale: cfg.styleScale, tile,
  onTile: (t) => {
    sampleBackend();
    const now = performance.now();
    if (now - lastTileLog > 30_000) {
      lastTileLog = now;
      log(`  ${((now - t0) / 1000).toFixed(0)} s: iteration ${t.iteration}, scale ${t.scale + 1} (${t.width}x${t.height}), ${t.pass} tile ${t.tile + 1}/${t.tiles}`);
    }
  },
  onIteration: (i) => {
    sampleBackend();
    const s = (perScale[i.scale] ??= { width: i.width, height: i.height, iterations: 0, startSeconds: (performance.now() - t0) / 1000 });
    s.iterations++;
    s.endSeconds = (performance.now() - t0) / 1000;
    s.loss = i.loss.total;
    if (i.iteration % 10 === 0 || i.width * i.height > 2 ** 21) log(`  ${s.endSeconds.toFixed(0)} s: iteration ${i.iteration}/${i.iterations} at ${i.width}x${i.height}, loss ${i.loss.total.toExponential(4)}`);
  },
});
const wallSeconds = (performance.now() - t0) / 1000;
if (cfg.out) {
  mkdirSync(dirname(cfg.out), { recursive: true });
  await nst.writeImage(cfg.out, await r.toPixels());
}
r.scales.forEach((s, i) => Object.assign(perScale[i] ?? (perScale[i] = {}), { plan: s }));
const result = {
  ...cfg, backend, width: r.width, height: r.height, wallSeconds, evaluations: r.evaluations, stopReason: r.stopReason,
  finalLoss: r.history.at(-1)?.loss.total, warnings: r.warnings, perScale,
  peakRssMB: process.resourceUsage().maxRSS / 1024, peakBackendMB: peak.bytes / 2 ** 20,
};
r.dispose();
model.dispose();
if (json) console.log(JSON.stringify(result, null, 1));
else {
  log(`\n${result.width}x${result.height} on ${backend}: ${wallSeconds.toFixed(0)} s, ${result.evaluations} evaluations, final loss ${result.finalLoss?.toExponential(4)}, peak RSS ${result.peakRssMB.toFixed(0)} MB, peak backend memory ${result.peakBackendMB.toFixed(0)} MB`);
  log('| scale | size | iterations | seconds | loss at end | tiles | L-BFGS history | planned MB |');
  log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  perScale.forEach((s, i) => {
    const t = s.plan?.tiling;
    log(`| ${i + 1} | ${s.width}x${s.height} | ${s.iterations} | ${(s.endSeconds - s.startSeconds).toFixed(0)} | ${s.loss?.toExponential(4)} | ${t ? `${t.tiles} × ${t.tileSize} px, halo ${t.halo}${t.exact ? '' : ' (approx.)'}` : 'whole'} | ${s.plan?.historySize} | ${(s.plan?.memoryBytes / 2 ** 20).toFixed(0)} |`);
  });
  for (const w of result.warnings) log(`note: ${w}`);
}
