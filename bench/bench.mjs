#!/usr/bin/env node
// Speed and memory benchmark (not a test). Each measurement runs in a fresh Node process.
//
//   npm run bench                      # wasm (all threads, 1 thread), cpu at 128 px, webgl in headless Chromium
//   npm run bench -- --json            # machine-readable (one JSON document on stdout)
//   npm run bench -- --sizes 128,256 --backends wasm --reps 3
//   npm run bench -- --stylize         # + wall time of a default stylize() (256 px, 100 L-BFGS iterations)
//   npm run bench -- --time-to-quality # + time to reach plain L-BFGS's 100-iteration loss at 256 px
//   npm run bench -- --large           # + bench/large.mjs: 2048 px coarse-to-fine, tiled, on WASM (long;
//                                      #   --large-size N --large-scales F,F --large-iterations N,N --large-tile N)
//   npm run bench -- --backends none --stylize   # only the extra runs
//   npm run bench -- --gpu             # WebGL + WebGPU on this machine's GPU in headless Chromium (bench/gpu.mjs)
//   npm run bench -- --gpu --software --sizes 64 --reps 2   # the same on SwiftShader (no GPU needed)
//   npm run bench -- --style-statistics [--size 256]  # cost per evaluation of each style statistic (bench/style-statistics.mjs)
//   npm run bench -- --quality [--size 128] [--iterations 40] [--pairs 4] [--statistics gram,histogram] [--json]
//                                      # the quality harness: measures and time-to-quality per statistic and
//                                      #   normalisation on licence-clean pairs (bench/quality.mjs, docs/quality.md)
//   npm run bench -- --winograd [--layers]       # Winograd vs tf.conv2d on WASM, one process (bench/winograd.mjs)
//   npm run bench -- --regions         # ms per evaluation with 0, 1, 2, 4 regions at 128 px (bench/regions.mjs;
//                                      #   --size N --iterations N --reps N pass through)
//
// Needs the built package (npm run build) and weights (npm run weights).
import { spawnSync } from 'node:child_process';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convFlops } from './flops.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
if (args.includes('--gpu')) {
  // The GPU benchmark has its own runner (one JSON document on stdout); pass the other options through.
  const r = spawnSync(process.execPath, [join(here, 'gpu.mjs'), ...args.filter((a) => a !== '--gpu')], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const flag = (name) => args.includes(`--${name}`);
const value = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : def;
};
if (flag('style-statistics')) {
  // The statistics are compared in one process (bench/style-statistics.mjs).
  const r = spawnSync(process.execPath, [join(here, 'style-statistics.mjs'), ...args.filter((a) => a !== '--style-statistics')], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
if (flag('quality')) {
  // The quality harness: all variants interleaved in one process so their times compare (bench/quality.mjs).
  const r = spawnSync(process.execPath, [join(here, 'quality.mjs'), ...args.filter((a) => a !== '--quality')], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
if (flag('regions')) {
  // Styles by region: one process comparing region counts; its own flags pass through.
  const r = spawnSync(process.execPath, [join(here, 'regions.mjs'), ...args.filter((a) => a !== '--regions')], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
if (flag('winograd')) {
  // Side-by-side comparisons must share one process: hand over to the Winograd bench and stop here.
  const r = spawnSync(process.execPath, [join(here, 'winograd.mjs'), ...args.filter((a) => a !== '--winograd')], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const json = flag('json');
const sizes = value('sizes', '128,256,512').split(',').map(Number);
const reps = Number(value('reps', '3'));
const log = (...m) => (json ? process.stderr : process.stdout).write(`${m.join(' ')}\n`);

const hasTfjsNode = (() => {
  try {
    createRequire(import.meta.url).resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
})();
const threads = availableParallelism();
const defaultBackends = ['wasm', 'wasm-1', 'cpu', ...(hasTfjsNode ? ['tensorflow'] : []), 'webgl'];
const backends = value('backends', defaultBackends.join(',')).split(',').filter((b) => b && b !== 'none');

function runNode(cfg) {
  const r = spawnSync(process.execPath, [join(here, 'node-worker.mjs'), JSON.stringify(cfg)], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('BENCH '));
  if (r.status !== 0 || !line) return { ...cfg, error: (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ') };
  return JSON.parse(line.slice(6));
}

const machine = {
  cpu: cpus()[0]?.model, logicalCores: threads, memoryGB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version,
  tfjs: createRequire(import.meta.url)('@tensorflow/tfjs-core/package.json').version, date: new Date().toISOString(),
};
const results = [];
log(`machine: ${machine.cpu}, ${threads} logical cores, ${machine.memoryGB} GB, Node ${machine.node}, tfjs ${machine.tfjs}`);

for (const b of backends) {
  if (b === 'webgl') {
    // SwiftShader (no GPU here) runs WebGL on the CPU: ~10 s per iteration at 128 px, so 512 only with --full.
    const webglSizes = sizes.filter((s) => s <= 256 || flag('full'));
    log(`… webgl ${webglSizes.join(', ')} px (headless Chromium)`);
    const r = spawnSync(process.execPath, [join(here, 'browser.mjs'), '--sizes', webglSizes.join(','), '--reps', String(reps)], { encoding: 'utf8', maxBuffer: 1 << 26 });
    const lines = r.stdout.split('\n').filter((l) => l.startsWith('BENCH '));
    if (r.status !== 0 || lines.length === 0) results.push({ backend: 'webgl', error: (r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ') });
    for (const l of lines) {
      const r = JSON.parse(l.slice(6));
      if (r.secondsPerIteration) r.gflops = convFlops(r.height, r.width) / r.secondsPerIteration / 1e9;
      results.push(r);
    }
    continue;
  }
  const [backend, t] = b === 'wasm-1' ? ['wasm', 1] : [b, b === 'wasm' ? threads : undefined];
  for (const size of sizes) {
    if (backend === 'cpu' && size > 128 && !flag('full')) continue; // plain-JS CPU: minutes per iteration beyond this
    log(`… ${b} ${size} px`);
    results.push(runNode({ mode: 'iteration', backend, size, threads: t, reps }));
  }
}
if (flag('stylize')) {
  log('… default stylize() on wasm');
  results.push(runNode({ mode: 'stylize', backend: 'wasm', threads, options: {} }));
}
if (flag('large')) {
  // bench/large.mjs in its own process; --large-size, --large-scales, --large-iterations, --large-tile pass through.
  const pass = ['size', 'scales', 'iterations', 'tile'].flatMap((k) => (value(`large-${k}`) ? [`--${k}`, value(`large-${k}`)] : []));
  log(`… large stylisation on wasm (bench/large.mjs ${pass.join(' ') || 'defaults: 2048 px'}; long)`);
  const r = spawnSync(process.execPath, [join(here, 'large.mjs'), '--json', ...pass], { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'] });
  results.push(r.status === 0 ? { mode: 'large', ...JSON.parse(r.stdout) } : { mode: 'large', backend: 'wasm', error: `bench/large.mjs exited with ${r.status}` });
}
if (flag('time-to-quality')) {
  log('… time to quality on wasm (256 px)');
  results.push(runNode({ mode: 'time-to-quality', backend: 'wasm', threads, size: Number(value('ttq-size', '256')) }));
}

if (json) {
  console.log(JSON.stringify({ machine, results }, null, 1));
} else {
  const f = (v, d = 2) => (v === undefined || v === null ? '—' : Number(v).toFixed(d));
  console.log('\n| backend | threads | size | s / iteration | GFLOP/s | first iteration (s) | peak RSS (MB) | peak backend memory (MB) |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const r of results.filter((x) => x.mode === 'iteration' || x.error)) {
    if (r.error) console.log(`| ${r.backend} | ${r.threads ?? ''} | ${r.size ?? ''} | error: ${r.error} | | | | |`);
    else console.log(`| ${r.backend} | ${r.threads ?? '—'} | ${r.width}x${r.height} | ${f(r.secondsPerIteration)} | ${f(r.gflops, 1)} | ${f(r.firstIterationSeconds)} | ${f(r.peakRssMB, 0)} | ${f(r.peakBackendMB, 0)} |`);
  }
  for (const r of results.filter((x) => x.mode === 'stylize')) {
    console.log(`\ndefault stylize() on ${r.backend} (${r.threads} threads): ${r.width}x${r.height}, ${r.iterations} iterations, ${r.evaluations} evaluations, ${f(r.wallSeconds, 1)} s, final loss ${r.finalLoss?.toExponential(4)}, peak RSS ${f(r.peakRssMB, 0)} MB`);
  }
  for (const r of results.filter((x) => x.mode === 'large')) {
    if (r.error) console.log(`\nlarge: ${r.error}`);
    else console.log(`\n${r.width}x${r.height} on ${r.backend}, scales ${JSON.stringify(r.scales)}, iterations ${JSON.stringify(r.iterations)}: ${f(r.wallSeconds, 0)} s, final loss ${r.finalLoss?.toExponential(4)}, peak RSS ${f(r.peakRssMB, 0)} MB, backend ${f(r.peakBackendMB, 0)} MB; per scale: ${r.perScale.map((s) => `${s.width}x${s.height} ${s.plan?.tiling ? `${s.plan.tiling.tiles} tiles` : 'whole'}, history ${s.plan?.historySize}`).join('; ')}`);
  }
  for (const r of results.filter((x) => x.mode === 'time-to-quality')) {
    console.log(`\ntime to quality at ${r.size}x${r.size} on ${r.backend} (${r.threads} threads): plain single-scale L-BFGS, ${r.singleScale.iterations} iterations (${r.singleScale.evaluations} evaluations): ${f(r.singleScale.seconds, 1)} s, loss ${r.singleScale.finalLoss.toExponential(4)}`);
    for (const c of r.candidates) {
      console.log(`  ${c.name} ${JSON.stringify(c.options)}: ${c.secondsToReach === null ? `not reached in ${f(c.totalSeconds, 1)} s` : `reached it in ${f(c.secondsToReach, 1)} s (iteration ${c.reachedAtIteration}, ${c.evaluations} evaluations)`}`);
    }
  }
}
