/**
 * The browser entry's VideoFrame and MediaStream inputs (src/adapters/browser-stream.ts) in headless Chromium on
 * WebGL (SwiftShader): VideoFrames made from an OffscreenCanvas (read at the run's size, sampled by timestamp,
 * closed once read, also on errors and abort), stylised by stylizeFrames with tf.memory() flat; and Chromium's
 * fake camera (`--use-fake-device-for-media-stream`) through MediaStreamTrackProcessor and through the `<video>`
 * fallback. Kept cheap: 32 px, 2 frames, relu1_1 only, 1 iteration.
 *
 * Run: `npx vitest run --config vitest.browser.config.ts test/browser/video-frames.test.ts` (bundles the page from
 * the sources; needs the weights: `npm run weights`). Environment: CHROMIUM_PATH (default /usr/bin/chromium).
 */
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_WEBGL_ARGS, FAKE_CAMERA_ARGS, launchChromium } from './chromium.js';
import type { Harness } from './video-frames-page.js';
import { serveStatic, type StaticServer } from './static-server.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));

describe.skipIf(!process.env.NST_BROWSER_E2E)('VideoFrame and MediaStream input in headless Chromium (WebGL)', () => {
  let dir: string;
  let server: StaticServer;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const timings: Record<string, unknown> = {};
  const t0 = Date.now();
  const call = <K extends keyof Harness>(name: K, ...a: Parameters<Harness[K]>): Promise<Awaited<ReturnType<Harness[K]>>> =>
    page.evaluate(([n, list]) => (window as unknown as Record<string, Record<string, (...x: unknown[]) => unknown>>).harness[n as string](...(list as unknown[])), [name, a] as const) as never;

  beforeAll(async () => {
    if (!existsSync(`${repo}weights/manifest.json`)) throw new Error('No weights/manifest.json: run npm run weights.');
    dir = mkdtempSync(join(tmpdir(), 'nst-video-frames-'));
    const { build } = await import('esbuild');
    await build({
      entryPoints: [fileURLToPath(new URL('./video-frames-page.ts', import.meta.url))],
      bundle: true,
      format: 'esm',
      outfile: join(dir, 'page.js'),
      define: { __NST_VERSION__: '"test"' },
      logLevel: 'error',
    });
    writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>video frames</title><link rel="icon" href="data:,"><script type="module" src="/page.js"></script>');
    symlinkSync(join(repo, 'weights'), join(dir, 'weights'));
    server = await serveStatic(dir);
    browser = await launchChromium([...CHROMIUM_WEBGL_ARGS, ...FAKE_CAMERA_ARGS]);
    page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
    await page.goto(server.url);
    await page.waitForFunction(() => 'harness' in window);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    timings.totalMs = Date.now() - t0;
    console.log('video frames timings', JSON.stringify(timings));
  });

  it('reads VideoFrames at the run’s size, by timestamp with fps, at most `frames`, and closes each frame it read', async () => {
    const r = await call('readFrames');
    // 64x48 → 32x24; the red square (x = 8 + 8i, 8 wide) at half scale: centre 5.5, 9.5, 13.5, 17.5.
    expect(r.out.map((f) => [f.width, f.height])).toEqual([[32, 24], [32, 24], [32, 24], [32, 24]]);
    r.out.forEach((f, i) => expect(f.redX).toBeCloseTo(5.5 + 4 * i, 0));
    expect(r.allClosed).toBe(true);
    // 10 fps timestamps at fps 5: frames 0 and 2 (own size: centres 11.5 and 27.5); the skipped ones are closed too.
    expect(r.fps).toEqual([11.5, 27.5]);
    expect(r.fpsClosed).toBe(true);
    // `frames: 2` reads two; the two it never read stay the caller's (open).
    expect(r.firstTwo).toBe(2);
    expect(r.leftOpen).toEqual([false, false, true, true]);
  });

  it('says what is wrong: a closed frame, not a VideoFrame, a bad option; abort closes the frame being read', async () => {
    const r = await call('frameErrors');
    expect(r.closedFrame.code).toBe('INVALID_IMAGE');
    expect(r.closedFrame.message).toMatch(/frame 1 is a closed VideoFrame/);
    expect(r.firstClosed).toBe(true);
    expect(r.notAFrame.code).toBe('INVALID_IMAGE');
    expect(r.notAFrame.message).toMatch(/frame 0 is an ImageData, not a VideoFrame/);
    expect(r.badOption.code).toBe('INVALID_OPTION');
    expect(r.aborted.code).toBe('ABORTED');
    // The first frame was read (closed); the loop stopped before reading the others, which stay the caller's.
    expect(r.stateAfterAbort).toEqual([true, false, false]);
  });

  it('stylises VideoFrames with stylizeFrames on WebGL, leaving no tensor behind (also after an error)', async () => {
    let start = Date.now();
    expect(await call('start')).toBe('webgl');
    timings.loadMs = Date.now() - start;
    start = Date.now();
    const r = await call('stylize');
    timings.stylizeMs = Date.now() - start;
    expect(r.out.map((f) => [f.index, f.width, f.height])).toEqual([[0, 32, 24], [1, 32, 24]]);
    expect(r.out[0].temporalError).toBeUndefined();
    expect(Number.isFinite(r.out[1].temporalError)).toBe(true);
    for (const f of r.out) expect(f.moved).toBeGreaterThan(1);
    timings.moved = r.out.map((f) => Number(f.moved.toFixed(2)));
    expect(r.closed).toBe(true);
    expect(r.afterRun).toBe(r.before);
    expect(r.error.code).toBe('INVALID_IMAGE');
    expect(r.afterError).toBe(r.before);
  });

  it('records the fake camera through MediaStreamTrackProcessor and through the <video> fallback, leaving the caller’s track live', async () => {
    for (const fallback of [false, true]) {
      const r = await call('camera', { frames: 3, fps: 5, size: 32, fallback });
      timings[fallback ? 'cameraFallbackMs' : 'cameraMs'] = Math.round(r.ms);
      expect(r.processor).toBe(!fallback);
      expect(r.sizes).toEqual([[32, 24], [32, 24], [32, 24]]);
      // The fake camera's pattern moves: frames 200 ms apart differ.
      for (const d of r.diffs) expect(d).toBeGreaterThan(0.1);
      // 3 frames at 5 fps span 400 ms.
      expect(r.ms).toBeGreaterThan(350);
      expect(r.trackLive).toBe(true);
    }
  });

  it('says when a stream has no video, has ended, or gives no frame; aborts', async () => {
    const r = await call('streamErrors');
    expect(r.noVideo.code).toBe('VIDEO_UNREADABLE');
    expect(r.noVideo.message).toMatch(/no video track/);
    expect(r.ended.code).toBe('VIDEO_UNREADABLE');
    expect(r.ended.message).toMatch(/has ended/);
    expect(r.timeout.code).toBe('VIDEO_UNREADABLE');
    expect(r.timeout.message).toMatch(/no frame within 0.5 s/);
    expect(r.aborted.code).toBe('ABORTED');
    expect(r.notAStream.code).toBe('INVALID_OPTION');
    expect(errors).toEqual([]);
  });
});
