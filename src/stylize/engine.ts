import * as tf from '@tensorflow/tfjs-core';
import { combineLuminance } from '../color.js';
import { StyleTransferError } from '../errors.js';
import { fitSize, resizeImage, toImageTensor, toRgba } from '../image.js';
import { loadVgg19, type LoadVgg19Options, type Vgg19 } from '../model.js';
import { forward, lossAndGradient, preprocess, resolveTapPoints, type PointLoss } from '../network.js';
import { contentLoss, styleLoss, tvLoss, type LossTerm } from '../losses.js';
import { adam } from '../optim/adam.js';
import { lbfgs } from '../optim/lbfgs.js';
import { makePyramid } from '../optim/pyramid.js';
import type { Objective, OptimizerStep } from '../optim/types.js';
import { backendMemoryLimit, estimateMemory } from '../memory.js';
import { noiseImage } from './noise.js';
import { resolveOptions, type IterationInfo, type LossBreakdown, type ResolvedOptions, type StylizeOptions } from './options.js';
import { makeResult, median, type HistoryEntry, type Snapshot, type StopReason, type StylizeResult } from './result.js';
import { checkFits, computeTargets, disposeTargets, type Targets } from './targets.js';

/** Yields to the event loop so timers (and with them AbortSignal.timeout, UI events) get to run. */
const yieldToEventLoop = (): Promise<void> =>
  new Promise((r) => (typeof setImmediate === 'function' ? setImmediate(r) : setTimeout(r, 0)));

function abortError(signal: AbortSignal): StyleTransferError {
  const reason = signal.reason instanceof Error ? signal.reason.message : signal.reason !== undefined ? String(signal.reason) : 'aborted';
  return new StyleTransferError('ABORTED', `stylize() was aborted (${reason}); \`error.result\` holds the best image so far.`);
}

/** Builds the objective for one set of targets: one forward+backward pass, one read-back of every loss part. */
function makeObjective(model: Vgg19, t: Targets, o: ResolvedOptions, signal?: AbortSignal): { objective: Objective; names: string[] } {
  const names = [...o.contentLayers.map((l) => `content:${l.name}`), ...o.styleLayers.map((l) => `style:${l.name}`), 'tv'];
  const normalize = (term: LossTerm): LossTerm => {
    if (!o.normalizeGradients) return term;
    return { value: term.value, grad: tf.div(term.grad, tf.add(tf.sum(tf.abs(term.grad)), 1e-8)) as tf.Tensor4D };
  };
  const objective: Objective = async (x, direction) => {
    if (signal?.aborted) throw abortError(signal);
    const { read, grad } = tf.tidy(() => {
      const parts: tf.Scalar[] = new Array(names.length);
      const losses = new Map<number, PointLoss>();
      const add = (index: number, term: (a: tf.Tensor4D) => LossTerm, part: number) => {
        const prev = losses.get(index);
        losses.set(index, (a) => {
          const r = normalize(term(a));
          parts[part] = r.value;
          if (!prev) return r;
          const p = prev(a);
          return { value: tf.add(p.value, r.value) as tf.Scalar, grad: tf.add(p.grad, r.grad) as tf.Tensor4D };
        });
      };
      o.contentLayers.forEach((l, i) => {
        const target = t.contentFeatures.get(l.point.index)!;
        add(l.point.index, (a) => contentLoss(a, target, o.contentWeight * l.weight, o.lossNormalization), i);
      });
      o.styleLayers.forEach((l, i) => {
        const target = t.styleGrams.get(l.point.index)!;
        add(l.point.index, (a) => styleLoss(a, target, o.styleWeight * l.weight, o.lossNormalization), o.contentLayers.length + i);
      });
      const net = lossAndGradient(model, x as tf.Tensor4D, losses, o.pooling);
      const tv = tvLoss(x as tf.Tensor4D, o.tvWeight);
      parts[names.length - 1] = tv.value;
      const g = tf.add(net.grad, tv.grad);
      const total = tf.addN(parts);
      const read = tf.stack([total, ...parts, direction ? tf.sum(tf.mul(g, direction)) : tf.scalar(0)]);
      return { read, grad: g };
    });
    const values = await read.data();
    read.dispose();
    return {
      loss: values[0],
      parts: Array.from(values.subarray(1, 1 + names.length)),
      grad,
      gtd: direction ? values[values.length - 1] : undefined,
    };
  };
  return { objective, names };
}

function breakdown(o: ResolvedOptions, total: number, parts: ArrayLike<number>): LossBreakdown {
  const nc = o.contentLayers.length;
  const contentLayers: LossBreakdown['contentLayers'] = {};
  const styleLayers: LossBreakdown['styleLayers'] = {};
  let content = 0;
  let style = 0;
  o.contentLayers.forEach((l, i) => ((contentLayers[l.name] = parts[i]), (content += parts[i])));
  o.styleLayers.forEach((l, i) => ((styleLayers[l.name] = parts[nc + i]), (style += parts[nc + i])));
  return { total, content, style, tv: parts[parts.length - 1], contentLayers, styleLayers };
}

/** Headroom for allocator fragmentation and backend workspaces on top of the estimate. */
const MEMORY_SLACK = 1.3;

/**
 * Checks, before any work, that every scale fits the backend's memory cap (WASM: 4 GiB). Where L-BFGS's history
 * is what does not fit, it is shortened for that scale (with a warning); if even that is not enough, fails with
 * OUT_OF_MEMORY saying what to change. Returns the history size to use per scale.
 */
function planMemory(o: ResolvedOptions, contentH: number, contentW: number, warnings: string[]): number[] {
  const limit = backendMemoryLimit();
  const lossPoints = [...o.contentLayers, ...o.styleLayers].map((l) => l.point);
  return o.scales.map((s) => {
    const [h, w] = fitSize(contentH, contentW, Math.max(16, Math.round(o.size * s)));
    const want = o.optimizer === 'lbfgs' ? o.lbfgs.historySize : 0;
    if (limit === undefined) return want;
    const budget = limit - tf.memory().numBytes;
    const pyramid = o.precondition !== undefined;
    const fits = (history: number) => estimateMemory({ height: h, width: w, lossPoints, optimizer: o.optimizer, historySize: history, pyramid }).total * MEMORY_SLACK <= budget;
    if (fits(want)) return want;
    if (o.optimizer === 'lbfgs') {
      for (let hist = Math.min(want, 50); hist >= 5; hist = Math.floor(hist * 0.7)) {
        if (fits(hist)) {
          warnings.push(`At ${w}x${h} the L-BFGS history was shortened from ${want} to ${hist} pairs to fit the ${tf.getBackend()} backend's memory.`);
          return hist;
        }
      }
    }
    const need = estimateMemory({ height: h, width: w, lossPoints, optimizer: o.optimizer, historySize: Math.min(want, 5), pyramid }).total * MEMORY_SLACK;
    throw new StyleTransferError(
      'OUT_OF_MEMORY',
      `A ${w}x${h} image needs about ${(need / 2 ** 30).toFixed(1)} GiB on the ${tf.getBackend()} backend, more than the ${(budget / 2 ** 30).toFixed(1)} GiB it has left. ` +
        'Use a smaller `size`, style layers that stop earlier, or the tensorflow (tfjs-node) backend.',
      { width: w, height: h, bytes: need, budget },
    );
  });
}

/** Turns the optimised image (maybe grey, maybe out of range) into the output image `[1,H,W,3]` in 0–255. */
function finish(x: tf.Tensor4D, t: Targets, o: ResolvedOptions): tf.Tensor4D {
  return tf.tidy(() => {
    const y = o.preserveColors === 'luminance' ? combineLuminance(x, t.contentColor) : x;
    return tf.clipByValue(y, 0, 255) as tf.Tensor4D;
  });
}

let nextImageId = 1;
const imageIds = new WeakMap<object, number>();
const idOf = (img: unknown): string => {
  if (typeof img !== 'object' || img === null) return String(img);
  let id = imageIds.get(img);
  if (!id) imageIds.set(img, (id = nextImageId++));
  return `#${id}`;
};

export interface StylizerOptions {
  /** A loaded model to use (not disposed by the stylizer). Default: loaded on first use and owned. */
  model?: Vgg19;
  /** Options for loading the model when none is given. */
  load?: LoadVgg19Options;
  /** Style/content targets kept for reuse across calls (least recently used dropped). Default 4. */
  cacheSize?: number;
}

/**
 * Keeps a loaded model and precomputed targets across calls: a second `stylize()` with the same style image
 * objects, size and layers skips recomputing the style Grams.
 */
export class Stylizer {
  private model?: Vgg19;
  private readonly ownsModel: boolean;
  private readonly loadOptions?: LoadVgg19Options;
  private readonly cache = new Map<string, Targets>();
  private readonly cacheSize: number;
  private loading?: Promise<Vgg19>;

  constructor(options: StylizerOptions = {}) {
    this.model = options.model;
    this.ownsModel = !options.model;
    this.loadOptions = options.load;
    this.cacheSize = options.cacheSize ?? 4;
  }

  /** The model, loading it on first use. */
  async getModel(): Promise<Vgg19> {
    if (this.model) return this.model;
    this.loading ??= loadVgg19(this.loadOptions);
    this.model = await this.loading;
    return this.model;
  }

  /** Runs one style transfer; see {@link stylize} for the options. */
  async stylize(options: StylizeOptions): Promise<StylizeResult> {
    const t0 = now();
    const o = resolveOptions(options);
    const tapPoints = resolveTapPoints(o.taps);
    const signal = options.signal;
    if (signal?.aborted) throw abortError(signal);
    const model = options.model ?? (await this.getModel());
    const backend = tf.getBackend();
    let contentFull: tf.Tensor4D | undefined; // made inside the try, so a bad image still frees a model loaded above
    const stylesFull: tf.Tensor4D[] = [];
    const history: HistoryEntry[] = [];
    const snapshots: Snapshot[] = [];
    const warnings: string[] = [];
    const iterTimes: number[] = [];
    const planned = o.iterations.reduce((a, b) => a + b, 0);
    let x: tf.Tensor4D | undefined; // current image (owned here)
    let lastTargets: Targets | undefined;
    let iteration = 0;
    let evaluations = 0;
    let setupMs = 0;
    let stopReason: StopReason = 'completed';
    const result = (img: tf.Tensor4D, reason: StopReason): StylizeResult => {
      const total = now() - t0;
      return makeResult(tf.tidy(() => tf.squeeze(finish(img, lastTargets!, o), [0]) as tf.Tensor3D), {
        history, snapshots, iterations: iteration, evaluations, stopReason: reason, warnings, backend,
        timings: { setupMs, optimizeMs: total - setupMs, totalMs: total, perIterationMs: median(iterTimes) },
      });
    };
    try {
      contentFull = toImageTensor(options.content, 'content');
      o.styles.forEach((s, i) => stylesFull.push(toImageTensor(s, o.styles.length > 1 ? `style[${i}]` : 'style')));
      const histories = planMemory(o, contentFull.shape[1], contentFull.shape[2], warnings);
      for (let si = 0; si < o.scales.length; si++) {
        const size = Math.max(16, Math.round(o.size * o.scales[si]));
        const ts = now();
        const targets = await this.targetsFor(model, options, contentFull, stylesFull, size, o);
        // Start image: the init at the first scale, the previous result upsampled after that.
        let start: tf.Tensor4D;
        try {
          if (tapPoints.length) checkFits('content', targets.height, targets.width, tapPoints, '`size`');
          start = x ? resizeImage(x, targets.height, targets.width) : this.initImage(targets, o);
        } catch (e) {
          if (this.cacheSize === 0) disposeTargets(targets); // not yet in lastTargets (e.g. an unreadable init image)
          throw e;
        }
        x?.dispose();
        x = start;
        if (this.cacheSize === 0 && lastTargets) disposeTargets(lastTargets);
        lastTargets = targets;
        setupMs += now() - ts;
        const { objective: objectiveX } = makeObjective(model, targets, o, signal);
        const pyr = o.precondition ? makePyramid(targets.height, targets.width, o.precondition) : undefined;
        const objective = pyr ? pyr.wrap(objectiveX) : objectiveX;
        const z0 = pyr ? pyr.encode(x) : x;
        const steps: AsyncGenerator<OptimizerStep> = o.optimizer === 'adam'
          ? adam(objective, z0, o.iterations[si], { learningRate: o.learningRate })
          : lbfgs(objective, z0, o.iterations[si], { learningRate: o.learningRate, ...o.lbfgs, historySize: histories[si] });
        const evalsBefore = evaluations;
        let tIter = now();
        try {
          for await (const step of steps) {
            const ev = step.evaluation;
            if (!Number.isFinite(ev.loss)) {
              stopReason = 'non-finite-loss';
              warnings.push(`The loss became ${ev.loss} at iteration ${iteration + 1}; stopped and kept the last image with a finite loss. Lower the learning rate or the weights, or use lossNormalization: 'mean'.`);
              break;
            }
            iteration++;
            evaluations = evalsBefore + step.evaluations;
            x.dispose();
            x = pyr ? pyr.decode(step.x) : tf.clone(step.x as tf.Tensor4D);
            const elapsedMs = now() - t0;
            iterTimes.push(now() - tIter);
            const loss = breakdown(o, ev.loss, ev.parts);
            history.push({ iteration, scale: si, loss, evaluations, elapsedMs });
            const last = iteration === planned || step.converged !== undefined;
            if (o.snapshots.has(iteration)) {
              const img = finish(x, targets, o);
              snapshots.push({ iteration, image: await toRgba(img).finally(() => img.dispose()), loss, elapsedMs });
            }
            if (tapPoints.length && (iteration % o.tapEvery === 0 || last)) {
              const input = preprocess(x);
              try {
                const kept = await forward(model, input, [], o.pooling, { points: tapPoints, onActivation: o.taps!.onActivation, iteration });
                tf.dispose([...kept.values()]);
              } finally {
                input.dispose();
              }
            }
            if (options.onIteration) {
              const info: IterationInfo = { iteration, iterations: planned, scale: si, width: targets.width, height: targets.height, loss, evaluations, elapsedMs };
              if (o.previewEvery > 0 && (iteration % o.previewEvery === 0 || last)) {
                const img = finish(x, targets, o);
                info.preview = await toRgba(img);
                img.dispose();
              }
              await options.onIteration(info);
            }
            if (step.converged) {
              warnings.push(`L-BFGS stopped at iteration ${iteration}: ${step.converged}.`);
              if (si === o.scales.length - 1) stopReason = step.budgetExhausted ? 'max-evaluations' : 'converged';
              break;
            }
            await yieldToEventLoop();
            if (signal?.aborted) throw abortError(signal);
            tIter = now();
          }
        } finally {
          await steps.return(undefined);
          if (pyr) {
            z0.dispose();
            pyr.dispose();
          }
        }
        if (stopReason === 'non-finite-loss') break;
      }
      return result(x!, stopReason);
    } catch (e) {
      if (e instanceof StyleTransferError && e.code === 'ABORTED' && x && lastTargets) {
        (e as StyleTransferError & { result?: StylizeResult }).result = result(x, 'aborted');
      }
      throw e;
    } finally {
      x?.dispose();
      tf.dispose([contentFull, ...stylesFull]);
      if (this.cacheSize === 0 && lastTargets) disposeTargets(lastTargets);
      if (!options.model && this.ownsModel && this.cacheSize === 0) this.dispose();
    }
  }

  private initImage(t: Targets, o: ResolvedOptions): tf.Tensor4D {
    if (o.init === 'content') return tf.clone(t.content);
    if (o.init === 'noise') return noiseImage(t.height, t.width, o.seed);
    if (o.init === 'style') return resizeImage(t.firstStyle, t.height, t.width);
    const img = toImageTensor(o.init, 'init');
    try {
      return resizeImage(img, t.height, t.width);
    } finally {
      img.dispose();
    }
  }

  private async targetsFor(model: Vgg19, options: StylizeOptions, content: tf.Tensor4D, styles: tf.Tensor4D[], size: number, o: ResolvedOptions): Promise<Targets> {
    const styleList = Array.isArray(options.style) ? options.style : [options.style];
    const key = JSON.stringify([
      idOf(model), idOf(options.content), styleList.map(idOf), size, o.styleScale, o.pooling, o.blend, o.preserveColors,
      o.contentLayers.map((l) => l.point.index), o.styleLayers.map((l) => l.point.index),
    ]);
    const hit = this.cache.get(key);
    // Tensors given as images may be mutated by the caller between calls only by making new tensors, so object
    // identity is a safe key; plain pixel objects are keyed the same way (don't mutate them between calls).
    if (hit && !(options.content instanceof tf.Tensor && options.content.isDisposed)) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const t = await computeTargets(model, content, styles, size, o);
    if (this.cacheSize > 0) {
      this.cache.set(key, t);
      while (this.cache.size > this.cacheSize) {
        const [k, old] = this.cache.entries().next().value as [string, Targets];
        this.cache.delete(k);
        disposeTargets(old);
      }
    }
    return t;
  }

  /** Frees cached targets and, when the stylizer loaded it, the model. */
  dispose(): void {
    for (const t of this.cache.values()) disposeTargets(t);
    this.cache.clear();
    if (this.ownsModel) {
      this.model?.dispose();
      this.model = undefined;
      this.loading = undefined;
    }
  }
}

/** Creates a {@link Stylizer} (a loaded model plus cached style targets, reused across calls). */
export function createStylizer(options: StylizerOptions = {}): Stylizer {
  return new Stylizer(options);
}

/**
 * Gatys et al. neural style transfer: optimises an image so its VGG-19 content features match `content` and its
 * Gram matrices match `style`. Resolves to a {@link StylizeResult}; rejects with a {@link StyleTransferError}
 * (code ABORTED with `error.result` when aborted). Every tensor it made is freed whether it resolves or rejects.
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
export async function stylize(options: StylizeOptions): Promise<StylizeResult> {
  // A one-off call keeps nothing: no target cache, and a model it loaded itself is freed at the end.
  const s = new Stylizer({ model: options?.model, cacheSize: 0 });
  return s.stylize(options);
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());
