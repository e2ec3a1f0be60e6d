import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError, describe } from '../errors.js';
import { readImageInput, toImageData, toRgba, type ImageInput, type PixelRange } from '../image/input.js';
import { loadVgg19, type LossNetwork } from '../core/model.js';
import { kernelsFor } from '../kernels/index.js';
import { resolveTapPoints } from '../core/network.js';
import { assertFloat32Backend } from '../kernels/precision.js';
import { resolveConfig, type ResolvedConfig, type StylizerConfig } from './config.js';
import { resolveOptions, type IterationInfo, type ResolvedOptions, type StylizeOptions, type StylizeRequest } from './options.js';
import { RunQueue } from './queue.js';
import { expiringStep, makeResult, median, type HistoryEntry, type Snapshot, type StylizePlan, type StylizeResult, type StylizeStep } from './result.js';
import { now, runStyleTransfer, type RunStep, type RunSummary } from './run.js';
import { PreparedStyle, type StyleHandle, type StyleInput } from './style-handle.js';
import { stylizeFrames, type StylizedFrame, type VideoOptions } from '../video/frame-loop.js';
import type { FrameIterable } from '../video/frames.js';
import { throwIfAborted } from './targets.js';
import { raceTileCallback, safely, settled } from './callbacks.js';
import { resolvePrepareOptions, type PrepareStyleOptions } from './prepare-options.js';
import { planCall, type ImageSize } from './plan-call.js';

export type { PrepareStyleOptions } from './prepare-options.js';
export type { ImageSize } from './plan-call.js';

export type { StyleInput } from './style-handle.js';

/**
 * A style-transfer session: one loaded VGG-19, styles whose Gram matrices are computed once and reused, and a
 * queue that runs one call at a time, so any number of concurrent calls is safe. Made by {@link createStylizer};
 * `dispose()` it when done.
 */
export interface Stylizer {
  /** The model the session runs (owned by the session unless it was passed in). */
  readonly model: LossNetwork;
  /** Calls waiting for their turn (not counting the one running). */
  readonly queued: number;
  /** True once {@link Stylizer.dispose} was called. */
  readonly disposed: boolean;
  /**
   * Prepares a style once for many calls: the images are checked and kept on the backend, and their Gram matrices
   * are computed on first use at each size and kept. Dispose the handle when done (the session's `dispose()`
   * frees it too).
   */
  prepareStyle(style: ImageInput | readonly ImageInput[], options?: PrepareStyleOptions): Promise<StyleHandle>;
  /** Runs one style transfer and resolves to its result (dispose it). Waits for its turn in the queue. */
  stylize(content: ImageInput, style: StyleInput, options?: StylizeOptions): Promise<StylizeResult>;
  /**
   * The same run, one iteration at a time: `for await (const step of stylizer.steps(...))`. Each step's image is
   * read only when asked for (`toTensor`, `toPixels`, `toImageData`) and only until the next step. The call holds
   * the session's queue until the loop ends, so finish it or leave it with `break` (which frees everything).
   */
  steps(content: ImageInput, style: StyleInput, options?: StylizeOptions): AsyncGenerator<StylizeStep, void, undefined>;
  /**
   * Stylises a clip frame by frame with temporal consistency (Ruder et al.; docs/video.md): an async iterator of
   * the stylised frames, each yielded as soon as it is done, with progress (`onIteration`), abort (`signal`) and
   * resume (`finished`: a finished frame is never recomputed). Runs on this session's model; a style given as
   * images is prepared once for the clip, a handle from {@link Stylizer.prepareStyle} is used as it is. Each frame
   * is one call in the session's queue. Breaking out of the loop, an abort or an error frees every tensor.
   */
  video(frames: FrameIterable, style: StyleInput, options?: VideoOptions): AsyncGenerator<StylizedFrame, void, undefined>;
  /**
   * What `stylize(content, style, options)` would do on the current backend, planned from the images' sizes alone:
   * each scale's size, tiles, L-BFGS pairs, where the optimiser's state lives and its estimated bytes, and the
   * warnings the run would give. Rejects with the errors the run would give before any work — INVALID_OPTION,
   * INVALID_IMAGE, IMAGE_TOO_LARGE, and OUT_OF_MEMORY or DEVICE_LIMIT with `details.fitSize`, the largest `size`
   * that fits — so an app can offer only sizes that fit. Allocates nothing and does not wait for the queue; the
   * budget is what the backend has free now (a run in progress makes the answer more cautious).
   */
  plan(content: ImageSize, style: ImageSize | readonly ImageSize[] | StyleHandle, options?: StylizeOptions): Promise<StylizePlan>;
  /**
   * Frees the cached styles and, when the session loaded it, the model. Waiting calls reject with DISPOSED; a
   * running call finishes first (the model is freed after it).
   */
  dispose(): void;
}

let nextImageId = 1;
const imageIds = new WeakMap<object, number>();
const idOf = (img: unknown): number => {
  let id = imageIds.get(img as object);
  if (!id) imageIds.set(img as object, (id = nextImageId++));
  return id;
};

function isHandle(style: unknown): style is PreparedStyle {
  return style instanceof PreparedStyle;
}

class Session implements Stylizer {
  private readonly queue: RunQueue;
  /** Styles given as images, by the identity of the image objects: the cache `cacheSize` bounds. */
  private readonly styleCache = new Map<string, PreparedStyle>();
  /** Handles made by prepareStyle, freed with the session. */
  private readonly handles = new Set<PreparedStyle>();
  private isDisposed = false;
  private active = 0;
  /** Aborted by dispose(): a callback that never settles cannot keep a call (and the model) alive past it. */
  private readonly disposal = new AbortController();

  constructor(readonly model: LossNetwork, private readonly ownsModel: boolean, private readonly config: ResolvedConfig) {
    this.queue = new RunQueue(config.maxQueue);
  }

  get queued(): number {
    return this.queue.waitingCount;
  }

  get disposed(): boolean {
    return this.isDisposed;
  }

  async prepareStyle(style: ImageInput | readonly ImageInput[], options: PrepareStyleOptions = {}): Promise<StyleHandle> {
    this.assertLive();
    const { signal, pixelRange } = resolvePrepareOptions(options);
    const handle = await this.convertStyle(style, pixelRange, signal);
    if (this.isDisposed) {
      // dispose() ran while the images were read: the session would never free this handle.
      handle.dispose();
      this.assertLive();
    }
    this.handles.add(handle);
    return handle;
  }

  async stylize(content: ImageInput, style: StyleInput, options: StylizeOptions = {}): Promise<StylizeResult> {
    const history: HistoryEntry[] = [];
    const snapshots: Snapshot[] = [];
    const run = this.run(content, style, options, { history, snapshots });
    let step = await run.next();
    while (!step.done) step = await run.next();
    const { summary, backend, queuedMs, t0 } = step.value;
    const totalMs = now() - t0;
    const timings = { queuedMs, setupMs: summary.setupMs, optimizeMs: totalMs - summary.setupMs, totalMs, perIterationMs: median(summary.iterationMs) };
    const image = tf.tidy(() => tf.squeeze(summary.image, [0]) as tf.Tensor3D);
    summary.image.dispose();
    return makeResult(image, {
      history, snapshots, iterations: summary.iterations, evaluations: summary.evaluations, stopReason: summary.stopReason,
      warnings: summary.warnings, backend, timings, scales: summary.scales,
    });
  }

  async *steps(content: ImageInput, style: StyleInput, options: StylizeOptions = {}): AsyncGenerator<StylizeStep, void, undefined> {
    const run = this.run(content, style, options);
    try {
      for (;;) {
        const r = await run.next();
        if (r.done) {
          r.value.summary.image.dispose();
          return;
        }
        const { finished, ...info } = r.value.step;
        const image = (): tf.Tensor3D => tf.tidy(() => tf.squeeze(finished(), [0]) as tf.Tensor3D);
        const read = async <T>(f: (t: tf.Tensor3D) => Promise<T>): Promise<T> => {
          const t = image();
          return f(t).finally(() => t.dispose());
        };
        const { step, expire } = expiringStep(info, { toTensor: image, toPixels: () => read(toRgba), toImageData: () => read(toImageData) });
        try {
          yield step;
        } finally {
          expire();
        }
      }
    } finally {
      await run.return(undefined as never);
    }
  }

  video(frames: FrameIterable, style: StyleInput, options: VideoOptions = {}): AsyncGenerator<StylizedFrame, void, undefined> {
    return stylizeFrames(this, frames, style, options);
  }

  async plan(content: ImageSize, style: ImageSize | readonly ImageSize[] | StyleHandle, options: StylizeOptions = {}): Promise<StylizePlan> {
    this.assertLive();
    if (isHandle(style) && style.owner !== this) throw new StyleTransferError('INVALID_OPTION', 'This style handle was prepared by another stylizer; prepare it with this one.', { field: 'style' });
    return planCall(content, isHandle(style) ? style.sizes : Array.isArray(style) ? style : [style as ImageSize], options, this.config, isHandle(style), this.model.architecture);
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    this.disposal.abort(new StyleTransferError('DISPOSED', 'The stylizer was disposed while a callback of this call had not settled.'));
    this.queue.rejectAll(new StyleTransferError('DISPOSED', 'The stylizer was disposed while this call waited for its turn.'));
    for (const h of this.styleCache.values()) h.dispose();
    this.styleCache.clear();
    for (const h of this.handles) h.dispose();
    this.handles.clear();
    if (this.active === 0) this.freeModel();
  }

  private freeModel(): void {
    if (this.ownsModel) this.model.dispose();
  }

  private assertLive(): void {
    if (this.isDisposed) throw new StyleTransferError('DISPOSED', 'This stylizer was disposed; create a new one with createStylizer().');
  }

  /**
   * One call from start to end, shared by `stylize` and `steps`: validate, wait for the turn, convert the
   * images, run the loop with the per-iteration hooks (progress, previews, snapshots, taps), release everything.
   * Yields each step; returns the run's summary (whose image the caller owns).
   */
  private async *run(
    contentInput: ImageInput,
    styleInput: StyleInput,
    options: StylizeOptions,
    collect?: { history: HistoryEntry[]; snapshots: Snapshot[] },
  ): AsyncGenerator<{ step: RunStep }, { summary: RunSummary; backend: string; queuedMs: number; t0: number }, undefined> {
    this.assertLive();
    if (contentInput === undefined || contentInput === null) throw new StyleTransferError('INVALID_OPTION', `\`content\` is ${describe(contentInput)}; expected an image.`, { field: 'content' });
    if (styleInput === undefined || styleInput === null) throw new StyleTransferError('INVALID_OPTION', `\`style\` is ${describe(styleInput)}; expected an image, a list of images or a style handle.`, { field: 'style' });
    const styleCount = isHandle(styleInput) ? styleInput.count : Array.isArray(styleInput) ? styleInput.length : 1;
    if (styleCount === 0) throw new StyleTransferError('INVALID_OPTION', '`style` is an empty list; give at least one style image.', { field: 'style' });
    const { signal } = options;
    const o = raceTileCallback(resolveOptions(options, styleCount, undefined, this.model.architecture), [signal, this.disposal.signal]);
    assertFloat32Backend();
    const tapPoints = resolveTapPoints(o.taps, this.model.architecture);
    if (isHandle(styleInput)) {
      if (styleInput.owner !== this) throw new StyleTransferError('INVALID_OPTION', 'This style handle was prepared by another stylizer; prepare it with this one.', { field: 'style' });
      styleInput.retain();
    }
    this.active++;
    let style: PreparedStyle | undefined = isHandle(styleInput) ? styleInput : undefined;
    let release: (() => void) | undefined;
    let content: tf.Tensor4D | undefined;
    const tq = now();
    try {
      const onQueue = options.onQueue;
      release = await this.queue.acquire(signal, onQueue ? (p) => safely(() => onQueue(p)) : undefined);
      this.assertLive();
      const queuedMs = now() - tq;
      const t0 = now();
      // The backend's kernels, chosen once for the run (a session normally sees one backend; choosing per call
      // stays right if the app switches backends between calls). A heap that cannot grow then fails the
      // allocation instead of corrupting memory (the kernels' guard, where the backend needs one).
      const backend = tf.getBackend();
      const kernels = kernelsFor(backend, { winograd: this.config.winograd });
      kernels.guardMalloc?.(tf.backend());
      style ??= await this.styleFor(styleInput as ImageInput | readonly ImageInput[], o.pixelRange, signal);
      content = await readImageInput(contentInput, 'content', { pixelRange: o.pixelRange, maxPixels: this.config.maxPixels });
      const loop = runStyleTransfer({ model: this.model, content, style, o, maxPixels: this.config.maxPixels, tapPoints, backend, kernels, signal });
      try {
        let r = await loop.next();
        while (!r.done) {
          const step = r.value;
          await this.afterStep(step, o, options, collect);
          yield { step };
          r = await loop.next();
        }
        return { summary: r.value, backend, queuedMs, t0 };
      } finally {
        await loop.return(undefined as never);
      }
    } finally {
      content?.dispose();
      if (style) style.release();
      release?.();
      if (--this.active === 0 && this.isDisposed) this.freeModel();
    }
  }

  /** The hooks that hang off the loop: history, snapshots, progress with previews (taps are the loop's: RunTaps). */
  private async afterStep(step: RunStep, o: ResolvedOptions, options: StylizeOptions, collect?: { history: HistoryEntry[]; snapshots: Snapshot[] }): Promise<void> {
    const { iteration, loss, evaluations, elapsedMs } = step;
    collect?.history.push({ iteration, scale: step.scale, loss, evaluations, elapsedMs });
    if (collect && o.snapshots.has(iteration)) {
      const img = step.finished();
      collect.snapshots.push({ iteration, image: await toRgba(img).finally(() => img.dispose()), loss, elapsedMs });
    }
    if (options.onIteration) {
      const info: IterationInfo = { iteration, iterations: step.iterations, scale: step.scale, width: step.width, height: step.height, loss, evaluations, elapsedMs, ...(step.tiling && { tiling: step.tiling }) };
      if (o.previewEvery > 0 && (iteration % o.previewEvery === 0 || step.last)) {
        const img = step.finished();
        info.preview = await toRgba(img).finally(() => img.dispose());
      }
      await settled(options.onIteration(info), [options.signal, this.disposal.signal]);
    }
  }

  /** A style given as images: from the cache (by the images' identity) or converted now. The caller releases it. */
  private async styleFor(style: ImageInput | readonly ImageInput[], pixelRange: PixelRange, signal?: AbortSignal): Promise<PreparedStyle> {
    const list = Array.isArray(style) ? (style as readonly ImageInput[]) : [style as ImageInput];
    const key = `${pixelRange}|${list.map((s) => (typeof s === 'object' && s !== null ? idOf(s) : String(s))).join(',')}`;
    const hit = this.styleCache.get(key);
    if (hit) {
      this.styleCache.delete(key); // re-inserted: most recently used last
      this.styleCache.set(key, hit);
      hit.retain();
      return hit;
    }
    const made = await this.convertStyle(style, pixelRange, signal);
    if (this.isDisposed) {
      made.dispose(); // the cache was emptied by dispose() while the images were read
      this.assertLive();
    }
    if (this.config.cacheSize === 0) return made; // the caller's release is the last
    made.retain(); // the caller's reference; the cache keeps the owner's
    this.styleCache.set(key, made);
    while (this.styleCache.size > this.config.cacheSize) {
      const [k, old] = this.styleCache.entries().next().value as [string, PreparedStyle];
      this.styleCache.delete(k);
      old.dispose(); // freed now, or when the call using it releases it
    }
    return made;
  }

  private async convertStyle(style: ImageInput | readonly ImageInput[], pixelRange: PixelRange, signal?: AbortSignal): Promise<PreparedStyle> {
    const list = Array.isArray(style) ? (style as readonly ImageInput[]) : [style as ImageInput];
    if (list.length === 0) throw new StyleTransferError('INVALID_OPTION', '`style` is an empty list; give at least one style image.', { field: 'style' });
    const images: tf.Tensor4D[] = [];
    try {
      for (let i = 0; i < list.length; i++) {
        throwIfAborted(signal, 'Preparing the style');
        images.push(await readImageInput(list[i], list.length > 1 ? `style[${i}]` : 'style', { pixelRange, maxPixels: this.config.maxPixels }));
      }
    } catch (e) {
      tf.dispose(images);
      throw e;
    }
    return new PreparedStyle(images, this);
  }
}

/**
 * Creates a style-transfer session: validates the config, loads and verifies the weights (unless `model` is
 * given), and resolves to a {@link Stylizer}. Rejects with a StyleTransferError (INVALID_OPTION, WEIGHTS_*,
 * ABORTED) before anything is kept.
 *
 * @example
 * ```ts
 * const stylizer = await createStylizer();
 * const starry = await stylizer.prepareStyle(styleImage);       // Grams computed once per size
 * const a = await stylizer.stylize(photoA, starry, { size: 256 });
 * const b = await stylizer.stylize(photoB, starry, { size: 256 }); // reuses them
 * a.dispose(); b.dispose(); stylizer.dispose();
 * ```
 */
export async function createStylizer(config: StylizerConfig = {}): Promise<Stylizer> {
  const c = resolveConfig(config);
  throwIfAborted(c.signal, 'createStylizer()');
  if (c.model) return new Session(c.model, false, c);
  const model = await loadVgg19({ ...c.load, signal: c.signal ?? c.load.signal });
  return new Session(model, true, c);
}

/**
 * Gatys et al. neural style transfer in one call: creates a session (around `model` when given), runs it once and
 * disposes it. Resolves to a {@link StylizeResult} (dispose it); rejects with a {@link StyleTransferError}. Every
 * tensor it made is freed whether it resolves or rejects. For more than one call, keep a {@link createStylizer}
 * session instead: it loads the model once and reuses style Grams.
 *
 * @example
 * ```ts
 * import { stylize } from 'neural-style-tfjs/node';
 * const result = await stylize({ content, style, size: 256, iterations: 100,
 *   onIteration: ({ iteration, loss }) => console.log(iteration, loss.total) });
 * const { data, width, height } = await result.toPixels(); // RGBA bytes
 * result.dispose();
 * ```
 */
export async function stylize(request: StylizeRequest): Promise<StylizeResult> {
  if (!request || typeof request !== 'object') throw new StyleTransferError('INVALID_OPTION', `stylize() takes an object { content, style, ...options }; got ${describe(request)}.`, { field: 'options' });
  const { content, style, model, ...options } = request;
  resolveOptions(options, Array.isArray(style) ? style.length : 1, undefined, model?.architecture); // bad options fail before the model loads
  const session = await createStylizer({ model, cacheSize: 0, signal: options.signal });
  try {
    return await session.stylize(content, style as StyleInput, options);
  } finally {
    session.dispose();
  }
}
