import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError } from '../errors.js';
import { activeKernels, type Kernels } from '../kernels/index.js';

/**
 * Gram matrix of an activation `[1,H,W,C]` (or `[H,W,C]`): `G = FᵀF / (C·H·W)` with F the activation reshaped to
 * `[H·W, C]`; returns `[C, C]`. `FᵀF` is the kernels' (the fastest form depends on the backend); by default those of
 * the active backend.
 */
export function gramMatrix(activation: tf.Tensor, kernels: Kernels = activeKernels()): tf.Tensor2D {
  if (activation.rank !== 3 && !(activation.rank === 4 && activation.shape[0] === 1)) {
    throw new StyleTransferError('INVALID_OPTION', `gramMatrix expects an activation [1,H,W,C] or [H,W,C]; got shape [${activation.shape}].`);
  }
  return tf.tidy(() => {
    const c = activation.shape[activation.rank - 1];
    const n = activation.size / c;
    return tf.div(kernels.gram(tf.reshape(activation, [n, c]) as tf.Tensor2D), n * c) as tf.Tensor2D;
  });
}

/**
 * Gradient of a scalar loss through the Gram matrix: given dL/dG (symmetric), dL/dF = F·(dG + dGᵀ)/(C·H·W),
 * returned in the activation's shape. No transposed matMul is needed.
 */
export function gramBackward(activation: tf.Tensor4D, dGram: tf.Tensor2D): tf.Tensor4D {
  return tf.tidy(() => {
    const c = activation.shape[3];
    const n = activation.size / c;
    const f = tf.reshape(activation, [n, c]);
    const sym = tf.add(dGram, tf.transpose(dGram));
    return tf.reshape(tf.div(tf.matMul(f, sym), n * c), activation.shape) as tf.Tensor4D;
  });
}
