import * as tf from '@tensorflow/tfjs-core';
import type { Kernels } from '../kernels/index.js';
import type { Objective } from './types.js';

/**
 * A multi-scale parametrisation of an image `[1,H,W,3]` for the optimiser: x = z₀ + Σₖ decayᵏ·Uₖ(zₖ), where zₖ
 * is an image at 1/2ᵏ of the size and Uₖ bilinear upsampling (align-corners, so that the kernels' resize adjoint —
 * tfjs's ResizeBilinearGrad — is its exact adjoint on every backend). The objective is the same function of x; the gradient the optimiser sees
 * is Pᵀ∇x = [∇x, decay·U₁ᵀ∇x, …], which lets smooth, large-scale changes move as fast as pixel-level ones — a
 * preconditioner. L-BFGS, which starts each run from a scaled identity, otherwise spends many iterations before
 * its curvature pairs capture the low frequencies.
 *
 * The flat vector z holds the levels one after another; level 0 has the image's size, so z is at most 4/3 of it.
 */
export interface Pyramid {
  /** z for a start image (level 0 = the image, coarser levels 0). */
  encode(x: tf.Tensor4D): tf.Tensor1D;
  /** The image x = P z. */
  decode(z: tf.Tensor): tf.Tensor4D;
  /**
   * An objective of x as an objective of z (directional derivatives included: (Pᵀg)·d = g·(P d)). The evaluation
   * is the objective's own, with its gradient replaced by Pᵀg (other fields pass through).
   */
  wrap(objective: Objective): Objective;
}

export interface PyramidOptions {
  /** Levels including the full-size one; 0 or absent: halve until the short side is ~4 px, at most 8. */
  levels?: number;
  /**
   * Weight of level k is decayᵏ. Default 0.6: at 256x256 (Tübingen / Starry Night) the loss of 100 plain L-BFGS
   * iterations was reached at iteration 85, 80 and 84 with decay 0.5, 0.6 and 0.7 (at 128 px 0.35 and 1 were worse).
   */
  decay?: number;
}

/** Levels used by default for an image of this size. */
export function autoPyramidLevels(height: number, width: number): number {
  return Math.max(1, Math.min(8, 1 + Math.floor(Math.log2(Math.min(height, width) / 4))));
}

/** The levels' shapes `[1,h,w,3]` (level 0: the image's) and weights decayᵏ, shared by both homes of a pyramid. */
export function pyramidLevels(height: number, width: number, options: PyramidOptions): { shapes: [number, number, number, number][]; weights: number[] } {
  const levels = options.levels || autoPyramidLevels(height, width);
  const decay = options.decay ?? 0.6;
  const shapes: [number, number, number, number][] = [];
  for (let k = 0; k < levels; k++) shapes.push([1, Math.max(2, Math.round(height / 2 ** k)), Math.max(2, Math.round(width / 2 ** k)), 3]);
  return { shapes, weights: shapes.map((_, k) => decay ** k) };
}

/**
 * An objective of x as an objective of z, given the pyramid's maps: the evaluation is the objective's own, with
 * its gradient replaced by Pᵀg. The extra scalars are of the gradient w.r.t. z: mapped inside the objective's
 * read-back, and kept for the result.
 */
export function wrapObjective<V>(
  objective: Objective<V>,
  maps: { decode(z: V): V; adjoint(g: V): V; keep(v: V): V; dispose(v: (V | undefined)[]): void },
): Objective<V> {
  return async (z, direction, extra) => {
    const x = maps.decode(z);
    const dx = direction ? maps.decode(direction) : undefined;
    let gz: V | undefined;
    const extraX = extra && ((gx: V) => extra((gz = maps.keep(maps.adjoint(gx)))));
    try {
      const ev = await objective(x, dx, extraX);
      const grad = gz ?? maps.adjoint(ev.grad);
      maps.dispose([ev.grad]);
      return { ...ev, grad };
    } catch (e) {
      maps.dispose([gz]);
      throw e;
    } finally {
      maps.dispose([x, dx]);
    }
  };
}

/** `kernels`: where the resize adjoint comes from (the backend's; see `kernels/`). */
export function makePyramid(height: number, width: number, options: PyramidOptions, kernels: Kernels): Pyramid {
  const { shapes, weights } = pyramidLevels(height, width, options);
  const levels = shapes.length;
  const sizes = shapes.map((s) => s[1] * s[2] * 3);
  const coarseSize = sizes.slice(1).reduce((a, b) => a + b, 0);

  const decode = (z: tf.Tensor): tf.Tensor4D =>
    tf.tidy(() => {
      const parts = levels > 1 ? tf.split(z, sizes) : [z];
      let x = tf.reshape(parts[0], shapes[0]) as tf.Tensor4D;
      for (let k = 1; k < levels; k++) {
        const up = tf.image.resizeBilinear(tf.reshape(parts[k], shapes[k]) as tf.Tensor4D, [height, width], true);
        x = tf.add(x, tf.mul(up, weights[k]));
      }
      return x;
    });
  const adjoint = (g: tf.Tensor): tf.Tensor =>
    tf.tidy(() => {
      const out: tf.Tensor[] = [tf.reshape(g, [-1])];
      for (let k = 1; k < levels; k++) {
        const gk = kernels.resizeBilinearAdjoint(g as tf.Tensor4D, shapes[k][1], shapes[k][2]);
        out.push(tf.reshape(tf.mul(gk, weights[k]), [-1]));
      }
      return (levels > 1 ? tf.concat(out) : out[0]) as tf.Tensor1D;
    });
  return {
    encode: (x) => tf.tidy(() => (levels > 1 ? tf.concat([tf.reshape(x, [-1]), tf.zeros([coarseSize])]) : tf.reshape(x, [-1])) as tf.Tensor1D),
    decode,
    wrap: (objective) => wrapObjective(objective, { decode, adjoint, keep: tf.keep, dispose: (v) => tf.dispose(v.filter((t): t is tf.Tensor => t !== undefined)) }),
  };
}
