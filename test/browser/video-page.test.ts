/**
 * The example page's Video card (examples/web) in headless Chromium on WebGL (SwiftShader): the built-in clip (the
 * content picture panned 2 px a frame), 3 frames at 32 px, 1 iteration a frame (2 for the first), stylised frame by
 * frame in the worker; then the stylised frames, their playback and their temporal errors; then a long run cancelled;
 * an uploaded clip's frames; and 2 frames of Chromium's fake camera (`--use-fake-device-for-media-stream`), previewed
 * live, stylised, played back and downloaded as WebM (the library's videoFromFrames), which ffmpeg decodes. Kept cheap for CI: one page load. Run it with `npm run test:browser` (which builds first).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_CAMERA_ARGS } from './chromium.js';
import { chooseTestPictures, errorText, type ExamplePage, loadExamplePage, makeTestPictures, meanAbsDiff, openExamplePage, tid } from './page-driver.js';
import { hasFfmpeg } from '../helpers/ffmpeg.js';

const RUN = { size: 32, frames: 3, iterations: 1 };
/** The built-in clip's pan, px per frame (examples/web/src/video-clip.ts PAN). */
const PAN = 2;

const waitVideo = (page: Page, states: string[], timeout: number) =>
  page.waitForFunction((s) => s.includes(document.body.dataset.video ?? ''), states, { timeout, polling: 100 });

/** The video canvas's frame index and RGBA bytes. */
async function shownFrame(page: Page): Promise<{ index: number; width: number; height: number; data: Uint8Array }> {
  const r = await page.$eval(tid('video-canvas'), (c) => {
    const canvas = c as HTMLCanvasElement;
    return { index: Number(canvas.dataset.frame), width: canvas.width, height: canvas.height, data: Array.from(canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data) };
  });
  return { ...r, data: Uint8Array.from(r.data) };
}

/** Frame `i` of the built-in clip, made here the way the page makes it: the picture at (w + (n−1)·PAN) wide, a w x h window moved i·PAN px. */
async function clipFrame(page: Page, png: Buffer, i: number, w: number, h: number, n: number): Promise<Uint8Array> {
  const data = await page.evaluate(
    async ({ png, i, w, h, n, pan }) => {
      const bmp = await createImageBitmap(new Blob([new Uint8Array(png)], { type: 'image/png' }));
      const bigW = w + (n - 1) * pan;
      const bigH = Math.max(h, Math.round((bmp.height * bigW) / bmp.width));
      const c = document.createElement('canvas');
      [c.width, c.height] = [bigW, bigH];
      const g = c.getContext('2d')!;
      g.drawImage(bmp, 0, 0, bigW, bigH);
      return Array.from(g.getImageData(i * pan, Math.floor((bigH - h) / 2), w, h).data);
    },
    { png: Array.from(png), i, w, h, n, pan: PAN },
  );
  return Uint8Array.from(data);
}

describe.skipIf(!process.env.NST_BROWSER_E2E)('example page: the Video card (WebGL)', () => {
  let site: ExamplePage;
  let page: Page;
  let consoleErrors: string[] = [];
  const timings: Record<string, unknown> = {};
  const t0 = Date.now();

  beforeAll(async () => {
    site = await openExamplePage(FAKE_CAMERA_ARGS);
    ({ page, consoleErrors } = site);
  });

  afterAll(async () => {
    await site?.close();
    timings.totalMs = Date.now() - t0;
    console.log('video page timings', JSON.stringify(timings));
  });

  it('stylises the built-in clip frame by frame, plays it back with each frame’s temporal error, and cancels a run', async () => {
    await loadExamplePage(page, site.url);
    timings.loadMs = Date.now() - t0;
    const pictures = await makeTestPictures(page);
    await chooseTestPictures(page, pictures);
    await page.fill(tid('size-input'), String(RUN.size));
    await page.fill(tid('video-frames'), String(RUN.frames));
    await page.fill(tid('video-iterations'), String(RUN.iterations));

    let start = Date.now();
    await page.click(tid('video-run'));
    await waitVideo(page, ['done', 'error', 'cancelled'], 600_000);
    timings.clipMs = Date.now() - start;
    expect(await errorText(page)).toBe('');
    expect(await page.evaluate(() => document.body.dataset.video)).toBe('done');

    // One row per frame; every frame after the first has a finite temporal error.
    const rows = await page.$$eval(`${tid('video-errors')} li`, (ls) => ls.map((l) => ({ frame: Number((l as HTMLElement).dataset.frame), error: (l as HTMLElement).dataset.temporalError, text: l.textContent })));
    expect(rows.map((r) => r.frame)).toEqual([0, 1, 2]);
    expect(rows[0].error).toBeUndefined();
    const errors = rows.slice(1).map((r) => Number(r.error));
    for (const e of errors) expect(Number.isFinite(e) && e >= 0).toBe(true);
    timings.temporalErrors = errors.map((e) => Number(e.toFixed(2)));

    // Playback (started when the clip ended) moves through the frames.
    const seen = new Set<number>();
    const tPlay = Date.now();
    while (seen.size < RUN.frames && Date.now() - tPlay < 20_000) {
      seen.add((await shownFrame(page)).index);
      await page.waitForTimeout(100);
    }
    expect([...seen].sort()).toEqual([0, 1, 2]);
    expect(await page.textContent(tid('video-play'))).toBe('Pause');

    // Each stylised frame (shown by clicking its row, which pauses) is 32x24 and differs from its input frame.
    const moved: number[] = [];
    for (let i = 0; i < RUN.frames; i++) {
      await page.click(`${tid('video-errors')} li[data-frame="${i}"]`);
      const f = await shownFrame(page);
      expect(f.index).toBe(i);
      expect([f.width, f.height]).toEqual([32, 24]);
      moved.push(meanAbsDiff(f.data, await clipFrame(page, pictures.contentPng, i, f.width, f.height, RUN.frames)));
    }
    timings.meanAbsDiffFromInput = moved.map((m) => Number(m.toFixed(2)));
    // Measured 8.0, 9.5, 10.6 (of 255) at 32 px with 2, 1, 1 iterations.
    for (const m of moved) expect(m).toBeGreaterThan(4);
    expect(await page.textContent(tid('video-play'))).toBe('Play');
    const paused = (await shownFrame(page)).index;
    await page.waitForTimeout(600);
    expect((await shownFrame(page)).index).toBe(paused);

    // A long run, cancelled once its first iteration is reported: the worker stops within one network pass.
    await page.fill(tid('video-iterations'), '200');
    await page.click(tid('video-run'));
    await page.waitForFunction(() => /iteration/.test(document.querySelector('[data-testid="video-progress-text"]')?.textContent ?? ''), null, { timeout: 120_000, polling: 50 });
    start = Date.now();
    await page.click(tid('video-cancel'));
    await waitVideo(page, ['cancelled', 'done', 'error'], 120_000);
    timings.cancelMs = Date.now() - start;
    expect(await page.evaluate(() => document.body.dataset.video)).toBe('cancelled');
    expect(await page.textContent(tid('video-progress-text'))).toMatch(/^Cancelled after 0 frames/);
    expect(await errorText(page)).toBe('');
    expect(consoleErrors).toEqual([]);
  });

  // The page reads an uploaded clip's frames with the library's framesFromVideo (a <video>, seeked); the run is
  // cancelled as soon as the frames went to the worker, so this costs no stylisation.
  it.skipIf(!hasFfmpeg)('reads an uploaded WebM clip’s frames at the run’s size, and says when a file cannot be decoded', async () => {
    const dir = mkdtempSync(`${tmpdir()}/nst-video-page-`);
    try {
      execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=96x72:rate=10', '-frames:v', '10', '-c:v', 'libvpx', '-b:v', '300k', `${dir}/clip.webm`]);
      const webm = readFileSync(`${dir}/clip.webm`);
      await page.fill(tid('video-frames'), '2');
      await page.fill(tid('video-iterations'), '1');
      await page.setInputFiles(tid('video-input'), { name: 'clip.webm', mimeType: 'video/webm', buffer: webm });
      expect(await page.$eval(tid('video-source'), (e) => (e as HTMLSelectElement).value)).toBe('file');
      const start = Date.now();
      await page.click(tid('video-run'));
      await page.waitForFunction(() => /Preparing the style; 2 frames of 32x24/.test(document.querySelector('[data-testid="video-progress-text"]')?.textContent ?? ''), null, { timeout: 60_000, polling: 20 });
      timings.readClipMs = Date.now() - start;
      await page.click(tid('video-cancel'));
      await waitVideo(page, ['cancelled', 'done', 'error'], 120_000);
      expect(await page.evaluate(() => document.body.dataset.video)).toBe('cancelled');
      expect(await errorText(page)).toBe('');

      // Not a video: VIDEO_UNREADABLE, shown in the error box; nothing is sent to the worker.
      await page.setInputFiles(tid('video-input'), { name: 'broken.webm', mimeType: 'video/webm', buffer: Buffer.from('this is not a video file') });
      await page.click(tid('video-run'));
      await waitVideo(page, ['error', 'done', 'cancelled'], 60_000);
      expect(await errorText(page)).toMatch(/VIDEO_UNREADABLE/);
      // The media error is the page's own report, not a console error of the page's code.
      expect(consoleErrors.filter((e) => !/broken\.webm|media|DEMUXER/i.test(e))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // The camera: Chromium's fake device (a moving pattern), 2 frames 250 ms apart, each stylised on its own (2
  // iterations); then the download, a WebM recorded by MediaRecorder, decoded by ffmpeg frame for frame.
  it.skipIf(!hasFfmpeg)('records the camera, stylises and plays the frames back, and downloads them as a WebM ffmpeg decodes', async () => {
    await page.selectOption(tid('video-source'), 'webcam');
    // Choosing the camera shows its live picture before anything is recorded.
    await page.waitForFunction(() => {
      const v = document.querySelector<HTMLVideoElement>('[data-testid="video-preview"]')!;
      return !v.hidden && v.videoWidth > 0 && !v.paused;
    }, null, { timeout: 30_000, polling: 100 });
    await page.fill(tid('video-frames'), '2');
    await page.fill(tid('video-iterations'), '1');
    await page.selectOption(tid('video-consistency'), 'independent');
    let start = Date.now();
    await page.click(tid('video-run'));
    await waitVideo(page, ['done', 'error', 'cancelled'], 600_000);
    timings.cameraRunMs = Date.now() - start;
    expect(await errorText(page)).toBe('');
    expect(await page.evaluate(() => document.body.dataset.video)).toBe('done');
    // The camera was released once its frames were in: the preview is hidden and has no stream.
    expect(await page.$eval(tid('video-preview'), (v) => [(v as HTMLVideoElement).hidden, (v as HTMLVideoElement).srcObject])).toEqual([true, null]);
    // Playback (started when the run ended) shows both frames.
    const seen = new Set<number>();
    const tPlay = Date.now();
    while (seen.size < 2 && Date.now() - tPlay < 20_000) {
      seen.add((await shownFrame(page)).index);
      await page.waitForTimeout(100);
    }
    expect([...seen].sort()).toEqual([0, 1]);
    const frames = [];
    for (let i = 0; i < 2; i++) {
      await page.click(`${tid('video-errors')} li[data-frame="${i}"]`);
      frames.push(await shownFrame(page));
    }
    expect(frames.map((f) => [f.index, f.width, f.height])).toEqual([[0, 32, 24], [1, 32, 24]]);
    // The camera's picture moved between the frames, so the stylised frames differ.
    timings.cameraFramesDiff = Number(meanAbsDiff(frames[0].data, frames[1].data).toFixed(2));
    expect(meanAbsDiff(frames[0].data, frames[1].data)).toBeGreaterThan(0.5);

    start = Date.now();
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), page.click(tid('video-download'))]);
    timings.downloadMs = Date.now() - start;
    expect(download.suggestedFilename()).toBe('stylised-clip.webm');
    const dir = mkdtempSync(`${tmpdir()}/nst-video-download-`);
    try {
      const file = `${dir}/clip.webm`;
      await download.saveAs(file);
      const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,nb_read_frames', '-of', 'json', file], { encoding: 'utf8' })) as { streams: { codec_name: string; width: number; height: number; nb_read_frames: string }[] };
      const s = probe.streams[0];
      timings.webm = { ...s, bytes: readFileSync(file).length };
      expect([s.width, s.height, Number(s.nb_read_frames)]).toEqual([32, 24, 2]);
      expect(s.codec_name).toMatch(/^vp[89]$/);
      // Each decoded frame is the stylised frame, up to the codec's loss.
      const raw = execFileSync('ffmpeg', ['-v', 'error', '-i', file, '-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgba', 'pipe:1'], { maxBuffer: 1 << 20 });
      expect(raw.length).toBe(2 * 32 * 24 * 4);
      const lossy = frames.map((f, i) => meanAbsDiff(f.data, new Uint8Array(raw.subarray(i * 32 * 24 * 4, (i + 1) * 32 * 24 * 4))));
      timings.webmMeanAbsDiff = lossy.map((d) => Number(d.toFixed(2)));
      for (const d of lossy) expect(d).toBeLessThan(12);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    // Cancel while the camera is being recorded (12 frames take 3 s): the run ends as cancelled, without an error.
    await page.fill(tid('video-frames'), '12');
    await page.click(tid('video-run'));
    await page.waitForFunction(() => /Recorded frame 1 of 12/.test(document.querySelector('[data-testid="video-progress-text"]')?.textContent ?? ''), null, { timeout: 60_000, polling: 20 });
    await page.click(tid('video-cancel'));
    await waitVideo(page, ['cancelled', 'done', 'error'], 60_000);
    expect(await page.evaluate(() => document.body.dataset.video)).toBe('cancelled');
    expect(await page.textContent(tid('video-progress-text'))).toBe('Cancelled before the frames were read.');
    expect(await errorText(page)).toBe('');
    expect(consoleErrors.filter((e) => !/broken\.webm|media|DEMUXER/i.test(e))).toEqual([]);
  });
});
