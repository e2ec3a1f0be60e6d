/**
 * `normalizeGradients`: how the whole-image objective balances its terms by their activation gradients' L1 norms.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { PointLoss } from '../core/network.js';

/** Wraps each term's loss of one scale's objective; `settle` after each evaluation's pass, `abandon` after a failed one. */
export interface GradientScaling {
  /** The term at `slot` (its index in the loss's terms), whose loss carries `weight` (`PointTerm.weight`), scaled. */
  wrap(loss: PointLoss, slot: number, weight?: number): PointLoss;
  /** After an evaluation: with `true`, fixes the factors not fixed yet (one read-back, while any is not). */
  settle(): Promise<void>;
  /** Frees what a failed evaluation kept. */
  abandon(): void;
}

const EPS = 1e-8;
/** A term's gradient norm at most this share of the largest term's counts as zero. */
const ZERO = 1e-6;

/**
 * Term i's loss is wᵢ·Lᵢ (its weight wᵢ, `PointTerm.weight`, times the unweighted loss).
 * - `false`: the terms as they are.
 * - `true`: term i's loss and gradient times fᵢ = 1/(‖∂Lᵢ/∂F‖₁ + ε) = wᵢ/‖∂(wᵢLᵢ)/∂F‖₁, with ‖·‖₁ taken at the
 *   scale's first evaluation and fixed after it. The objective is then Σ fᵢ·wᵢ·Lᵢ, a loss like any other (a
 *   reweighted MSE), so L-BFGS's curvature pairs and line search stay consistent; each term starts the scale with an
 *   activation gradient of L1 norm wᵢ, as jcjohnson's normalised gradient times the layer's strength. (Factors of
 *   1/‖∂(wᵢLᵢ)/∂F‖₁, unit norms whatever the weights, left `styleWeight` no say against TV: at the default weights
 *   the runs ended at 2.5x the plain run's Gram distance, and no `styleWeight` up to 1e4 brought them closer;
 *   docs/quality.md.) A term whose gradient is (next to) zero there — the content term of a run that starts from
 *   the content image — has no scale of its own: it takes the geometric mean of the other terms' factors, so it
 *   keeps its weight relative to them (a factor of 1/ε held the image at the content; one taken at the next
 *   evaluation, barely off the content, still did nearly so). Only when every term's gradient is zero do the
 *   factors wait for an evaluation where some are not (the values and gradients before are 0 under any factor).
 * - `'per-evaluation'` (Adam only; `resolveOptions` refuses it with L-BFGS): jcjohnson's `-normalize_gradients`,
 *   every evaluation's term gradient divided by its own L1 norm and multiplied by the term's weight, the values left
 *   alone. Not the gradient of a loss.
 */
export function gradientScaling(mode: boolean | 'per-evaluation', terms: number): GradientScaling {
  if (mode === false) return { wrap: (loss) => loss, settle: async () => undefined, abandon: () => undefined };
  if (mode === 'per-evaluation') {
    return {
      wrap: (loss, _slot, weight = 1) => (a) => {
        const r = loss(a);
        return { value: r.value, grad: tf.tidy(() => tf.mul(tf.div(r.grad, tf.add(tf.sum(tf.abs(r.grad)), EPS)), weight) as tf.Tensor4D) };
      },
      settle: async () => undefined,
      abandon: () => undefined,
    };
  }
  const factors: (number | undefined)[] = new Array(terms).fill(undefined);
  // Each term's weight (a weight of 0: a term that is 0 anyway, normalised as if 1).
  const weights: number[] = new Array(terms).fill(1);
  // The norms taken at the last evaluation, by slot, for the terms whose factor is not fixed yet.
  let norms: (tf.Scalar | undefined)[] = [];
  const abandon = () => {
    tf.dispose(norms.filter((n): n is tf.Scalar => n !== undefined));
    norms = [];
  };
  return {
    wrap: (loss, slot, weight = 1) => {
      weights[slot] = weight > 0 ? weight : 1;
      return (a) => {
        const r = loss(a);
        const f = factors[slot];
        if (f !== undefined) return { value: tf.mul(r.value, f) as tf.Scalar, grad: tf.mul(r.grad, f) as tf.Tensor4D };
        // Not fixed yet: divide by this evaluation's unweighted norm (the same numbers as the factor) and keep it to fix
        // the factor.
        const n = tf.keep(tf.tidy(() => tf.div(tf.add(tf.sum(tf.abs(r.grad)), EPS), weights[slot])) as tf.Scalar);
        norms[slot] = n;
        return { value: tf.div(r.value, n) as tf.Scalar, grad: tf.div(r.grad, n) as tf.Tensor4D };
      };
    },
    async settle() {
      const slots = norms.flatMap((n, slot) => (n ? [slot] : []));
      if (slots.length === 0) return;
      const read = tf.stack(slots.map((slot) => norms[slot]!));
      abandon();
      const values = await read.data().finally(() => read.dispose());
      // A norm this far below the largest is a zero gradient (float noise included): no factor from it yet.
      const largest = Math.max(...values, ...factors.filter((f): f is number => f !== undefined).map((f) => 1 / f));
      slots.forEach((slot, i) => {
        if (values[i] > ZERO * largest) factors[slot] = 1 / values[i];
      });
      // The terms with a zero gradient take the geometric mean of the others' factors (see above).
      const known = factors.filter((f): f is number => f !== undefined);
      if (known.length) {
        const mean = Math.exp(known.reduce((a, f) => a + Math.log(f), 0) / known.length);
        for (const slot of slots) factors[slot] ??= mean;
      }
    },
    abandon,
  };
}
