/**
 * Video files through ffmpeg (src/adapters/node/video/ffmpeg.ts): synthetic frames (a square moving over a gradient)
 * encoded to MP4 (H.264, yuv420p) and GIF and decoded back (frame count, size, pixels within the codecs' loss),
 * odd sizes padded to even in MP4, early exit and abort ending ffmpeg, a damaged file and a missing binary refused
 * with coded errors. Needs an `ffmpeg` binary on PATH (.ci/run installs Debian's); without one the round trips
 * are skipped unless NST_REQUIRE_FFMPEG=1, and the missing-binary tests run either way.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isStyleTransferError } from '../../src/errors.js';
import type { Frame } from '../../src/video/frames.js';
import { findFfmpeg, framesFromVideo, writeFramesToVideo } from '../../src/adapters/node/video/ffmpeg.js';
import { readFrames, writeFrames } from '../../src/adapters/node/video/io.js';
import { codeOf, collect } from '../helpers/async.js';
import { hasFfmpeg } from '../helpers/ffmpeg.js';

const dir = mkdtempSync(join(tmpdir(), 'nst-ffmpeg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Frame `i` of a clip: a smooth gradient with a bright square moved 2 px right per frame. */
function frame(i: number, w = 32, h = 24): Frame {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const inSquare = x >= 4 + 2 * i && x < 12 + 2 * i && y >= 8 && y < 16;
      const o = (y * w + x) * 4;
      data[o] = inSquare ? 240 : 40 + 4 * x;
      data[o + 1] = inSquare ? 220 : 60 + 5 * y;
      data[o + 2] = inSquare ? 30 : 120;
      data[o + 3] = 255;
    }
  }
  return { data, width: w, height: h };
}

/** Mean absolute difference of the RGB values of two frames of one size. */
function meanDiff(a: Frame, b: Frame): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < a.data.length; i++) {
    if (i % 4 === 3) continue;
    sum += Math.abs(a.data[i] - b.data[i]);
    n++;
  }
  return sum / n;
}

describe.skipIf(!hasFfmpeg)('ffmpeg round trips', () => {
  const clip = Array.from({ length: 5 }, (_, i) => frame(i));

  it('MP4: 5 frames of 32x24 come back as 5 frames of 32x24, close to the originals', async () => {
    const path = join(dir, 'clip.mp4');
    expect(await writeFramesToVideo(clip, path, { fps: 10, outputArgs: ['-crf', '10'] })).toBe(5);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp'))).toEqual([]); // the temp file was renamed
    const back = await collect(framesFromVideo(path));
    expect(back.length).toBe(5);
    for (const [i, f] of back.entries()) {
      expect([f.width, f.height, f.data.length]).toEqual([32, 24, 32 * 24 * 4]);
      // H.264 with 4:2:0 chroma at CRF 10: measured mean |Δ| 2.2 levels here.
      expect(meanDiff(f, clip[i])).toBeLessThan(8);
    }
    // A frame is nearer its own original than its neighbour's (the order survived).
    expect(meanDiff(back[3], clip[3])).toBeLessThan(meanDiff(back[3], clip[2]));
  });

  it('GIF through the dispatch (writeFrames/readFrames): frame count and size survive', async () => {
    const path = join(dir, 'clip.gif');
    expect(await writeFrames(clip, path, { fps: 10 })).toBe(5);
    const back = await collect(readFrames(path));
    expect(back.length).toBe(5);
    expect(back.every((f) => f.width === 32 && f.height === 24)).toBe(true);
    expect(meanDiff(back[0], clip[0])).toBeLessThan(8);
  });

  it('reads frames larger than the pipe\'s 64 KiB buffer (160x120 RGBA = 75 KiB) without stalling', async () => {
    // A regression test: reading with stream.read(n) and a 'readable' listener spun forever once a frame was larger
    // than the stream's buffer.
    const path = join(dir, 'bigger.mp4');
    await writeFramesToVideo(Array.from({ length: 4 }, (_, i) => frame(i, 160, 120)), path);
    const back = await collect(framesFromVideo(path));
    expect(back.map((f) => [f.width, f.height, f.data.length])).toEqual(Array.from({ length: 4 }, () => [160, 120, 160 * 120 * 4]));
  }, 30_000);

  it('pads odd sizes to even for MP4 (yuv420p)', async () => {
    const path = join(dir, 'odd.mp4');
    await writeFramesToVideo([frame(0, 33, 25), frame(1, 33, 25)], path);
    const back = await collect(framesFromVideo(path));
    expect(back.map((f) => [f.width, f.height])).toEqual([
      [34, 26],
      [34, 26],
    ]);
  });

  it('resamples with fps, stops ffmpeg when the loop breaks, and aborts', async () => {
    const path = join(dir, 'long.mp4');
    await writeFramesToVideo(Array.from({ length: 20 }, (_, i) => frame(i % 8)), path, { fps: 20 });
    expect((await collect(framesFromVideo(path, { fps: 5 }))).length).toBe(5); // 1 s at 5 fps
    let seen = 0;
    for await (const f of framesFromVideo(path)) {
      expect(f.width).toBe(32);
      if (++seen === 2) break;
    }
    expect(seen).toBe(2);
    const controller = new AbortController();
    const err = await (async () => {
      for await (const _ of framesFromVideo(path, { signal: controller.signal })) controller.abort();
    })().catch((e: unknown) => e);
    expect(isStyleTransferError(err, 'ABORTED')).toBe(true);
  });

  // Issue 28's silent exit: frames decoded ahead that sit in the pipe as two or more chunks once the loop stops (a
  // paced ffmpeg writes one frame every 40 ms while nothing reads) kept stdout paused forever, so the generator's
  // cleanup waited for ffmpeg's 'close' and never returned; in the CLI the event loop then emptied and Node exited
  // with code 0 mid-command.
  it('returns at once when the loop stops with frames still buffered in the pipe (abort or break)', async () => {
    const path = join(dir, 'paced.mp4');
    await writeFramesToVideo(Array.from({ length: 6 }, (_, i) => frame(i)), path, { fps: 25 });
    const paced = join(dir, 'paced-ffmpeg');
    writeFileSync(paced, '#!/bin/sh\nexec ffmpeg -re "$@"\n', { mode: 0o755 }); // ffmpeg at the clip's own rate
    for (const stop of ['abort', 'break'] as const) {
      const controller = new AbortController();
      const frames = framesFromVideo(path, { ffmpeg: paced, signal: controller.signal })[Symbol.asyncIterator]();
      expect((await frames.next()).done).toBe(false);
      await new Promise((r) => setTimeout(r, 600)); // the other frames arrive (separate chunks) and ffmpeg exits
      if (stop === 'abort') controller.abort();
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise((r) => (timer = setTimeout(() => r('still waiting after 20 s'), 20_000)));
      const ended = await Promise.race([frames.return(undefined).then(() => 'returned'), hung]).finally(() => clearTimeout(timer));
      expect(ended, stop).toBe('returned');
    }
  }, 60_000);

  // A terminal's Ctrl-C reaches ffmpeg too (one process group): an encoder stopped by it, with the command's signal
  // aborted by the same Ctrl-C, is an abort (ABORTED, nothing written), not an ffmpeg failure.
  it('an encoder stopped by the same Ctrl-C that aborts the call rejects with ABORTED and leaves nothing', async () => {
    const pidFile = join(dir, 'encoder.pid');
    const wrapper = join(dir, 'pid-ffmpeg');
    writeFileSync(wrapper, `#!/bin/sh\necho $$ > '${pidFile}'\nexec ffmpeg "$@"\n`, { mode: 0o755 });
    const controller = new AbortController();
    const out = join(dir, 'interrupted.mp4');
    async function* frames() {
      yield frame(0);
      yield frame(1);
      // The Ctrl-C: ffmpeg gets SIGINT and ends; the call's signal fires as the last frame has gone.
      const until = (done: () => boolean) => new Promise<void>((r) => {
        const poll = setInterval(() => done() && (clearInterval(poll), r()), 10);
      });
      await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'));
      const pid = Number(readFileSync(pidFile, 'utf8'));
      process.kill(pid, 'SIGINT');
      await until(() => {
        try {
          process.kill(pid, 0);
          return false;
        } catch {
          return true; // gone
        }
      });
      controller.abort();
    }
    const err = await writeFramesToVideo(frames(), out, { ffmpeg: wrapper, signal: controller.signal }).catch((e: unknown) => e);
    expect(isStyleTransferError(err, 'ABORTED'), String(err)).toBe(true);
    expect(readdirSync(dir).filter((n) => n.startsWith('interrupted'))).toEqual([]);
  });

  it('refuses a damaged file (FFMPEG_FAILED), a missing one (INVALID_IMAGE) and mixed sizes, leaving nothing behind', async () => {
    const junk = join(dir, 'junk.mp4');
    writeFileSync(junk, 'this is not a video at all');
    const err = await collect(framesFromVideo(junk)).catch((e: unknown) => e);
    expect(isStyleTransferError(err, 'FFMPEG_FAILED')).toBe(true);
    expect(String((err as { details: { stderr: string } }).details.stderr)).toMatch(/Invalid data|moov atom/);
    expect(await codeOf(collect(framesFromVideo(join(dir, 'missing.mp4'))))).toBe('INVALID_IMAGE');
    const mixed = join(dir, 'mixed.mp4');
    expect(await codeOf(writeFramesToVideo([frame(0), frame(1, 30, 24)], mixed))).toBe('INVALID_IMAGE');
    expect(existsSync(mixed)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp'))).toEqual([]);
  });
});

describe('without ffmpeg', () => {
  it('a missing binary is FFMPEG_MISSING, with what to do', async () => {
    expect(await codeOf(findFfmpeg('/nonexistent/bin/ffmpeg'))).toBe('FFMPEG_MISSING');
    expect(await codeOf(findFfmpeg('no-such-ffmpeg-binary-here'))).toBe('FFMPEG_MISSING');
    const err = await collect(framesFromVideo(join(dir, 'any.mp4'), { ffmpeg: 'no-such-ffmpeg-binary-here' })).catch((e: unknown) => e);
    expect(isStyleTransferError(err, 'FFMPEG_MISSING')).toBe(true);
    expect((err as Error).message).toMatch(/apt-get install ffmpeg.*`ffmpeg` option/);
    expect(await codeOf(writeFramesToVideo([frame(0)], join(dir, 'x.mp4'), { ffmpeg: '/nonexistent/ffmpeg' }))).toBe('FFMPEG_MISSING');
    expect(await codeOf(writeFramesToVideo([frame(0)], join(dir, 'x.mp4'), { fps: 0 }))).toBe('INVALID_OPTION');
  });
});
