/**
 * `normalizeGradients`: how the whole-image objective balances its terms by their activation gradients' L1 norms.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { PointLoss } from '../core/network.js';

/** Wraps each term's loss of one scale's objective; `settle` after each evaluation's pass, `abandon` after a failed one. */
export interface GradientScaling {
  /** The term at `slot` (its index in the loss's terms), scaled. */
  wrap(loss: PointLoss, slot: number): PointLoss;
  /** After an evaluation: with `true`, the first one fixes the factors (one read-back, once per scale). */
  settle(): Promise<void>;
  /** Frees what a failed evaluation kept. */
  abandon(): void;
}

const EPS = 1e-8;

/**
 * - `false`: the terms as they are.
 * - `true`: term i's loss and gradient times fᵢ = 1/(‖∂Lᵢ/∂F‖₁ + ε), with ‖·‖₁ taken at the scale's first
 *   evaluation and fixed after it. The objective is then Σ fᵢ·Lᵢ, a loss like any other (a reweighted MSE), so
 *   L-BFGS's curvature pairs and line search stay consistent; each term starts the scale with a unit-L1 gradient.
 * - `'per-evaluation'` (Adam only; `resolveOptions` refuses it with L-BFGS): jcjohnson's `-normalize_gradients`,
 *   every evaluation's term gradient divided by its own L1 norm, the values left alone. Not the gradient of a loss.
 */
export function gradientScaling(mode: boolean | 'per-evaluation', terms: number): GradientScaling {
  if (mode === false) return { wrap: (loss) => loss, settle: async () => undefined, abandon: () => undefined };
  if (mode === 'per-evaluation') {
    return {
      wrap: (loss) => (a) => {
        const r = loss(a);
        return { value: r.value, grad: tf.div(r.grad, tf.add(tf.sum(tf.abs(r.grad)), EPS)) as tf.Tensor4D };
      },
      settle: async () => undefined,
      abandon: () => undefined,
    };
  }
  let factors: number[] | undefined;
  let norms: tf.Scalar[] = [];
  const abandon = () => {
    tf.dispose(norms);
    norms = [];
  };
  return {
    wrap: (loss, slot) => (a) => {
      const r = loss(a);
      if (factors) return { value: tf.mul(r.value, factors[slot]) as tf.Scalar, grad: tf.mul(r.grad, factors[slot]) as tf.Tensor4D };
      // The first evaluation: divide by the norm (the same numbers as the factor) and keep it to fix the factor.
      const n = tf.keep(tf.add(tf.sum(tf.abs(r.grad)), EPS) as tf.Scalar);
      norms[slot] = n;
      return { value: tf.div(r.value, n) as tf.Scalar, grad: tf.div(r.grad, n) as tf.Tensor4D };
    },
    async settle() {
      if (factors || norms.length < terms) return;
      const read = tf.stack(norms);
      abandon();
      factors = Array.from(await read.data().finally(() => read.dispose()), (n) => 1 / n);
    },
    abandon,
  };
}
