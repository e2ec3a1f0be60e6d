#!/usr/bin/env node
// WebGL benchmark in headless Chromium (SwiftShader when there is no GPU): bundles a tiny page that imports the
// library's WebGL entry, serves it with the weights on 127.0.0.1, and measures per-iteration time (Adam = one
// forward+backward per iteration), time to first iteration and peak tf.memory() bytes. Prints BENCH lines.
//   node bench/browser.mjs --sizes 128,256 --reps 3
import { build } from 'esbuild';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const args = process.argv.slice(2);
const value = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const sizes = value('sizes', '128,256,512').split(',').map(Number);
const reps = Number(value('reps', '3'));
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  console.error(`bench/browser.mjs: no Chromium at ${executablePath} (apt-get install chromium, or set CHROMIUM_PATH)`);
  process.exit(2);
}
if (!existsSync(join(root, 'weights', 'manifest.json'))) {
  console.error('bench/browser.mjs: no weights/manifest.json; run npm run weights');
  process.exit(2);
}

const out = mkdtempSync(join(tmpdir(), 'nst-bench-'));
await build({
  stdin: {
    contents: `
      import * as nst from ${JSON.stringify(join(root, 'src', 'adapters', 'webgl.ts'))};
      import { noiseImage } from ${JSON.stringify(join(root, 'src', 'core.ts'))};
      import * as tf from '@tensorflow/tfjs-core';
      window.runBench = async (size, reps) => {
        const t0 = performance.now();
        const backend = await nst.ready();
        const vgg = window.vgg ??= await nst.loadVgg19({ weights: '/weights/' });
        const mk = (h, w, seed) => noiseImage(h, w, seed);
        const content = mk(512, 512, 1), style = mk(512, 512, 2);
        const times = []; let last = performance.now(); let first; let peak = 0;
        const r = await nst.stylize({ model: vgg, content, style, size, iterations: reps + 1, optimizer: 'adam',
          onIteration: (i) => { const t = performance.now(); if (i.iteration === 1) first = t - t0; else times.push((t - last) / 1000); last = t; const m = tf.memory(); peak = Math.max(peak, m.numBytesInGPUAllocated ?? m.numBytes); } });
        const sorted = [...times].sort((a, b) => a - b);
        const res = { mode: 'iteration', backend, size, width: r.width, height: r.height, secondsPerIteration: sorted[sorted.length >> 1], iterationTimes: times, firstIterationSeconds: first / 1000, peakBackendMB: peak / 2 ** 20, renderer: (() => { const gl = document.createElement('canvas').getContext('webgl2'); const ext = gl && gl.getExtension('WEBGL_debug_renderer_info'); return ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : null; })() };
        r.dispose(); tf.dispose([content, style]);
        return res;
      };
      // Conv stack to relu5_1 with bias+ReLU separate vs fused (tf.fused.conv2d): median ms of reps.
      window.runFused = async (size, reps) => {
        await nst.ready();
        const vgg = window.vgg ??= await nst.loadVgg19({ weights: '/weights/' });
        const x0 = tf.randomUniform([1, size, size, 3], -100, 100);
        const run = (fused) => tf.tidy(() => { let x = x0; let i = 0;
          for (const [b, n] of [[1, 2], [2, 2], [3, 4], [4, 4], [5, 1]]) {
            for (let j = 0; j < n; j++, i++) x = fused ? tf.fused.conv2d({ x, filter: vgg.kernel(i), strides: 1, pad: 'same', bias: vgg.bias(i), activation: 'relu' }) : tf.relu(tf.add(tf.conv2d(x, vgg.kernel(i), 1, 'same'), vgg.bias(i)));
            if (b < 5) x = tf.maxPool(x, 2, 2, 'valid');
          }
          return tf.sum(x); });
        const time = async (fused) => { const ts = []; for (let r = 0; r <= reps; r++) { const t = performance.now(); const s = run(fused); await s.data(); s.dispose(); if (r) ts.push(performance.now() - t); } return ts.sort((a, b) => a - b)[ts.length >> 1]; };
        const separateMs = await time(false); const fusedMs = await time(true); x0.dispose();
        return { mode: 'fused', backend: tf.getBackend(), size, separateMs, fusedMs, fusedSpeedup: separateMs / fusedMs };
      };`,
    resolveDir: root,
    loader: 'ts',
  },
  bundle: true,
  format: 'esm',
  outfile: join(out, 'bench.js'),
  define: { __NST_VERSION__: '"bench"' },
  logLevel: 'error',
});

const types = { '.js': 'text/javascript', '.json': 'application/json', '.bin': 'application/octet-stream', '.html': 'text/html' };
const server = createServer((req, res) => {
  const url = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  const file = url === '/' ? join(out, 'index.html') : url.startsWith('/weights/') ? join(root, normalize(url)) : join(out, normalize(url));
  if (url === '/') {
    res.writeHead(200, { 'content-type': 'text/html' });
    return res.end('<!doctype html><meta charset="utf-8"><script type="module" src="/bench.js"></script>');
  }
  if (!existsSync(file)) {
    res.writeHead(404);
    return res.end();
  }
  res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
  res.end(readFileSync(file));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const port = server.address().port;
const browser = await chromium.launch({
  executablePath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
});
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('pageerror', e.message));
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => typeof window.runBench === 'function');
  if (args.includes('--fused')) {
    console.log(`BENCH ${JSON.stringify(await page.evaluate(([s, n]) => window.runFused(s, n), [sizes[0], reps]))}`);
    sizes.length = 0;
  }
  for (const size of sizes) {
    const r = await page.evaluate(([s, n]) => window.runBench(s, n), [size, reps]);
    if (r.backend !== 'webgl') throw new Error(`expected the webgl backend, got ${r.backend}`);
    console.log(`BENCH ${JSON.stringify(r)}`);
  }
} finally {
  await browser.close();
  server.close();
}
