// One benchmark measurement in a fresh process (so peak RSS belongs to it alone). Prints one JSON line.
//   node bench/node-worker.mjs '{"mode":"iteration","backend":"wasm","size":256,"threads":2,"reps":3}'
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cfg = JSON.parse(process.argv[2] ?? '{}');
if (cfg.threads) process.env.NST_WASM_THREADS = String(cfg.threads);
const t0 = performance.now();
const here = dirname(fileURLToPath(import.meta.url));
const nst = await import(join(here, '..', 'dist', 'node.js'));
const tf = await import('@tensorflow/tfjs-core');
const backend = await nst.ready(cfg.backend);
const shared = join(here, '..', '..', 'shared', 'images');

async function image(name, seed) {
  const path = join(shared, name);
  if (nst.readImage && existsSync(path)) return nst.readImage(path);
  const t = nst.noiseImage(384, 512, seed);
  const data = await t.data();
  t.dispose();
  return { data, width: 512, height: 384, channels: 3 };
}

const content = await image('tubingen.jpg', 1);
const style = await image('starry_night.jpg', 2);
const vgg = await nst.loadVgg19();
const loadMs = performance.now() - t0;

/** FLOPs of one forward + input-gradient pass of the convs up to the deepest loss layer (relu5_1 = conv5_1). */
function convFlops(h, w) {
  const layers = [[3, 64], [64, 64], [64, 128], [128, 128], [128, 256], [256, 256], [256, 256], [256, 256], [256, 512], [512, 512], [512, 512], [512, 512], [512, 512]];
  const blockOf = [1, 1, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5];
  let f = 0;
  layers.forEach(([cin, cout], i) => {
    const s = 2 ** (blockOf[i] - 1);
    f += 2 * Math.floor(h / s) * Math.floor(w / s) * cin * cout * 9;
  });
  return 2 * f;
}

const threads = backend === 'wasm' && nst.wasmThreads ? (nst.wasmThreads()?.threads ?? 1) : undefined;
let out;
if (cfg.mode === 'iteration') {
  // Adam does exactly one forward+backward per iteration, so its iteration times are the objective's.
  const times = [];
  let last = performance.now();
  let first;
  const peak = { bytes: 0 };
  const r = await nst.stylize({
    model: vgg, content, style, size: cfg.size, iterations: (cfg.reps ?? 3) + 1, optimizer: 'adam',
    onIteration: (i) => {
      const t = performance.now();
      if (i.iteration === 1) first = t - t0;
      else times.push((t - last) / 1000);
      last = t;
      peak.bytes = Math.max(peak.bytes, tf.memory().numBytes);
    },
  });
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1];
  out = {
    mode: 'iteration', backend, threads, size: cfg.size, width: r.width, height: r.height,
    secondsPerIteration: median, iterationTimes: times,
    gflops: convFlops(r.height, r.width) / median / 1e9,
    firstIterationSeconds: first / 1000, loadSeconds: loadMs / 1000,
    peakRssMB: process.resourceUsage().maxRSS / 1024, peakTensorMB: peak.bytes / 2 ** 20,
  };
  r.dispose();
} else if (cfg.mode === 'stylize') {
  const s = performance.now();
  const r = await nst.stylize({ model: vgg, content, style, ...(cfg.options ?? {}) });
  out = {
    mode: 'stylize', backend, threads, options: cfg.options ?? {}, width: r.width, height: r.height,
    wallSeconds: (performance.now() - s) / 1000, iterations: r.iterations, evaluations: r.evaluations,
    finalLoss: r.history.at(-1)?.loss.total, stopReason: r.stopReason,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  };
  r.dispose();
} else if (cfg.mode === 'time-to-quality') {
  // Target: the loss that single-scale L-BFGS reaches in `iterations`; then how long coarse-to-fine takes to get
  // there at the final size (stopped as soon as it does).
  const size = cfg.size ?? 256;
  const its = cfg.iterations ?? 100;
  let s = performance.now();
  const single = await nst.stylize({ model: vgg, content, style, size, iterations: its });
  const singleSeconds = (performance.now() - s) / 1000;
  const target = single.history.at(-1).loss.total;
  single.dispose();
  const scales = cfg.scales ?? [0.25, 0.5, 1];
  const perScale = cfg.scaleIterations ?? [150, 80, its];
  const ac = new AbortController();
  let reachedAt;
  let reachedIteration;
  s = performance.now();
  try {
    const r = await nst.stylize({
      model: vgg, content, style, size, scales, iterations: perScale, signal: ac.signal,
      onIteration: (i) => {
        if (i.scale === scales.length - 1 && i.loss.total <= target && reachedAt === undefined) {
          reachedAt = (performance.now() - s) / 1000;
          reachedIteration = i.iteration;
          ac.abort();
        }
      },
    });
    r.dispose();
  } catch (e) {
    if (e.code !== 'ABORTED') throw e;
    e.result?.dispose();
  }
  out = {
    mode: 'time-to-quality', backend, threads, size, singleScale: { iterations: its, seconds: singleSeconds, finalLoss: target },
    coarseToFine: { scales, iterations: perScale, secondsToReach: reachedAt ?? null, reachedAtIteration: reachedIteration ?? null, totalSeconds: (performance.now() - s) / 1000 },
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  };
}
vgg.dispose();
console.log(`BENCH ${JSON.stringify(out)}`);
process.exit(0);
