import * as tf from '@tensorflow/tfjs-core';
import { STYLIZE_DEFAULTS } from '../defaults.js';
import type { Objective, OptimizerStep } from './types.js';

export interface AdamOptions {
  /** Step size, in the units of x (pixel values 0–255 for images). Default 10. */
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/**
 * Adam (Kingma & Ba 2015). Each iteration evaluates the current point, yields it with its loss and gradient,
 * then updates it; so `iterations` evaluations apply `iterations − 1` updates, and every yielded image has the
 * loss reported with it. The caller owns `x0`; the optimiser owns every yielded tensor until the next
 * step and disposes what it made when the generator finishes or is returned early.
 */
export async function* adam(objective: Objective, x0: tf.Tensor, iterations: number, opts: AdamOptions = {}): AsyncGenerator<OptimizerStep> {
  const lr = opts.learningRate ?? STYLIZE_DEFAULTS.learningRate.adam;
  const b1 = opts.beta1 ?? 0.9;
  const b2 = opts.beta2 ?? 0.999;
  const eps = opts.epsilon ?? 1e-8;
  let x = tf.clone(x0);
  let m = tf.zerosLike(x0);
  let v = tf.zerosLike(x0);
  let last: tf.Tensor | undefined;
  try {
    for (let k = 1; k <= iterations; k++) {
      const ev = await objective(x);
      last?.dispose();
      last = ev.grad;
      // Yield the point that was just evaluated, so the reported loss always belongs to the yielded image (and a
      // caller stopping on a non-finite loss still holds the previous, finite one).
      yield { iteration: k, x, evaluation: ev, evaluations: k };
      if (k === iterations) break; // a last update would never be evaluated or seen
      const g = ev.grad;
      const [m2, v2, x2] = tf.tidy(() => {
        const mNew = tf.add(tf.mul(m, b1), tf.mul(g, 1 - b1));
        const vNew = tf.add(tf.mul(v, b2), tf.mul(tf.square(g), 1 - b2));
        const mHat = tf.div(mNew, 1 - b1 ** k);
        const vHat = tf.div(vNew, 1 - b2 ** k);
        return [mNew, vNew, tf.sub(x, tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), eps)), lr))];
      });
      m.dispose();
      v.dispose();
      x.dispose();
      m = m2;
      v = v2;
      x = x2;
    }
  } finally {
    tf.dispose([x, m, v]);
    last?.dispose();
  }
}
