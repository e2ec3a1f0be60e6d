/**
 * The page test/browser/video-frames.test.ts drives (bundled by it with esbuild from the sources): the browser
 * entry's framesFromVideoFrames and framesFromStream on WebGL, with VideoFrames made from an OffscreenCanvas and
 * Chromium's fake camera, exposed as `window.harness`.
 */
import * as tf from '@tensorflow/tfjs-core';
// Registered here: esbuild drops the adapter's own backend import (the package's `sideEffects` lists dist/ only).
import '@tensorflow/tfjs-backend-webgl';
import * as nst from '../../src/adapters/webgl.js';

const SHALLOW = { contentLayers: ['relu1_1'], styleLayers: ['relu1_1'] };
let stylizer: nst.Stylizer | undefined;

/** `n` 64x48 VideoFrames 100 ms apart: grey, with a red 8x8 square at x = 8 + 8·i. */
function squareFrames(n: number): VideoFrame[] {
  const c = new OffscreenCanvas(64, 48);
  const g = c.getContext('2d')!;
  return Array.from({ length: n }, (_, i) => {
    g.fillStyle = '#808080';
    g.fillRect(0, 0, 64, 48);
    g.fillStyle = '#ff0000';
    g.fillRect(8 + 8 * i, 20, 8, 8);
    return new VideoFrame(c, { timestamp: i * 100_000 });
  });
}

/** The mean x of the red pixels of an RGBA frame (in its own pixels). */
function redX(f: nst.RgbaImage): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < f.width * f.height; i++) {
    if (f.data[i * 4] > 200 && f.data[i * 4 + 1] < 60) {
      sum += i % f.width;
      n++;
    }
  }
  return n ? sum / n : -1;
}

const closed = (f: VideoFrame) => f.format === null && f.displayWidth === 0;

async function failure(run: () => AsyncGenerator<unknown>): Promise<{ code?: string; message: string }> {
  try {
    for await (const _ of run());
  } catch (e) {
    return { code: (e as { code?: string }).code, message: (e as Error).message };
  }
  return { message: 'no error' };
}

/** Mean absolute difference per RGB value of two RGBA frames of one size. */
function meanAbsDiff(a: Uint8ClampedArray, b: Uint8ClampedArray): number {
  let s = 0;
  for (let i = 0; i < a.length; i += 4) s += Math.abs(a[i] - b[i]) + Math.abs(a[i + 1] - b[i + 1]) + Math.abs(a[i + 2] - b[i + 2]);
  return s / ((a.length / 4) * 3);
}

const harness = {
  async start(): Promise<string> {
    if (!(await tf.setBackend('webgl'))) throw new Error('webgl did not start');
    await tf.ready();
    stylizer = await nst.createStylizer({ load: { weights: '/weights/' } });
    return tf.getBackend();
  },

  /** framesFromVideoFrames on 4 frames: all of them at 32 px, at 5 fps (every other), and the first 2 (`frames: 2`). */
  async readFrames() {
    const all = squareFrames(4);
    const out: { width: number; height: number; redX: number }[] = [];
    for await (const f of nst.framesFromVideoFrames(all, { size: 32 })) out.push({ width: f.width, height: f.height, redX: redX(f) });
    const byFps = squareFrames(4);
    const fps: number[] = [];
    // An async iterable works as an array does.
    async function* slowly() {
      for (const f of byFps) yield f;
    }
    for await (const f of nst.framesFromVideoFrames(slowly(), { fps: 5 })) fps.push(redX(f));
    const firstTwo = squareFrames(4);
    let n = 0;
    for await (const _ of nst.framesFromVideoFrames(firstTwo, { frames: 2 })) n++;
    const leftOpen = firstTwo.map((f) => !closed(f));
    for (const f of firstTwo) f.close();
    return { out, allClosed: all.every(closed), fps, fpsClosed: byFps.every(closed), firstTwo: n, leftOpen };
  },

  /** The errors: a closed frame, an item that is not a VideoFrame, an abort mid-loop (the frames read are closed). */
  async frameErrors() {
    const [a, b] = squareFrames(2);
    b.close();
    const closedFrame = await failure(() => nst.framesFromVideoFrames([a, b]));
    const notAFrame = await failure(() => nst.framesFromVideoFrames([new ImageData(4, 4)] as never));
    const badOption = await failure(() => nst.framesFromVideoFrames([], { frames: 241 }));
    const controller = new AbortController();
    const frames = squareFrames(3);
    const aborted = await failure(async function* () {
      for await (const f of nst.framesFromVideoFrames(frames, { signal: controller.signal })) {
        controller.abort(new Error('stop'));
        yield f;
      }
    });
    const stateAfterAbort = frames.map(closed);
    for (const f of frames) f.close();
    return { closedFrame, firstClosed: closed(a), notAFrame, badOption, aborted, stateAfterAbort };
  },

  /** stylizeFrames over framesFromVideoFrames (2 frames, 32 px, 1 iteration each, relu1_1 only), and over a list with a closed frame; tf.memory() around both. */
  async stylize() {
    const style = { data: new Uint8ClampedArray(32 * 32 * 4).map((_, i) => (i % 4 === 3 ? 255 : (i * 37) % 256)), width: 32, height: 32 };
    const before = tf.memory().numTensors;
    const frames = squareFrames(2);
    const out: { index: number; width: number; height: number; temporalError?: number; moved: number }[] = [];
    const inputs: Uint8ClampedArray[] = [];
    async function* tapped() {
      for await (const f of nst.framesFromVideoFrames(frames, { size: 32 })) {
        inputs.push(new Uint8ClampedArray(f.data));
        yield f;
      }
    }
    for await (const f of nst.stylizeFrames(stylizer!, tapped(), style, { size: 32, iterations: 1, firstFrameIterations: 1, ...SHALLOW })) {
      out.push({ index: f.index, width: f.image.width, height: f.image.height, temporalError: f.temporalError, moved: meanAbsDiff(f.image.data, inputs[f.index]) });
    }
    const afterRun = tf.memory().numTensors;
    const bad = squareFrames(2);
    bad[1].close();
    const error = await failure(() => nst.stylizeFrames(stylizer!, nst.framesFromVideoFrames(bad, { size: 32 }), style, { size: 32, iterations: 1, ...SHALLOW }));
    return { out, closed: frames.every(closed), before, afterRun, error, afterError: tf.memory().numTensors };
  },

  /**
   * framesFromStream on the fake camera (`--use-fake-device-for-media-stream`): `frames` frames `fps` apart at
   * `size` px; `fallback` hides MediaStreamTrackProcessor so the `<video>` path runs. The caller's track must stay live.
   */
  async camera(o: { frames: number; fps: number; size: number; fallback: boolean }) {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
    const g = globalThis as { MediaStreamTrackProcessor?: unknown };
    const saved = g.MediaStreamTrackProcessor;
    if (o.fallback) delete g.MediaStreamTrackProcessor;
    try {
      const t0 = performance.now();
      const frames: nst.RgbaImage[] = [];
      for await (const f of nst.framesFromStream(stream, { frames: o.frames, fps: o.fps, size: o.size })) frames.push(f);
      const ms = performance.now() - t0;
      const diffs = frames.slice(1).map((f, i) => meanAbsDiff(f.data, frames[i].data));
      return { sizes: frames.map((f) => [f.width, f.height]), diffs, ms, trackLive: stream.getVideoTracks()[0].readyState === 'live', processor: saved !== undefined && !o.fallback };
    } finally {
      if (o.fallback) g.MediaStreamTrackProcessor = saved;
      for (const t of stream.getTracks()) t.stop();
    }
  },

  /** framesFromStream's errors: no video track, an ended track, a timeout (a canvas capture that never draws), abort. */
  async streamErrors() {
    const noVideo = await failure(() => nst.framesFromStream(new MediaStream()));
    const cam = await navigator.mediaDevices.getUserMedia({ video: true });
    cam.getVideoTracks()[0].stop();
    const ended = await failure(() => nst.framesFromStream(cam));
    const still = document.createElement('canvas').captureStream(0);
    const timeout = await failure(() => nst.framesFromStream(still, { timeoutSeconds: 0.5 }));
    const live = await navigator.mediaDevices.getUserMedia({ video: true });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('stop')), 300);
    const aborted = await failure(() => nst.framesFromStream(live, { frames: 240, fps: 1, signal: controller.signal }));
    for (const t of [...live.getTracks(), ...still.getTracks()]) t.stop();
    const notAStream = await failure(() => nst.framesFromStream({} as never));
    return { noVideo, ended, timeout, aborted, notAStream };
  },
};

(window as unknown as { harness: typeof harness }).harness = harness;
export type Harness = typeof harness;
