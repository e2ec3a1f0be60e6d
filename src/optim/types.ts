import type * as tf from '@tensorflow/tfjs-core';
import type { ScalarOf } from './vector.js';

/**
 * One evaluation of the objective at a point. `grad` is owned by whoever receives it. `V` is where the vectors
 * live: tensors on the backend (default), or Float32Arrays in JS memory (see `optim/vector.ts`).
 */
export interface Evaluation<V = tf.Tensor> {
  /** Total loss. */
  loss: number;
  /** The loss's parts (e.g. content, style per layer, tv), as the objective defines them. */
  parts: Float32Array | number[];
  /** d loss / d x, same shape as x. */
  grad: V;
  /** When a direction was given: grad · direction. */
  gtd?: number;
  /** When `extra` was given: its scalars' values, in order. */
  extra?: number[];
}

/**
 * Evaluates the objective at `x`, and in the same read-back grad·`direction` (when given) and the scalars
 * `extra(grad)` makes (when given; an objective may ignore it, leaving `Evaluation.extra` unset). Each read-back
 * stalls a GPU pipeline, so an optimiser asks for what it will branch on here rather than reading it later.
 */
export type Objective<V = tf.Tensor> = (x: V, direction?: V, extra?: (grad: V) => ScalarOf<V>[]) => Promise<Evaluation<V>>;

/** What an optimiser yields after each iteration. `x` and `evaluation.grad` stay owned by the optimiser. */
export interface OptimizerStep<V = tf.Tensor> {
  iteration: number;
  x: V;
  evaluation: Evaluation<V>;
  /** Objective evaluations so far (L-BFGS's line search may use several per iteration). */
  evaluations: number;
  /** Set on the last step when the optimiser stopped early: why (converged, no progress, budget used). */
  converged?: string;
  /** True when the early stop was the evaluation budget running out rather than convergence. */
  budgetExhausted?: boolean;
  /** L-BFGS: its inverse-curvature scale yᵀs/yᵀy (H₀ of the two-loop recursion) after this iteration. */
  curvature?: number;
}
