import * as tf from '@tensorflow/tfjs-core';
import { wholeImageLoss, type ActivationTerm, type At, type ImageTerm } from './loss-spec.js';
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

/*
 * The terms. Every constant of the loss (the normalisations, the Gram's C·H·W) is here; whole-image and tiled
 * evaluation both read these objects (see loss-spec.ts for what a term is).
 */

/**
 * Content term at a point: `weight` · mean((F − P)²) (`'mean'`) or `weight` · ½Σ(F − P)² (`'paper'`), with P the
 * whole image's target activation. Statistic: Σ(F − P)² over the positions given; gradient 2·scale·(F − P).
 * `weightMap` (`[1,H,W,1]` at the point's size over the whole image, values ≥ 0) weighs each position's squared
 * difference: a spatially varying content weight (all ones is the plain term).
 */
export function contentTerm(target: tf.Tensor4D, weight: number, norm: LossNormalization = 'mean', weightMap?: tf.Tensor4D): ActivationTerm {
  const channels = target.shape[3];
  const whole = (a: tf.Tensor4D, at: At) => at.top === 0 && at.left === 0 && a.shape[1] === target.shape[1] && a.shape[2] === target.shape[2];
  // The target (and weight map) under an activation lying at `at` (themselves for the whole image).
  const under = (t: tf.Tensor4D, a: tf.Tensor4D, at: At): tf.Tensor4D => (whole(a, at) ? t : tf.slice(t, [0, at.top, at.left, 0], [1, a.shape[1], a.shape[2], t.shape[3]]));
  const diff = (a: tf.Tensor4D, at: At): tf.Tensor4D => {
    const d = tf.sub(a, under(target, a, at)) as tf.Tensor4D;
    return weightMap ? (tf.mul(d, under(weightMap, a, at)) as tf.Tensor4D) : d;
  };
  return {
    // Σ w·(F − P)² = Σ (F − P)·w(F − P): the weighted difference times the plain one.
    accumulate: (a, at) => [tf.tidy(() => (weightMap ? tf.sum(tf.mul(tf.sub(a, under(target, a, at)), diff(a, at))) : tf.sum(tf.square(diff(a, at)))))],
    finish(sums, positions) {
      const scale = norm === 'mean' ? weight / (positions * channels) : weight * 0.5;
      return { value: tf.mul(sums[0], scale) as tf.Scalar, coefficients: [tf.scalar(2 * scale)] };
    },
    activationGrad: (a, [twiceScale], at) => tf.tidy(() => tf.mul(diff(a, at), twiceScale) as tf.Tensor4D),
  };
}

/**
 * Style term at a point: `weight` · mean((G − A)²) over the C² Gram entries (`'mean'`) or `weight` · ¼Σ(G − A)²
 * (`'paper'`), with G = FᵀF/(C·H·W) over the whole image and A the target Gram. Statistic: FᵀF (the `kernels`'
 * Gram, default the active backend's); gradient F·(dG + dGᵀ)/(C·H·W) with dL/dG = 2·scale·(G − A).
 *
 * With a `guide` (`[1,H,W,1]` at the point's size over the whole image, values in [0, 1]: a region's mask at this
 * layer), the guided Gram of Gatys et al. 2017: G = (F∘T)ᵀ(F∘T)/(C·ΣT²), normalised by the guide's own energy ΣT²
 * instead of H·W, so a region's statistics do not grow with its area (all ones is the plain term). Both sums are
 * over positions, so a tiled evaluation adds them tile by tile; the gradient is T²∘F·(dG + dGᵀ)/(C·ΣT²).
 */
export function styleTerm(targetGram: tf.Tensor2D, weight: number, norm: LossNormalization = 'mean', kernels: Kernels = activeKernels(), guide?: tf.Tensor4D): ActivationTerm {
  const c = targetGram.shape[0];
  const scale = norm === 'mean' ? weight / (c * c) : weight * 0.25;
  const guideAt = (a: tf.Tensor4D, at: At): tf.Tensor4D =>
    at.top === 0 && at.left === 0 && a.shape[1] === guide!.shape[1] && a.shape[2] === guide!.shape[2] ? guide! : tf.slice(guide!, [0, at.top, at.left, 0], [1, a.shape[1], a.shape[2], 1]);
  const flat = (a: tf.Tensor4D) => tf.reshape(a, [-1, c]) as tf.Tensor2D;
  return {
    accumulate: (a, at) =>
      guide
        ? tf.tidy(() => {
            const t = guideAt(a, at);
            return [kernels.gram(flat(tf.mul(a, t) as tf.Tensor4D)), tf.sum(tf.square(t))];
          })
        : [tf.tidy(() => kernels.gram(flat(a)))],
    // `positions` (H·W) is the energy of an all-ones guide.
    finish: (sums, positions) =>
      tf.tidy(() => {
        const nc = guide ? tf.mul(sums[1], c) : tf.scalar(positions * c);
        const diff = tf.sub(tf.div(sums[0], nc), targetGram);
        const dG = tf.mul(diff, 2 * scale);
        return { value: tf.mul(tf.sum(tf.square(diff)), scale) as tf.Scalar, coefficients: [tf.div(tf.add(dG, tf.transpose(dG)), nc)] };
      }),
    activationGrad: (a, [coefficient], at) =>
      tf.tidy(() => {
        const g = tf.reshape(tf.matMul(flat(a), coefficient as tf.Tensor2D), a.shape) as tf.Tensor4D;
        return guide ? (tf.mul(g, tf.square(guideAt(a, at))) as tf.Tensor4D) : g;
      }),
  };
}

/** Total variation as an image term ({@link tvLoss} on a tensor, {@link tvLossHost} in JS memory). */
export function tvTerm(weight: number): ImageTerm {
  return {
    evaluate: (image) => tvLoss(image, weight),
    evaluateHost: (image, height, width) => tvLossHost(image, height, width, weight),
  };
}

/** Content loss between an activation and its target, scaled by `weight`: {@link contentTerm} on the whole activation. */
export function contentLoss(activation: tf.Tensor4D, target: tf.Tensor4D, weight: number, norm: LossNormalization = 'mean'): LossTerm {
  return wholeImageLoss(contentTerm(target, weight, norm))(activation);
}

/**
 * Style loss between the Gram of an activation and a target Gram, scaled by `weight`: {@link styleTerm} on the
 * whole activation. `kernels`: how the Gram is computed (default: the active backend's).
 */
export function styleLoss(activation: tf.Tensor4D, targetGram: tf.Tensor2D, weight: number, norm: LossNormalization = 'mean', kernels: Kernels = activeKernels()): LossTerm {
  return wholeImageLoss(styleTerm(targetGram, weight, norm, kernels))(activation);
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

/** One previous frame of the temporal term: its stylised image warped into this frame, and the weights c there. */
export interface TemporalTarget {
  /** ω(x_prev): `[1,H,W,3]`, 0–255, at the image's size. */
  warped: tf.Tensor4D;
  /** c: `[1,H,W,1]`, values ≥ 0 (0 at disocclusions and motion boundaries, 1 where the warp is reliable). */
  weights: tf.Tensor4D;
}

/**
 * Ruder et al.'s temporal term (short- and long-term, eq. 3 and 5 of arXiv 1604.08610) as an image term:
 * `weight` · (1/D) Σ_k Σ c_k·(x − ω_k)², D = H·W·3, over the previous frames k; gradient `weight` · 2c_k(x − ω_k)/D
 * summed over k. The host form reads the targets back once, on first use (only huge tiled images use it).
 */
export function temporalTerm(targets: readonly TemporalTarget[], weight: number): ImageTerm {
  let host: { warped: Float32Array; weights: Float32Array }[] | undefined;
  return {
    evaluate: (image) =>
      tf.tidy(() => {
        const d = image.shape[1] * image.shape[2] * 3;
        let value = tf.scalar(0);
        let grad = tf.zerosLike(image);
        for (const { warped, weights } of targets) {
          const diff = tf.sub(image, warped);
          const weighted = tf.mul(weights, diff);
          value = tf.add(value, tf.sum(tf.mul(weighted, diff)));
          grad = tf.add(grad, weighted);
        }
        return { value: tf.mul(value, weight / d) as tf.Scalar, grad: tf.mul(grad, (2 * weight) / d) as tf.Tensor4D };
      }),
    evaluateHost(image, height, width) {
      host ??= targets.map((t) => ({ warped: t.warped.dataSync() as Float32Array, weights: t.weights.dataSync() as Float32Array }));
      const d = height * width * 3;
      const grad = new Float32Array(image.length);
      let value = 0;
      for (const { warped, weights } of host) {
        for (let i = 0; i < image.length; i++) {
          const diff = image[i] - warped[i];
          const c = weights[(i / 3) | 0];
          value += c * diff * diff;
          grad[i] += ((2 * weight) / d) * c * diff;
        }
      }
      return { value: (value * weight) / d, grad };
    },
  };
}
