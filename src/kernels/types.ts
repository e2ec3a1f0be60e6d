import type * as tf from '@tensorflow/tfjs-core';

/** The weights a 3x3 'same' conv layer reads (a loaded model, `LossNetwork`, is one), by conv index. */
export interface ConvWeights {
  /** One entry per conv layer, in order. */
  readonly convLayers: readonly string[];
  /** HWIO `[3, 3, in, out]`. */
  kernel(i: number): tf.Tensor4D;
  bias(i: number): tf.Tensor1D;
  /** The kernel rotated 180° with in/out swapped: the backward pass's input gradient is a forward conv with it. */
  flippedKernel(i: number): tf.Tensor4D;
  /** True when the resolution halves after conv `i` (a pool follows it). Absent: VGG-19's pools. */
  poolAfter?(i: number): boolean;
}

/** `'forward'`: conv with the kernel, plus the bias. `'backward'`: the input gradient (flipped kernel, no bias). */
export type ConvDirection = 'forward' | 'backward';

/** Which convs a pass runs, at which input size: conv layers `0…forward-1` forward, `0…backward-1` backward. */
export interface ConvUse {
  height: number;
  width: number;
  forward: number;
  backward: number;
}

/** Per-run state of {@link Kernels.conv} (WASM: Winograd-transformed weights), freed by `dispose()`. */
export interface PreparedConvs {
  /** Bytes it holds (0 when the kernels prepare nothing). */
  readonly bytes: number;
  dispose(): void;
}

/**
 * The few operations whose fastest form depends on the backend, behind one interface. The maths (Gram matrices,
 * the backward pass, the pyramid, memory planning) calls these and never asks which backend runs: a session picks
 * one implementation for its backend ({@link kernelsFor}) and passes it in.
 *
 * Every method returns a new tensor owned by the caller and leaves its inputs alone. Adding a backend's fast paths
 * is one new file that spreads `genericKernels` and overrides what it does better, plus its line in the table in
 * `kernels/index.ts`.
 */
export interface Kernels {
  /** Which implementation this is (`'generic'`, `'wasm'`), for logs and tests. */
  readonly name: string;
  /**
   * Called with the active backend (`tf.backend()`) before a run allocates: makes a failed heap allocation throw
   * OUT_OF_MEMORY instead of corrupting memory (WASM: `kernels/wasm-malloc-guard.ts`). Absent where allocations
   * fail safely on their own.
   */
  guardMalloc?(backend: unknown): void;
  /** `FᵀF` for features F `[N, C]` (N positions, C channels): the unnormalised Gram matrix `[C, C]`. */
  gram(features: tf.Tensor2D): tf.Tensor2D;
  /** Gradient w.r.t. the input of 2x2/stride-2 'valid' max pooling, given dy (w.r.t. its output), input and output. */
  maxPoolBackward(dy: tf.Tensor4D, input: tf.Tensor4D, output: tf.Tensor4D): tf.Tensor4D;
  /** Gradient w.r.t. the input of 2x2/stride-2 'valid' average pooling, given dy (w.r.t. its output). */
  avgPoolBackward(dy: tf.Tensor4D, input: tf.Tensor4D): tf.Tensor4D;
  /**
   * ReLU followed by 2x2 max pooling, backward in one call: the gradient w.r.t. the pre-ReLU values, given dy
   * (w.r.t. the pool output), `reluOut` (the pool's input) and `pooled` (its output).
   */
  reluMaxPoolBackward(dy: tf.Tensor4D, reluOut: tf.Tensor4D, pooled: tf.Tensor4D): tf.Tensor4D;
  /**
   * The adjoint of align-corners bilinear resizing from `[1, height, width, C]` to dy's size: maps dy
   * `[1, H, W, C]` back to `[1, height, width, C]`.
   */
  resizeBilinearAdjoint(dy: tf.Tensor4D, height: number, width: number): tf.Tensor4D;
  /**
   * The sorting style statistics' un-sort: `sorted` `[K,N]` put back where `indices` (`tf.topk`'s) took each value
   * from, as positions × rows `[N,K]`: out[indices[k, j], k] = sorted[k, j]. Generic: a loop in JS memory (reads
   * both back; right on CPU and WASM). GPU backends: on the device, without reading the gradient back
   * (`kernels/unsort.ts`).
   */
  unsort(sorted: tf.Tensor2D, indices: tf.Tensor2D): tf.Tensor2D;
  /**
   * One 3x3 stride-1 'same' conv layer of `weights` on `x` `[1, H, W, Cin]`, forward (plus bias) or backward (the
   * input gradient). Generic: `tf.conv2d`. Faster forms (WASM: Winograd) apply only between {@link prepareConvs}
   * and its `dispose()`; outside, every implementation is the generic one.
   */
  conv(x: tf.Tensor4D, weights: ConvWeights, convIndex: number, direction: ConvDirection): tf.Tensor4D;
  /**
   * Makes what `conv` needs to run fastest on `weights` for a pass like `use` (the run loop, stylize/run.ts, calls it once per scale
   * of a run and disposes it at the end). Several may be alive for one model (concurrent runs share what they can).
   */
  prepareConvs(weights: ConvWeights, use: ConvUse): PreparedConvs;
  /** Bytes {@link prepareConvs} would hold for `use`, for memory estimates. */
  preparedConvBytes(use: ConvUse): number;
  /** The most bytes the backend can hold when it has a hard cap (WASM: its 4 GiB heap); undefined when unknown. */
  readonly memoryLimit: number | undefined;
  /**
   * GPU backends: reads the live device's limits (WebGL's texture size, WebGPU's buffer sizes) for planning a run
   * before it allocates anything. Absent on backends without per-allocation limits (WASM, CPU, tensorflow).
   */
  deviceLimits?(): DeviceLimits;
}

/** One tensor a step allocates, as the planner checks it against {@link DeviceLimits}. */
export interface PlannedTensor {
  /** Its shape (float32). */
  shape: readonly number[];
  /** WebGL: stored packed (2x2 values per RGBA texel, as the im2col matrix of a conv); otherwise one value per texel. */
  packed?: boolean;
  /** What it is, for messages (`'conv1_2 input gradient im2col'`). */
  what: string;
}

/**
 * What one GPU device can hold: a limit on each single allocation (WebGL: the texture side; WebGPU: the storage
 * buffer binding size), and a default budget for all of a run's tensors (browsers report no GPU memory).
 */
export interface DeviceLimits {
  /** The per-allocation limit, for messages (`'WebGL MAX_TEXTURE_SIZE 8192'`). */
  readonly limitName: string;
  /** The largest allowed value of {@link DeviceLimits.allocationSize}. */
  readonly maxAllocation: number;
  /** The size of one tensor in the limit's unit (WebGL: its texture's longer side in texels; WebGPU: bytes). */
  allocationSize(t: PlannedTensor): number;
  /** An allocation of that size in words, for messages (`'a texture 12288 texels wide'`). */
  describe(size: number): string;
  /** Tensors a 3x3 stride-1 'same' conv of `[1, height, width, inChannels]` allocates besides its output. */
  convScratch(height: number, width: number, inChannels: number, outChannels: number): PlannedTensor[];
  /** Bytes a run may hold in all when the caller sets no `memoryBudget`, and why that number. */
  readonly defaultBudget: number;
  readonly budgetNote: string;
}
