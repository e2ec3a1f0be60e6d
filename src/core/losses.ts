import * as tf from '@tensorflow/tfjs-core';
import { gramBackward, gramMatrix } from './gram.js';
import { activeKernels, type Kernels } from '../kernels/index.js';

/**
 * How losses are scaled.
 * - `'mean'` (default): content = mean((F−P)²); style = Σ_layers w · mean((G−A)²) over the C² Gram entries, Grams
 *   normalised by C·H·W — the convention of jcjohnson/neural-style and of the golden fixtures' `full_loss`.
 * - `'paper'`: Gatys et al. 2016: content = ½·Σ(F−P)² (eq. 1); style = Σ_layers w · ¼·Σ(G−A)², which is eq. 4's
 *   1/(4N²M²)·Σ(Ĝ−Â)² for unnormalised Grams Ĝ.
 */
export type LossNormalization = 'mean' | 'paper';

/** Value and gradient of one loss term with respect to its input. */
export interface LossTerm {
  value: tf.Scalar;
  grad: tf.Tensor4D;
}

/** Content loss between an activation and its target, scaled by `weight`. */
export function contentLoss(activation: tf.Tensor4D, target: tf.Tensor4D, weight: number, norm: LossNormalization = 'mean'): LossTerm {
  return tf.tidy(() => {
    const diff = tf.sub(activation, target);
    const scale = norm === 'mean' ? weight / activation.size : weight * 0.5;
    return {
      value: tf.mul(tf.sum(tf.square(diff)), scale) as tf.Scalar,
      grad: tf.mul(diff, 2 * scale) as tf.Tensor4D,
    };
  });
}

/**
 * Style loss between the Gram of an activation and a target Gram, scaled by `weight`. `kernels`: how the Gram is
 * computed (default: the active backend's).
 */
export function styleLoss(activation: tf.Tensor4D, targetGram: tf.Tensor2D, weight: number, norm: LossNormalization = 'mean', kernels: Kernels = activeKernels()): LossTerm {
  return tf.tidy(() => {
    const c = activation.shape[3];
    const diff = tf.sub(gramMatrix(activation, kernels), targetGram);
    const scale = norm === 'mean' ? weight / (c * c) : weight * 0.25;
    // dL/dG = 2·scale·(G − A); gramBackward takes dL/dG itself (its (dG + dGᵀ) is the Gram's own derivative).
    return {
      value: tf.mul(tf.sum(tf.square(diff)), scale) as tf.Scalar,
      grad: gramBackward(activation, tf.mul(diff, 2 * scale) as tf.Tensor2D),
    };
  });
}

/**
 * Total variation: Σ over channels of squared differences of vertically and horizontally adjacent pixels
 * (0–255 units, no ½, no mean), scaled by `weight`, with its gradient.
 */
export function tvLoss(image: tf.Tensor4D, weight: number): LossTerm {
  return tf.tidy(() => {
    const [, h, w, c] = image.shape;
    const dh = h > 1 ? tf.sub(tf.slice(image, [0, 1, 0, 0], [1, h - 1, w, c]), tf.slice(image, [0, 0, 0, 0], [1, h - 1, w, c])) : null;
    const dw = w > 1 ? tf.sub(tf.slice(image, [0, 0, 1, 0], [1, h, w - 1, c]), tf.slice(image, [0, 0, 0, 0], [1, h, w - 1, c])) : null;
    let value = tf.scalar(0);
    let grad = tf.zerosLike(image);
    // d/dx Σ d² where d[i] = x[i+1] − x[i]: 2·d[i−1] − 2·d[i], with d = 0 outside.
    if (dh) {
      value = tf.add(value, tf.sum(tf.square(dh)));
      grad = tf.add(grad, tf.mul(tf.sub(tf.pad(dh, [[0, 0], [1, 0], [0, 0], [0, 0]]), tf.pad(dh, [[0, 0], [0, 1], [0, 0], [0, 0]])), 2));
    }
    if (dw) {
      value = tf.add(value, tf.sum(tf.square(dw)));
      grad = tf.add(grad, tf.mul(tf.sub(tf.pad(dw, [[0, 0], [0, 0], [1, 0], [0, 0]]), tf.pad(dw, [[0, 0], [0, 0], [0, 1], [0, 0]])), 2));
    }
    return { value: tf.mul(value, weight) as tf.Scalar, grad: tf.mul(grad, weight) as tf.Tensor4D };
  });
}

/**
 * {@link tvLoss} of an image in JS memory (`[H,W,3]` row-major, as a `[1,H,W,3]` tensor's data), in JS: for an
 * image the backend does not hold (the optimiser's state on the host). The value is summed in float64.
 */
export function tvLossHost(image: Float32Array, height: number, width: number, weight: number): { value: number; grad: Float32Array } {
  const grad = new Float32Array(image.length);
  let value = 0;
  // Each difference d = x[j] − x[i] between neighbours adds d² and moves 2d into x[j]'s gradient, −2d into x[i]'s.
  const pair = (i: number, j: number) => {
    const d = image[j] - image[i];
    value += d * d;
    grad[j] += 2 * weight * d;
    grad[i] -= 2 * weight * d;
  };
  const row = width * 3;
  for (let r = 0; r < height; r++) {
    for (let k = r * row; k < (r + 1) * row; k++) {
      if (r + 1 < height) pair(k, k + row);
      if (k + 3 < (r + 1) * row) pair(k, k + 3);
    }
  }
  return { value: value * weight, grad };
}
