import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError } from '../errors.js';
import { toImageData, toRgba, type RgbaImage } from '../image/input.js';
import type { DomImageData } from '../image/dom-types.js';
import type { LossBreakdown, StepInfo } from './options.js';
import type { ScalePlan } from './plan.js';
import { describeTiling, type TilingInfo } from './tiling/layout.js';

/** One entry of the loss history. */
export interface HistoryEntry {
  iteration: number;
  scale: number;
  loss: LossBreakdown;
  evaluations: number;
  elapsedMs: number;
}

/** An image kept at a requested iteration (`snapshots` option). */
export interface Snapshot {
  iteration: number;
  image: RgbaImage;
  loss: LossBreakdown;
  elapsedMs: number;
}

/**
 * Why a run ended: all iterations done; L-BFGS converged (gradient, step or loss change below tolerance); its
 * evaluation budget (`lbfgs.maxEvaluations`) ran out; the loss became NaN/Infinity; or it was aborted.
 */
export type StopReason = 'completed' | 'converged' | 'max-evaluations' | 'non-finite-loss' | 'aborted';

/**
 * One iteration of `Stylizer.steps`. Its image is read only when asked for, and only until the iterator
 * moves on (after that the methods throw STEP_EXPIRED): `toTensor()` returns a new tensor the caller owns.
 */
export interface StylizeStep extends StepInfo {
  /** True on the run's last iteration (all done, or the optimiser converged). */
  last: boolean;
  /** The image at this step, `[H,W,3]` float32 RGB in 0–255; the caller disposes it. */
  toTensor(): tf.Tensor3D;
  /** RGBA bytes of the image at this step. */
  toPixels(): Promise<RgbaImage>;
  /** ImageData of the image at this step (browsers and workers). */
  toImageData(): Promise<DomImageData>;
}

/** How a step's image is read: the three readers of {@link StylizeStep}. */
export type StepImage = Pick<StylizeStep, 'toTensor' | 'toPixels' | 'toImageData'>;

/**
 * A step of `steps()` from its fields and its image's readers, with `expire()`, after which the readers throw
 * STEP_EXPIRED (toTensor at once, the others as a rejection). The in-thread and the worker-thread sessions both
 * build their steps here.
 */
export function expiringStep(info: Omit<StylizeStep, keyof StepImage>, image: StepImage): { step: StylizeStep; expire(): void } {
  let live = true;
  const check = (): void => {
    if (!live) throw new StyleTransferError('STEP_EXPIRED', `The image of step ${info.iteration} is gone: the loop has moved on. Read it (toTensor, toPixels) before the next step.`);
  };
  const step: StylizeStep = {
    ...info,
    toTensor: () => (check(), image.toTensor()),
    toPixels: async () => (check(), image.toPixels()),
    toImageData: async () => (check(), image.toImageData()),
  };
  return { step, expire: () => void (live = false) };
}

/** What {@link stylize} resolves to. Call `dispose()` (or dispose `image`) when done with it. */
export interface StylizeResult {
  /** The stylised image, `[H,W,3]` float32 RGB in 0–255. Owned by the caller. */
  image: tf.Tensor3D;
  width: number;
  height: number;
  /** A copy of `image` (the caller disposes it too). */
  toTensor(): tf.Tensor3D;
  /** RGBA bytes (reads the image back from the backend). */
  toPixels(): Promise<RgbaImage>;
  /** ImageData for a canvas (browsers and workers). */
  toImageData(): Promise<DomImageData>;
  /** Frees `image`. */
  dispose(): void;
  /** Loss after every iteration. */
  history: HistoryEntry[];
  snapshots: Snapshot[];
  /** Iterations done (across scales). */
  iterations: number;
  /** Objective evaluations (forward+backward passes). */
  evaluations: number;
  /** Why the run ended (see {@link StopReason}). */
  stopReason: StopReason;
  /** Human-readable notes, e.g. why the run stopped early. */
  warnings: string[];
  timings: {
    /** Time spent waiting in the session's queue before the call started. */
    queuedMs: number;
    /** Image preparation and style/content targets. */
    setupMs: number;
    /** The optimisation loop. */
    optimizeMs: number;
    totalMs: number;
    /** Median milliseconds per iteration. */
    perIterationMs: number;
  };
  /** The TF.js backend that did the work. */
  backend: string;
  /**
   * How each scale was planned: its size, the L-BFGS history it kept (shortened where the backend's memory is
   * capped), whether it was evaluated in tiles, and the estimated peak bytes of a step.
   */
  scales: ScaleReport[];
}

/** One scale of a run as planned (see {@link StylizeResult.scales}). */
export interface ScaleReport {
  width: number;
  height: number;
  /** L-BFGS correction pairs kept (0 with Adam). */
  historySize: number;
  /** Where they were kept: on the backend, or in JS memory (when they did not fit the backend next to the tiles). */
  historyOn: 'device' | 'host';
  /**
   * Where the optimiser's working vectors (image, gradient, search direction, pyramid) were kept: on the backend,
   * or in JS memory with the history (a tiled scale where they did not fit the backend either; L-BFGS only).
   */
  stateOn: 'device' | 'host';
  /** Estimated peak bytes of one step on the backend (the plan's estimate, without the model's weights). */
  memoryBytes: number;
  /** Present when the scale was evaluated a tile at a time. */
  tiling?: TilingInfo;
}

/** What a call would do, planned before any work: see `Stylizer.plan`. */
export interface StylizePlan {
  /** The TF.js backend it was planned for (the one active when `plan` was called). */
  backend: string;
  /** Each scale as the result's `scales` will report it: size, tiles, L-BFGS pairs, where the state lives, bytes. */
  scales: ScaleReport[];
  /** Iterations at each scale. */
  iterations: number[];
  /**
   * The bytes a run may hold on the backend and where that number comes from (your `memoryBudget`, a GPU's default
   * budget, WASM's 4 GiB heap). Each scale's `memoryBytes` times the plan's headroom (1.2–1.6x) fits in it less what
   * the backend already held when planned. Absent where nothing bounds memory (CPU, tfjs-node).
   */
  memoryBudget?: { bytes: number; note: string };
  /** What the run would warn about (e.g. a shortened history, the optimiser's state kept in JS memory). */
  warnings: string[];
}

export function scaleReport(s: ScalePlan): ScaleReport {
  return { width: s.width, height: s.height, historySize: s.historySize, historyOn: s.historyOn, stateOn: s.stateOn, memoryBytes: s.memory.total, ...(s.tiling && { tiling: describeTiling(s.tiling) }) };
}

export function makeResult(image: tf.Tensor3D, fields: Omit<StylizeResult, 'image' | 'width' | 'height' | 'toTensor' | 'toPixels' | 'toImageData' | 'dispose'>): StylizeResult {
  return {
    image,
    width: image.shape[1],
    height: image.shape[0],
    toTensor: () => tf.clone(image),
    toPixels: () => toRgba(image),
    toImageData: () => toImageData(image),
    dispose: () => image.dispose(),
    ...fields,
  };
}

export function median(v: number[]): number {
  if (v.length === 0) return 0;
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
