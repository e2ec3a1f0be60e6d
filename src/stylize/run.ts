import * as tf from '@tensorflow/tfjs-core';
import { combineLuminance } from '../image/color.js';
import { isStyleTransferError, StyleTransferError } from '../errors.js';
import { now } from '../util/checks.js';
import { readImageInput, resizeImage, toRgba } from '../image/input.js';
import { NOTHING_PREPARED, type Kernels, type PreparedConvs } from '../kernels/index.js';
import type { NetworkPoint } from '../core/layers.js';
import type { LossNetwork } from '../core/model.js';
import { convUse } from '../plan/memory.js';
import { adam } from '../optim/adam.js';
import { lbfgs } from '../optim/lbfgs.js';
import { makePyramid } from '../optim/pyramid.js';
import { makeHostPyramid } from '../optim/pyramid-host.js';
import type { OptimizerStep } from '../optim/types.js';
import { noiseImage } from '../image/noise.js';
import type { LossBreakdown, ResolvedOptions, StepInfo } from './options.js';
import { planRun, type RunPlan, type ScalePlan } from './plan.js';
import { scaleReport, type ScaleReport, type StopReason } from './result.js';
import type { PreparedStyle } from './style-handle.js';
import { RunTaps, type ObservedEvaluation } from './taps.js';
import { makeObjective, NON_FINITE_ADVICE, runLoss, type PartLabel } from './objective.js';
import { contentWeightsAt, regionTargetsAt } from './region-targets.js';
import { readMask, resizeMask } from '../regions/mask.js';
import { readRegions } from '../regions/targets.js';
import { readTemporal, temporalTargetsAt, type ReadTemporal } from './temporal.js';
import { describeTiling } from './tiling/layout.js';
import { makeHostTiledObjective, makeTiledObjective, tiledLossSpec, type TileProgress } from './tiling/objective.js';
import { computeContentTargets, disposeTargets, prepareStyleImage, throwIfAborted, type ContentTargets, type Targets } from './targets.js';

/** Yields to the event loop so timers (and with them AbortSignal.timeout, UI events) get to run. */
const yieldToEventLoop = (): Promise<void> =>
  new Promise((r) => (typeof setImmediate === 'function' ? setImmediate(r) : setTimeout(r, 0)));

export { now };

/**
 * What one run needs: the model, the content at full size (owned by the caller), the style, the options, and the
 * backend it runs on with that backend's kernels (chosen by the caller once for the run).
 */
export interface RunInput {
  model: LossNetwork;
  content: tf.Tensor4D;
  style: PreparedStyle;
  o: ResolvedOptions;
  maxPixels: number;
  /** Points `o.taps` observes (resolved): the content must reach them too. */
  tapPoints: readonly NetworkPoint[];
  backend: string;
  kernels: Kernels;
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
  /** How each scale was planned (size, L-BFGS history, tiling, memory). */
  scales: ScaleReport[];
}

/** The loss breakdown from an evaluation's parts: the terms at network points by `labels` (a layer's terms summed), then TV and the temporal term. */
function breakdown(labels: readonly PartLabel[], total: number, parts: ArrayLike<number>): LossBreakdown {
  const contentLayers: LossBreakdown['contentLayers'] = {};
  const styleLayers: LossBreakdown['styleLayers'] = {};
  let content = 0;
  let style = 0;
  labels.forEach(({ kind, layer }, i) => {
    const into = kind === 'content' ? contentLayers : styleLayers;
    into[layer] = (into[layer] ?? 0) + parts[i];
    if (kind === 'content') content += parts[i];
    else style += parts[i];
  });
  const temporal = parts.length > labels.length + 1 ? { temporal: parts[labels.length + 1] } : {};
  return { total, content, style, tv: parts[labels.length], ...temporal, contentLayers, styleLayers };
}

/** Turns the optimised image (maybe grey, maybe out of range) into the output image `[1,H,W,3]` in 0–255. */
function finish(x: tf.Tensor4D, t: ContentTargets, o: ResolvedOptions): tf.Tensor4D {
  return tf.tidy(() => {
    const y = o.preserveColors === 'luminance' ? combineLuminance(x, t.contentColor) : x;
    return tf.clipByValue(y, 0, 255) as tf.Tensor4D;
  });
}

async function initImage(input: RunInput, t: ContentTargets, scale: ScalePlan): Promise<tf.Tensor4D> {
  const { o } = input;
  if (o.init === 'content') return tf.clone(t.content);
  if (o.init === 'noise') return noiseImage(t.height, t.width, o.seed);
  const img = o.init === 'style' ? await prepareStyleImage(input.style.first, scale.styleShapes[0], o, t) : await readImageInput(o.init, 'init', { pixelRange: o.pixelRange, maxPixels: input.maxPixels });
  try {
    return resizeImage(img, t.height, t.width);
  } finally {
    img.dispose();
  }
}

/** One scale's optimiser: its steps, and the image `[1,H,W,3]` of a step's x (a new tensor). */
interface ScaleOptimizer {
  steps: AsyncGenerator<OptimizerStep<tf.Tensor | Float32Array>>;
  image(x: tf.Tensor | Float32Array): tf.Tensor4D;
  dispose(): void;
}

interface ScaleSetup {
  input: RunInput;
  plan: RunPlan;
  scale: ScalePlan;
  targets: Targets;
  /** Where it starts (owned by the caller). */
  x: tf.Tensor4D;
  iterations: number;
  initialCurvature: number | undefined;
  taps: RunTaps | undefined;
  /** The iteration the evaluations made now belong to. */
  iteration: () => number;
  beforeTile: (p: TileProgress) => Promise<void>;
}

/**
 * The optimiser of one scale on the device: the objective (whole or tiled), through the pyramid when
 * preconditioned, minimised by Adam or L-BFGS on tensors.
 */
function deviceOptimizer(s: ScaleSetup): ScaleOptimizer {
  const { input, scale, targets, plan } = s;
  const { model, o, kernels } = input;
  const objectiveX = scale.tiling
    ? makeTiledObjective(model, tiledLossSpec(targets, o, scale.tiling, kernels, s.beforeTile))
    : makeObjective(model, runLoss(targets, o, kernels), { pass: plan.pass, tappedPass: plan.tappedPass, kernels, normalizeGradients: o.normalizeGradients, taps: s.taps, iteration: s.iteration, signal: input.signal });
  const pyr = o.precondition ? makePyramid(targets.height, targets.width, { levels: scale.pyramidLevels, decay: o.precondition.decay }, kernels) : undefined;
  const objective = pyr ? pyr.wrap(objectiveX) : objectiveX;
  const z0 = pyr ? pyr.encode(s.x) : s.x;
  const steps = o.optimizer === 'adam'
    ? adam(objective, z0, s.iterations, { learningRate: o.learningRate })
    : lbfgs(objective, z0, s.iterations, { learningRate: o.learningRate, ...o.lbfgs, historySize: scale.historySize, historyOn: scale.historyOn, initialCurvature: s.initialCurvature, nonNegativeLoss: true });
  return {
    steps: steps as ScaleOptimizer['steps'],
    image: (x) => (pyr ? pyr.decode(x as tf.Tensor) : tf.clone(x as tf.Tensor4D)),
    dispose: () => void (pyr && z0.dispose()),
  };
}

/**
 * The optimiser of a tiled L-BFGS scale whose state does not fit the backend (`ScalePlan.stateOn: 'host'`): the
 * image, gradient, pyramid and history are Float32Arrays in JS memory; the backend runs one tile's pass at a time.
 */
async function hostOptimizer(s: ScaleSetup): Promise<ScaleOptimizer> {
  const { input, scale, targets } = s;
  const { model, o, kernels } = input;
  const { height, width } = targets;
  const objectiveX = makeHostTiledObjective(model, tiledLossSpec(targets, o, scale.tiling!, kernels, s.beforeTile));
  const pyr = o.precondition ? makeHostPyramid(height, width, { levels: scale.pyramidLevels, decay: o.precondition.decay }) : undefined;
  const start = (await s.x.data()) as Float32Array;
  const steps = lbfgs(pyr ? pyr.wrap(objectiveX) : objectiveX, pyr ? pyr.encode(start) : start, s.iterations, {
    learningRate: o.learningRate, ...o.lbfgs, historySize: scale.historySize, initialCurvature: s.initialCurvature, nonNegativeLoss: true,
  });
  return {
    steps: steps as ScaleOptimizer['steps'],
    image: (x) => tf.tensor4d(pyr ? pyr.decode(x as Float32Array) : (x as Float32Array), [1, height, width, 3]),
    dispose: () => undefined,
  };
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
  const { model, content: contentFull, style, o, kernels, signal } = input;
  const t0 = now();
  const iterationMs: number[] = [];
  const planned = o.iterations.reduce((a, b) => a + b, 0);
  let x: tf.Tensor4D | undefined;
  let targets: Targets | undefined;
  let taps: RunTaps | undefined;
  let temporal: ReadTemporal | undefined;
  let iteration = 0;
  let evaluations = 0;
  let setupMs = 0;
  let stopReason: StopReason = 'completed';
  // L-BFGS's inverse curvature at the end of the previous scale, for the next scale's first step.
  let curvature: number | undefined;
  const abortCheck = () => throwIfAborted(signal, 'stylize()');
  try {
    abortCheck();
    const plan = planRun({
      o, content: { height: contentFull.shape[1], width: contentFull.shape[2] }, styles: style.sizes, tapPoints: input.tapPoints,
      backend: input.backend, memoryLimit: kernels.memoryLimit, deviceLimits: kernels.deviceLimits?.(), convBytes: kernels.preparedConvBytes,
    });
    const warnings = plan.warnings;
    const size = { height: contentFull.shape[1], width: contentFull.shape[2] };
    const regions = o.regions && (await readRegions(o.regions, size, style.sizes, input.maxPixels));
    const weightMap = o.contentWeightMap && resizeMask(await readMask(o.contentWeightMap, 'contentWeightMap', input.maxPixels), size.height, size.width);
    if (regions) warnings.push(...regions.warnings);
    temporal = o.temporal && (await readTemporal(o.temporal, size, input.maxPixels, o.pixelRange));
    if (o.taps && input.tapPoints.length) {
      taps = new RunTaps(model, { points: input.tapPoints, onActivation: o.taps.onActivation, every: o.tapEvery, planned, pooling: o.pooling, inPass: plan.tapsInPass });
    }
    for (let si = 0; si < plan.scales.length; si++) {
      const scale = plan.scales[si];
      const ts = now();
      abortCheck();
      const content = await computeContentTargets(model, contentFull, scale, o);
      const next: Targets = { ...content, styleGrams: new Map() };
      try {
        // With regions each region has its own targets; the plain style terms are not used.
        if (regions) next.regions = await regionTargetsAt(model, regions, style, scale, o, content, kernels, abortCheck, (w) => warnings.push(w));
        else next.styleGrams = await style.grams(model, scale, o, content, kernels, abortCheck);
        if (temporal) next.temporal = temporalTargetsAt(temporal, scale.height, scale.width, o.preserveColors);
        if (weightMap) next.contentWeights = contentWeightsAt(weightMap, scale, o.contentLayers.map((l) => l.point), o.network);
      } catch (e) {
        disposeTargets(next);
        throw e;
      }
      const labels = runLoss(next, o, kernels).labels;
      // Start image: the init at the first scale, the previous result upsampled after that.
      let start: tf.Tensor4D;
      try {
        start = x ? resizeImage(x, next.height, next.width) : await initImage(input, next, scale);
      } catch (e) {
        disposeTargets(next);
        throw e;
      }
      x?.dispose();
      x = start;
      if (targets) disposeTargets(targets);
      targets = next;
      setupMs += now() - ts;
      const tilingInfo = scale.tiling && describeTiling(scale.tiling);
      const setup: ScaleSetup = {
        input, plan, scale, targets, x, taps,
        iterations: o.iterations[si],
        // The previous scale's inverse curvature is a good first direction here, where a blind first step
        // (`initialStep`) costs 1–2 more evaluations. Measured at 512 px (128 → 256 → 512, bench/coarse-to-fine.mjs):
        // the curvature stays within ~3x across scales, and scaling it by the pixel ratio (4x) overshot the first
        // step. At 1024–4096 px its unit step fell short instead, so the losses' being ≥ 0 lengthens it where f/|gᵀd|
        // allows (lbfgs's `nonNegativeLoss`, `warmStartStep`).
        initialCurvature: curvature,
        // Evaluations made from now until the next step belong to iteration + 1.
        iteration: () => iteration + 1,
        beforeTile: async (p) => {
          await yieldToEventLoop();
          abortCheck();
          await o.onTile?.({ ...p, iteration: iteration + 1, scale: si, width: next.width, height: next.height });
        },
      };
      const optimizer = scale.stateOn === 'host' ? await hostOptimizer(setup) : deviceOptimizer(setup);
      const { steps } = optimizer;
      curvature = undefined;
      const evalsBefore = evaluations;
      let tIter = now();
      // The backend's conv state for this size (WASM: Winograd's transformed weights), freed when the scale ends;
      // none where the plan found that it alone would not fit (`ScalePlan.prepareConvs`).
      let convs: PreparedConvs;
      try {
        convs = scale.prepareConvs ? kernels.prepareConvs(model, convUse(plan.tappedPass, targets.height, targets.width)) : NOTHING_PREPARED;
      } catch (e) {
        optimizer.dispose(); // e.g. OUT_OF_MEMORY: the optimizer's start (the pyramid's z0) must not leak
        throw e;
      }
      try {
        for await (const step of steps) {
          const ev = step.evaluation;
          if (!Number.isFinite(ev.loss)) {
            stopReason = 'non-finite-loss';
            warnings.push(`The loss became ${ev.loss} at iteration ${iteration + 1}; stopped and kept the last image with a finite loss. ${NON_FINITE_ADVICE}`);
            break;
          }
          iteration++;
          evaluations = evalsBefore + step.evaluations;
          if (step.curvature !== undefined) curvature = step.curvature;
          x.dispose();
          x = optimizer.image(step.x);
          iterationMs.push(now() - tIter);
          const current = x;
          const t = targets;
          const last = iteration === planned || step.converged !== undefined;
          await taps?.step(iteration, last, ev as ObservedEvaluation, () => current);
          yield {
            iteration,
            iterations: planned,
            scale: si,
            width: t.width,
            height: t.height,
            loss: breakdown(labels, ev.loss, ev.parts),
            evaluations,
            elapsedMs: now() - t0,
            ...(tilingInfo && { tiling: tilingInfo }),
            last,
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
      } catch (e) {
        // The objective refused a non-finite loss at a point the optimiser moved to (objective.ts `checkFinite`):
        // keep the last image with a finite loss, or, when there is none yet, reject with the error.
        if (!isStyleTransferError(e, 'NON_FINITE_LOSS')) throw e;
        const loss = e.details?.loss;
        if (iteration === 0) {
          throw new StyleTransferError('NON_FINITE_LOSS', `The loss became ${loss} at the first evaluation, before any iteration. ${NON_FINITE_ADVICE}`, { ...e.details, iteration: 1, scale: si });
        }
        stopReason = 'non-finite-loss';
        warnings.push(`The loss became ${loss} at iteration ${iteration + 1}; stopped and kept the last image with a finite loss. ${NON_FINITE_ADVICE}`);
      } finally {
        await steps.return(undefined);
        optimizer.dispose();
        convs.dispose();
      }
      if (stopReason === 'non-finite-loss') break;
    }
    return { image: finish(x!, targets!, o), stopReason, warnings, iterations: iteration, evaluations, setupMs, iterationMs, scales: plan.scales.map(scaleReport) };
  } catch (e) {
    throw await withPartial(e, x, targets, o, iteration);
  } finally {
    taps?.dispose();
    temporal?.dispose();
    x?.dispose();
    if (targets) disposeTargets(targets);
  }
}
