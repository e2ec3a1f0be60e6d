/**
 * GPU memory planning against real devices, in headless Chromium: WebGL (ANGLE on SwiftShader) and WebGPU
 * (SwiftShader's Vulkan adapter). With tiling off (`tile: false`) the planner gets images too large for the device
 * and must refuse them before allocating (tf.memory() unchanged) with DEVICE_LIMIT and the largest `size` that
 * fits — and that size must really run; by default (`tile: 'auto'`) it tiles them instead, and that run too. To run a step at that size here (software GPUs are slow), the device is shrunk the way a smaller GPU
 * would be: WebGL with MAX_TEXTURE_SIZE 2048 (TF.js then enforces 2048 itself); WebGPU with the adapter reporting
 * WebGPU's default limits (128 MiB bindings, enforced by WebGPU), and for the run a device reporting 8 MiB (below
 * what WebGPU allows a device to have, so only the planner sees it). The real limits are checked too, without
 * running the suggested size.
 *
 * Run: `npx vitest run --config vitest.browser.config.ts test/browser/gpu-memory.test.ts` (bundles the page from
 * the sources; needs the weights: `npm run weights`). Environment: CHROMIUM_PATH (default /usr/bin/chromium).
 */
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Harness, Refusal } from './gpu-memory-page.js';
import { serveStatic, type StaticServer } from './static-server.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const BASE_ARGS = ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const WEBGL_ARGS = [...BASE_ARGS, '--disable-gpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];
const WEBGPU_ARGS = [...BASE_ARGS, '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];
const SHALLOW = { contentLayers: ['relu1_1'], styleLayers: ['relu1_1'] };
const MiB = 2 ** 20;

type Call<K extends keyof Harness> = Harness[K] extends (...a: infer A) => infer R ? (...a: A) => Promise<Awaited<R>> : never;

describe.skipIf(!process.env.NST_BROWSER_E2E)('GPU memory planning in headless Chromium', () => {
  let dir: string;
  let server: StaticServer;
  const browsers: Browser[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(`${repo}weights/manifest.json`)) throw new Error('No weights/manifest.json: run npm run weights.');
    if (!existsSync(chromiumPath)) throw new Error(`No Chromium at ${chromiumPath}. Install it (apt-get install -y chromium) or set CHROMIUM_PATH.`);
    dir = mkdtempSync(join(tmpdir(), 'nst-gpu-memory-'));
    const { build } = await import('esbuild');
    await build({
      entryPoints: [fileURLToPath(new URL('./gpu-memory-page.ts', import.meta.url))],
      bundle: true,
      format: 'esm',
      outfile: join(dir, 'page.js'),
      define: { __NST_VERSION__: '"test"' },
      logLevel: 'error',
    });
    writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>gpu memory</title><link rel="icon" href="data:,"><script type="module" src="/page.js"></script>');
    symlinkSync(join(repo, 'weights'), join(dir, 'weights'));
    server = await serveStatic(dir);
  });

  afterAll(async () => {
    for (const b of browsers) await b.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A fresh browser and page on the harness; `call(name, ...args)` runs a harness function in the page. */
  async function open(args: string[]) {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: chromiumPath, args });
    browsers.push(browser);
    const page: Page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    await page.goto(server.url);
    await page.waitForFunction(() => 'harness' in window);
    const call = (<K extends keyof Harness>(name: K, ...a: unknown[]) =>
      page.evaluate(([n, list]) => (window as unknown as Record<string, Record<string, (...x: unknown[]) => unknown>>).harness[n as string](...(list as unknown[])), [name, a] as const)) as unknown as <K extends keyof Harness>(name: K, ...a: Parameters<Harness[K]>) => ReturnType<Call<K>>;
    return { browser, page, call };
  }

  /** Refused before allocating: nothing left behind, and no GPU memory beyond the small input images. */
  function expectNothingAllocated(r: Refusal) {
    expect(r.after.numTensors).toBe(r.before.numTensors);
    expect(r.after.numBytes).toBe(r.before.numBytes);
    expect(r.after.gpuAllocated - r.before.gpuAllocated).toBeLessThan(MiB);
  }

  it('WebGL: refuses sizes over the texture limit before allocating, and the suggested size runs', async () => {
    const { call } = await open(WEBGL_ARGS);
    const started = await call('start', 'webgl', { maxTextureSize: 2048, model: true });
    expect(started.backend).toBe('webgl');
    expect(started.maxTextureSize).toBe(2048);
    const real = started.realMaxTextureSize!;

    // A 2048 context: conv1_1's input gradient builds a [576, H·W] im2col texture, over the limit at 256 px. With
    // tiling off the size is refused …
    const r = await call('refuse', { size: 256, tile: false, ...SHALLOW });
    expect(r.code, r.message).toBe('DEVICE_LIMIT');
    expect(r.message).toMatch(/At 256x256 the content's conv1_1 input gradient im2col matrix \[1, 576, 65536\] would need a texture \d+ texels wide on the webgl backend, over its limit \(WebGL MAX_TEXTURE_SIZE 2048\)/);
    expectNothingAllocated(r);
    // H·W ≤ 2048²/144: 170² fits, 171² does not.
    const fit = r.details!.fitSize as number;
    expect(fit).toBe(170);
    expect(r.message).toContain('`size: 170` is the largest that fits');
    // The limit is real: TF.js itself refuses that conv's texture at 256 px …
    expect(await call('rawConv', 256, 256, 64, 3)).toMatch(/Requested texture size \[\d+x\d+\] greater than WebGL maximum/);
    // … and the suggested size runs one step.
    const step = await call('runStep', { size: fit, ...SHALLOW });
    expect([step.width, step.height]).toEqual([170, 170]);
    expect(Number.isFinite(step.loss) && step.loss > 0).toBe(true);
    expect(step.after.numTensors).toBe(step.before.numTensors);
    // … and by default the 256 px run is tiled: the largest tile whose crop fits (128 px: 130² texels·144 ≤ 2048²).
    const tiled = await call('runStep', { size: 256, ...SHALLOW });
    expect([tiled.width, tiled.height, tiled.tiles, tiled.tileSize]).toEqual([256, 256, 4, 128]);
    expect(Number.isFinite(tiled.loss) && tiled.loss > 0).toBe(true);
    expect(tiled.after.numTensors).toBe(tiled.before.numTensors);

    // The context's real limit (8192 on SwiftShader): the default layers at 1024 px are refused, 682 px suggested.
    await call('restoreMaxTextureSize', real);
    const big = await call('refuse', { size: 1024, tile: false });
    expect(big.code, big.message).toBe('DEVICE_LIMIT');
    expect(big.details!.limitName).toBe(`WebGL MAX_TEXTURE_SIZE ${real}`);
    expectNothingAllocated(big);
    const bigFit = big.details!.fitSize as number;
    expect(bigFit).toBe(Math.floor(Math.sqrt((real * real) / 144)));
    // estimateMemory says the same without a run.
    const largest = (await call('largest', 1024, ['relu1_1']))!;
    expect(largest.what).toBe('conv1_1 input gradient im2col matrix');
    expect(largest.size).toBeGreaterThan(largest.limit);
    expect((await call('largest', bigFit, ['relu1_1']))!.size).toBeLessThanOrEqual(real);
    expect(errors).toEqual([]);
  });

  it('WebGPU: refuses sizes over the storage-buffer limit before allocating', async () => {
    const { call } = await open(WEBGPU_ARGS);
    const started = await call('start', 'webgpu', { defaultWebGpuLimits: true, model: true });
    expect(started.backend).toBe('webgpu');
    expect(started.limits).toEqual({ maxStorageBufferBindingSize: 128 * MiB, maxBufferSize: 256 * MiB });
    // 1024²·64 float32 = 256 MiB per conv1_1 activation, over the 128 MiB binding limit; 724² fits. (Not run: a
    // step at 724 px takes minutes on a software GPU; the next test runs a suggested size.)
    const r = await call('refuse', { size: 1024, tile: false, ...SHALLOW });
    expect(r.code, r.message).toBe('DEVICE_LIMIT');
    expect(r.message).toMatch(/At 1024x1024 the content's conv1_1 \[1, 1024, 1024, 64\] would need a 256 MiB buffer on the webgpu backend, over its limit \(WebGPU maxStorageBufferBindingSize 134217728\)/);
    expectNothingAllocated(r);
    expect(r.details!.fitSize).toBe(724);
    expect(errors).toEqual([]);
  });

  it('WebGPU: the suggested size runs (a device reporting 8 MiB buffers)', async () => {
    const { call } = await open(WEBGPU_ARGS);
    await call('start', 'webgpu', { deviceBufferLimit: 8 * MiB, model: true });
    const r = await call('refuse', { size: 256, tile: false, ...SHALLOW });
    expect(r.code, r.message).toBe('DEVICE_LIMIT');
    expectNothingAllocated(r);
    // 8 MiB holds 181² 64-channel float32 activations.
    expect(r.details!.fitSize).toBe(181);
    const step = await call('runStep', { size: 181, ...SHALLOW });
    expect([step.width, step.height]).toEqual([181, 181]);
    expect(Number.isFinite(step.loss) && step.loss > 0).toBe(true);
    expect(step.after.numTensors).toBe(step.before.numTensors);
    expect(errors).toEqual([]);
  });

  it('WebGPU with the adapter’s real limits: the planner reads them from the device', async () => {
    const { call } = await open(WEBGPU_ARGS);
    const started = await call('start', 'webgpu', {});
    const limit = Math.min(started.limits!.maxStorageBufferBindingSize, started.limits!.maxBufferSize);
    // The largest 64-channel activation that fits the device, and one row more.
    const side = Math.floor(Math.sqrt(limit / 256));
    const fits = (await call('largest', side, ['relu1_1']))!;
    expect(fits.limit).toBe(limit);
    expect(fits.size).toBeLessThanOrEqual(limit);
    expect((await call('largest', side + 1, ['relu1_1']))!.size).toBeGreaterThan(limit);
    expect(errors).toEqual([]);
  });
});
