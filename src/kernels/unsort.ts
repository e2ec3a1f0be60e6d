import * as tf from '@tensorflow/tfjs-core';

/**
 * The un-sort of the sorting style statistics (`core/style-statistics.ts`): `sorted` `[K,N]` put back in the order
 * `indices` (`tf.topk`'s, each row a permutation of 0…N−1) took it from, transposed to positions × rows `[N,K]`:
 * out[indices[k, j], k] = sorted[k, j]. Three forms, one per kind of backend (see `Kernels.unsort`).
 */

/**
 * In JS memory (CPU, WASM, tensorflow): reads both tensors back. On WASM `tf.scatterND` took 0.92 s of CPU for
 * 64 × 65536 values (relu1_1 at 256 px), more than the sort (0.39 s); this loop takes milliseconds and spares a
 * transpose.
 */
export function unsortInMemory(sorted: tf.Tensor2D, indices: tf.Tensor2D): tf.Tensor2D {
  const [k, n] = sorted.shape;
  const from = indices.dataSync() as Int32Array;
  const values = sorted.dataSync() as Float32Array;
  const out = new Float32Array(k * n);
  for (let r = 0; r < k; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) out[from[o + j] * k + r] = values[o + j];
  }
  return tf.tensor2d(out, [n, k]);
}

/**
 * On the device, no read-back: one `tf.scatterND` of every value to (its position, its row). WebGPU runs it as one
 * pass over the K·N values (atomic writes that never collide: a permutation). Not for WebGL, whose ScatterNd shader
 * loops over all K·N values for each output value (quadratic).
 */
export function unsortByScatter(sorted: tf.Tensor2D, indices: tf.Tensor2D): tf.Tensor2D {
  const [k, n] = sorted.shape;
  return tf.tidy(() => {
    // A broadcast add, not tf.broadcastTo: WebGPU's Tile reads a small input back (a CPU copy, but a counted read).
    const rows = tf.add(tf.zerosLike(indices), tf.reshape(tf.range(0, k, 1, 'int32'), [k, 1]));
    const at = tf.reshape(tf.stack([indices, rows], 2), [k * n, 2]);
    return tf.scatterND(at, tf.reshape(sorted, [k * n]), [n, k]) as tf.Tensor2D;
  });
}

/**
 * The inverse permutation of each row of `indices` by a second sort: `tf.topk` of −indices lists the positions in
 * ascending order, and its indices say where each came from. On the device, no read-back where `tf.topk` runs on it
 * (WebGPU; WebGL hands a `topk` with k > 128 to the CPU, reading its input back).
 */
export function inversePermutationBySort(indices: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.topk(tf.neg(tf.cast(indices, 'float32')), indices.shape[1], true).indices as tf.Tensor2D);
}

/**
 * The inverse permutation of each row of `indices` in JS memory. On WebGL this reads nothing from the GPU when
 * `indices` come from `tf.topk` with k > 128: TF.js's WebGL backend runs that sort on the CPU, so they are still in
 * CPU memory (the read is a copy, not a stall).
 */
export function inversePermutationInMemory(indices: tf.Tensor2D): tf.Tensor2D {
  const [k, n] = indices.shape;
  const from = indices.dataSync() as Int32Array;
  const inv = new Int32Array(k * n);
  for (let r = 0; r < k; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) inv[o + from[o + j]] = j;
  }
  return tf.tensor2d(inv, [k, n], 'int32');
}

/**
 * The un-sort as a gather by the inverse permutation `inverse` `[K,N]`, then a transpose. A 1-D gather at
 * row·N + inverse: `tf.gather` with `batchDims: 1` gives wrong rows after the first on tfjs-backend-wasm 4.22 (the
 * cpu backend's are right), so the batching is done by hand.
 */
export function unsortByGather(sorted: tf.Tensor2D, inverse: tf.Tensor2D): tf.Tensor2D {
  const [k, n] = sorted.shape;
  return tf.tidy(() => {
    const at = tf.add(inverse, tf.reshape(tf.range(0, k * n, n, 'int32'), [k, 1]));
    return tf.transpose(tf.reshape(tf.gather(tf.reshape(sorted, [k * n]), tf.reshape(at, [k * n])), [k, n])) as tf.Tensor2D;
  });
}
