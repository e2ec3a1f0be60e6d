import * as tf from '@tensorflow/tfjs-core';
import { hostAxpy, hostDot } from './vector.js';

/**
 * L-BFGS's correction pairs (y = g_{k+1} − g_k, s = x_{k+1} − x_k, ρ = 1/yᵀs) and the two-loop recursion that
 * turns a gradient into a search direction, −H·g. Two stores with the same results: on the device (tensors), or on
 * the host (Float32Arrays in JS memory, outside a WASM heap or GPU), for images whose history the backend cannot
 * hold.
 */
export interface History<V = tf.Tensor> {
  /** Adds a pair (taking ownership of `y` and `s`), dropping the oldest beyond the history size. */
  push(y: V, s: V, ro: number): Promise<void>;
  /** The two-loop recursion: −H·g with H₀ = hDiag·I. A new vector of g's shape. */
  direction(g: V, hDiag: number): Promise<V>;
  dispose(): void;
}

export function deviceHistory(size: number): History<tf.Tensor> {
  const dirs: tf.Tensor[] = [];
  const steps: tf.Tensor[] = [];
  const ro: number[] = [];
  return {
    async push(y, s, r) {
      if (dirs.length === size) {
        dirs.shift()!.dispose();
        steps.shift()!.dispose();
        ro.shift();
      }
      dirs.push(y);
      steps.push(s);
      ro.push(r);
    },
    async direction(g, hDiag) {
      return tf.tidy(() => {
        // The α_i stay on the device as scalars.
        let q: tf.Tensor = tf.neg(g);
        const al: tf.Tensor[] = new Array(dirs.length);
        for (let i = dirs.length - 1; i >= 0; i--) {
          al[i] = tf.mul(tf.sum(tf.mul(steps[i], q)), ro[i]);
          q = tf.sub(q, tf.mul(dirs[i], al[i]));
        }
        let r = tf.mul(q, hDiag);
        for (let i = 0; i < dirs.length; i++) {
          const be = tf.mul(tf.sum(tf.mul(dirs[i], r)), ro[i]);
          r = tf.add(r, tf.mul(steps[i], tf.sub(al[i], be)));
        }
        return r;
      });
    },
    dispose() {
      tf.dispose([...dirs, ...steps]);
      dirs.length = 0;
      steps.length = 0;
    },
  };
}

/** Correction pairs as Float32Arrays, with the two-loop recursion in JS (float64 sums). */
function hostPairs(size: number) {
  const dirs: Float32Array[] = [];
  const steps: Float32Array[] = [];
  const ro: number[] = [];
  return {
    push(y: Float32Array, s: Float32Array, r: number): void {
      if (dirs.length === size) {
        dirs.shift();
        steps.shift();
        ro.shift();
      }
      dirs.push(y);
      steps.push(s);
      ro.push(r);
    },
    /** −H·g, a new array. */
    direction(g: ArrayLike<number>, hDiag: number): Float32Array {
      const q = Float32Array.from(g, (v) => -v);
      const al: number[] = new Array(dirs.length);
      for (let i = dirs.length - 1; i >= 0; i--) {
        al[i] = hostDot(steps[i], q) * ro[i];
        hostAxpy(q, -al[i], dirs[i]);
      }
      for (let i = 0; i < q.length; i++) q[i] *= hDiag;
      for (let i = 0; i < dirs.length; i++) {
        const be = hostDot(dirs[i], q) * ro[i];
        hostAxpy(q, al[i] - be, steps[i]);
      }
      return q;
    },
    clear(): void {
      dirs.length = 0;
      steps.length = 0;
      ro.length = 0;
    },
  };
}

/** Pairs of device vectors kept in JS memory: two read-backs and one upload per iteration. */
export function hostHistory(size: number): History<tf.Tensor> {
  const pairs = hostPairs(size);
  const read = async (t: tf.Tensor): Promise<Float32Array> => {
    try {
      return (await t.data()) as Float32Array;
    } finally {
      t.dispose();
    }
  };
  return {
    async push(y, s, r) {
      pairs.push(await read(y), await read(s), r);
    },
    async direction(g, hDiag) {
      return tf.tensor(pairs.direction(await g.data(), hDiag), g.shape);
    },
    dispose: () => pairs.clear(),
  };
}

/** Pairs of host vectors (the optimiser's whole state in JS memory). */
export function hostVectorHistory(size: number): History<Float32Array> {
  const pairs = hostPairs(size);
  return {
    push: async (y, s, r) => pairs.push(y, s, r),
    direction: async (g, hDiag) => pairs.direction(g, hDiag),
    dispose: () => pairs.clear(),
  };
}
