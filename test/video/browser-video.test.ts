/**
 * The browser's framesFromVideo (src/adapters/browser-video.ts) where Node can check it: the frame times, the
 * option checks, and the clear error outside a page. Decoding a real clip is checked in headless Chromium
 * (test/browser/video-page.test.ts); VideoFrames and streams in test/browser/video-frames.test.ts. The encoders
 * (src/adapters/browser-encode.ts) likewise: their option checks here, the encoding in test/browser/video-encode.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { framesFromStream, framesFromVideoFrames } from '../../src/adapters/browser-stream.js';
import { videoFromFrames, videoFramesFromFrames } from '../../src/adapters/browser-encode.js';
import { framesFromVideo, frameTimes } from '../../src/adapters/browser-video.js';
import { isStyleTransferError } from '../../src/errors.js';

async function failure(run: () => AsyncGenerator<unknown>): Promise<unknown> {
  try {
    for await (const _ of run()) break;
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

describe('framesFromVideo (browser) where Node can check it', () => {
  it('spaces frames evenly over [start, end] with both ends, or fps apart from start up to end', () => {
    expect(frameTimes(5, 0, 2)).toEqual([0, 0.5, 1, 1.5, 2]);
    expect(frameTimes(1, 3, 9)).toEqual([3]);
    expect(frameTimes(3, 1, 1)).toEqual([1, 1, 1]);
    expect(frameTimes(10, 0, 1, 4)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(frameTimes(2, 0, 1, 4)).toEqual([0, 0.25]);
  });

  it('refuses bad options (INVALID_OPTION) before anything else, and says it needs a page (VIDEO_UNREADABLE)', async () => {
    const blob = new Blob([new Uint8Array(8)], { type: 'video/webm' });
    for (const options of [{ frames: 0 }, { frames: 241 }, { frames: 2.5 }, { size: 8 }, { fps: -1 }, { timeoutSeconds: 0 }]) {
      const e = await failure(() => framesFromVideo(blob as never, options));
      expect(isStyleTransferError(e, 'INVALID_OPTION'), JSON.stringify(options)).toBe(true);
    }
    const e = await failure(() => framesFromVideo(blob as never, { frames: 3 }));
    expect(isStyleTransferError(e, 'VIDEO_UNREADABLE')).toBe(true);
    expect((e as Error).message).toMatch(/neural-style-tfjs\/node/);
  });

  it('framesFromVideoFrames and framesFromStream refuse bad options and inputs, and say what they need outside a browser', async () => {
    for (const options of [{ frames: 0 }, { frames: 241 }, { size: 4096 }, { fps: 0 }, { signal: 'no' }]) {
      const e = await failure(() => framesFromVideoFrames([] as never, options as never));
      expect(isStyleTransferError(e, 'INVALID_OPTION'), JSON.stringify(options)).toBe(true);
    }
    expect(isStyleTransferError(await failure(() => framesFromVideoFrames(42 as never)), 'INVALID_OPTION')).toBe(true);
    // Node has no WebCodecs.
    const e = await failure(() => framesFromVideoFrames([] as never));
    expect(isStyleTransferError(e, 'VIDEO_UNREADABLE')).toBe(true);
    expect((e as Error).message).toMatch(/WebCodecs/);
    for (const options of [{ frames: 300 }, { timeoutSeconds: 0 }]) {
      expect(isStyleTransferError(await failure(() => framesFromStream({} as never, options)), 'INVALID_OPTION'), JSON.stringify(options)).toBe(true);
    }
    const s = await failure(() => framesFromStream({} as never));
    expect(isStyleTransferError(s, 'INVALID_OPTION')).toBe(true);
    expect((s as Error).message).toMatch(/MediaStream/);
  });
});

describe('videoFromFrames and videoFramesFromFrames (browser) where Node can check them', () => {
  it('refuse bad options and inputs (INVALID_OPTION), and say what they need outside a page (VIDEO_UNWRITABLE)', async () => {
    const frame = { data: new Uint8ClampedArray(4 * 4 * 4), width: 4, height: 4 };
    for (const options of [{ fps: 0 }, { fps: 241 }, { bitsPerSecond: 5 }, { mimeType: 'webm' }, { signal: 'no' }, { onProgress: 1 }, { frameRate: 10 }]) {
      const e = await videoFromFrames([frame], options as never).catch((x: unknown) => x);
      expect(isStyleTransferError(e, 'INVALID_OPTION'), JSON.stringify(options)).toBe(true);
    }
    expect(isStyleTransferError(await videoFromFrames(42 as never).catch((x: unknown) => x), 'INVALID_OPTION')).toBe(true);
    const e = await videoFromFrames([frame]).catch((x: unknown) => x);
    expect(isStyleTransferError(e, 'VIDEO_UNWRITABLE')).toBe(true);
    expect((e as Error).message).toMatch(/writeFramesToVideo of neural-style-tfjs\/node/);
    expect(isStyleTransferError(await failure(() => videoFramesFromFrames([frame], { fps: -1 })), 'INVALID_OPTION')).toBe(true);
    // Node has no WebCodecs.
    const v = await failure(() => videoFramesFromFrames([frame]));
    expect(isStyleTransferError(v, 'VIDEO_UNWRITABLE')).toBe(true);
    expect((v as Error).message).toMatch(/WebCodecs/);
  });
});
