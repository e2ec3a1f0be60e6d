import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError } from './errors.js';

/**
 * `mᵀ` for a 2-D `[R, C]` tensor. On WASM (tfjs 4.22) a 2-D transpose of a tall matrix is a cache-hostile loop
 * (~57 ms for 65536x64); splitting R into blocks of B rows and transposing in two stages — each block, then the
 * block order — gives the same values in ~6 ms. Other backends get the plain transpose.
 */
export function transpose2d(m: tf.Tensor2D): tf.Tensor2D {
  const [r, c] = m.shape;
  const b = [64, 32, 16, 8].find((k) => r % k === 0 && r / k >= 2);
  if (tf.getBackend() !== 'wasm' || b === undefined || r < 1024) return tf.transpose(m);
  return tf.tidy(() => tf.reshape(tf.transpose(tf.transpose(tf.reshape(m, [r / b, b, c]), [0, 2, 1]), [1, 0, 2]), [c, r]) as tf.Tensor2D);
}

/**
 * Gram matrix of an activation `[1,H,W,C]` (or `[H,W,C]`): `G = FᵀF / (C·H·W)` with F the activation reshaped to
 * `[H·W, C]`; returns `[C, C]`. The transpose is explicit ({@link transpose2d}): on WASM `matMul(transpose(F), F)`
 * is 4–12x faster than `matMul(F, F, true)`.
 */
export function gramMatrix(activation: tf.Tensor): tf.Tensor2D {
  if (activation.rank !== 3 && !(activation.rank === 4 && activation.shape[0] === 1)) {
    throw new StyleTransferError('INVALID_OPTION', `gramMatrix expects an activation [1,H,W,C] or [H,W,C]; got shape [${activation.shape}].`);
  }
  return tf.tidy(() => {
    const c = activation.shape[activation.rank - 1];
    const n = activation.size / c;
    const f = tf.reshape(activation, [n, c]) as tf.Tensor2D;
    return tf.div(tf.matMul(transpose2d(f), f), n * c) as tf.Tensor2D;
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
