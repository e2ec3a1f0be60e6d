import * as tf from '@tensorflow/tfjs-core';
import type { NetworkPoint } from './layers.js';
import type { PointLoss } from './network.js';

/**
 * What a loss term is, and how one is evaluated on a whole image; the terms themselves (content, style, TV) and
 * every normalisation constant are in `losses.ts`.
 *
 * A term at a network point depends on the image only through statistics that are sums over the point's
 * positions (a Gram numerator FᵀF, a squared difference Σ(F − P)²; later masked Grams, mean and variance sums, a
 * covariance). So the same term serves both evaluations:
 * - a whole image is one tile: {@link wholeImageLoss} accumulates over the whole activation, finishes, and returns
 *   the activation gradient, all inside the one backward sweep of `lossPass`;
 * - a tiled evaluation (`stylize/tiling/evaluate.ts`) accumulates over each tile's interior in a forward pass,
 *   adds the sums, finishes once, and asks each crop for its activation gradient in a second pass.
 */

/**
 * Where an activation lies in the whole image's activation at the term's point: its first row and column, in
 * positions of that point (0, 0 for the whole image).
 */
export interface At {
  top: number;
  left: number;
}

export const ORIGIN: At = { top: 0, left: 0 };

/** A finished term: its value and what its activation gradient needs. The caller owns the tensors. */
export interface FinishedTerm {
  value: tf.Scalar;
  /** Tensors the activation gradient reads (e.g. the Gram's (dG + dGᵀ)/(N·C), a scale). */
  coefficients: tf.Tensor[];
}

/**
 * A loss term at one network point. Its three steps make new tensors owned by the caller and free nothing they are
 * given.
 */
export interface ActivationTerm {
  /**
   * Statistics of `activation` (all of it, or a tile's interior of it) that are sums over positions, so a tiled
   * evaluation adds them up tile by tile. `at`: where `activation` lies in the whole image's.
   */
  accumulate(activation: tf.Tensor4D, at: At): tf.Tensor[];
  /** The term's value and gradient coefficients from the whole image's summed statistics and its number of positions (H·W). */
  finish(sums: readonly tf.Tensor[], positions: number): FinishedTerm;
  /**
   * ∂L/∂F for `activation` (the whole one, or a crop's), lying at `at`. Local: at each position it depends only on
   * the activation there, the coefficients, and position-wise data of the term (a content target).
   */
  activationGrad(activation: tf.Tensor4D, coefficients: readonly tf.Tensor[], at: At): tf.Tensor4D;
}

/**
 * A term on the image itself (`[1,H,W,3]`, 0–255), not on an activation: TV today. It has a tensor form and a form
 * for an image in JS memory (the optimiser's state on the host); both are cheap and image-sized, so a tiled
 * evaluation takes them on the whole image.
 */
export interface ImageTerm {
  evaluate(image: tf.Tensor4D): { value: tf.Scalar; grad: tf.Tensor4D };
  /** The same on `[H,W,3]` row-major data (a `[1,H,W,3]` tensor's); the value summed in float64. */
  evaluateHost(image: Float32Array, height: number, width: number): { value: number; grad: Float32Array };
}

/** A term and the network point it reads. */
export interface PointTerm {
  point: NetworkPoint;
  term: ActivationTerm;
  /**
   * The weight the term's loss carries (`contentWeight`/`styleWeight` times the layer's): with `normalizeGradients`
   * the term's activation gradient starts a scale at this L1 norm (jcjohnson's normalised gradient times the
   * strength). Default 1.
   */
  weight?: number;
}

/**
 * One loss: the terms at network points, then the image-space terms. Every evaluation (whole, tiled, on the
 * device or the host) returns the values in this order.
 */
export interface LossSpec {
  points: readonly PointTerm[];
  image: readonly ImageTerm[];
}

/** The distinct points a spec's terms read, in the order first met. */
export function lossPoints(spec: Pick<LossSpec, 'points'>): NetworkPoint[] {
  return [...new Map(spec.points.map((t) => [t.point.index, t.point])).values()];
}

/** Adds `next` into `sums` (elementwise, term by term); frees the replaced tensors and `next`. Returns the new sums. */
export function addSums(sums: tf.Tensor[] | undefined, next: tf.Tensor[]): tf.Tensor[] {
  if (!sums) return next;
  const out = sums.map((s, i) => tf.add(s, next[i]));
  tf.dispose([...sums, ...next]);
  return out;
}

/** A term on a whole image: one tile covering it (accumulate, finish, activation gradient) at its point's pass. */
export function wholeImageLoss(term: ActivationTerm): PointLoss {
  return (a) =>
    tf.tidy(() => {
      const { value, coefficients } = term.finish(term.accumulate(a, ORIGIN), a.shape[1] * a.shape[2]);
      return { value, grad: term.activationGrad(a, coefficients, ORIGIN) };
    });
}
