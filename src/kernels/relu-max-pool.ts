import * as tf from '@tensorflow/tfjs-core';
import { genericKernels } from './generic.js';

/**
 * ReLU + 2x2 max pooling backward without MaxPoolGrad, which is a scalar loop on WASM (~86 ms at 256x256x64, ~10%
 * of an evaluation) and a slow gather on WebGL (2x the time of this at 128 px on SwiftShader, docs/performance.md).
 * For 2x2/stride-2 pooling of an even-sized map the same gradient is: dy upsampled (nearest)
 * where the input equals its window's max, else 0 — all same-shape ops that run vectorised (~45 ms with the ReLU
 * mask included). The ReLU mask is folded in by raising all-zero windows' max to 1e-30 before the comparison, so
 * zeros never match. (A window with two equal positive maxima passes the gradient to both, where MaxPoolGrad picks
 * one: a measure-zero difference for real-valued activations.) Odd sizes take the generic two steps.
 */
export function reluMaxPoolBackwardByMask(dy: tf.Tensor4D, reluOut: tf.Tensor4D, pooled: tf.Tensor4D): tf.Tensor4D {
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
