/**
 * The browser entry's video output (src/adapters/browser-encode.ts) in headless Chromium: videoFromFrames records
 * 3 frames of 32 px (pixels, a tensor, a stylizeFrames-like `{ image }`) to WebM, which ffprobe and ffmpeg decode
 * to exactly 3 frames close to the input, with a slow frame that does not stretch the clip (recording pauses);
 * abort, refused inputs; and videoFramesFromFrames' VideoFrames (timestamps, pixels). No model, CPU backend.
 *
 * Run: `npx vitest run --config vitest.browser.config.ts test/browser/video-encode.test.ts` (bundles the page from
 * the sources). Environment: CHROMIUM_PATH (default /usr/bin/chromium).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_WEBGL_ARGS, launchChromium } from './chromium.js';
import type { Harness } from './video-encode-page.js';
import { serveStatic, type StaticServer } from './static-server.js';
import { hasFfmpeg } from '../helpers/ffmpeg.js';
import { meanAbsDiff } from './page-driver.js';

const FRAME_BYTES = 32 * 32 * 4;

describe.skipIf(!process.env.NST_BROWSER_E2E)('videoFromFrames and videoFramesFromFrames in headless Chromium', () => {
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
    dir = mkdtempSync(join(tmpdir(), 'nst-video-encode-'));
    const { build } = await import('esbuild');
    await build({
      entryPoints: [fileURLToPath(new URL('./video-encode-page.ts', import.meta.url))],
      bundle: true,
      format: 'esm',
      outfile: join(dir, 'page.js'),
      define: { __NST_VERSION__: '"test"' },
      logLevel: 'error',
    });
    writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>video encode</title><link rel="icon" href="data:,"><script type="module" src="/page.js"></script>');
    server = await serveStatic(dir);
    browser = await launchChromium(CHROMIUM_WEBGL_ARGS);
    page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
    await page.goto(server.url);
    await page.waitForFunction(() => 'harness' in window);
    expect(await call('start')).toBe('cpu');
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    timings.totalMs = Date.now() - t0;
    console.log('video encode timings', JSON.stringify(timings));
  });

  it.skipIf(!hasFfmpeg)('records 3 frames to a WebM that decodes to exactly those 3 frames; a slow frame does not stretch the clip', async () => {
    let start = Date.now();
    // 10 fps; the third frame comes 1.5 s after the second (as a frame being stylised would): recording pauses.
    const r = await call('encode', { fps: 10, delayMs: 1500 });
    timings.encodeMs = Date.now() - start;
    expect(r.type).toMatch(/^video\/webm/);
    expect(r.progress).toEqual([1, 2, 3]);
    expect(r.tensorsAfter).toBe(r.tensorsBefore);
    const file = join(dir, 'clip.webm');
    writeFileSync(file, Uint8Array.from(r.bytes));
    const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,nb_read_frames:frame=pts_time', '-of', 'json', file], { encoding: 'utf8' })) as {
      streams: { codec_name: string; width: number; height: number; nb_read_frames: string }[];
      frames: { pts_time: string }[];
    };
    const s = probe.streams[0];
    expect([s.width, s.height, Number(s.nb_read_frames)]).toEqual([32, 32, 3]);
    expect(s.codec_name).toMatch(/^vp[89]$/);
    const pts = probe.frames.map((f) => Number(f.pts_time));
    timings.webm = { codec: s.codec_name, bytes: r.bytes.length, pts };
    // Without the pause the third frame would start ≥ 1.5 s after the second.
    expect(pts[2] - pts[1]).toBeLessThan(1);
    const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgba', 'pipe:1'], { maxBuffer: 1 << 20 });
    expect(raw.length).toBe(3 * FRAME_BYTES);
    const expected = await call('expected');
    const diffs = expected.map((f, i) => meanAbsDiff(f, raw.subarray(i * FRAME_BYTES, (i + 1) * FRAME_BYTES)));
    timings.meanAbsDiff = diffs.map((d) => Number(d.toFixed(2)));
    for (const d of diffs) expect(d).toBeLessThan(8);
    // Each decoded frame is nearer its own input than the other inputs (no frame dropped, repeated or swapped).
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) if (j !== i) expect(meanAbsDiff(expected[j], raw.subarray(i * FRAME_BYTES, (i + 1) * FRAME_BYTES))).toBeGreaterThan(diffs[i] + 5);
    }
    start = Date.now();
    const a = await call('abort');
    timings.abortMs = Date.now() - start;
    expect(a.error.code).toBe('ABORTED');
    expect(a.ended).toBe(true);
    expect(a.whileWaiting.code).toBe('ABORTED');
    timings.abortWhileWaitingMs = Math.round(a.whileWaitingMs);
    expect(a.tensorsAfter).toBe(a.tensorsBefore);
  });

  it('refuses what it cannot encode, with a code and advice', async () => {
    const r = await call('errors');
    expect(r.mimeType.code).toBe('VIDEO_UNWRITABLE');
    expect(r.mimeType.message).toMatch(/cannot record "video\/x-no-such-codec".*video\/webm/);
    expect(r.sizes.code).toBe('INVALID_IMAGE');
    expect(r.sizes.message).toMatch(/frame 1 is 32x32 but the first frame is 16x16/);
    expect(r.empty.code).toBe('INVALID_IMAGE');
    expect(r.fps.code).toBe('INVALID_OPTION');
    expect(r.notAFrame.code).toBe('UNSUPPORTED_IMAGE');
  });

  it('yields VideoFrames 1/fps apart with the frames’ pixels', async () => {
    const r = await call('videoFrames');
    expect(r.frames.map((f) => [f.timestamp, f.duration, f.width, f.height])).toEqual([0, 100_000, 200_000].map((t) => [t, 100_000, 32, 32]));
    const expected = await call('expected');
    r.frames.forEach((f, i) => expect(meanAbsDiff(f.data, expected[i])).toBeLessThan(1));
    expect(r.tensorsAfter).toBe(r.tensorsBefore);
    expect(errors).toEqual([]);
  });
});
