/**
 * Styles by region on the example page (examples/web) in headless Chromium on WebGL (SwiftShader): region 1 painted
 * with the brush over the left half of the content image, region 2 from an uploaded mask (the right half), each with
 * a style of its own (a red and a blue picture, uploaded); one small run; then the Layers view's propagated masks.
 * Kept cheap for CI: one page load, 32 px, 2 iterations. Run it with `npm run test:browser` (which builds first).
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentAt, errorText, type ExamplePage, loadExamplePage, lossCurve, makeTestPictures, openExamplePage, resultPixels, tid, waitState } from './page-driver.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
/** Screenshots (gitignored), as e2e.test.ts writes them. */
const shots = `${repo}docs/generated/`;
const RUN = { size: 32, iterations: 2 };

/** PNGs drawn in the page: a red style, a blue style (both striped, so they have texture), and a mask of the right half. */
async function regionPictures(page: Page): Promise<{ red: Buffer; blue: Buffer; rightHalf: Buffer }> {
  const pngs = await page.evaluate(async () => {
    const make = async (draw: (g: CanvasRenderingContext2D) => void) => {
      const c = document.createElement('canvas');
      c.width = 160;
      c.height = 120;
      const g = c.getContext('2d')!;
      draw(g);
      const blob: Blob = await new Promise((r) => c.toBlob((b) => r(b!), 'image/png'));
      return Array.from(new Uint8Array(await blob.arrayBuffer()));
    };
    const stripes = (a: string, b: string) => (g: CanvasRenderingContext2D) => {
      for (let x = 0; x < 160; x += 8) {
        g.fillStyle = (x / 8) % 2 ? a : b;
        g.fillRect(x, 0, 8, 120);
      }
    };
    return Promise.all([
      make(stripes('#ff2a00', '#b00000')),
      make(stripes('#0040ff', '#00b0ff')),
      make((g) => {
        g.fillStyle = '#000';
        g.fillRect(0, 0, 160, 120);
        g.fillStyle = '#fff';
        g.fillRect(80, 0, 80, 120);
      }),
    ]);
  });
  const [red, blue, rightHalf] = pngs.map((p) => Buffer.from(p));
  return { red, blue, rightHalf };
}

/** Mean R − B of the columns [x0, x1) of an RGBA image. */
function redMinusBlue(data: Uint8Array, width: number, height: number, x0: number, x1: number): number {
  let sum = 0;
  for (let y = 0; y < height; y++) for (let x = x0; x < x1; x++) sum += data[4 * (y * width + x)] - data[4 * (y * width + x) + 2];
  return sum / (height * (x1 - x0));
}

describe.skipIf(!process.env.NST_BROWSER_E2E)('example page: styles by region (WebGL)', () => {
  let site: ExamplePage;
  let page: Page;
  let consoleErrors: string[] = [];
  const timings: Record<string, unknown> = {};
  const t0 = Date.now();

  beforeAll(async () => {
    site = await openExamplePage();
    ({ page, consoleErrors } = site);
  });

  afterAll(async () => {
    await site?.close();
    timings.totalMs = Date.now() - t0;
    console.log('regions page timings', JSON.stringify(timings));
  });

  it('paints two regions, styles each with its own picture, and shows their masks at each layer', async () => {
    await loadExamplePage(page, site.url);
    timings.loadMs = Date.now() - t0;
    const { contentPng } = await makeTestPictures(page);
    const { red, blue, rightHalf } = await regionPictures(page);
    await page.setInputFiles(tid('content-input'), { name: 'content.png', mimeType: 'image/png', buffer: contentPng });
    await page.waitForFunction(() => (document.querySelector('[data-testid="content-sample"]') as HTMLSelectElement).value === 'file');

    // Region 1 (made when regions are turned on, and selected): brushed over the left half of the 160x120 content,
    // shown at 320x240. Brush 40 px on screen = 20 content px; strokes 40 px apart from x = 4 to 140 cover x < 160.
    await page.check(tid('regions-enabled'));
    await page.fill(tid('brush-size'), '40');
    const b = (await page.locator(tid('mask-canvas')).boundingBox())!;
    const border = (b.width - 320) / 2; // the canvas is drawn 320x240 inside its border
    expect(b.height - 2 * border).toBe(240);
    for (let y = 20; y <= 220; y += 40) {
      await page.mouse.move(b.x + border + 4, b.y + border + y);
      await page.mouse.down();
      await page.mouse.move(b.x + border + 140, b.y + border + y, { steps: 4 });
      await page.mouse.up();
    }
    // Region 2: added (and selected), its mask uploaded.
    await page.click(tid('region-add'));
    await page.setInputFiles(tid('mask-input'), { name: 'right.png', mimeType: 'image/png', buffer: rightHalf });
    await page.setInputFiles(tid('region-style-input-1'), { name: 'red.png', mimeType: 'image/png', buffer: red });
    await page.setInputFiles(tid('region-style-input-2'), { name: 'blue.png', mimeType: 'image/png', buffer: blue });
    await page.waitForFunction(() => [1, 2].every((n) => (document.querySelector(`[data-testid="region-style-${n}"]`) as HTMLSelectElement).value === 'file'));
    // The editor shows region 1 tinted red on the left, region 2 blue on the right.
    const tint = await page.$eval(tid('mask-canvas'), (c) => {
      const g = (c as HTMLCanvasElement).getContext('2d')!;
      const at = (x: number) => Array.from(g.getImageData(x, 120, 1, 1).data);
      return { left: at(80), right: at(240) };
    });
    expect(tint.left[0]).toBeGreaterThan(tint.left[2]);
    expect(tint.right[2]).toBeGreaterThan(tint.right[0]);

    await page.fill(tid('size-input'), String(RUN.size));
    await page.fill(tid('iterations-input'), String(RUN.iterations));
    await page.fill(tid('preview-every-input'), '1');
    const start = Date.now();
    await page.click(tid('stylize-button'));
    await waitState(page, ['done', 'error', 'cancelled'], 600_000);
    timings.stylizeMs = Date.now() - start;
    expect(await errorText(page)).toBe('');
    expect(await page.evaluate(() => document.body.dataset.state)).toBe('done');
    const losses = await lossCurve(page);
    expect(losses).toHaveLength(RUN.iterations);
    expect(losses[1]).toBeLessThan(losses[0]);

    // Each half moved toward its own style: redder on the left, bluer on the right, against the content (measured:
    // R − B up 2.6 on the left, down 3.0 on the right, of 255, after 2 iterations).
    const out = await resultPixels(page);
    expect([out.width, out.height]).toEqual([32, 24]);
    const before = await contentAt(page, contentPng, out.width, out.height);
    const half = out.width / 2;
    const moved = (x0: number, x1: number) => redMinusBlue(out.data, out.width, out.height, x0, x1) - redMinusBlue(before, out.width, out.height, x0, x1);
    const left = moved(0, half - 2);
    const right = moved(half + 2, out.width);
    timings.leftRedMinusBlueMoved = Number(left.toFixed(2));
    timings.rightRedMinusBlueMoved = Number(right.toFixed(2));
    expect(left).toBeGreaterThan(1.5);
    expect(right).toBeLessThan(-1.5);

    // The Layers view: each region's mask at each style layer (relu1_1 … relu5_1) and the layer shown (relu1_1),
    // at the run's size. 'inside' erodes a region by each unit's receptive field, so its share only falls with depth.
    const t = Date.now();
    await page.click(tid('tab-layers'));
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="region-layers"] canvas').length === 5, null, { timeout: 60_000, polling: 100 });
    timings.regionLayersMs = Date.now() - t;
    const layers = await page.$$eval(`${tid('region-layers')} canvas`, (cs) =>
      cs.map((c) => {
        const d = (c as HTMLElement).dataset;
        return { layer: d.layer!, width: Number(d.width), height: Number(d.height), coverage: JSON.parse(d.coverage!) as number[] };
      }),
    );
    expect(layers.map((l) => l.layer)).toEqual(['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1']);
    expect(layers.map((l) => [l.width, l.height])).toEqual([[32, 24], [16, 12], [8, 6], [4, 3], [2, 1]]);
    // At relu1_1 (one 3x3 min) each region keeps most of its half: less a column at the border, and the soft
    // edge the brush's anti-aliasing and the resize to 32 px leave.
    for (const share of layers[0].coverage) {
      expect(share).toBeGreaterThan(0.3);
      expect(share).toBeLessThanOrEqual(0.5);
    }
    for (let i = 1; i < layers.length; i++) for (const r of [0, 1]) expect(layers[i].coverage[r]).toBeLessThanOrEqual(layers[i - 1].coverage[r]);
    timings.coverageRegion1 = layers.map((l) => l.coverage[0]);
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: `${shots}web-regions-layers.png`, fullPage: true });
    expect(consoleErrors).toEqual([]);
  });
});
