import * as tf from '@tensorflow/tfjs-core';
import { STYLIZE_DEFAULTS } from '../defaults.js';
import { genericKernels } from './generic.js';
import type { Kernels } from './types.js';

/**
 * `mᵀ` for a 2-D `[R, C]` tensor, blocked. On WASM (tfjs 4.22) a 2-D transpose of a tall matrix is a
 * cache-hostile loop (~57 ms for 65536x64); splitting R into blocks of B rows and transposing in two stages — each
 * block, then the block order — gives the same values in ~6 ms. Small or unblockable shapes get the plain one.
 */
export function blockedTranspose(m: tf.Tensor2D): tf.Tensor2D {
  const [r, c] = m.shape;
  const b = [64, 32, 16, 8].find((k) => r % k === 0 && r / k >= 2);
  if (b === undefined || r < 1024) return tf.transpose(m);
  return tf.tidy(() => tf.reshape(tf.transpose(tf.transpose(tf.reshape(m, [r / b, b, c]), [0, 2, 1]), [1, 0, 2]), [c, r]) as tf.Tensor2D);
}

/**
 * ReLU + 2x2 max pooling backward without MaxPoolGrad, which is a scalar loop on WASM (~86 ms at 256x256x64, ~10%
 * of an evaluation). For 2x2/stride-2 pooling of an even-sized map the same gradient is: dy upsampled (nearest)
 * where the input equals its window's max, else 0 — all same-shape ops that run vectorised (~45 ms with the ReLU
 * mask included). The ReLU mask is folded in by raising all-zero windows' max to 1e-30 before the comparison, so
 * zeros never match. (A window with two equal positive maxima passes the gradient to both, where MaxPoolGrad picks
 * one: a measure-zero difference for real-valued activations.) Odd sizes take the generic two steps.
 */
function reluMaxPoolBackward(dy: tf.Tensor4D, reluOut: tf.Tensor4D, pooled: tf.Tensor4D): tf.Tensor4D {
  const [, h, w] = reluOut.shape;
  if (h % 2 !== 0 || w % 2 !== 0) return genericKernels.reluMaxPoolBackward(dy, reluOut, pooled);
  // Ordered so that at most three full-size temporaries are alive at once (this runs at the largest maps).
  const isMax = tf.tidy(() => tf.equal(reluOut, tf.image.resizeNearestNeighbor(tf.maximum(pooled, 1e-30) as tf.Tensor4D, [h, w])));
  const mask = tf.cast(isMax, 'float32');
  isMax.dispose();
  const up = tf.image.resizeNearestNeighbor(dy, [h, w]);
  const dx = tf.mul(up, mask) as tf.Tensor4D;
  tf.dispose([up, mask]);
  return dx;
}

/** tfjs-backend-wasm: the generic kernels with a blocked transpose for Grams, the fused ReLU + max-pool backward, and the 32-bit heap's cap. */
export const wasmKernels: Kernels = {
  ...genericKernels,
  name: 'wasm',
  // matMul(transpose(F), F) with the blocked transpose is 4–12x faster here than matMul(F, F, true).
  gram: (f) => tf.tidy(() => tf.matMul(blockedTranspose(f), f)),
  reluMaxPoolBackward,
  memoryLimit: STYLIZE_DEFAULTS.memoryBudget.wasm,
};
