#!/usr/bin/env node
/**
 * WASM threads benchmark: VGG-19 on the built package (`dist/node.js`; run `npx tsup` first) with the WASM
 * backend single- vs multi-threaded. Each thread count runs in its own process (the pool size is fixed when the
 * backend starts), alternating between settings so that load from other jobs hits both alike; medians are printed.
 *
 *   node bench/wasm-threads.mjs [--size 256] [--threads 1,2] [--rounds 3] [--iters 3]
 *
 * cpu/wall is the process's CPU time over wall time during the passes: ~1 single-threaded, up to the thread count
 * when the other cores are free (well below it when other jobs share them).
 *
 * Timed per iteration:
 * - forward: extractFeatures(vgg, image, ['relu5_4']), the whole VGG-19 conv stack;
 * - forward+backward: one loss-and-gradient pass of a style loss on relu1_1…relu5_1 (the package's
 *   lossAndGradient: the same walker and WASM kernels stylize() uses).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const SIZE = Number(opt('size', 256));
const ITERS = Number(opt('iters', 3));
const DIST = fileURLToPath(new URL('../dist/node.js', import.meta.url));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

if (args.includes('--child')) await child();
else await parent();

async function parent() {
  if (!existsSync(DIST)) {
    console.error('dist/node.js is missing: run "npx tsup" first.');
    process.exit(1);
  }
  const threads = opt('threads', '1,2').split(',').map(Number);
  const rounds = Number(opt('rounds', 3));
  console.log(`VGG-19 at ${SIZE}x${SIZE}, WASM backend, threads ${threads.join(' vs ')}; ${rounds} rounds x ${ITERS} iterations per process.`);
  console.log(`machine: ${os.availableParallelism()} logical cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const results = new Map(threads.map((t) => [t, { forward: [], fwdbwd: [], init: [], actual: new Set(), exitMs: [], cpu: [] }]));
  for (let r = 0; r < rounds; r++) {
    for (const t of r % 2 ? [...threads].reverse() : threads) {
      const out = await runChild(t);
      const acc = results.get(t);
      acc.forward.push(...out.forward);
      acc.fwdbwd.push(...out.fwdbwd);
      acc.init.push(out.initMs);
      acc.exitMs.push(out.exitMs);
      acc.cpu.push(...out.cpu.forward, ...out.cpu.fwdbwd);
      acc.actual.add(out.threads.threads + (out.threads.reason ? ` (${out.threads.reason})` : ''));
      const load = os.loadavg()[0].toFixed(1);
      console.log(`  round ${r + 1}, threads=${t}: forward ${out.forward.map((x) => x.toFixed(2)).join(' ')} s; fwd+bwd ${out.fwdbwd.map((x) => x.toFixed(2)).join(' ')} s; cpu/wall ${median([...out.cpu.forward, ...out.cpu.fwdbwd]).toFixed(2)}; exit ${out.exitMs.toFixed(0)} ms after the last op; load ${load}`);
    }
  }
  // Medians are the headline; the minimum is the best estimate of a pass with the cores free of other jobs.
  console.log('\nseconds per pass, median (min):');
  console.log('threads  actual           backend start  forward        forward+backward  cpu/wall  speed-up (median, min)');
  const base = results.get(threads[0]);
  const min = (xs) => Math.min(...xs);
  for (const [t, acc] of results) {
    const fw = median(acc.forward);
    const fb = median(acc.fwdbwd);
    const speed = t === threads[0] ? '' : `forward x${(median(base.forward) / fw).toFixed(2)} (x${(min(base.forward) / min(acc.forward)).toFixed(2)}), fwd+bwd x${(median(base.fwdbwd) / fb).toFixed(2)} (x${(min(base.fwdbwd) / min(acc.fwdbwd)).toFixed(2)})`;
    const cell = (m, xs) => `${m.toFixed(2)} (${min(xs).toFixed(2)})`;
    console.log(`${String(t).padEnd(8)} ${[...acc.actual].join(', ').padEnd(16)} ${(median(acc.init) / 1000).toFixed(2).padStart(8)} s  ${cell(fw, acc.forward).padEnd(13)}  ${cell(fb, acc.fwdbwd).padEnd(16)}  ${median(acc.cpu).toFixed(2).padStart(8)}  ${speed}`);
  }
}

async function runChild(threads) {
  // Other jobs sharing the checkout may rebuild dist/ (tsup empties it first): wait for it and retry.
  for (let attempt = 1; ; attempt++) {
    try {
      return await runChildOnce(threads);
    } catch (e) {
      if (attempt >= 3 || !/ERR_MODULE_NOT_FOUND|Cannot find module/.test(e.message)) throw e;
      console.log(`  (dist/ was being rebuilt; retrying threads=${threads})`);
      for (let i = 0; i < 120 && !existsSync(DIST); i++) await new Promise((r) => setTimeout(r, 1000));
      await new Promise((r) => setTimeout(r, 5000));
    }
  }
}

function runChildOnce(threads) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const p = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', '--size', String(SIZE), '--iters', String(ITERS)], {
      env: { ...process.env, NST_WASM_THREADS: String(threads) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => {
      if (err.trim()) process.stderr.write(err);
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || !line) return reject(new Error(`child (threads=${threads}) exited with ${code}:\n${out}\n${err}`));
      const res = JSON.parse(line.slice(7));
      // How long the process took to exit after its last tensor op (a hanging worker pool would show here).
      res.exitMs = Date.now() - started - res.lastOpAt;
      resolve(res);
    });
  });
}

async function child() {
  const processStart = Date.now() - performance.now();
  const lib = await import(pathToFileURL(DIST).href);
  const core = await import(pathToFileURL(DIST.replace(/node\.js$/, 'core.js')).href);
  const tf = await import('@tensorflow/tfjs-core');
  const t0 = performance.now();
  const backend = await lib.ready();
  const initMs = performance.now() - t0;
  if (backend !== 'wasm') throw new Error(`backend is ${backend}, not wasm`);
  const vgg = await lib.loadVgg19();

  const image = tf.tidy(() => tf.mul(tf.randomUniform([1, SIZE, SIZE, 3], 0, 1, 'float32', 7), 255));
  const style = tf.tidy(() => tf.mul(tf.randomUniform([1, SIZE, SIZE, 3], 0, 1, 'float32', 8), 255));
  const styleLayers = ['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1'];
  const feats = await lib.extractFeatures(vgg, style, styleLayers);
  const grams = styleLayers.map((l) => core.gramMatrix(feats[l]));
  tf.dispose(Object.values(feats));
  const losses = new Map(styleLayers.map((l, i) => [lib.resolveLayer(l).index, (act) => core.styleLoss(act, grams[i], 1)]));

  const forward = async () => {
    const { relu5_4 } = await lib.extractFeatures(vgg, image, ['relu5_4']);
    await relu5_4.data();
    relu5_4.dispose();
  };
  const fwdbwd = async () => {
    const { values, grad } = tf.tidy(() => {
      const r = core.lossAndGradient(vgg, image, losses, 'max');
      return { values: tf.addN(r.values), grad: r.grad };
    });
    await Promise.all([values.data(), grad.data()]);
    tf.dispose([values, grad]);
  };
  // Wall seconds per pass; CPU seconds of the whole process (all threads) go to cpu[] to show how much of the
  // second core a pass actually got.
  const cpu = { forward: [], fwdbwd: [] };
  const time = async (fn, kind) => {
    const c = process.cpuUsage();
    const s = performance.now();
    await fn();
    const wall = (performance.now() - s) / 1000;
    const used = process.cpuUsage(c);
    cpu[kind].push((used.user + used.system) / 1e6 / wall);
    return wall;
  };
  await forward(); // warm-up: XNNPACK operator set-up
  await fwdbwd(); // warm-up: flipped kernels
  const res = { threads: lib.wasmThreads?.() ?? { threads: 1, reason: 'wasmThreads() not exported' }, initMs, forward: [], fwdbwd: [] };
  for (let i = 0; i < ITERS; i++) res.forward.push(await time(forward, 'forward'));
  for (let i = 0; i < ITERS; i++) res.fwdbwd.push(await time(fwdbwd, 'fwdbwd'));
  res.cpu = cpu;
  res.lastOpAt = Date.now() - processStart;
  console.log('RESULT ' + JSON.stringify(res));
}
