import * as tf from '@tensorflow/tfjs-core';

/**
 * L-BFGS's correction pairs (y = g_{k+1} − g_k, s = x_{k+1} − x_k, ρ = 1/yᵀs) and the two-loop recursion that
 * turns a gradient into a search direction, −H·g. Two stores with the same results: on the device (tensors), or on
 * the host (Float32Arrays in JS memory, outside a WASM heap or GPU), for images whose history the backend cannot
 * hold.
 */
export interface History {
  /** Adds a pair (taking ownership of `y` and `s`), dropping the oldest beyond the history size. */
  push(y: tf.Tensor, s: tf.Tensor, ro: number): Promise<void>;
  /** The two-loop recursion: −H·g with H₀ = hDiag·I. A new tensor of g's shape. */
  direction(g: tf.Tensor, hDiag: number): Promise<tf.Tensor>;
  dispose(): void;
}

export function deviceHistory(size: number): History {
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

const dot = (a: Float32Array, b: Float32Array): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
/** a += k·b */
const axpy = (a: Float32Array, k: number, b: Float32Array): void => {
  for (let i = 0; i < a.length; i++) a[i] += k * b[i];
};

export function hostHistory(size: number): History {
  const dirs: Float32Array[] = [];
  const steps: Float32Array[] = [];
  const ro: number[] = [];
  const read = async (t: tf.Tensor): Promise<Float32Array> => {
    try {
      return (await t.data()) as Float32Array;
    } finally {
      t.dispose();
    }
  };
  return {
    async push(y, s, r) {
      const [yh, sh] = [await read(y), await read(s)];
      if (dirs.length === size) {
        dirs.shift();
        steps.shift();
        ro.shift();
      }
      dirs.push(yh);
      steps.push(sh);
      ro.push(r);
    },
    async direction(g, hDiag) {
      const q = Float32Array.from(await g.data(), (v) => -v);
      const al: number[] = new Array(dirs.length);
      for (let i = dirs.length - 1; i >= 0; i--) {
        al[i] = dot(steps[i], q) * ro[i];
        axpy(q, -al[i], dirs[i]);
      }
      for (let i = 0; i < q.length; i++) q[i] *= hDiag;
      for (let i = 0; i < dirs.length; i++) {
        const be = dot(dirs[i], q) * ro[i];
        axpy(q, al[i] - be, steps[i]);
      }
      return tf.tensor(q, g.shape);
    },
    dispose() {
      dirs.length = 0;
      steps.length = 0;
    },
  };
}
