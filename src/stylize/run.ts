import * as tf from '@tensorflow/tfjs-core';
import { combineLuminance } from '../color.js';
import { StyleTransferError } from '../errors.js';
import { fitSize, readImageInput, resizeImage, toRgba } from '../image.js';
import type { NetworkPoint } from '../layers.js';
import type { Vgg19 } from '../model.js';
import { lossAndGradient, type PointLoss } from '../network.js';
import { contentLoss, styleLoss, tvLoss, type LossTerm } from '../losses.js';
import { adam } from '../optim/adam.js';
import { lbfgs } from '../optim/lbfgs.js';
import { makePyramid } from '../optim/pyramid.js';
import type { Objective, OptimizerStep } from '../optim/types.js';
import { backendMemoryLimit, estimateMemory } from '../memory.js';
import { noiseImage } from './noise.js';
import type { LossBreakdown, ResolvedOptions, StepInfo } from './options.js';
import type { StopReason } from './result.js';
import type { PreparedStyle } from './style-handle.js';
import { checkFits, computeContentTargets, disposeTargets, prepareStyleImage, styleSizeFor, throwIfAborted, type ContentTargets, type Targets } from './targets.js';

/** Yields to the event loop so timers (and with them AbortSignal.timeout, UI events) get to run. */
const yieldToEventLoop = (): Promise<void> =>
  new Promise((r) => (typeof setImmediate === 'function' ? setImmediate(r) : setTimeout(r, 0)));

export const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** What one run needs: the model, the content at full size (owned by the caller), the style, the options. */
export interface RunInput {
  model: Vgg19;
  content: tf.Tensor4D;
  style: PreparedStyle;
  o: ResolvedOptions;
  maxPixels: number;
  /** Points the caller taps during the run: the content must reach them too. */
  tapPoints: readonly NetworkPoint[];
  signal?: AbortSignal;
}

/** One iteration of a run, as the loop yields it. Its tensors are valid until the loop moves on. */
export interface RunStep extends StepInfo {
  /** True when this is the run's last iteration (all done, or the optimiser converged). */
  last: boolean;
  /** The output image at this step, `[1,H,W,3]` in 0–255: a new tensor owned by the caller. */
  finished(): tf.Tensor4D;
}

/** How a run ended; `image` (the finished output, `[1,H,W,3]`) is owned by the caller. */
export interface RunSummary {
  image: tf.Tensor4D;
  stopReason: StopReason;
  warnings: string[];
  iterations: number;
  evaluations: number;
  setupMs: number;
  iterationMs: number[];
}

/** Builds the objective for one set of targets: one forward+backward pass, one read-back of every loss part. */
function makeObjective(model: Vgg19, t: Targets, o: ResolvedOptions, signal?: AbortSignal): Objective {
  const names = [...o.contentLayers.map((l) => `content:${l.name}`), ...o.styleLayers.map((l) => `style:${l.name}`), 'tv'];
  const normalize = (term: LossTerm): LossTerm => {
    if (!o.normalizeGradients) return term;
    return { value: term.value, grad: tf.div(term.grad, tf.add(tf.sum(tf.abs(term.grad)), 1e-8)) as tf.Tensor4D };
  };
  return async (x, direction) => {
    throwIfAborted(signal, 'stylize()');
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
    const [h, w] = fitSize(contentH, contentW, scaleSize(o, s));
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

const scaleSize = (o: ResolvedOptions, scale: number): number => Math.max(16, Math.round(o.size * scale));

/** Every image reaches every layer it must, at every scale: checked before any network pass. */
function checkAllScalesFit(o: ResolvedOptions, content: tf.Tensor4D, style: PreparedStyle, tapPoints: readonly NetworkPoint[]): void {
  const lossPoints = [...o.contentLayers, ...o.styleLayers].map((l) => l.point).concat(tapPoints);
  const stylePoints = o.styleLayers.map((l) => l.point);
  for (const s of o.scales) {
    const size = scaleSize(o, s);
    const [h, w] = fitSize(content.shape[1], content.shape[2], size);
    checkFits('content', h, w, lossPoints, '`size`');
    style.sizes.forEach(({ width, height }, i) => {
      const [sh, sw] = fitSize(height, width, styleSizeFor(size, o));
      checkFits(style.count > 1 ? `style[${i}]` : 'style', sh, sw, stylePoints, '`size` or `styleScale`');
    });
  }
}

/** Turns the optimised image (maybe grey, maybe out of range) into the output image `[1,H,W,3]` in 0–255. */
function finish(x: tf.Tensor4D, t: ContentTargets, o: ResolvedOptions): tf.Tensor4D {
  return tf.tidy(() => {
    const y = o.preserveColors === 'luminance' ? combineLuminance(x, t.contentColor) : x;
    return tf.clipByValue(y, 0, 255) as tf.Tensor4D;
  });
}

async function initImage(input: RunInput, t: ContentTargets, size: number): Promise<tf.Tensor4D> {
  const { o } = input;
  if (o.init === 'content') return tf.clone(t.content);
  if (o.init === 'noise') return noiseImage(t.height, t.width, o.seed);
  const img = o.init === 'style' ? await prepareStyleImage(input.style.first, size, o, t, 'style') : await readImageInput(o.init, 'init', { pixelRange: o.pixelRange, maxPixels: input.maxPixels });
  try {
    return resizeImage(img, t.height, t.width);
  } finally {
    img.dispose();
  }
}

/** Adds the last image, as RGBA bytes, to an ABORTED error (a new error: the caller owns no tensor). */
async function withPartial(e: unknown, x: tf.Tensor4D | undefined, t: ContentTargets | undefined, o: ResolvedOptions, iteration: number): Promise<unknown> {
  if (!(e instanceof StyleTransferError) || e.code !== 'ABORTED' || !x || !t || iteration === 0) return e;
  const img = finish(x, t, o);
  const partial = await toRgba(img).finally(() => img.dispose());
  return new StyleTransferError('ABORTED', `${e.message} \`error.details.partial\` holds the image after iteration ${iteration}.`, { ...e.details, partial, iteration }, { cause: e.cause });
}

/**
 * The optimisation loop, written once: for each scale it computes the targets, starts from the init (or the
 * previous scale's result), and yields after every iteration. Returns the finished image and how the run ended.
 * Every tensor it makes is freed whether it completes, throws or is stopped early with `return()`.
 */
export async function* runStyleTransfer(input: RunInput): AsyncGenerator<RunStep, RunSummary, undefined> {
  const { model, content: contentFull, style, o, signal } = input;
  const t0 = now();
  const warnings: string[] = [];
  const iterationMs: number[] = [];
  const planned = o.iterations.reduce((a, b) => a + b, 0);
  let x: tf.Tensor4D | undefined;
  let targets: Targets | undefined;
  let iteration = 0;
  let evaluations = 0;
  let setupMs = 0;
  let stopReason: StopReason = 'completed';
  const abortCheck = () => throwIfAborted(signal, 'stylize()');
  try {
    abortCheck();
    checkAllScalesFit(o, contentFull, style, input.tapPoints);
    const histories = planMemory(o, contentFull.shape[1], contentFull.shape[2], warnings);
    for (let si = 0; si < o.scales.length; si++) {
      const size = scaleSize(o, o.scales[si]);
      const ts = now();
      abortCheck();
      const content = await computeContentTargets(model, contentFull, size, o);
      let styleGrams: Map<number, tf.Tensor2D>;
      try {
        styleGrams = await style.grams(model, size, o, content, abortCheck);
      } catch (e) {
        disposeTargets(content);
        throw e;
      }
      const next: Targets = { ...content, styleGrams };
      // Start image: the init at the first scale, the previous result upsampled after that.
      let start: tf.Tensor4D;
      try {
        start = x ? resizeImage(x, next.height, next.width) : await initImage(input, next, size);
      } catch (e) {
        disposeTargets(next);
        throw e;
      }
      x?.dispose();
      x = start;
      if (targets) disposeTargets(targets);
      targets = next;
      setupMs += now() - ts;
      const objectiveX = makeObjective(model, targets, o, signal);
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
          iterationMs.push(now() - tIter);
          const current = x;
          const t = targets;
          yield {
            iteration,
            iterations: planned,
            scale: si,
            width: t.width,
            height: t.height,
            loss: breakdown(o, ev.loss, ev.parts),
            evaluations,
            elapsedMs: now() - t0,
            last: iteration === planned || step.converged !== undefined,
            finished: () => finish(current, t, o),
          };
          if (step.converged) {
            warnings.push(`L-BFGS stopped at iteration ${iteration}: ${step.converged}.`);
            if (si === o.scales.length - 1) stopReason = step.budgetExhausted ? 'max-evaluations' : 'converged';
            break;
          }
          await yieldToEventLoop();
          abortCheck();
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
    return { image: finish(x!, targets!, o), stopReason, warnings, iterations: iteration, evaluations, setupMs, iterationMs };
  } catch (e) {
    throw await withPartial(e, x, targets, o, iteration);
  } finally {
    x?.dispose();
    if (targets) disposeTargets(targets);
  }
}
