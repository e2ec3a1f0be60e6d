import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError } from '../errors.js';
import { fitSize } from '../image/input.js';
import type { NetworkPoint } from '../core/layers.js';
import { activationBytes, convUse, stepMemory, type MemoryEstimate } from '../core/memory.js';
import type { ConvUse, DeviceLimits } from '../kernels/index.js';
import { assertFits, planPass, type PassPlan } from '../core/network.js';
import { deviceCheck, deviceLimitError, gib } from './device-fit.js';
import { autoPyramidLevels } from '../optim/pyramid.js';
import type { ResolvedOptions } from './options.js';
import type { TileLayout } from './tiling/layout.js';
import { tiledStepMemory } from './tiling/memory.js';
import { getPlatform } from '../platform.js';
import { type StepKind, chooseTiling, HOST_MEMORY_SHARE, HOST_STATE_VECTORS, hostHistoryPairs, hostPairBytes, largestFittingTile, MIN_HISTORY_UNTILED, optimiserVectorBytes, tiledMemoryInput } from './tiling/plan.js';

/** One scale of a run, as planned before any work. */
export interface ScalePlan {
  /** Longest side of the output at this scale. */
  size: number;
  height: number;
  width: number;
  /** Longest side the style images are resized to, and each style image's size at this scale. */
  styleSize: number;
  styleShapes: readonly { height: number; width: number }[];
  /** L-BFGS correction pairs (the requested history, or shortened to fit the backend's memory; 0 with Adam). */
  historySize: number;
  /** Where the L-BFGS history lives: on the backend, or in JS memory when it does not fit there (tiled scales). */
  historyOn: 'device' | 'host';
  /**
   * Where the optimiser's working vectors live (image, gradient, direction, pyramid): on the backend, or — for a
   * tiled L-BFGS scale where even they do not fit next to the tiles' pass — in JS memory with the history.
   */
  stateOn: 'device' | 'host';
  /** Levels of the pyramid parametrisation (0: the optimiser works on plain pixels). */
  pyramidLevels: number;
  /** Estimated peak bytes of one step at this scale. */
  memory: MemoryEstimate;
  /** When the scale is evaluated a tile at a time (`tile` option, or the whole image does not fit): the tiles. */
  tiling?: TileLayout;
  /**
   * Whether the run prepares the backend's conv state for this scale (WASM: Winograd's transformed weights). False
   * where those weights alone would tip the whole image into tiles (each evaluation about twice the work): the
   * scale then runs whole on plain `tf.conv2d`.
   */
  prepareConvs: boolean;
}

/**
 * Everything about a run that is known before it starts, computed once ({@link planRun}) and read by the loop, the
 * target computations and the memory check alike.
 */
export interface RunPlan {
  scales: ScalePlan[];
  /** The loss pass: points computed and activations the backward pass keeps. */
  pass: PassPlan;
  /** The loss pass extended to the tapped points, for the evaluations taps observe. */
  tappedPass: PassPlan;
  /**
   * Whether taps observe the objective's own pass (true), or — where holding their activations until the step is
   * known would not fit the backend's memory — a forward pass of the step's image.
   */
  tapsInPass: boolean;
  /** Notes for the result (e.g. a shortened L-BFGS history). */
  warnings: string[];
  /** The bytes the run may hold and where that number comes from; undefined when nothing bounds it (CPU, tfjs-node). */
  budget?: { bytes: number; note: string };
}

export interface RunPlanInput {
  o: ResolvedOptions;
  /** The content image's size as given. */
  content: { height: number; width: number };
  /** Each style image's size as given. */
  styles: readonly { height: number; width: number }[];
  tapPoints: readonly NetworkPoint[];
  /** Backend name, for messages. */
  backend: string;
  /** The backend's hard memory cap (see `Kernels.memoryLimit`); undefined: no check. */
  memoryLimit: number | undefined;
  /** Bytes the backend's prepared convs hold for a pass (`Kernels.preparedConvBytes`); default none. */
  convBytes?: (use: ConvUse) => number;
  /** A GPU device's limits (see `Kernels.deviceLimits`); undefined: no per-allocation check. */
  deviceLimits?: DeviceLimits;
  /**
   * Bytes the run will hold that are not allocated yet, counted against the budget like those in use (the input
   * images, when planning before they are read: `Stylizer.plan`). Default 0.
   */
  pendingBytes?: number;
}

/**
 * Headroom for allocator fragmentation and backend workspaces on top of a whole-image step's estimate. Measured on
 * WASM (heap high-water over estimate): 1.14 at 512 px, 0.98 at 1024x768 (2 Adam iterations, 2026-12-02). It was
 * 1.3 for both, and 1024x1024 with 5 L-BFGS pairs then missed the heap by 0.5%: a 2048 px run's middle scale was
 * tiled, 65 s per evaluation instead of ~29 s.
 */
export const MEMORY_SLACK = 1.2;

/**
 * The same for a tiled step, whose estimate is rougher (the image-sized tensors of an evaluation are counted, not
 * traced): at 2048x1536 in 768 px tiles the WASM heap passed its 4 GiB cap where the estimate, as counted then, was
 * 3.3 GiB (docs/performance.md).
 */
export const TILED_MEMORY_SLACK = 1.3;

/**
 * The same for a tiled step with the optimiser's state in JS memory, where the device holds little besides the
 * crop's pass: at 4096x3072 in 35 tiles of 640 px (crops of 960 px) the WASM heap ran out in the first evaluation's
 * pass 2, at the third 960 px crop, for an estimate of 2.80 GiB (so at least 1.43x: the allocator's fragmentation
 * and XNNPACK's per-operator buffers, which grow with the crop, are not counted). With 1.6, 4096 and 3072 px take
 * 512 px tiles (crops of 832 px, as the 2048 px run's).
 */
export const HOST_STATE_MEMORY_SLACK = 1.6;

export type { StepKind };
const SLACK: Record<StepKind, number> = { whole: MEMORY_SLACK, tiled: TILED_MEMORY_SLACK, 'host-state': HOST_STATE_MEMORY_SLACK };

function checkFits(field: string, height: number, width: number, points: readonly NetworkPoint[], hint: string): void {
  assertFits(height, width, points.reduce((a, p) => (p.stride > a.stride ? p : a)), field, hint);
}

/** The output's longest side at a scale factor, for an output of longest side `size`. */
export const scaleSize = (size: number, scale: number): number => Math.max(16, Math.round(size * scale));
/** The longest side a style image is resized to for an output of longest side `size`. */
const styleSizeFor = (o: ResolvedOptions, size: number): number => Math.max(16, Math.round(size * o.styleScale));

/**
 * Plans a run: the sizes at each scale, checked to reach every layer they must (INVALID_IMAGE otherwise); the
 * pass (what the backward pass keeps); on a GPU, that no single tensor exceeds the device's limit (DEVICE_LIMIT
 * otherwise); against the memory budget (the call's `memoryBudget`, else the backend's cap or default budget) the
 * L-BFGS history each scale can afford (shortened with a warning, or OUT_OF_MEMORY); and whether taps can observe
 * the objective's pass. Both errors say which `size` would fit. Reads the tensors in use now (`tf.memory()`) for
 * the budget. Allocates nothing.
 */
export function planRun(input: RunPlanInput): RunPlan {
  const { o, tapPoints, backend } = input;
  const lossPoints = [...o.contentLayers, ...o.styleLayers].map((l) => l.point);
  const stylePoints = o.styleLayers.map((l) => l.point);
  const pass = planPass({ pooling: o.pooling, losses: lossPoints });
  const tappedPass = planPass({ pooling: o.pooling, losses: lossPoints, observe: tapPoints });
  const warnings: string[] = [];
  const cap = memoryCap(o, input);
  const budget = cap === undefined ? undefined : cap.bytes - tf.memory().numBytes - (input.pendingBytes ?? 0);
  const pyramid = o.precondition !== undefined;
  const want = o.optimizer === 'lbfgs' ? o.lbfgs.historySize : 0;
  const limits = input.deviceLimits;
  const device = limits && deviceCheck(limits, tapPoints.length ? tappedPass : pass, { ...planPass({ pooling: o.pooling, losses: stylePoints }), deepestLoss: -1 });
  // The backend's per-run conv weights (WASM: Winograd's) count too.
  const memoryAt = (height: number, width: number, historySize: number, withConvs = true) =>
    stepMemory(pass, { height, width, optimizer: o.optimizer, historySize, pyramid, convWeightBytes: withConvs ? (input.convBytes?.(convUse(tappedPass, height, width)) ?? 0) : 0 });
  const shapesAt = (size: number) => {
    const [height, width] = fitSize(input.content.height, input.content.width, size);
    const styleShapes = input.styles.map((st) => {
      const [sh, sw] = fitSize(st.height, st.width, styleSizeFor(o, size));
      return { height: sh, width: sw };
    });
    return { height, width, styleShapes };
  };
  const fits = budget === undefined ? undefined : (m: MemoryEstimate, kind: StepKind = 'whole') => m.total * SLACK[kind] <= budget;
  // On a GPU no single tensor may pass the device's limits: checked on the whole image, or, when tiled, on the
  // largest tile's crop (the style image is evaluated in tiles too then).
  const cropFits = device && ((h: number, w: number) => !device.over(h, w, []));
  /** How a scale of this size is evaluated, as `o.tile`, the budget and the device say (undefined: whole). */
  const tilingAt = (height: number, width: number, styleShapes: readonly { height: number; width: number }[], withConvs = true) =>
    chooseTiling({
      o, height, width, lossPoints, pass, taps: tapPoints.length > 0, fits,
      untiled: (historySize) => memoryAt(height, width, historySize, withConvs),
      device: cropFits && { wholeFits: !device!.over(height, width, styleShapes), cropFits },
    });
  // The largest `size` below the requested one at which every scale fits the device and the budget — whole, or in
  // the tiles `tile` allows (their L-BFGS history then in JS memory if need be): what the errors suggest. Binary
  // search (what fits shrinks with the size).
  const fittingSize = (): number | undefined => {
    const deepest = lossPoints.concat(tapPoints).reduce((a, p) => Math.max(a, p.stride), 1);
    const styleDeepest = stylePoints.reduce((a, p) => Math.max(a, p.stride), 1);
    const bigEnough = (size: number) =>
      o.scales.every((sc) => {
        const g = shapesAt(scaleSize(size, sc));
        return Math.min(g.height, g.width) >= deepest && g.styleShapes.every((st) => Math.min(st.height, st.width) >= styleDeepest);
      });
    const fitsAll = (size: number) =>
      o.scales.every((sc) => {
        const g = shapesAt(scaleSize(size, sc));
        const choice = tilingAt(g.height, g.width, g.styleShapes);
        const tiled = choice?.layout;
        if (tiled) return (cropFits?.(tiled.maxCrop.height, tiled.maxCrop.width) ?? true) && (!fits || fits(tiledStepMemory(pass, tiled, tiledMemoryInput(o, 0, choice.stateOn)), choice.stateOn === 'host' ? 'host-state' : 'tiled'));
        if (device?.over(g.height, g.width, g.styleShapes)) return false;
        return !fits || fits(memoryAt(g.height, g.width, Math.min(want, MIN_HISTORY_UNTILED)));
      });
    // Both predicates change once as the size grows: the smallest size that reaches the layers, then the
    // largest below the requested one that still fits.
    const search = (lo: number, hi: number, ok: (size: number) => boolean, first: boolean): number => {
      while (lo < hi) {
        const mid = first ? Math.floor((lo + hi) / 2) : Math.ceil((lo + hi) / 2);
        if (ok(mid) === first) hi = first ? mid : mid - 1;
        else lo = first ? mid + 1 : mid;
      }
      return lo;
    };
    const lowest = search(16, o.size, bigEnough, true);
    if (lowest >= o.size || !fitsAll(lowest)) return undefined;
    return search(lowest, o.size - 1, fitsAll, false);
  };
  let tapsInPass = tapPoints.length > 0;
  const scales = o.scales.map((s): ScalePlan => {
    const size = scaleSize(o.size, s);
    const { height, width, styleShapes } = shapesAt(size);
    checkFits('content', height, width, lossPoints.concat(tapPoints), '`size`');
    styleShapes.forEach((st, i) => checkFits(input.styles.length > 1 ? `style[${i}]` : 'style', st.height, st.width, stylePoints, '`size` or `styleScale`'));
    const styleSize = styleSizeFor(o, size);
    const pyramidLevels = o.precondition ? o.precondition.levels || autoPyramidLevels(height, width) : 0;
    // The prepared convs are a speed-up: where only they keep the whole image from fitting, plain convs it is.
    let tiled = tilingAt(height, width, styleShapes);
    const prepareConvs = !tiled || o.tile.mode === 'always' || tilingAt(height, width, styleShapes, false) !== undefined;
    if (!prepareConvs) {
      tiled = undefined;
      warnings.push(`At ${width}x${height} the ${backend} backend's prepared convolutions (Winograd's weights) are not used: without them the whole image fits, with them it would be tiled.`);
    }
    const untiled = (historySize: number) => memoryAt(height, width, historySize, prepareConvs);
    const tiling = tiled?.layout;
    const cropOver = tiling && device?.over(tiling.maxCrop.height, tiling.maxCrop.width, []);
    const over = tiling ? cropOver && { ...cropOver, image: 'content tile' } : device?.over(height, width, styleShapes);
    if (over) {
      const tile = !tapPoints.length && !o.normalizeGradients && cropFits ? largestFittingTile({ o, height, width, lossPoints }, cropFits) : undefined;
      throw deviceLimitError(over, limits!, backend, fittingSize(), tile);
    }
    const historyOn = tiled?.historyOn ?? 'device';
    const stateOn = tiled?.stateOn ?? 'device';
    const stepAt = tiling ? (historySize: number) => tiledStepMemory(pass, tiling, tiledMemoryInput(o, historySize, stateOn)) : untiled;
    const slack = SLACK[!tiling ? 'whole' : stateOn === 'host' ? 'host-state' : 'tiled'];
    // Adam's state has no home in JS memory: L-BFGS (the default) may fit where it does not.
    const adamNote = o.optimizer === 'adam' && tiling ? ' L-BFGS (`optimizer: \'lbfgs\'`, the default) keeps its state in JS memory when a tiled image needs it, and may fit.' : '';
    const fitting = { width, height, backend, note: cap?.note ?? `the ${backend} backend's limit`, fittingSize, slack, adamNote };
    let historySize: number;
    let memory: MemoryEstimate;
    if (historyOn === 'host') {
      // The pairs live in JS memory; the device holds the tiles' pass and the optimiser's working vectors (or,
      // with the state in JS memory too, only the pass).
      const hostMemory = getPlatform().hostMemory?.();
      historySize = hostHistoryPairs(height, width, pyramid, want, hostPairBytes(optimiserVectorBytes(height, width, pyramid), stateOn, hostMemory));
      if (historySize < 1) {
        if (hostMemory !== undefined) throw hostMemoryError(width, height, optimiserVectorBytes(height, width, pyramid) * ((stateOn === 'host' ? HOST_STATE_VECTORS : 0) + 2), hostMemory);
        historySize = 1; // nothing to check against: one pair, past the fixed cap
      }
      memory = stepAt(0);
      // Even without pairs the step may not fit: affordableHistory(0, …) then throws OUT_OF_MEMORY.
      if (budget !== undefined && memory.total * slack > budget) affordableHistory(0, stepAt, budget, { ...fitting, lbfgs: false }, warnings);
      warnings.push(
        stateOn === 'host'
          ? `At ${width}x${height} the optimiser's state (the image, its gradient, the L-BFGS history of ${historySize} pairs) is kept in JS memory: next to the tiles' pass it does not fit the ${backend} backend's memory.`
          : `At ${width}x${height} the L-BFGS history (${historySize} pairs) is kept in JS memory: next to the tiles' pass it does not fit the ${backend} backend's memory.`,
      );
    } else {
      historySize = budget === undefined ? want : affordableHistory(want, stepAt, budget, { ...fitting, lbfgs: o.optimizer === 'lbfgs' }, warnings);
      memory = stepAt(historySize);
    }
    if (budget !== undefined && tapsInPass) {
      // On a tap iteration the best evaluation's tapped activations wait for the step while the next pass runs.
      const tapBytes = 2 * tapPoints.reduce((a, p) => a + activationBytes(p, height, width), 0);
      tapsInPass = (memory.total + tapBytes) * slack <= budget;
    }
    return { size, height, width, styleSize, styleShapes, historySize, historyOn, stateOn, pyramidLevels, memory, tiling, prepareConvs };
  });
  return { scales, pass, tappedPass, tapsInPass, warnings, ...(cap && { budget: cap }) };
}

/**
 * The bytes a run may hold: the call's `memoryBudget`, else the GPU's default budget, else the backend's hard cap
 * (never more than that cap); undefined when there is nothing to check against (CPU, tensorflow).
 */
function memoryCap(o: ResolvedOptions, input: RunPlanInput): { bytes: number; note: string } | undefined {
  const hard = input.memoryLimit ?? Infinity;
  if (o.memoryBudget !== undefined) return { bytes: Math.min(o.memoryBudget, hard), note: o.memoryBudget <= hard ? 'your `memoryBudget`' : `the ${input.backend} backend's limit` };
  if (input.deviceLimits) return { bytes: Math.min(input.deviceLimits.defaultBudget, hard), note: input.deviceLimits.budgetNote };
  return input.memoryLimit === undefined ? undefined : { bytes: input.memoryLimit, note: `the ${input.backend} backend's limit` };
}

/** OUT_OF_MEMORY for optimiser state in JS memory that the host's memory cannot hold (see `Platform.hostMemory`). */
function hostMemoryError(width: number, height: number, need: number, hostMemory: number): StyleTransferError {
  // The state grows with the pixel count: the size at which it would fit, roughly.
  const ratio = Math.sqrt((hostMemory * HOST_MEMORY_SHARE) / need);
  return new StyleTransferError(
    'OUT_OF_MEMORY',
    `At ${width}x${height} the optimiser's state in JS memory needs about ${gib(need)} GiB (its working vectors and one L-BFGS pair), more than ${HOST_MEMORY_SHARE * 100}% of the ${gib(hostMemory)} GiB this process may use. ` +
      `Use a \`size\` about ${Math.round(ratio * 100)}% of this one, or a machine with more memory.`,
    { width, height, bytes: need, hostMemory },
  );
}

/** The longest L-BFGS history (≤ `want`) whose step fits `budget`, or OUT_OF_MEMORY. */
function affordableHistory(
  want: number,
  memoryAt: (history: number) => MemoryEstimate,
  budget: number,
  at: { width: number; height: number; backend: string; lbfgs: boolean; note: string; fittingSize: () => number | undefined; slack: number; adamNote: string },
  warnings: string[],
): number {
  const { width: w, height: h, backend } = at;
  const fits = (history: number) => memoryAt(history).total * at.slack <= budget;
  if (fits(want)) return want;
  if (at.lbfgs) {
    // Down to MIN_HISTORY_UNTILED pairs (or fewer when fewer were asked for): the history the error's estimate and
    // `fitSize` assume.
    const least = Math.min(want, MIN_HISTORY_UNTILED);
    for (let hist = Math.min(want, 50); ; hist = Math.max(least, Math.floor(hist * 0.7))) {
      if (fits(hist)) {
        warnings.push(`At ${w}x${h} the L-BFGS history was shortened from ${want} to ${hist} pairs to fit the ${backend} backend's memory.`);
        return hist;
      }
      if (hist === least) break;
    }
  }
  const need = memoryAt(Math.min(want, MIN_HISTORY_UNTILED)).total * at.slack;
  const fitSize = at.fittingSize();
  throw new StyleTransferError(
    'OUT_OF_MEMORY',
    `A ${w}x${h} image needs about ${gib(need)} GiB on the ${backend} backend, more than the ${gib(budget)} GiB left of ${at.note}. ` +
      `${fitSize === undefined ? 'No smaller `size` fits either: use' : `\`size: ${fitSize}\` is the largest that fits; or use`} style layers that stop earlier, a larger \`memoryBudget\` if the device has it, or the tensorflow (tfjs-node) backend.${at.adamNote}`,
    { width: w, height: h, bytes: need, budget, fitSize },
  );
}
