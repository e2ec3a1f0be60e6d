/**
 * Small image operations the optical flow is built from, each on `[N,H,W,C]` float tensors with mirrored
 * ("symmetric") borders, so no zero padding invents edges at the frame's rim: greyscale, separable Gaussian
 * blur, halving for a pyramid, spatial derivatives, the Horn–Schunck neighbourhood average.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';

/** Rec. 601 luma of RGB (or the first three channels of RGBA) `[N,H,W,3|4]` → `[N,H,W,1]`, same value range. */
export function greyscale(image: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    if (image.shape[3] === 1) return tf.clone(image);
    const rgb = image.shape[3] === 3 ? image : tf.slice(image, [0, 0, 0, 0], [-1, -1, -1, 3]);
    return tf.sum(tf.mul(rgb, tf.tensor1d([0.299, 0.587, 0.114])), 3, true) as tf.Tensor4D;
  });
}

/** Mirrors `r` pixels on each side of H and W (`symmetric`: the border pixel is repeated), clamped to what fits. */
function padMirror(x: tf.Tensor4D, ry: number, rx: number): tf.Tensor4D {
  return tf.mirrorPad(x, [[0, 0], [ry, ry], [rx, rx], [0, 0]], 'symmetric');
}

/** Applies a 1-D kernel along x and/or y to every channel, with mirrored borders (`valid` conv after padding). */
function conv1d(x: tf.Tensor4D, taps: number[], axis: 'x' | 'y'): tf.Tensor4D {
  return tf.tidy(() => {
    const c = x.shape[3];
    const r = (taps.length - 1) / 2;
    const shape: [number, number, number, number] = axis === 'x' ? [1, taps.length, c, 1] : [taps.length, 1, c, 1];
    const kernel = tf.tile(tf.tensor4d(taps, [shape[0], shape[1], 1, 1]), [1, 1, c, 1]) as tf.Tensor4D;
    const padded = axis === 'x' ? padMirror(x, 0, r) : padMirror(x, r, 0);
    return tf.depthwiseConv2d(padded, kernel, 1, 'valid');
  });
}

/** Normalised Gaussian taps of standard deviation `sigma`, radius ⌈3σ⌉ (at most `maxRadius`). */
export function gaussianTaps(sigma: number, maxRadius = Infinity): number[] {
  const r = Math.max(1, Math.min(maxRadius, Math.ceil(3 * sigma)));
  const taps = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const sum = taps.reduce((a, b) => a + b, 0);
  return taps.map((t) => t / sum);
}

/** Separable Gaussian blur of standard deviation `sigma` px (a copy when `sigma` is 0). */
export function gaussianBlur(x: tf.Tensor4D, sigma: number): tf.Tensor4D {
  if (!(sigma > 0)) return tf.clone(x);
  // The mirror pad needs the radius below each side's length.
  const maxRadius = Math.min(x.shape[1], x.shape[2]) - 1;
  const taps = gaussianTaps(sigma, maxRadius);
  return tf.tidy(() => conv1d(conv1d(x, taps, 'x'), taps, 'y'));
}

/** Halves an image for the next pyramid level: a σ = 1 blur (anti-aliasing), then bilinear resampling to ⌈H/2⌉×⌈W/2⌉. */
export function halve(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.image.resizeBilinear(gaussianBlur(x, 1), [Math.ceil(x.shape[1] / 2), Math.ceil(x.shape[2] / 2)], false, true));
}

/** The five-point central difference (x[i−2] − 8x[i−1] + 8x[i+1] − x[i+2])/12 as correlation taps: fourth-order accurate. */
const DERIVATIVE = [1 / 12, -8 / 12, 0, 8 / 12, -1 / 12];
/** Central difference (−1, 0, 1)/2, for images too small for five taps. */
const DERIVATIVE_3 = [-0.5, 0, 0.5];

/** ∂x/∂column and ∂x/∂row, each `[N,H,W,C]`, with mirrored borders. */
export function gradients(x: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D] {
  return tf.tidy(() => {
    const tx = x.shape[2] > 2 ? DERIVATIVE : DERIVATIVE_3;
    const ty = x.shape[1] > 2 ? DERIVATIVE : DERIVATIVE_3;
    return [conv1d(x, tx, 'x'), conv1d(x, ty, 'y')];
  });
}

/** Horn & Schunck's weighted average of the 8 neighbours (1/6 edge, 1/12 corner), per channel, mirrored borders. */
export function neighbourAverage(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const c = x.shape[3];
    const k = [1 / 12, 1 / 6, 1 / 12, 1 / 6, 0, 1 / 6, 1 / 12, 1 / 6, 1 / 12];
    const kernel = tf.tile(tf.tensor4d(k, [3, 3, 1, 1]), [1, 1, c, 1]) as tf.Tensor4D;
    return tf.depthwiseConv2d(padMirror(x, 1, 1), kernel, 1, 'valid');
  });
}

/** Resamples a flow `[N,h,w,2]` to `height`×`width`, scaling u by the width ratio and v by the height ratio. */
export function resizeFlow(flow: tf.Tensor4D, height: number, width: number): tf.Tensor4D {
  return tf.tidy(() => {
    const sx = width / flow.shape[2];
    const sy = height / flow.shape[1];
    return tf.mul(tf.image.resizeBilinear(flow, [height, width], false, true), tf.tensor1d([sx, sy])) as tf.Tensor4D;
  });
}

/** Central differences (x[i+1] − x[i−1])/2 along columns and rows, `[N,H,W,C]` each, mirrored borders. */
export function centralDifferences(x: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D] {
  return tf.tidy(() => [conv1d(x, DERIVATIVE_3, 'x'), conv1d(x, DERIVATIVE_3, 'y')]);
}
