import type * as tf from '@tensorflow/tfjs-core';

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
  /** The most bytes the backend can hold when it has a hard cap (WASM: its 4 GiB heap); undefined when unknown. */
  readonly memoryLimit: number | undefined;
}
