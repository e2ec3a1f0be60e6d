#!/usr/bin/env node
// GPU benchmark: WebGL and WebGPU in headless Chromium on the machine's GPU. Prints one JSON document.
//
//   npm run bench -- --gpu                        # 256, 512, 1024 px on WebGL and WebGPU (real GPU; < 5 min)
//   npm run bench -- --gpu --software             # the same on SwiftShader (no GPU needed; use small sizes)
//   npm run bench -- --gpu --software --sizes 64 --reps 2 --kernels
//
// Options: --sizes 256,512,1024  --reps 5 (timed iterations after the first)  --backends webgl,webgpu
//          --budget-gb 64 (memoryBudget per run; GPUs report no memory)  --deadline-s 270 (sizes that would not
//          finish in time are skipped)  --kernels (time the kernel variants: Gram, ReLU+pool backward, fused conv,
//          and tf.conv2d vs the WASM kernels' Winograd on the layers WASM runs it on)
//          --readbacks (read-backs per iteration of whole Adam and L-BFGS runs; --style-statistic NAME: with it)  --no-iterations (only the extras)
//          --kernel-set gram,pool,conv,winograd,unsort (which variants --kernels times; unsort: not by default)
// Environment: CHROMIUM_PATH (default: the first of /usr/bin/chromium, chromium-browser, google-chrome).
//
// Without --software, it looks for a GPU (/dev/nvidia*, /dev/dri/renderD*); with none it says so in one line and
// exits 0. With one, it tries Chromium's real-GPU flag sets in turn (ANGLE on Vulkan, then ANGLE on EGL) and uses,
// per backend, the first whose WebGL renderer / WebGPU adapter is not a software one; if none is, it prints why
// (and the renderers it got) and exits 1 rather than time a software fallback as a GPU. docs/performance.md says how
// to set up a Linux machine with an NVIDIA GPU.
import { build } from 'esbuild';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { convFlops } from './flops.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const value = (name, def) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : def);
const software = flag('software');
const sizes = value('sizes', '256,512,1024').split(',').map(Number);
const reps = Number(value('reps', '5'));
const backends = value('backends', 'webgl,webgpu').split(',');
const memoryBudget = Math.round(Number(value('budget-gb', '64')) * 2 ** 30);
const deadline = Date.now() + Number(value('deadline-s', '270')) * 1000;
const t0 = Date.now();
const log = (m) => process.stderr.write(`${m}\n`);

// 1. A GPU at all?
const devices = (dir, re) => (existsSync(dir) ? readdirSync(dir).filter((f) => re.test(f)).map((f) => join(dir, f)) : []);
const gpuDevices = [...devices('/dev', /^nvidia\d+$/), ...devices('/dev/dri', /^renderD\d+$/)];
if (!software && gpuDevices.length === 0) {
  console.log('bench --gpu: no GPU on this machine (no /dev/nvidia* or /dev/dri/renderD*); nothing to measure (--gpu --software runs the same benchmark on SwiftShader).');
  process.exit(0);
}
const executablePath = process.env.CHROMIUM_PATH ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find(existsSync);
if (!executablePath || !existsSync(executablePath)) {
  console.error('bench --gpu: no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)');
  process.exit(2);
}
if (!existsSync(join(root, 'weights', 'manifest.json'))) {
  console.error('bench --gpu: no weights/manifest.json; run npm run weights');
  process.exit(2);
}

// 2. Flag sets. Every launch: headless, no sandbox (root in containers), nothing phoning home.
const BASE = ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const CONFIGS = software
  ? [{ name: 'swiftshader', args: ['--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'] }]
  : [
      // Headless Linux with an NVIDIA (or AMD/Intel) GPU and no display: ANGLE and Dawn on Vulkan, no surface.
      {
        name: 'vulkan',
        args: ['--ignore-gpu-blocklist', '--enable-gpu', '--disable-software-rasterizer', '--use-gl=angle', '--use-angle=vulkan', '--enable-features=Vulkan,VulkanFromANGLE,DefaultANGLEVulkan', '--disable-vulkan-surface', '--enable-unsafe-webgpu'],
      },
      // ANGLE on the driver's EGL/OpenGL ES for WebGL (WebGPU stays on Dawn's Vulkan backend).
      {
        name: 'egl',
        args: ['--ignore-gpu-blocklist', '--enable-gpu', '--disable-software-rasterizer', '--use-gl=angle', '--use-angle=gl-egl', '--enable-features=Vulkan', '--enable-unsafe-webgpu'],
      },
    ];

// 3. The page: bundled from the sources, served with the weights on 127.0.0.1 (WebGPU needs a secure context).
const out = mkdtempSync(join(tmpdir(), 'nst-gpu-bench-'));
await build({ entryPoints: [join(here, 'gpu-page.mjs')], bundle: true, format: 'esm', outfile: join(out, 'page.js'), define: { __NST_VERSION__: '"bench"' }, logLevel: 'error' });
const types = { '.js': 'text/javascript', '.json': 'application/json', '.bin': 'application/octet-stream' };
const server = createServer((req, res) => {
  const url = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  if (url === '/') {
    res.writeHead(200, { 'content-type': 'text/html' });
    return res.end('<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module" src="/page.js"></script>');
  }
  const file = url.startsWith('/weights/') ? join(root, normalize(url)) : join(out, normalize(url));
  if (!file.startsWith(root) && !file.startsWith(out)) return res.writeHead(403).end();
  if (!existsSync(file)) return res.writeHead(404).end();
  res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
  res.end(readFileSync(file));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}/`;

const browsers = [];
async function openPage(config) {
  const browser = await chromium.launch({ executablePath, args: [...BASE, ...config.args] });
  browsers.push(browser);
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(url);
  await page.waitForFunction(() => 'gpuBench' in window);
  const call = (name, ...a) => page.evaluate(([n, list]) => window.gpuBench[n](...list), [name, a]);
  return { browser, page, call, errors, version: browser.version() };
}

const report = { mode: software ? 'software (SwiftShader)' : 'gpu', gpuDevices, chromium: undefined, host: { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version }, backends: {}, results: [] };
let exitCode = 0;
try {
  // 4. Which flag set gives each backend a real GPU.
  const chosen = {};
  for (const config of CONFIGS) {
    if (backends.every((b) => chosen[b])) break;
    let p;
    try {
      p = await openPage(config);
      report.chromium = p.version;
      const probe = await p.call('probe');
      for (const b of backends) {
        const info = probe[b];
        (report.backends[b] ??= { tried: [] }).tried.push({ flags: config.name, ...info });
        if (!chosen[b] && info.available && (software || !info.software)) chosen[b] = { config, info };
      }
    } catch (e) {
      for (const b of backends) (report.backends[b] ??= { tried: [] }).tried.push({ flags: config.name, error: String(e.message ?? e).split('\n')[0] });
    } finally {
      await p?.browser.close();
    }
  }
  // 5. Per backend: iterations at each size, smallest first, while the deadline allows.
  for (const b of backends) {
    const c = chosen[b];
    if (!c) {
      report.backends[b].error = `no ${software ? '' : 'hardware '}${b} in Chromium with any flag set (see "tried")`;
      exitCode = 1;
      continue;
    }
    Object.assign(report.backends[b], { flags: c.config.args, adapter: b === 'webgl' ? c.info.renderer : c.info.name, details: c.info });
    log(`… ${b}: ${report.backends[b].adapter} (${c.config.name} flags)`);
    const p = await openPage(c.config);
    try {
      const started = await p.call('start', b);
      report.backends[b].weightsLoadMs = started.loadMs;
      let lastMs = 0;
      for (const size of flag('no-iterations') ? [] : sizes) {
        // Each size takes about 4x the previous one (pixels); skip it when that would pass the deadline.
        if (lastMs && Date.now() + 4 * lastMs > deadline) {
          report.results.push({ backend: b, size, skipped: `would not finish before --deadline-s (${value('deadline-s', '270')} s)` });
          continue;
        }
        log(`… ${b} ${size} px`);
        const ts = Date.now();
        try {
          const r = await p.call('iterations', size, reps, memoryBudget);
          const gflops = convFlops(r.height, r.width) / (r.msPerIteration / 1000) / 1e9;
          report.results.push({ backend: b, adapter: report.backends[b].adapter, size, ...r, gflops, peakGpuMB: r.peakGpuBytesAllocated / 2 ** 20 });
        } catch (e) {
          report.results.push({ backend: b, size, error: String(e.message ?? e).split('\n')[0] });
          exitCode = 1;
        }
        lastMs = Date.now() - ts;
      }
      const extra = async (name, what, f) => {
        if (!flag(name)) return;
        log(`… ${b} ${what}`);
        try {
          report.backends[b][name] = await f();
        } catch (e) {
          report.backends[b][name] = { error: String(e.message ?? e).split('\n')[0] };
          exitCode = 1;
        }
      };
      await extra('readbacks', 'read-backs per iteration', () => p.call('readbacks', Math.min(...sizes), 3, value('style-statistic', 'gram')));
      const kernelSet = value('kernel-set', 'gram,pool,conv,winograd').split(',');
      await extra('kernels', 'kernel variants', async () => ({ size: Math.min(...sizes), ms: await p.call('kernels', Math.min(...sizes), Math.max(3, reps), kernelSet) }));
      if (p.errors.length) report.backends[b].pageErrors = p.errors;
    } finally {
      await p.browser.close();
    }
  }
} finally {
  for (const b of browsers) await b.close().catch(() => {});
  server.close();
  rmSync(out, { recursive: true, force: true });
}
report.elapsedSeconds = (Date.now() - t0) / 1000;
console.log(JSON.stringify(report, null, 1));
process.exit(exitCode);
