/**
 * Video style transfer after Ruder, Dosovitskiy & Brox (GCPR 2016, arXiv 1604.08610), the frame loop: each frame is
 * stylised by the session's `stylize()`, starting from the previous stylised frame warped by the optical flow, with
 * the temporal loss (`temporal` option, core/losses.ts `temporalTerm`) tying it to the frames i − j (j ∈ `longTerm`)
 * where the flow's consistency check says the warp holds. Frames come from any (async) iterable; the stylised frames
 * come out as an async iterator, one at a time, with what each cost and its temporal error.
 *
 * It needs only a session's `prepareStyle` and `stylize` ({@link FrameStylizer}), not the session module, so the
 * session's `video()` method (stylize/session.ts) and the one-shot `stylizeVideo` (./stylize-video.ts) both run it.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError } from '../errors.js';
import type { NetworkArchitecture } from '../core/architecture.js';
import { STYLIZE_DEFAULTS as D } from '../defaults.js';
import { fitSize, resizeImage, toImageTensor, type ImageInput } from '../image/input.js';
import { OPTIONS } from '../options/check.js';
import { rangeOf } from '../options/table.js';
import type { StylizeResult } from '../stylize/result.js';
import { PreparedStyle, type StyleHandle, type StyleInput } from '../stylize/style-handle.js';
import { resolveOptions, type IterationInfo, type LossBreakdown, type StylizeOptions } from '../stylize/options.js';
import { throwIfAborted, now } from '../util/checks.js';
import { consistency } from './consistency.js';
import { tfjsFlowSource, type FlowSource } from './flow-source.js';
import { framesFromIterable, type Frame, type FrameIterable } from './frames.js';
import { resizeFlow } from './image-ops.js';
import { warpImage } from './warp.js';

/**
 * How consecutive frames are tied together: `'temporal'` (default) the warped start and the temporal loss;
 * `'warped-start'` only the warped start; `'independent'` neither (each frame from its content: flickers).
 */
export type VideoConsistency = 'temporal' | 'warped-start' | 'independent';

/** Options of {@link stylizeFrames}: `stylize()`'s (but `init`, `temporal` and `iterations`, which are per frame) and these. */
export interface VideoOptions extends Omit<StylizeOptions, 'init' | 'temporal' | 'iterations' | 'onIteration' | 'snapshots' | 'regions' | 'contentWeightMap'> {
  /** Iterations of every frame after the first. Default `STYLIZE_DEFAULTS.iterations` / 2. */
  iterations?: number;
  /** Iterations of the first frame, and of every frame with `consistency: 'independent'` (they start from the content). Default 2 · iterations. */
  firstFrameIterations?: number;
  /** See {@link VideoConsistency}. Default `'temporal'`. */
  consistency?: VideoConsistency;
  /** The previous frames i − j the temporal loss looks back to (Ruder et al.'s long-term J), increasing, starting at 1. Default [1, 2, 4]. */
  longTerm?: readonly number[];
  /** Where flows come from. Default the built-in Horn–Schunck ({@link tfjsFlowSource}). */
  flow?: FlowSource;
  /**
   * Resume: the stylised frame `index` when it was finished before (e.g. read from the output folder), else
   * undefined. A finished frame is never recomputed: it is yielded with `resumed: true` and the next frames warp it.
   */
  finished?: (index: number) => Frame | undefined | Promise<Frame | undefined>;
  /** Called after every iteration of every frame (may be async). */
  onIteration?: (info: IterationInfo & { frame: number }) => void | Promise<void>;
}

/**
 * What the frame loop needs of a session: {@link Stylizer} has it (its `video()` method runs this loop on itself).
 * Written out here rather than imported, so the session module can import the loop without an import cycle.
 */
export interface FrameStylizer {
  /** The session's model: the options' layer names are its network's (default VGG-19's). */
  readonly model?: { readonly architecture: NetworkArchitecture };
  prepareStyle(style: ImageInput | readonly ImageInput[]): Promise<StyleHandle>;
  stylize(content: ImageInput, style: StyleInput, options?: StylizeOptions): Promise<StylizeResult>;
}

/** One stylised frame, as {@link stylizeFrames} yields it. */
export interface StylizedFrame {
  /** 0-based index in the clip. */
  index: number;
  /** The stylised frame, RGBA bytes at the output size. */
  image: Frame;
  /** True when it came from `finished` (not recomputed). */
  resumed: boolean;
  /** Iterations run for it (0 when resumed). */
  iterations: number;
  /** The loss at its last iteration (undefined when resumed). */
  loss?: LossBreakdown;
  /**
   * Ruder et al.'s temporal error: the mean squared difference (0–255 units, over the 3 channels) between this
   * stylised frame and the previous one warped into it, on the pixels the consistency check finds reliable.
   * Undefined for the first frame, a resumed frame and when no pixel is reliable.
   */
  temporalError?: number;
  /** The fraction of pixels that are reliable (c = 1) between this frame and the previous one. */
  reliable?: number;
  /** Milliseconds spent on this frame (flows and optimisation). */
  ms: number;
}

interface Resolved {
  iterations: number;
  first: number;
  mode: VideoConsistency;
  longTerm: number[];
  flow: FlowSource;
  finished?: VideoOptions['finished'];
  onIteration?: VideoOptions['onIteration'];
  rest: StylizeOptions;
}

/** Checks the video options (the `stylize()` ones by `resolveOptions`, layer names in `network`: the model's), before any work. */
export function resolveVideoOptions(options: VideoOptions = {}, styleCount = 1, network?: NetworkArchitecture): Resolved {
  const check = OPTIONS;
  const o = check.object('options', options) as VideoOptions & Record<string, unknown>;
  const { iterations, firstFrameIterations, consistency: mode, longTerm, flow, finished, onIteration, ...rest } = o;
  for (const key of ['init', 'temporal', 'snapshots', 'regions', 'contentWeightMap']) {
    if (key in rest) check.fail(key, rest[key], `no ${key}: video() sets it per frame or does not take it`);
  }
  resolveOptions(rest, styleCount, check, network);
  const r = rangeOf('iterations');
  const its = check.number('iterations', iterations, r, Math.max(1, Math.round(D.iterations / 2)));
  const lt = longTerm === undefined ? [1, 2, 4] : check.list('longTerm', longTerm, 1, 8).map((j, k) => check.int(`longTerm[${k}]`, j, 1, 64));
  if (lt[0] !== 1 || lt.some((j, k) => k > 0 && j <= lt[k - 1])) check.fail('longTerm', longTerm, 'increasing frame offsets starting at 1, e.g. [1, 2, 4]');
  if (flow !== undefined && typeof (flow as FlowSource | null)?.flow !== 'function') check.fail('flow', flow, 'a flow source: an object with flow(from, to, pair)');
  return {
    iterations: its,
    first: check.number('firstFrameIterations', firstFrameIterations, r, Math.min(r.max, 2 * its)),
    mode: check.oneOf('consistency', mode, ['temporal', 'warped-start', 'independent'] as const, 'temporal'),
    longTerm: lt,
    flow: flow ?? tfjsFlowSource(),
    finished: check.fn('finished', finished),
    onIteration: check.fn('onIteration', onIteration),
    rest,
  };
}

/** A frame the loop keeps: the content at the output size and its stylised result, both `[1,H,W,3]`. */
interface Kept {
  content: tf.Tensor4D;
  stylised: tf.Tensor4D;
}

/** What ties frame i to frame i − j: the previous stylised frame warped into i, and the consistency c (`[1,H,W,1]`). */
interface Tie {
  j: number;
  warped: tf.Tensor4D;
  c: tf.Tensor4D;
}

/** The flow from frame `from` (`a`) to frame `to` (`b`), checked and at `a`'s size. */
export async function flowBetween(source: FlowSource, a: tf.Tensor4D, b: tf.Tensor4D, from: number, to: number): Promise<tf.Tensor4D> {
  const w = await source.flow(a, b, { from, to });
  if (w.rank !== 4 || w.shape[3] !== 2) {
    w.dispose();
    throw new StyleTransferError('INVALID_FLOW', `The flow from frame ${from} to ${to} is [${w.shape.join(',')}]; a flow must be [1,H,W,2].`, { flowShape: w.shape });
  }
  if (w.shape[1] === a.shape[1] && w.shape[2] === a.shape[2]) return w;
  // A flow at the clip's own size (e.g. from .flo files) for frames stylised smaller.
  const sized = resizeFlow(w, a.shape[1], a.shape[2]);
  w.dispose();
  return sized;
}

/** Frame i tied to frame i − j: both flows between their contents, the consistency check, the warp of the stylised frame. */
async function tie(source: FlowSource, i: number, j: number, current: tf.Tensor4D, previous: Kept): Promise<Tie> {
  const backward = await flowBetween(source, current, previous.content, i, i - j);
  try {
    const forward = await flowBetween(source, previous.content, current, i - j, i);
    const c = consistency(forward, backward);
    forward.dispose();
    return { j, warped: warpImage(previous.stylised, backward), c };
  } finally {
    backward.dispose();
  }
}

/**
 * Ruder et al.'s long-term weights (eq. 6): c_long(i − j) = max(c(i − j) − Σ_{k ∈ J, k < j} c(i − k), 0), so each
 * pixel is tied to its most recent reliable frame only. New tensors.
 */
function longTermWeights(ties: readonly Tie[]): tf.Tensor4D[] {
  return ties.map((t, k) => tf.tidy(() => (k === 0 ? t.c.clone() : (tf.relu(tf.sub(t.c, tf.addN(ties.slice(0, k).map((s) => s.c)))) as tf.Tensor4D))));
}

/**
 * Ruder et al.'s temporal error between a stylised frame and the previous one warped into it: Σ c(x − ω)² / (3 Σ c),
 * 0–255 units; undefined when c is 0 everywhere. Also returns the fraction of reliable pixels.
 */
export async function temporalError(current: tf.Tensor4D, warpedPrevious: tf.Tensor4D, c: tf.Tensor4D): Promise<{ error?: number; reliable: number }> {
  const s = tf.tidy(() => tf.stack([tf.sum(tf.mul(c, tf.square(tf.sub(current, warpedPrevious)))), tf.sum(c)]));
  const [sq, n] = await s.data().finally(() => s.dispose());
  return { error: n > 0 ? sq / (3 * n) : undefined, reliable: n / (c.shape[1] * c.shape[2]) };
}

/** Consistency weights `[1,H,W,1]` as the `temporal` option's weights. */
export async function maskOf(weights: tf.Tensor4D): Promise<{ data: Float32Array; width: number; height: number }> {
  const data = await weights.data();
  // WebGL's cast from bool to float32 keeps the bool data (the consistency mask), which then reads back as bytes.
  return { data: data instanceof Float32Array ? data : Float32Array.from(data), width: weights.shape[2], height: weights.shape[1] };
}

/**
 * Stylises a clip frame by frame on a session (see the module notes), yielding each stylised frame as soon as it is
 * done. `style` is prepared once (its Grams reused by every frame). Aborting (`signal`) rejects within one network
 * pass with ABORTED; breaking out of the loop stops it; either way every tensor it made is freed. Frames must all
 * have one size; each is stylised at `size` (longest side).
 */
export async function* stylizeFrames(stylizer: FrameStylizer, frames: FrameIterable, style: StyleInput, options: VideoOptions = {}): AsyncGenerator<StylizedFrame, void, undefined> {
  const o = resolveVideoOptions(options, Array.isArray(style) ? style.length : 1, stylizer.model?.architecture);
  const { signal } = o.rest;
  const abortCheck = () => throwIfAborted(signal, 'video()');
  abortCheck();
  // Images are prepared once here, so every frame reuses their Grams; a handle is the caller's.
  const handle = style instanceof PreparedStyle ? undefined : await stylizer.prepareStyle(style as ImageInput | readonly ImageInput[]);
  const kept = new Map<number, Kept>();
  const keep = o.mode === 'independent' ? 1 : o.longTerm[o.longTerm.length - 1];
  let ties: Tie[] = [];
  try {
    let index = 0;
    for await (const frame of framesFromIterable(frames)) {
      abortCheck();
      const t0 = now();
      const [height, width] = fitSize(frame.height, frame.width, o.rest.size ?? D.size);
      const content = tf.tidy(() => {
        const full = toImageTensor(frame, `frame ${index}`);
        return full.shape[1] === height && full.shape[2] === width ? full : resizeImage(full, height, width);
      });
      const entry: Kept = { content, stylised: content };
      try {
        const done = await o.finished?.(index);
        // Ties to the earlier frames still kept (i − 1 always, to measure the temporal error; i − j for the loss).
        const offsets = done ? [] : o.mode === 'temporal' ? o.longTerm : [1];
        for (const j of offsets) {
          const previous = kept.get(index - j);
          if (previous) ties.push(await tie(o.flow, index, j, content, previous));
        }
        let out: Omit<StylizedFrame, 'ms' | 'temporalError' | 'reliable'>;
        if (done) {
          entry.stylised = tf.tidy(() => toImageTensor(done, `finished frame ${index}`));
          if (entry.stylised.shape[1] !== height || entry.stylised.shape[2] !== width) {
            throw new StyleTransferError('INVALID_IMAGE', `The finished frame ${index} is ${done.width}x${done.height} but frames are stylised at ${width}x${height}; resume with the same size, or remove the finished frames.`, { path: `frame ${index}`, width: done.width, height: done.height, expected: [width, height] });
          }
          out = { index, image: done, resumed: true, iterations: 0 };
        } else {
          out = await stylizeOne(stylizer, handle ?? style, o, index, content, ties);
          entry.stylised = (out as { tensor?: tf.Tensor4D }).tensor!;
          delete (out as { tensor?: tf.Tensor4D }).tensor;
        }
        const short = ties.find((t) => t.j === 1);
        const measured = short && !done ? await temporalError(entry.stylised, short.warped, short.c) : undefined;
        kept.set(index, entry);
        const old = kept.get(index - keep);
        if (old) tf.dispose([old.content, old.stylised]);
        kept.delete(index - keep);
        yield { ...out, ...(measured && { temporalError: measured.error, reliable: measured.reliable }), ms: now() - t0 };
      } catch (e) {
        if (!kept.has(index)) tf.dispose(entry.stylised === content ? [content] : [content, entry.stylised]);
        throw e;
      } finally {
        tf.dispose(ties.flatMap((t) => [t.warped, t.c]));
        ties = [];
      }
      index++;
    }
  } finally {
    for (const k of kept.values()) tf.dispose([k.content, k.stylised]);
    handle?.dispose();
  }
}

/** One frame's run: the warped start and the temporal loss from `ties` (as the mode says). */
async function stylizeOne(stylizer: FrameStylizer, style: StyleInput, o: Resolved, index: number, content: tf.Tensor4D, ties: readonly Tie[]): Promise<Omit<StylizedFrame, 'ms'> & { tensor: tf.Tensor4D }> {
  const short = ties.find((t) => t.j === 1);
  const weights = o.mode === 'temporal' ? longTermWeights(ties) : [];
  try {
    const temporal = o.mode === 'temporal' ? await Promise.all(ties.map(async (t, k) => ({ warped: t.warped, weights: await maskOf(weights[k]) }))) : undefined;
    let loss: LossBreakdown | undefined;
    const result = await stylizer.stylize(content, style, {
      ...o.rest,
      size: Math.max(content.shape[1], content.shape[2]),
      // A frame that starts from its content (the first; every one when independent) gets the first frame's count.
      ...(short && o.mode !== 'independent' ? { iterations: o.iterations, init: short.warped } : { iterations: o.first, init: 'content' as const }),
      ...(temporal?.length ? { temporal } : {}),
      onIteration: async (info) => {
        loss = info.loss;
        await o.onIteration?.({ ...info, frame: index });
      },
    });
    const image = await result.toPixels().finally(() => result.dispose());
    // The next frames warp the bytes, as a resumed run reads them back: resuming gives the same frames.
    const tensor = toImageTensor(image, `frame ${index}`);
    return { index, image, resumed: false, iterations: result.iterations, loss, tensor };
  } finally {
    tf.dispose(weights);
  }
}
