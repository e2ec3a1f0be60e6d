/**
 * End-to-end test of the example page (examples/web) in headless Chromium on WebGL (SwiftShader: no GPU needed).
 * Run it with `npm run test:browser`, which builds the package (dist/) and the page (examples/web/dist/) first.
 * It serves the built page from 127.0.0.1, drives it only through its data-testid elements and writes
 * screenshots to docs/generated/ (gitignored: they show the sample photos, which are not ours to commit).
 *
 * Environment: CHROMIUM_PATH (default /usr/bin/chromium).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic, type StaticServer } from './static-server.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const site = `${repo}examples/web/dist/`;
const shots = `${repo}docs/generated/`;
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
];

const tid = (id: string) => `[data-testid="${id}"]`;

/** Only under vitest.browser.config.ts (npm run test:browser); `npm test` lists it as skipped. */
describe.skipIf(!process.env.NST_BROWSER_E2E)('example page in headless Chromium (WebGL)', () => {
  let server: StaticServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const consoleErrors: string[] = [];
  const timings: Record<string, number> = {};
  const t0 = Date.now();

  beforeAll(async () => {
    const missing = [
      [`${repo}dist/webgl.js`, 'the package build (npm run build)'],
      [`${site}index.html`, 'the built page (npm run examples:build)'],
      [`${site}weights/manifest.json`, 'the weights copied into the page (npm run examples:build; needs npm run weights)'],
    ].filter(([f]) => !existsSync(f));
    if (missing.length) {
      throw new Error(`Missing ${missing.map(([f, what]) => `${what}: ${f}`).join('; ')}. Run "npm run test:browser", which builds them.`);
    }
    if (!existsSync(chromiumPath)) {
      throw new Error(`No Chromium at ${chromiumPath}. Install it (apt-get install -y chromium) or set CHROMIUM_PATH.`);
    }
    mkdirSync(shots, { recursive: true });
    server = await serveStatic(site);
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, deviceScaleFactor: 1, acceptDownloads: true });
    page = await context.newPage();
    const watch = (p: Page) => {
      p.on('console', (m) => {
        if (m.type() === 'error') consoleErrors.push(`console: ${m.text()}`);
      });
      p.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    };
    watch(page);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    timings.totalMs = Date.now() - t0;
    // Timings for the record (docs/browser.md quotes them).
    console.log('e2e timings', JSON.stringify(timings));
  });

  /** Waits for the page's run state (body[data-state]). */
  const waitState = (states: string[], timeout: number) =>
    page.waitForFunction((s) => s.includes(document.body.dataset.state ?? ''), states, { timeout, polling: 100 });

  const errorText = () => page.$eval(tid('error'), (e) => ((e as HTMLElement).hidden ? '' : e.textContent ?? ''));

  it('loads, runs on WebGL (SwiftShader) and downloads the weights with progress', async () => {
    const start = Date.now();
    await page.goto(server.url);
    await page.waitForFunction(() => /loaded|cache/.test(document.querySelector('[data-testid="weights-status"]')?.textContent ?? '') || !(document.querySelector('[data-testid="error"]') as HTMLElement).hidden, null, { timeout: 120_000 });
    timings.pageAndWeightsMs = Date.now() - start;
    expect(await errorText()).toBe('');
    const backend = await page.$eval(tid('backend'), (e) => ({ name: (e as HTMLElement).dataset.backend, text: e.textContent, title: (e as HTMLElement).title }));
    expect(backend.name).toBe('webgl');
    expect(backend.title).toMatch(/swiftshader/i);
    expect(await page.textContent(tid('weights-status'))).toMatch(/27\.0 MB/);
    expect(await page.$eval(tid('weights-progress'), (p) => (p as HTMLProgressElement).value)).toBe(1);
    // Every weight file was requested once, from the page's own weights/ folder.
    expect(server.log.filter((r) => /\/weights\/vgg19-shard\dof\d\.bin$/.test(r.path) && r.status === 200)).toHaveLength(7);
  });

  it('stylizes uploaded images at 96 px: the loss falls and the result differs from the content', async () => {
    // Two test pictures made in the page and given to the file inputs, as a user choosing files would.
    const [contentPng, stylePng] = await page.evaluate(async () => {
      const make = async (draw: (g: CanvasRenderingContext2D) => void) => {
        const c = document.createElement('canvas');
        c.width = 160;
        c.height = 120;
        const g = c.getContext('2d')!;
        draw(g);
        const blob: Blob = await new Promise((r) => c.toBlob((b) => r(b!), 'image/png'));
        return Array.from(new Uint8Array(await blob.arrayBuffer()));
      };
      return Promise.all([
        make((g) => {
          const grad = g.createLinearGradient(0, 0, 0, 120);
          grad.addColorStop(0, '#8ec5ff');
          grad.addColorStop(1, '#f5e6c8');
          g.fillStyle = grad;
          g.fillRect(0, 0, 160, 120);
          g.fillStyle = '#c0392b';
          g.fillRect(20, 50, 40, 50);
          g.fillStyle = '#27ae60';
          g.beginPath();
          g.arc(110, 75, 28, 0, Math.PI * 2);
          g.fill();
          g.fillStyle = '#2c3e50';
          g.fillRect(0, 100, 160, 20);
        }),
        make((g) => {
          g.fillStyle = '#102a5c';
          g.fillRect(0, 0, 160, 120);
          for (let i = 0; i < 40; i++) {
            g.strokeStyle = i % 3 ? '#f1c40f' : '#5dade2';
            g.lineWidth = 3;
            g.beginPath();
            g.arc(80, 60, 4 + i * 3, i, i + 2.5);
            g.stroke();
          }
        }),
      ]);
    });
    await page.setInputFiles(tid('content-input'), { name: 'e2e-content.png', mimeType: 'image/png', buffer: Buffer.from(contentPng) });
    await page.setInputFiles(tid('style-input'), { name: 'e2e-style.png', mimeType: 'image/png', buffer: Buffer.from(stylePng) });
    await page.waitForFunction(() => (document.querySelector('[data-testid="content-sample"]') as HTMLSelectElement).value === 'file' && (document.querySelector('[data-testid="style-sample"]') as HTMLSelectElement).value === 'file');
    await page.fill(tid('size-input'), '96');
    await page.fill(tid('iterations-input'), '10');
    await page.fill(tid('preview-every-input'), '2');
    const start = Date.now();
    await page.click(tid('stylize-button'));
    expect(await page.isEnabled(tid('cancel-button'))).toBe(true);
    await waitState(['done', 'error', 'cancelled'], 400_000);
    timings.stylize96Ms = Date.now() - start;
    expect(await errorText()).toBe('');
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('done');

    const losses = (await page.$eval(tid('loss-chart'), (c) => (c as HTMLElement).dataset.losses ?? '')).split(',').map(Number);
    expect(losses.length).toBeGreaterThanOrEqual(2);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    const progress = await page.$eval(tid('progress'), (p) => ({ value: (p as HTMLProgressElement).value, max: (p as HTMLProgressElement).max }));
    expect(progress.value).toBe(progress.max);
    // The Layers view's live Gram distances: the run's taps measured all 16 style layers (the last at iteration 10).
    const grams = await page.$eval(tid('gram-chart'), (c) => ({ iteration: Number((c as HTMLElement).dataset.iteration), values: JSON.parse((c as HTMLElement).dataset.distances ?? '[]') as number[] }));
    expect(grams.iteration).toBe(10);
    expect(grams.values).toHaveLength(16);
    expect(grams.values.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
    const speed = await page.textContent('[data-stat="speed"]');
    timings.perIterationMs = Number.parseFloat(speed ?? 'NaN');
    timings.iterationsDone = losses.length;
    timings.networkPasses = Number(await page.textContent('[data-stat="evaluations"]'));
    timings.runSeconds = Number.parseFloat((await page.textContent(tid('progress-text')))?.match(/in ([\d.]+) s/)?.[1] ?? 'NaN');

    // The result canvas, compared with the content picture scaled to the same size.
    const diff = await page.evaluate(async (png) => {
      const result = document.querySelector('[data-testid="result-canvas"]') as HTMLCanvasElement;
      const { width: w, height: h } = result;
      const out = result.getContext('2d')!.getImageData(0, 0, w, h).data;
      const bmp = await createImageBitmap(new Blob([new Uint8Array(png)], { type: 'image/png' }));
      const c = document.createElement('canvas');
      c.width = w;
      c.height = h;
      const g = c.getContext('2d')!;
      g.drawImage(bmp, 0, 0, w, h);
      const ref = g.getImageData(0, 0, w, h).data;
      let sum = 0;
      for (let i = 0; i < out.length; i += 4) sum += Math.abs(out[i] - ref[i]) + Math.abs(out[i + 1] - ref[i + 1]) + Math.abs(out[i + 2] - ref[i + 2]);
      return { w, h, meanAbs: sum / ((out.length / 4) * 3) };
    }, contentPng);
    expect(Math.max(diff.w, diff.h)).toBe(96);
    expect(diff.meanAbs).toBeGreaterThan(8);

    // Download saves the canvas as a PNG.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click(tid('download-button'))]);
    expect(download.suggestedFilename()).toMatch(/^stylized-e2e-content-e2e-style\.png$/);
    const path = await download.path();
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(path).subarray(1, 4).toString()).toBe('PNG');
  });

  it('shows the feature maps of a chosen layer as a grid of tiles', async () => {
    // Back to the built-in samples (the Tübingen photo when the build found it), which the screenshots show.
    for (const role of ['content', 'style']) {
      const first = await page.$eval(tid(`${role}-sample`), (s) => (s as HTMLSelectElement).querySelector('optgroup option')!.getAttribute('value')!);
      await page.selectOption(tid(`${role}-sample`), first);
    }
    await page.click(tid('tab-layers'));
    await page.selectOption(tid('layer-select'), 'relu2_1');
    const start = Date.now();
    await page.waitForFunction(() => (document.querySelector('[data-testid="feature-grid"]') as HTMLElement).dataset.layer === 'relu2_1' && !document.querySelector('[data-testid="feature-grid"]')!.hasAttribute('aria-busy'), null, { timeout: 120_000 });
    timings.featuresMs = Date.now() - start;
    const grid = await page.$eval(tid('feature-grid'), (g) => {
      const tiles = Array.from(g.children) as HTMLCanvasElement[];
      const first = tiles[0];
      const px = first.getContext('2d')!.getImageData(0, 0, first.width, first.height).data;
      let lo = 255;
      let hi = 0;
      for (let i = 0; i < px.length; i += 4) (lo = Math.min(lo, px[i])), (hi = Math.max(hi, px[i]));
      return { count: tiles.length, tags: [...new Set(tiles.map((t) => t.tagName))], w: first.width, h: first.height, lo, hi };
    });
    expect(grid.count).toBe(64); // relu2_1 has 128 channels; the 64 strongest are shown
    expect(grid.tags).toEqual(['CANVAS']);
    expect(grid.w).toBeGreaterThan(8);
    // Each tile is normalised to the full 0–255 range.
    expect(grid.lo).toBe(0);
    expect(grid.hi).toBe(255);
    expect(await page.textContent(tid('layers-info'))).toMatch(/relu2_1: 128 channels/);
    // relu2_1's receptive field over the content image: 10 px in theory, the gradient's 95% within it.
    await page.waitForFunction(() => (document.querySelector('[data-testid="receptive-field-canvas"]') as HTMLElement).dataset.layer === 'relu2_1', null, { timeout: 120_000 });
    const field = await page.$eval(tid('receptive-field-canvas'), (c) => ({ theoretical: Number((c as HTMLElement).dataset.theoretical), effective: Number((c as HTMLElement).dataset.effective) }));
    expect(field.theoretical).toBe(10);
    expect(field.effective).toBeGreaterThan(1);
    expect(field.effective).toBeLessThanOrEqual(10);
    expect(await page.textContent(tid('receptive-field-info'))).toMatch(/relu2_1: theoretical field 10 px/);
    expect(await errorText()).toBe('');
    await page.screenshot({ path: `${shots}web-layers.png` });
  });

  it('stays responsive during a run and cancels it promptly without an error', async () => {
    await page.click(tid('tab-result'));
    await page.fill(tid('size-input'), '96');
    await page.fill(tid('iterations-input'), '20');
    await page.fill(tid('preview-every-input'), '1');
    await page.click(tid('stylize-button'));
    // Wait for a few iterations with a preview on the canvas.
    await page.waitForFunction(() => ((document.querySelector('[data-testid="loss-chart"]') as HTMLElement).dataset.losses ?? '').split(',').length >= 2, null, { timeout: 300_000, polling: 200 });
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('running');

    // The main thread answers input while the worker computes: toggling a layer and typing take effect at once,
    // and timers fire on time.
    const box = tid('style-layer-1_2');
    const before = await page.isChecked(box);
    let t = Date.now();
    await page.click(box);
    expect(await page.isChecked(box)).toBe(!before);
    await page.click(box);
    timings.toggleDuringRunMs = Date.now() - t;
    t = Date.now();
    await page.fill(tid('content-weight-input'), '6');
    expect(await page.inputValue(tid('content-weight-input'))).toBe('6');
    await page.fill(tid('content-weight-input'), '5');
    timings.typeDuringRunMs = Date.now() - t;
    const lagMs = await page.evaluate(async () => {
      let worst = 0;
      for (let i = 0; i < 20; i++) {
        const s = performance.now();
        await new Promise((r) => setTimeout(r, 25));
        worst = Math.max(worst, performance.now() - s - 25);
      }
      return worst;
    });
    timings.worstTimerLagMs = Math.round(lagMs);
    expect(lagMs).toBeLessThan(250);
    expect(timings.toggleDuringRunMs).toBeLessThan(3000);

    await page.screenshot({ path: `${shots}web-page.png` });
    const iterationsBefore = (await page.$eval(tid('loss-chart'), (c) => (c as HTMLElement).dataset.losses ?? '')).split(',').length;
    t = Date.now();
    await page.click(tid('cancel-button'));
    // The page reflects the cancel at once …
    await waitState(['cancelled', 'error', 'done'], 10_000);
    timings.cancelUiMs = Date.now() - t;
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('cancelled');
    expect(timings.cancelUiMs).toBeLessThan(2000);
    // … and the worker stops at its next loss evaluation (one VGG-19 pass at most), sending the image so far.
    await page.waitForFunction(() => document.body.dataset.worker === 'idle', null, { timeout: 60_000, polling: 100 });
    timings.cancelWorkerStoppedMs = Date.now() - t;
    expect(await errorText()).toBe('');
    expect(await page.textContent(tid('progress-text'))).toMatch(/Cancelled after \d+ iteration/);
    const iterationsAfter = (await page.$eval(tid('loss-chart'), (c) => (c as HTMLElement).dataset.losses ?? '')).split(',').length;
    expect(iterationsAfter).toBeLessThan(20);
    expect(iterationsAfter).toBe(iterationsBefore); // nothing after the cancel is drawn
    // Stylize is available again and the page still answers.
    expect(await page.isEnabled(tid('stylize-button'))).toBe(true);
    expect(await page.isEnabled(tid('cancel-button'))).toBe(false);
    await page.screenshot({ path: `${shots}web-cancelled.png` });
  });

  it('takes the weights from the browser cache on the next visit', async () => {
    const before = server.log.length;
    await page.reload();
    await page.waitForFunction(() => /loaded|cache/.test(document.querySelector('[data-testid="weights-status"]')?.textContent ?? ''), null, { timeout: 120_000 });
    const shards = server.log.slice(before).filter((r) => /vgg19-shard/.test(r.path));
    // Revalidated (304, no body) or not requested at all: never downloaded again.
    expect(shards.every((r) => r.status === 304)).toBe(true);
    expect(await page.textContent(tid('weights-status'))).toMatch(/from the browser cache/);
  });

  it('the WebGPU adapter falls back to WebGL where no GPU adapter is granted', async () => {
    await page.selectOption(tid('backend-select'), 'webgpu'); // reloads with ?backend=webgpu
    await page.waitForURL(/backend=webgpu/);
    await page.waitForFunction(() => (document.querySelector('[data-testid="backend"]') as HTMLElement).dataset.backend !== undefined || !(document.querySelector('[data-testid="error"]') as HTMLElement).hidden, null, { timeout: 120_000 });
    const backend = await page.$eval(tid('backend'), (e) => (e as HTMLElement).dataset.backend);
    const hasAdapter = await page.evaluate(async () => !!(await (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu?.requestAdapter()));
    expect(backend).toBe(hasAdapter ? 'webgpu' : 'webgl');
    expect(await errorText()).toBe('');
  });

  it('logged no console errors', () => {
    expect(consoleErrors).toEqual([]);
    writeFileSync(`${shots}e2e-timings.json`, `${JSON.stringify(timings, null, 2)}\n`);
  });
});
