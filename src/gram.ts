import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError } from './errors.js';

/**
 * Gram matrix of an activation `[1,H,W,C]` (or `[H,W,C]`): `G = FᵀF / (C·H·W)` with F the activation reshaped to
 * `[H·W, C]`; returns `[C, C]`. The transpose is explicit: on WASM `matMul(transpose(F), F)` is 4–12x faster
 * than `matMul(F, F, true)`.
 */
export function gramMatrix(activation: tf.Tensor): tf.Tensor2D {
  if (activation.rank !== 3 && !(activation.rank === 4 && activation.shape[0] === 1)) {
    throw new StyleTransferError('INVALID_OPTION', `gramMatrix expects an activation [1,H,W,C] or [H,W,C]; got shape [${activation.shape}].`);
  }
  return tf.tidy(() => {
    const c = activation.shape[activation.rank - 1];
    const n = activation.size / c;
    const f = tf.reshape(activation, [n, c]);
    return tf.div(tf.matMul(tf.transpose(f), f), n * c) as tf.Tensor2D;
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
