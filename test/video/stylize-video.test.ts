/**
 * stylizeFrames (src/video/stylize-video.ts) on a small synthetic clip (32x32, 3 frames of a texture moving 1.5 px
 * per frame; test/helpers/motion.ts) with a few iterations: the frames come out in order with the temporal loss in
 * their loss and a temporal error; resume yields finished frames without recomputing them; abort rejects with
 * ABORTED; the session's video() method gives the same frames with a prepared style (left usable), resumes and
 * aborts; the multi-pass mode alternates directions, adds the temporal loss from its pass on and aborts cleanly;
 * stylizeVideo runs the same in one call; the `temporal` option pulls a stylize() result towards the warped frame (whole, tiled, luminance only);
 * the number of tensors is the same before and after each (success, resume, abort, bad options).
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStylizer, ready, type Stylizer, type StylizeOptions } from '../../src/adapters/node.js';
import { stylizeFrames, stylizeVideo, type StylizedFrame, type VideoOptions } from '../../src/video/stylize-video.js';
import { tfjsFlowSource } from '../../src/video/flow-source.js';
import { stylizeFramesMultiPass, type MultiPassOptions } from '../../src/video/multi-pass.js';
import { codeOf, collect } from '../helpers/async.js';
import { clip, translation } from '../helpers/motion.js';
import { synthetic } from '../helpers/synthetic.js';

const size = 32;
const frames = clip(translation(1.5, 0.5), 3, size, size).map((data) => ({ data, width: size, height: size, channels: 3 as const }));
const style = { data: synthetic('style', 32, 32), width: 32, height: 32, channels: 3 as const };
// Small and quick: two style layers, 2 iterations a frame (3 for the first), a cheaper flow than the default.
const options: VideoOptions = {
  size, iterations: 2, firstFrameIterations: 3, styleLayers: ['relu1_1', 'relu2_1'], contentLayers: ['relu2_1'], longTerm: [1, 2],
  flow: tfjsFlowSource({ warps: 1, iterations: 20 }),
};

let stylizer: Stylizer;
let first: StylizedFrame[];
beforeAll(async () => {
  await ready();
  stylizer = await createStylizer();
});
afterAll(() => stylizer?.dispose());

describe('stylizeFrames', () => {
  it('stylises the frames in order, with the temporal loss after the first and a temporal error', async () => {
    const before = tf.memory().numTensors;
    const temporalLoss = new Map<number, number | undefined>();
    const iterations = new Map<number, number>();
    first = await collect(stylizeFrames(stylizer, frames, style, {
      ...options,
      onIteration: ({ frame, loss, iteration }) => {
        temporalLoss.set(frame, loss.temporal);
        iterations.set(frame, iteration);
      },
    }));
    expect(tf.memory().numTensors).toBe(before);
    expect(first.map((f) => [f.index, f.resumed, f.iterations, f.image.width, f.image.height])).toEqual([
      [0, false, 3, size, size],
      [1, false, 2, size, size],
      [2, false, 2, size, size],
    ]);
    expect([...iterations.values()]).toEqual([3, 2, 2]);
    expect(temporalLoss.get(0)).toBeUndefined();
    for (const i of [1, 2]) {
      expect(temporalLoss.get(i)).toBeGreaterThan(0);
      expect(first[i].temporalError).toBeGreaterThan(0);
      // Most pixels are reliable under a small translation (the strip entering at the edge is not).
      expect(first[i].reliable).toBeGreaterThan(0.8);
      expect(first[i].loss?.temporal).toBe(temporalLoss.get(i));
    }
    expect(first[0].temporalError).toBeUndefined();
  });

  it('resumes: finished frames are yielded as they are, not recomputed, and the next frame warps them', async () => {
    const before = tf.memory().numTensors;
    const ran = new Set<number>();
    const out = await collect(stylizeFrames(stylizer, frames, style, {
      ...options,
      finished: (i) => (i < 2 ? first[i].image : undefined),
      onIteration: ({ frame }) => void ran.add(frame),
    }));
    expect(tf.memory().numTensors).toBe(before);
    expect([...ran]).toEqual([2]);
    expect(out.map((f) => [f.index, f.resumed, f.iterations])).toEqual([
      [0, true, 0],
      [1, true, 0],
      [2, false, 2],
    ]);
    expect(out[0].image).toBe(first[0].image);
    // The same inputs, so the same frame 2 as the first run's (the backend is deterministic).
    expect(Array.from(out[2].image.data)).toEqual(Array.from(first[2].image.data));
  });

  it('aborts with ABORTED in the middle of a frame, freeing every tensor; breaking out frees them too', async () => {
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const seen: number[] = [];
    const run = collect(stylizeFrames(stylizer, frames, style, {
      ...options,
      signal: controller.signal,
      onIteration: ({ frame }) => {
        seen.push(frame);
        if (frame === 1) controller.abort();
      },
    }));
    expect(await codeOf(run)).toBe('ABORTED');
    expect(seen.at(-1)).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    for await (const f of stylizeFrames(stylizer, frames, style, { ...options, consistency: 'warped-start' })) if (f.index === 1) break;
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the temporal option pulls the result towards the warped frame: whole, tiled, and with luminance preserved', async () => {
    const before = tf.memory().numTensors;
    const warped = tf.tensor4d(synthetic('previous', size, size), [1, size, size, 3]);
    const prepared = await stylizer.prepareStyle(style); // not the session's cache: freed below
    const weights = { data: new Float32Array(size * size).fill(1), width: size, height: size };
    // Mean |grey(result) − grey(warped)| (grey: the channel mean, which luminance preservation keeps close).
    const distance = async (temporalWeight: number, extra: StylizeOptions) => {
      const r = await stylizer.stylize(frames[0], prepared, { size, iterations: 2, styleLayers: options.styleLayers, contentLayers: options.contentLayers, temporal: [{ warped, weights }], temporalWeight, ...extra });
      const d = tf.tidy(() => tf.mean(tf.abs(tf.sub(tf.mean(tf.expandDims(r.image, 0), 3), tf.mean(warped, 3)))));
      const out = { d: (await d.data())[0], temporal: r.history.at(-1)!.loss.temporal };
      tf.dispose([d]);
      r.dispose();
      return out;
    };
    const free = await distance(0, {});
    expect(free.temporal).toBe(0);
    for (const extra of [{}, { tile: 16 }, { preserveColors: 'luminance' as const }]) {
      const tied = await distance(1e5, extra);
      expect(tied.temporal, JSON.stringify(extra)).toBeGreaterThan(0);
      expect(tied.d, JSON.stringify(extra)).toBeLessThan(0.7 * free.d);
    }
    warped.dispose();
    prepared.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stylizeVideo: the same in one call, around a given model (left loaded)', async () => {
    const before = tf.memory().numTensors;
    const out = await collect(stylizeVideo({ frames: frames.slice(0, 1), style, model: stylizer.model, ...options, firstFrameIterations: 1 }));
    expect(out.map((f) => [f.index, f.iterations, f.image.width])).toEqual([[0, 1, size]]);
    expect(stylizer.model.disposed).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses bad options before any work', async () => {
    const before = tf.memory().numTensors;
    const bad = (o: Record<string, unknown>) => codeOf(collect(stylizeFrames(stylizer, frames, style, { ...options, ...o } as VideoOptions)));
    expect(await bad({ longTerm: [2, 4] })).toBe('INVALID_OPTION');
    expect(await bad({ init: 'noise' })).toBe('INVALID_OPTION');
    expect(await bad({ consistency: 'some' })).toBe('INVALID_OPTION');
    expect(await bad({ firstFrameIterations: 0 })).toBe('INVALID_OPTION');
    expect(await bad({ temporalWeight: -1 })).toBe('INVALID_OPTION');
    expect(await codeOf(collect(stylizeFrames(stylizer, [frames[0], { data: new Float32Array(16 * 16 * 3), width: 16, height: 16 }], style, options)))).toBe('INVALID_IMAGE');
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('session.video()', () => {
  it('gives the frames stylizeFrames gives, on the session, with a prepared style it leaves usable; resumes', async () => {
    const before = tf.memory().numTensors;
    const handle = await stylizer.prepareStyle(style);
    const progress: number[] = [];
    const out = await collect(stylizer.video(frames, handle, { ...options, onIteration: ({ frame }) => void progress.push(frame) }));
    expect(out.map((f) => [f.index, f.resumed, f.iterations])).toEqual([[0, false, 3], [1, false, 2], [2, false, 2]]);
    expect(progress).toEqual([0, 0, 0, 1, 1, 2, 2]);
    // The backend is deterministic and the handle holds the same style: the same pixels as stylizeFrames'.
    for (const i of [0, 1, 2]) expect(Array.from(out[i].image.data), `frame ${i}`).toEqual(Array.from(first[i].image.data));
    expect(out[2].temporalError).toBeGreaterThan(0);
    expect(handle.disposed).toBe(false);
    const withGrams = tf.memory().numTensors; // the handle keeps the Grams it computed at this size, for the next run
    const resumed = await collect(stylizer.video(frames, handle, { ...options, finished: (i) => (i < 2 ? out[i].image : undefined) }));
    expect(resumed.map((f) => [f.index, f.resumed])).toEqual([[0, true], [1, true], [2, false]]);
    expect(Array.from(resumed[2].image.data)).toEqual(Array.from(out[2].image.data));
    expect(tf.memory().numTensors).toBe(withGrams);
    handle.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('aborts with ABORTED in the middle of a frame and frees every tensor; a disposed session refuses', async () => {
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const seen: number[] = [];
    const run = collect(stylizer.video(frames, style, {
      ...options,
      signal: controller.signal,
      onIteration: ({ frame }) => {
        seen.push(frame);
        if (frame === 1) controller.abort();
      },
    }));
    expect(await codeOf(run)).toBe('ABORTED');
    expect(seen).toEqual([0, 0, 0, 1]);
    expect(tf.memory().numTensors).toBe(before);
    const other = await createStylizer({ model: stylizer.model });
    other.dispose();
    expect(await codeOf(collect(other.video(frames, style, options)))).toBe('DISPOSED');
    expect(stylizer.model.disposed).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('stylizeFramesMultiPass', () => {
  const multi: MultiPassOptions = { size, styleLayers: options.styleLayers, contentLayers: options.contentLayers, flow: options.flow, iterations: 1, passes: 3, temporalFromPass: 2 };

  it('alternates directions, blends and ties from temporalFromPass on, and yields the frames in order after the last pass', async () => {
    const before = tf.memory().numTensors;
    const runs: [number, number, boolean][] = [];
    const out = await collect(stylizeFramesMultiPass(stylizer, frames, style, {
      ...multi,
      onIteration: ({ frame, pass, loss }) => void runs.push([pass, frame, loss.temporal !== undefined && loss.temporal > 0]),
    }));
    expect(tf.memory().numTensors).toBe(before);
    // Pass 1 forward without the temporal loss; pass 2 backward and pass 3 forward with it, but for the frame each
    // pass starts from (it has no neighbour stylised before it in that pass).
    expect(runs).toEqual([
      [1, 0, false], [1, 1, false], [1, 2, false],
      [2, 2, false], [2, 1, true], [2, 0, true],
      [3, 0, false], [3, 1, true], [3, 2, true],
    ]);
    expect(out.map((f) => [f.index, f.iterations, f.image.width, f.image.height])).toEqual([0, 1, 2].map((i) => [i, 3, size, size]));
    for (const i of [1, 2]) {
      expect(out[i].temporalError).toBeGreaterThan(0);
      expect(out[i].reliable).toBeGreaterThan(0.8);
    }
  });

  it('blendWeight: a frame with a neighbour before it in the pass starts from the blend, the pass\'s first frame from its own result', async () => {
    const before = tf.memory().numTensors;
    // Two frames, two passes, no temporal loss: pass 2 runs backward, frame 1 (no neighbour) then frame 0.
    const run = (blendWeight: number) => collect(stylizeFramesMultiPass(stylizer, frames.slice(0, 2), style, { ...multi, passes: 2, temporalFromPass: 3, blendWeight }));
    const [own, blended] = [await run(0), await run(1)];
    expect(Array.from(blended[1].image.data)).toEqual(Array.from(own[1].image.data));
    expect(Array.from(blended[0].image.data)).not.toEqual(Array.from(own[0].image.data));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('aborts with ABORTED in a later pass and frees every tensor; refuses bad options and a clip over maxFrames', async () => {
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const run = collect(stylizeFramesMultiPass(stylizer, frames, style, {
      ...multi,
      signal: controller.signal,
      onIteration: ({ pass, frame }) => {
        if (pass === 2 && frame === 1) controller.abort();
      },
    }));
    expect(await codeOf(run)).toBe('ABORTED');
    expect(tf.memory().numTensors).toBe(before);
    const bad = (o: Record<string, unknown>) => codeOf(collect(stylizeFramesMultiPass(stylizer, frames, style, { ...multi, ...o } as MultiPassOptions)));
    expect(await bad({ passes: 0 })).toBe('INVALID_OPTION');
    expect(await bad({ blendWeight: -1 })).toBe('INVALID_OPTION');
    expect(await bad({ init: 'noise' })).toBe('INVALID_OPTION');
    expect(await bad({ maxFrames: 2 })).toBe('INVALID_OPTION');
    expect(tf.memory().numTensors).toBe(before);
  });
});
