import * as tf from '@tensorflow/tfjs-core';
import { unsortInMemory } from './unsort.js';
import type { ConvDirection, ConvWeights, Kernels, PreparedConvs } from './types.js';

const POOL_2X2 = { filterSize: 2, strides: 2, pad: 'valid' } as const;

function maxPoolBackward(dy: tf.Tensor4D, input: tf.Tensor4D, output: tf.Tensor4D): tf.Tensor4D {
  // Called directly: tfjs-core's Node bundle registers no gradients, so there is no op for it.
  return tf.engine().runKernel('MaxPoolGrad', { dy, input, output }, { ...POOL_2X2 }) as tf.Tensor4D;
}

/** The network's conv: `tf.conv2d` with the kernel plus the bias, or with the flipped kernel for the input gradient. */
export function plainConv(x: tf.Tensor4D, weights: ConvWeights, i: number, direction: ConvDirection): tf.Tensor4D {
  if (direction === 'backward') return tf.conv2d(x, weights.flippedKernel(i), 1, 'same');
  return tf.tidy(() => tf.add(tf.conv2d(x, weights.kernel(i), 1, 'same'), weights.bias(i)) as tf.Tensor4D);
}

/** Prepared convs that hold nothing: backends without per-run conv state, and scales that run plain convs. */
export const NOTHING_PREPARED: PreparedConvs = { bytes: 0, dispose: () => {} };

/**
 * `FᵀF` as one matMul that reads F transposed (`transposeA`), with no transposed copy of F. On WebGL and WebGPU the
 * shader indexes F transposed for free, so this saves a full-size transpose pass and its texture/buffer; on WASM
 * it is 4–12x slower than a blocked transpose followed by a plain matMul (see `wasm.ts`).
 */
export function gramTransposeA(f: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(f, f, true, false);
}

/**
 * Plain TF.js ops and kernels, correct on every backend (cpu, wasm, webgl, webgpu, tensorflow). Backends with
 * faster ways override single methods (see `wasm.ts`).
 */
export const genericKernels: Kernels = {
  name: 'generic',
  gram: (f) => tf.tidy(() => tf.matMul(tf.transpose(f), f)),
  maxPoolBackward,
  avgPoolBackward: (dy, input) => tf.engine().runKernel('AvgPoolGrad', { dy, input }, { ...POOL_2X2 }) as tf.Tensor4D,
  reluMaxPoolBackward: (dy, reluOut, pooled) => {
    // The two steps one after the other: max pooling's gradient, then the ReLU's mask (step of its output).
    const g = maxPoolBackward(dy, reluOut, pooled);
    const dx = tf.tidy(() => tf.mul(g, tf.step(reluOut)) as tf.Tensor4D);
    g.dispose();
    return dx;
  },
  // ResizeBilinearGrad reads only the shape of `images`. tfjs-backend-cpu (4.22) labels its result
  // [1, width, height, C] although the data is laid out [1, height, width, C]; the reshape (free: no copy) makes
  // the label right there and is a no-op elsewhere. Found by running the kernel tests on cpu (npm run test:backends).
  resizeBilinearAdjoint: (dy, height, width) =>
    tf.tidy(() => tf.reshape(tf.engine().runKernel('ResizeBilinearGrad', { images: tf.zeros([1, height, width, dy.shape[3]]), dy }, { alignCorners: true }) as tf.Tensor4D, [1, height, width, dy.shape[3]])),
  unsort: unsortInMemory,
  conv: plainConv,
  prepareConvs: () => NOTHING_PREPARED,
  preparedConvBytes: () => 0,
  memoryLimit: undefined,
};
