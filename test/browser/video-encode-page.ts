/**
 * The page test/browser/video-encode.test.ts drives (bundled by it with esbuild from the sources): the browser
 * entry's videoFromFrames and videoFramesFromFrames on 32 px frames given as pixels, a tensor (CPU backend) and a
 * stylizeFrames-like `{ image }`, exposed as `window.harness`.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as nst from '../../src/adapters/webgl.js';

const W = 32;
const H = 32;

/** Frame i: a smooth diagonal gradient (its hue turning with i) with a dark 10x10 square at x = 4 + 8·i. */
function frame(i: number): nst.RgbaImage['data'] {
  const d: nst.RgbaImage['data'] = new Uint8ClampedArray(W * H * 4);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const k = (y * W + x) * 4;
      const inSquare = x >= 4 + 8 * i && x < 14 + 8 * i && y >= 11 && y < 21;
      d[k] = inSquare ? 20 : 60 + 5 * x + 40 * i;
      d[k + 1] = inSquare ? 20 : 60 + 5 * y;
      d[k + 2] = inSquare ? 20 : 200 - 40 * i;
      d[k + 3] = 255;
    }
  }
  return d;
}

/**
 * The three frames, each given differently: pixels, a `[H,W,3]` float tensor (disposed after the encoder read
 * it, as a caller would), and `{ image: ImageData }` as stylizeFrames yields; `delayMs` before the last one.
 */
async function* inputs(delayMs = 0): AsyncGenerator<nst.EncodableFrame> {
  yield { data: frame(0), width: W, height: H };
  const rgb = Float32Array.from(Array.from(frame(1)).filter((_, k) => k % 4 !== 3));
  const t = tf.tensor3d(rgb, [H, W, 3]);
  try {
    yield t;
  } finally {
    t.dispose();
  }
  if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
  yield { image: new ImageData(frame(2), W, H) };
}

async function failure(run: () => Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await run();
  } catch (e) {
    return { code: (e as { code?: string }).code, message: (e as Error).message };
  }
  return { message: 'no error' };
}

const harness = {
  async start(): Promise<string> {
    await tf.setBackend('cpu');
    return tf.getBackend();
  },

  /** The input frames' RGBA bytes, to compare the decoded file with. */
  expected: () => [0, 1, 2].map((i) => Array.from(frame(i))),

  /** videoFromFrames on the 3 frames at `fps`, with `delayMs` before the third; the file's bytes, type and progress. */
  async encode(o: { fps: number; delayMs: number }) {
    const before = tf.memory().numTensors;
    const progress: number[] = [];
    const blob = await nst.videoFromFrames(inputs(o.delayMs), { fps: o.fps, onProgress: (p) => progress.push(p.frames) });
    return { bytes: Array.from(new Uint8Array(await blob.arrayBuffer())), type: blob.type, progress, tensorsBefore: before, tensorsAfter: tf.memory().numTensors };
  },

  /** Aborted after its 2nd of 40 frames (tensors), at 10 fps: ABORTED, the source ended, no tensor left. */
  async abort() {
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    let ended = false;
    async function* many() {
      try {
        for (let i = 0; i < 40; i++) {
          const t = tf.fill([H, W, 3], 100 + i) as tf.Tensor3D;
          try {
            yield t;
          } finally {
            t.dispose();
          }
        }
      } finally {
        ended = true;
      }
    }
    const error = await failure(() => nst.videoFromFrames(many(), { fps: 10, signal: controller.signal, onProgress: (p) => p.frames === 2 && controller.abort(new Error('stop')) }));
    // Aborted while the recording waits (paused) for a frame that takes 20 s: it rejects without waiting for it.
    const waiting = new AbortController();
    async function* stuck() {
      yield { data: frame(0), width: W, height: H };
      await new Promise((r) => setTimeout(r, 20_000));
      yield { data: frame(1), width: W, height: H };
    }
    setTimeout(() => waiting.abort(new Error('stop')), 500);
    const t0 = performance.now();
    const whileWaiting = await failure(() => nst.videoFromFrames(stuck(), { fps: 10, signal: waiting.signal }));
    return { error, ended, whileWaiting, whileWaitingMs: performance.now() - t0, tensorsBefore: before, tensorsAfter: tf.memory().numTensors };
  },

  /** What is refused: a type the browser does not record, frames of two sizes, no frames, a bad option. */
  async errors() {
    const small = { data: new Uint8ClampedArray(16 * 16 * 4), width: 16, height: 16 };
    const big = { data: new Uint8ClampedArray(32 * 32 * 4), width: 32, height: 32 };
    return {
      mimeType: await failure(() => nst.videoFromFrames([small], { mimeType: 'video/x-no-such-codec' })),
      sizes: await failure(() => nst.videoFromFrames([small, big], { fps: 20 })),
      empty: await failure(() => nst.videoFromFrames([])),
      fps: await failure(() => nst.videoFromFrames([small], { fps: 0 })),
      notAFrame: await failure(() => nst.videoFromFrames([42 as never])),
    };
  },

  /** videoFramesFromFrames on the 3 frames at 10 fps: each VideoFrame's timestamp, duration and RGBA bytes (drawn back), then closed. */
  async videoFrames() {
    const before = tf.memory().numTensors;
    const out: { timestamp: number; duration: number | null; width: number; height: number; data: number[] }[] = [];
    const g = new OffscreenCanvas(W, H).getContext('2d', { willReadFrequently: true })!;
    for await (const f of nst.videoFramesFromFrames(inputs(), { fps: 10 })) {
      g.drawImage(f, 0, 0);
      out.push({ timestamp: f.timestamp, duration: f.duration, width: f.displayWidth, height: f.displayHeight, data: Array.from(g.getImageData(0, 0, W, H).data) });
      f.close();
    }
    return { frames: out, tensorsBefore: before, tensorsAfter: tf.memory().numTensors };
  },
};

(window as unknown as { harness: typeof harness }).harness = harness;
export type Harness = typeof harness;
