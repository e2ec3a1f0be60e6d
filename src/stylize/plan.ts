import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError } from '../errors.js';
import { fitSize } from '../image/input.js';
import type { NetworkPoint } from '../core/layers.js';
import { activationBytes, stepMemory, type MemoryEstimate } from '../core/memory.js';
import { assertFits, planPass, type PassPlan } from '../core/network.js';
import { autoPyramidLevels } from '../optim/pyramid.js';
import type { ResolvedOptions } from './options.js';

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
  /** Levels of the pyramid parametrisation (0: the optimiser works on plain pixels). */
  pyramidLevels: number;
  /** Estimated peak bytes of one step at this scale. */
  memory: MemoryEstimate;
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
}

/** Headroom for allocator fragmentation and backend workspaces on top of the estimate. */
export const MEMORY_SLACK = 1.3;

function checkFits(field: string, height: number, width: number, points: readonly NetworkPoint[], hint: string): void {
  assertFits(height, width, points.reduce((a, p) => (p.stride > a.stride ? p : a)), field, hint);
}

/** The output's longest side at a scale factor. */
const scaleSize = (o: ResolvedOptions, scale: number): number => Math.max(16, Math.round(o.size * scale));
/** The longest side a style image is resized to for an output of longest side `size`. */
const styleSizeFor = (o: ResolvedOptions, size: number): number => Math.max(16, Math.round(size * o.styleScale));

/**
 * Plans a run: the sizes at each scale, checked to reach every layer they must (INVALID_IMAGE otherwise); the
 * pass (what the backward pass keeps); and, on a backend with a memory cap, the L-BFGS history each scale can
 * afford (shortened with a warning, or OUT_OF_MEMORY saying what to change) and whether taps can observe the
 * objective's pass. Reads the tensors in use now (`tf.memory()`) for the budget.
 */
export function planRun(input: RunPlanInput): RunPlan {
  const { o, tapPoints, backend } = input;
  const lossPoints = [...o.contentLayers, ...o.styleLayers].map((l) => l.point);
  const stylePoints = o.styleLayers.map((l) => l.point);
  const pass = planPass({ pooling: o.pooling, losses: lossPoints });
  const tappedPass = planPass({ pooling: o.pooling, losses: lossPoints, observe: tapPoints });
  const warnings: string[] = [];
  const budget = input.memoryLimit === undefined ? undefined : input.memoryLimit - tf.memory().numBytes;
  const pyramid = o.precondition !== undefined;
  const want = o.optimizer === 'lbfgs' ? o.lbfgs.historySize : 0;
  let tapsInPass = tapPoints.length > 0;
  const scales = o.scales.map((s): ScalePlan => {
    const size = scaleSize(o, s);
    const [height, width] = fitSize(input.content.height, input.content.width, size);
    checkFits('content', height, width, lossPoints.concat(tapPoints), '`size`');
    const styleSize = styleSizeFor(o, size);
    const styleShapes = input.styles.map((st, i) => {
      const [sh, sw] = fitSize(st.height, st.width, styleSize);
      checkFits(input.styles.length > 1 ? `style[${i}]` : 'style', sh, sw, stylePoints, '`size` or `styleScale`');
      return { height: sh, width: sw };
    });
    const pyramidLevels = o.precondition ? o.precondition.levels || autoPyramidLevels(height, width) : 0;
    const memoryAt = (historySize: number) => stepMemory(pass, { height, width, optimizer: o.optimizer, historySize, pyramid });
    const historySize = budget === undefined ? want : affordableHistory(want, memoryAt, budget, { width, height, backend, lbfgs: o.optimizer === 'lbfgs' }, warnings);
    const memory = memoryAt(historySize);
    if (budget !== undefined && tapsInPass) {
      // On a tap iteration the best evaluation's tapped activations wait for the step while the next pass runs.
      const tapBytes = 2 * tapPoints.reduce((a, p) => a + activationBytes(p, height, width), 0);
      tapsInPass = (memory.total + tapBytes) * MEMORY_SLACK <= budget;
    }
    return { size, height, width, styleSize, styleShapes, historySize, pyramidLevels, memory };
  });
  return { scales, pass, tappedPass, tapsInPass, warnings };
}

/** The longest L-BFGS history (≤ `want`) whose step fits `budget`, or OUT_OF_MEMORY. */
function affordableHistory(
  want: number,
  memoryAt: (history: number) => MemoryEstimate,
  budget: number,
  at: { width: number; height: number; backend: string; lbfgs: boolean },
  warnings: string[],
): number {
  const { width: w, height: h, backend } = at;
  const fits = (history: number) => memoryAt(history).total * MEMORY_SLACK <= budget;
  if (fits(want)) return want;
  if (at.lbfgs) {
    for (let hist = Math.min(want, 50); hist >= 5; hist = Math.floor(hist * 0.7)) {
      if (fits(hist)) {
        warnings.push(`At ${w}x${h} the L-BFGS history was shortened from ${want} to ${hist} pairs to fit the ${backend} backend's memory.`);
        return hist;
      }
    }
  }
  const need = memoryAt(Math.min(want, 5)).total * MEMORY_SLACK;
  throw new StyleTransferError(
    'OUT_OF_MEMORY',
    `A ${w}x${h} image needs about ${(need / 2 ** 30).toFixed(1)} GiB on the ${backend} backend, more than the ${(budget / 2 ** 30).toFixed(1)} GiB it has left. ` +
      'Use a smaller `size`, style layers that stop earlier, or the tensorflow (tfjs-node) backend.',
    { width: w, height: h, bytes: need, budget },
  );
}
