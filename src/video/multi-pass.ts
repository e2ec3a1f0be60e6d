/**
 * Ruder, Dosovitskiy & Brox's multi-pass mode (arXiv 1604.08610 §3.3; manuelruder/artistic-videos
 * `artistic_video_multiPass.lua`), for strong camera motion, where a single forward pass lets errors that enter at
 * a disocclusion propagate one way only. The clip is stylised several times in alternating directions (forward,
 * backward, forward, …): the first pass as the single pass's warped start (no temporal loss); in every later pass
 * each frame starts from a blend of its own result from the pass before and the neighbour just stylised in this
 * pass's direction, warped into it — (x + δ·c·ω(x_n)) / (1 + δ·c), c the consistency — and from pass
 * `temporalFromPass` on the temporal loss ties it to that warped neighbour too. Every frame is kept in memory (at
 * most `maxFrames`), and the frames are yielded, in order, once the last pass is done.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { STYLIZE_DEFAULTS as D } from '../defaults.js';
import { StyleTransferError } from '../errors.js';
import { fitSize, resizeImage, toImageTensor, type ImageInput, type RgbaImage } from '../image/input.js';
import { OPTIONS } from '../options/check.js';
import { MULTI_PASS_LIMITS } from './multi-pass-limits.js';
import { PreparedStyle, type StyleInput } from '../stylize/style-handle.js';
import { resolveOptions, type IterationInfo, type LossBreakdown, type StylizeOptions } from '../stylize/options.js';
import { now, throwIfAborted } from '../util/checks.js';
import { consistency } from './consistency.js';
import { flowBetween, maskOf, temporalError, type FrameStylizer, type StylizedFrame } from './frame-loop.js';
import type { NetworkArchitecture } from '../core/architecture.js';
import { tfjsFlowSource, type FlowSource } from './flow-source.js';
import { framesFromIterable, type FrameIterable } from './frames.js';
import { warpImage } from './warp.js';

/** Options of {@link stylizeFramesMultiPass}: `stylize()`'s (but those it sets per frame) and these. */
export interface MultiPassOptions extends Omit<StylizeOptions, 'init' | 'temporal' | 'iterations' | 'onIteration' | 'snapshots' | 'regions' | 'contentWeightMap'> {
  /** Passes over the clip, alternately forward and backward. Default 6 (Ruder et al.: 15). */
  passes?: number;
  /** Iterations of every frame in every pass. Default `STYLIZE_DEFAULTS.iterations` / 5 (Ruder et al.: 100). */
  iterations?: number;
  /** δ: the weight of the warped neighbour in a frame's starting blend. Default 1 (Ruder et al.'s). */
  blendWeight?: number;
  /** The first pass with the temporal loss. Default passes / 2 + 1 (Ruder et al.: 8 of 15). */
  temporalFromPass?: number;
  /** Where flows come from. Default the built-in Horn–Schunck. */
  flow?: FlowSource;
  /** The most frames a clip may have (all are kept in memory). Default 100. */
  maxFrames?: number;
  /** Called after every iteration of every frame in every pass, with its `frame` and 1-based `pass`. */
  onIteration?: (info: IterationInfo & { frame: number; pass: number }) => void | Promise<void>;
}

/** The consistency-weighted warp of frame k into frame i (both ways between neighbours), flows computed once. */
interface Link {
  flow: tf.Tensor4D;
  c: tf.Tensor4D;
}

/** Checks `options` as {@link stylizeFramesMultiPass} does (INVALID_OPTION naming the field); the CLI calls it before loading anything. */
export function resolveMultiPass(options: MultiPassOptions, styleCount: number, network?: NetworkArchitecture) {
  const check = OPTIONS;
  const o = check.object('options', options) as MultiPassOptions & Record<string, unknown>;
  const { passes, iterations, blendWeight, temporalFromPass, flow, maxFrames, onIteration, ...rest } = o;
  for (const key of ['init', 'temporal', 'snapshots', 'regions', 'contentWeightMap']) {
    if (key in rest) check.fail(key, rest[key], `no ${key}: the multi-pass mode sets it per frame or does not take it`);
  }
  resolveOptions(rest, styleCount, check, network); // layer names in the model's network
  const L = MULTI_PASS_LIMITS;
  const p = check.int('passes', passes ?? L.passes.default, L.passes.min, L.passes.max);
  if (flow !== undefined && typeof (flow as FlowSource | null)?.flow !== 'function') check.fail('flow', flow, 'a flow source: an object with flow(from, to, pair)');
  return {
    passes: p,
    iterations: check.number('iterations', iterations, L.iterations, L.iterations.default),
    blend: check.number('blendWeight', blendWeight, L.blendWeight, L.blendWeight.default),
    temporalFrom: check.int('temporalFromPass', temporalFromPass ?? Math.floor(p / 2) + 1, L.temporalFromPass.min, L.temporalFromPass.max),
    flow: flow ?? tfjsFlowSource(),
    maxFrames: check.int('maxFrames', maxFrames ?? L.maxFrames.default, L.maxFrames.min, L.maxFrames.max),
    onIteration: check.fn<MultiPassOptions['onIteration']>('onIteration', onIteration),
    rest,
  };
}

/**
 * Stylises a clip in several passes of alternating direction (see the module notes) on a session, and yields the
 * stylised frames in order after the last pass, each with its temporal error against the frame before.
 * `iterations` is the frame's total over the passes; `ms` its share of the time. Aborting (`signal`) rejects with
 * ABORTED within one network pass; however it ends, every tensor it made is freed.
 */
export async function* stylizeFramesMultiPass(stylizer: FrameStylizer, frames: FrameIterable, style: StyleInput, options: MultiPassOptions = {}): AsyncGenerator<StylizedFrame, void, undefined> {
  const o = resolveMultiPass(options, Array.isArray(style) ? style.length : 1, stylizer.model?.architecture);
  const { signal } = o.rest;
  throwIfAborted(signal, 'stylizeFramesMultiPass()');
  const contents: tf.Tensor4D[] = [];
  const results: tf.Tensor4D[] = [];
  /** toPrev[i]: frame i − 1 into frame i; toNext[i]: frame i + 1 into frame i. */
  const toPrev: Link[] = [];
  const toNext: Link[] = [];
  const handle = style instanceof PreparedStyle ? undefined : await stylizer.prepareStyle(style as ImageInput | readonly ImageInput[]);
  try {
    const t0 = now();
    for await (const frame of framesFromIterable(frames)) {
      throwIfAborted(signal, 'stylizeFramesMultiPass()');
      const i = contents.length;
      if (i >= o.maxFrames) throw new StyleTransferError('INVALID_OPTION', `The clip has more than maxFrames (${o.maxFrames}) frames; the multi-pass mode keeps every frame in memory: raise maxFrames, or use stylizeFrames (one pass).`, { field: 'maxFrames', value: o.maxFrames });
      const [height, width] = fitSize(frame.height, frame.width, o.rest.size ?? D.size);
      contents.push(tf.tidy(() => {
        const full = toImageTensor(frame, `frame ${i}`);
        return full.shape[1] === height && full.shape[2] === width ? full : resizeImage(full, height, width);
      }));
      if (i > 0) {
        const back = await flowBetween(o.flow, contents[i], contents[i - 1], i, i - 1);
        const fwd = await flowBetween(o.flow, contents[i - 1], contents[i], i - 1, i).catch((e: unknown) => {
          back.dispose();
          throw e;
        });
        toPrev[i] = { flow: back, c: consistency(fwd, back) };
        toNext[i - 1] = { flow: fwd, c: consistency(back, fwd) };
      }
    }
    const n = contents.length;
    const setupShare = (now() - t0) / Math.max(1, n);
    const ms = new Array<number>(n).fill(setupShare);
    const losses: (LossBreakdown | undefined)[] = [];
    const images: RgbaImage[] = [];
    const iterations = new Array<number>(n).fill(0);
    for (let pass = 1; pass <= o.passes; pass++) {
      const forward = pass % 2 === 1;
      for (let k = 0; k < n; k++) {
        throwIfAborted(signal, 'stylizeFramesMultiPass()');
        const i = forward ? k : n - 1 - k;
        const neighbour = forward ? i - 1 : i + 1;
        const link = neighbour >= 0 && neighbour < n ? (forward ? toPrev[i] : toNext[i]) : undefined;
        const t1 = now();
        const warped = link ? warpImage(results[neighbour], link.flow) : undefined;
        // The start: pass 1 the warped neighbour (the single pass's warped start); later passes the blend.
        const init = pass === 1 ? warped : tf.tidy(() => {
          if (!warped || !link) return results[i].clone();
          const w = tf.mul(link.c, o.blend);
          return tf.div(tf.add(results[i], tf.mul(w, warped)), tf.add(1, w)) as tf.Tensor4D;
        });
        try {
          const temporal = warped && link && pass >= o.temporalFrom ? [{ warped, weights: await maskOf(link.c) }] : undefined;
          const result = await stylizer.stylize(contents[i], handle ?? style, {
            ...o.rest,
            size: Math.max(contents[i].shape[1], contents[i].shape[2]),
            iterations: o.iterations,
            init: init ?? ('content' as const),
            ...(temporal ? { temporal } : {}),
            onIteration: async (info) => {
              losses[i] = info.loss;
              await o.onIteration?.({ ...info, frame: i, pass });
            },
          });
          iterations[i] += result.iterations;
          // Kept as the bytes it is returned as (as stylizeFrames keeps frames), so a pass sees what is written.
          images[i] = await result.toPixels().finally(() => result.dispose());
          results[i]?.dispose();
          results[i] = toImageTensor(images[i], `frame ${i}`);
        } finally {
          tf.dispose(init === warped ? [warped] : [warped, init]);
        }
        ms[i] += now() - t1;
      }
    }
    for (let i = 0; i < n; i++) {
      let measured: { error?: number; reliable: number } | undefined;
      if (i > 0) {
        const warped = warpImage(results[i - 1], toPrev[i].flow);
        measured = await temporalError(results[i], warped, toPrev[i].c).finally(() => warped.dispose());
      }
      yield { index: i, image: images[i], resumed: false, iterations: iterations[i], loss: losses[i], ...(measured && { temporalError: measured.error, reliable: measured.reliable }), ms: ms[i] };
    }
  } finally {
    tf.dispose([...contents, ...results.filter(Boolean), ...[...toPrev, ...toNext].filter(Boolean).flatMap((l) => [l.flow, l.c])]);
    handle?.dispose();
  }
}
