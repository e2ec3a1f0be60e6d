import * as tf from '@tensorflow/tfjs-core';

/**
 * The vector algebra L-BFGS needs, written once for two homes: tensors on the backend ({@link deviceVectors}),
 * or Float32Arrays in JS memory ({@link hostVectors}: for images whose optimiser state does not fit the backend,
 * e.g. a 4096 px image on WASM's 4 GiB heap). Reductions return a scalar handle `S` that {@link VectorOps.read}
 * turns into numbers, so the device reads several at once (each read-back stalls a GPU pipeline).
 */
export interface VectorOps<V, S> {
  /** `'device'`: tf.Tensor and tf.Scalar; `'host'`: Float32Array and number. */
  readonly home: 'device' | 'host';
  clone(a: V): V;
  /** k·a */
  scale(a: V, k: number): V;
  /** a + k·b */
  addScaled(a: V, k: number, b: V): V;
  /** a − b */
  sub(a: V, b: V): V;
  /** a·b */
  dot(a: V, b: V): S;
  /** (a − b)·c, without keeping a − b */
  diffDot(a: V, b: V, c: V): S;
  /** max |aᵢ| */
  maxAbs(a: V): S;
  /** Σ |aᵢ| */
  sumAbs(a: V): S;
  /** The scalars' values, in one transfer; the handles are consumed. */
  read(s: S[]): Promise<number[]>;
  /** Frees what the vectors hold (tensors; nothing on the host). */
  dispose(v: (V | undefined)[]): void;
}

/** The scalar handle that goes with a vector type: a tf.Scalar for tensors, a number for Float32Arrays. */
export type ScalarOf<V> = V extends Float32Array ? number : tf.Scalar;

export const deviceVectors: VectorOps<tf.Tensor, tf.Scalar> = {
  home: 'device',
  clone: (a) => tf.clone(a),
  scale: (a, k) => tf.mul(a, k),
  addScaled: (a, k, b) => tf.tidy(() => tf.add(a, tf.mul(b, k))),
  sub: (a, b) => tf.sub(a, b),
  dot: (a, b) => tf.tidy(() => tf.sum(tf.mul(a, b)) as tf.Scalar),
  diffDot: (a, b, c) => tf.tidy(() => tf.sum(tf.mul(tf.sub(a, b), c)) as tf.Scalar),
  maxAbs: (a) => tf.tidy(() => tf.max(tf.abs(a)) as tf.Scalar),
  sumAbs: (a) => tf.tidy(() => tf.sum(tf.abs(a)) as tf.Scalar),
  async read(s) {
    const stacked = tf.stack(s);
    tf.dispose(s);
    try {
      return Array.from(await stacked.data());
    } finally {
      stacked.dispose();
    }
  },
  dispose: (v) => tf.dispose(v.filter((t): t is tf.Tensor => t !== undefined)),
};

/** a·b in float64 (the device sums in float32). */
export function hostDot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** a += k·b, in place. */
export function hostAxpy(a: Float32Array, k: number, b: Float32Array): void {
  for (let i = 0; i < a.length; i++) a[i] += k * b[i];
}

export const hostVectors: VectorOps<Float32Array, number> = {
  home: 'host',
  clone: (a) => a.slice(),
  scale: (a, k) => a.map((v) => v * k),
  addScaled(a, k, b) {
    const out = a.slice();
    hostAxpy(out, k, b);
    return out;
  },
  sub: (a, b) => a.map((v, i) => v - b[i]),
  dot: hostDot,
  diffDot(a, b, c) {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) * c[i];
    return s;
  },
  maxAbs(a) {
    let m = 0;
    for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
    return m;
  },
  sumAbs(a) {
    let s = 0;
    for (let i = 0; i < a.length; i++) s += Math.abs(a[i]);
    return s;
  },
  read: async (s) => s,
  dispose: () => undefined,
};

/** The ops for a vector: host ones for a Float32Array, device ones for a tensor. */
export function vectorsFor<V extends tf.Tensor | Float32Array>(x: V): VectorOps<V, ScalarOf<V>> {
  return (x instanceof Float32Array ? hostVectors : deviceVectors) as unknown as VectorOps<V, ScalarOf<V>>;
}
