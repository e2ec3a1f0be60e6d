/**
 * Drives the example page (examples/web) the way its end-to-end tests do, through its data-testid elements only:
 * the two synthetic test pictures, one stylisation with given settings, and reading the result back.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { CHROMIUM_WEBGL_ARGS, launchChromium } from './chromium.js';
import { serveStatic, type StaticServer } from './static-server.js';

export const tid = (id: string): string => `[data-testid="${id}"]`;

/** The built example page (examples/web/dist), served from 127.0.0.1, in a new headless Chromium on WebGL. */
export interface ExamplePage {
  page: Page;
  url: string;
  /** Console errors and uncaught page errors, as they come. */
  consoleErrors: string[];
  close(): Promise<void>;
}

/** `extraArgs`: more Chromium flags (e.g. chromium.ts's FAKE_CAMERA_ARGS). */
export async function openExamplePage(extraArgs: string[] = []): Promise<ExamplePage> {
  const repo = fileURLToPath(new URL('../../', import.meta.url));
  const site = `${repo}examples/web/dist/`;
  for (const f of [`${repo}dist/webgl.js`, `${site}index.html`]) if (!existsSync(f)) throw new Error(`Missing ${f}. Run "npm run test:browser", which builds it.`);
  let server: StaticServer | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    await server?.close();
  };
  try {
    server = await serveStatic(site);
    browser = await launchChromium([...CHROMIUM_WEBGL_ARGS, ...extraArgs]);
    const page = await (await browser.newContext({ viewport: { width: 1440, height: 1000 }, deviceScaleFactor: 1, acceptDownloads: true })).newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    return { page, url: server.url, consoleErrors, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Opens the page and waits until its weights are loaded (from the network or the cache). */
export async function loadExamplePage(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => /loaded|cache/.test(document.querySelector('[data-testid="weights-status"]')?.textContent ?? ''), null, { timeout: 180_000 });
}

/** Two 160x120 PNGs drawn in the page: a content picture (sky, a house, a tree) and a style picture (arcs). */
export async function makeTestPictures(page: Page): Promise<{ contentPng: Buffer; stylePng: Buffer }> {
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
  return { contentPng: Buffer.from(contentPng), stylePng: Buffer.from(stylePng) };
}

/** Gives the two pictures to the page's file inputs, as a user choosing files would. */
export async function chooseTestPictures(page: Page, pictures: { contentPng: Buffer; stylePng: Buffer }): Promise<void> {
  await page.setInputFiles(tid('content-input'), { name: 'e2e-content.png', mimeType: 'image/png', buffer: pictures.contentPng });
  await page.setInputFiles(tid('style-input'), { name: 'e2e-style.png', mimeType: 'image/png', buffer: pictures.stylePng });
  await page.waitForFunction(() => (document.querySelector('[data-testid="content-sample"]') as HTMLSelectElement).value === 'file' && (document.querySelector('[data-testid="style-sample"]') as HTMLSelectElement).value === 'file');
}

export interface RunSettings {
  size: number;
  iterations: number;
  previewEvery: number;
}

export async function fillSettings(page: Page, s: RunSettings): Promise<void> {
  await page.fill(tid('size-input'), String(s.size));
  await page.fill(tid('iterations-input'), String(s.iterations));
  await page.fill(tid('preview-every-input'), String(s.previewEvery));
}

/** Waits for the page's run state (body[data-state]). */
export const waitState = (page: Page, states: string[], timeout: number) =>
  page.waitForFunction((s) => s.includes(document.body.dataset.state ?? ''), states, { timeout, polling: 100 });

/** The error box's text ('' when hidden). */
export const errorText = (page: Page): Promise<string> => page.$eval(tid('error'), (e) => ((e as HTMLElement).hidden ? '' : (e.textContent ?? '')));

/** The total loss per iteration, from the chart's data-losses. */
export async function lossCurve(page: Page): Promise<number[]> {
  const s = await page.$eval(tid('loss-chart'), (c) => (c as HTMLElement).dataset.losses ?? '');
  return s ? s.split(',').map(Number) : [];
}

/** The result canvas's RGBA bytes. */
export async function resultPixels(page: Page): Promise<{ width: number; height: number; data: Uint8Array }> {
  const r = await page.$eval(tid('result-canvas'), (c) => {
    const canvas = c as HTMLCanvasElement;
    return { width: canvas.width, height: canvas.height, data: Array.from(canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data) };
  });
  return { ...r, data: Uint8Array.from(r.data) };
}

/** Mean absolute difference per RGB channel value (0–255) of two RGBA images of one size; alpha is ignored. */
export function meanAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`images differ in size: ${a.length / 4} vs ${b.length / 4} px`);
  let sum = 0;
  for (let i = 0; i < a.length; i += 4) sum += Math.abs(a[i] - b[i]) + Math.abs(a[i + 1] - b[i + 1]) + Math.abs(a[i + 2] - b[i + 2]);
  return sum / ((a.length / 4) * 3);
}

/** The content picture drawn at w x h on a canvas in the page (what the result is compared with), RGBA. */
export async function contentAt(page: Page, png: Buffer, width: number, height: number): Promise<Uint8Array> {
  const data = await page.evaluate(
    async ({ png, width, height }) => {
      const bmp = await createImageBitmap(new Blob([new Uint8Array(png)], { type: 'image/png' }));
      const c = document.createElement('canvas');
      c.width = width;
      c.height = height;
      const g = c.getContext('2d')!;
      g.drawImage(bmp, 0, 0, width, height);
      return Array.from(g.getImageData(0, 0, width, height).data);
    },
    { png: Array.from(png), width, height },
  );
  return Uint8Array.from(data);
}
