import * as tf from '@tensorflow/tfjs-core';

/** mulberry32: a small, fast, seedable PRNG; identical streams on every host. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seeded Gaussian noise image `[1,H,W,3]` around mid-grey (128 ± 32·N(0,1)), generated on the host. */
export function noiseImage(height: number, width: number, seed: number): tf.Tensor4D {
  const rand = mulberry32(seed);
  const n = height * width * 3;
  const v = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    // Box–Muller: two normals per two uniforms.
    const u = Math.max(rand(), 1e-12);
    const r = Math.sqrt(-2 * Math.log(u));
    const th = 2 * Math.PI * rand();
    v[i] = 128 + 32 * r * Math.cos(th);
    if (i + 1 < n) v[i + 1] = 128 + 32 * r * Math.sin(th);
  }
  return tf.tensor4d(v, [1, height, width, 3]);
}
