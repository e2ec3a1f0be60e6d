// One benchmark measurement in a fresh process (so peak RSS belongs to it alone). Prints one JSON line.
//   node bench/node-worker.mjs '{"mode":"iteration","backend":"wasm","size":256,"threads":2,"reps":3}'
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convFlops } from './flops.mjs';

const cfg = JSON.parse(process.argv[2] ?? '{}');
if (cfg.threads) process.env.NST_WASM_THREADS = String(cfg.threads);
const t0 = performance.now();
const here = dirname(fileURLToPath(import.meta.url));
const nst = await import(join(here, '..', 'dist', 'node.js'));
const core = await import(join(here, '..', 'dist', 'core.js'));
const tf = await import('@tensorflow/tfjs-core');
const backend = await nst.ready(cfg.backend);
const shared = join(here, '..', '..', 'shared', 'images');

/** A square centre crop (so "256 px" means 256x256, as in the reference figures), or seeded noise. */
async function image(name, seed) {
  const path = join(shared, name);
  if (!existsSync(path)) {
    const t = core.noiseImage(512, 512, seed);
    const data = await t.data();
    t.dispose();
    return { data, width: 512, height: 512, channels: 3 };
  }
  // The pure-JS decoder: the same pixels on every machine and tree (sharp's libjpeg differs by up to 4 levels).
  const img = await nst.readImage(path, { decoder: 'js' });
  const ch = img.data.length / (img.width * img.height);
  const s = Math.min(img.width, img.height);
  const x0 = (img.width - s) >> 1;
  const y0 = (img.height - s) >> 1;
  const data = new Uint8Array(s * s * 3);
  for (let y = 0; y < s; y++) {
    for (let x = 0; x < s; x++) {
      const i = ((y + y0) * img.width + x + x0) * ch;
      data.set([img.data[i], img.data[i + 1], img.data[i + 2]], (y * s + x) * 3);
    }
  }
  return { data, width: s, height: s, channels: 3 };
}

/** High-water mark of backend memory: the WASM heap (it only grows) or the tensor bytes in use. */
function backendBytes() {
  const b = tf.backend();
  if (b?.wasm?.HEAPU8) return b.wasm.HEAPU8.length;
  return tf.memory().numBytes;
}

const content = await image('tubingen.jpg', 1);
const style = await image('starry_night.jpg', 2);
const vgg = await nst.loadVgg19();
const loadMs = performance.now() - t0;

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
      peak.bytes = Math.max(peak.bytes, backendBytes());
    },
  });
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1];
  out = {
    mode: 'iteration', backend, threads, size: cfg.size, width: r.width, height: r.height,
    secondsPerIteration: median, iterationTimes: times,
    gflops: convFlops(r.height, r.width) / median / 1e9,
    firstIterationSeconds: first / 1000, loadSeconds: loadMs / 1000,
    peakRssMB: process.resourceUsage().maxRSS / 1024, peakBackendMB: Math.max(peak.bytes, backendBytes()) / 2 ** 20,
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
  // Target: the loss that plain single-scale L-BFGS (pixels, no preconditioner, torch's 100-pair history: the
  // reference's algorithm) reaches
  // in `iterations`. Then, for each candidate, the wall time from the stylize() call until the loss at the final
  // size first reaches that target (the run is stopped there).
  const size = cfg.size ?? 256;
  const its = cfg.iterations ?? 100;
  let s = performance.now();
  const single = await nst.stylize({ model: vgg, content, style, size, iterations: its, precondition: 'none', lbfgs: { historySize: 100 } });
  const singleSeconds = (performance.now() - s) / 1000;
  const target = single.history.at(-1).loss.total;
  const singleEvaluations = single.evaluations;
  single.dispose();
  const candidates = cfg.candidates ?? [
    { name: 'default (pyramid)', options: { iterations: its } },
    { name: 'coarse-to-fine + pyramid', options: { scales: [0.5, 1], iterations: [30, its] } },
  ];
  const reached = [];
  for (const c of candidates) {
    const ac = new AbortController();
    const scales = c.options.scales ?? [1];
    let hit;
    s = performance.now();
    try {
      const r = await nst.stylize({
        model: vgg, content, style, size, ...c.options, signal: ac.signal,
        onIteration: (i) => {
          if (i.scale === scales.length - 1 && i.loss.total <= target && hit === undefined) {
            hit = { seconds: (performance.now() - s) / 1000, iteration: i.iteration, evaluations: i.evaluations, loss: i.loss.total };
            ac.abort();
          }
        },
      });
      r.dispose();
    } catch (e) {
      if (e.code !== 'ABORTED') throw e; // the error owns no tensor
    }
    reached.push({ name: c.name, options: c.options, secondsToReach: hit?.seconds ?? null, reachedAtIteration: hit?.iteration ?? null, evaluations: hit?.evaluations ?? null, totalSeconds: (performance.now() - s) / 1000 });
  }
  out = {
    mode: 'time-to-quality', backend, threads, size,
    singleScale: { precondition: 'none', iterations: its, evaluations: singleEvaluations, seconds: singleSeconds, finalLoss: target },
    candidates: reached,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  };
}
vgg.dispose();
console.log(`BENCH ${JSON.stringify(out)}`);
process.exit(0);
