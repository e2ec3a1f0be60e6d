import * as tf from '@tensorflow/tfjs-core';

/**
 * Winograd convolution F(m x m, 3 x 3) (Lavin & Gray 2015) for a stride-1 'same' 3x3 conv of a batch-1 NHWC
 * input, in TF.js ops. Each output tile of m x m pixels is computed from an (m+2) x (m+2) input tile with
 * (m+2)² element-wise products instead of 9m², which in batched form are (m+2)² matMuls `[tiles, Cin] x [Cin,
 * Cout]`: 16 for F(2,3) (2.25x fewer multiplications than a direct 3x3 conv), 36 for F(4,3) (4x fewer).
 *
 * Written for tfjs-backend-wasm 4.22, where only a batch-1 2-D matMul without transposes reaches XNNPACK's
 * multi-threaded GEMM (a batched BatchMatMul is a scalar loop), a strided Slice is a JavaScript loop copying one
 * channel vector at a time, and Add/Sub run on one thread. So:
 * - the input transform Bᵀ d B is (m+2)(m+3) depthwise convs with stride m (XNNPACK, multi-threaded): m+2 along rows
 *   (row k of Bᵀ as the filter), then m+2 along columns of each; the 'same' padding and the padding to whole
 *   tiles are the convs' explicit padding, so there is no pad and no slice;
 * - the output transform runs per tile row as soon as its matMuls are done, so only one row of m+2 products (of the
 *   (m+2)² M's) lives at a time, and every intermediate is freed as soon as it is read;
 * - the bias is folded into the one product every output pixel sees with weight 1 (`M₁₁`, both variants) through
 *   `tf.fused.matMul`'s bias, which saves a full pass over the output;
 * - the m x m output pixels are interleaved by two `concat`s (DepthToSpace or stack + transpose are 3–10x slower).
 *
 * tfjs-wasm caches XNNPACK's packed matMul weights by the weight tensor's data id (not its shape), so every
 * transformed weight matrix is its own buffer (see {@link transformWeights}).
 */

/** The output tile side: F(2x2,3x3) or F(4x4,3x3). */
export type WinogradTile = 2 | 4;

/** The (m+2)² transformed 3x3 kernels of one conv layer, each `[Cin, Cout]` in its own buffer. Owned by whoever made them. */
export interface WinogradWeights {
  readonly tile: WinogradTile;
  /** `u[i * (m+2) + j]`: G g Gᵀ at (i, j), `[Cin, Cout]`. */
  readonly u: readonly tf.Tensor2D[];
  readonly inChannels: number;
  readonly outChannels: number;
  /**
   * The input transform as depthwise filters: `rows[k]` `[m+2, 1, Cin, 1]` holds row k of Bᵀ for every channel,
   * `cols[k]` `[1, m+2, Cin, 1]` the same across columns.
   */
  readonly rows: readonly tf.Tensor4D[];
  readonly cols: readonly tf.Tensor4D[];
}

/** Every tensor a {@link WinogradWeights} holds, to dispose. */
export function winogradTensors(w: WinogradWeights): tf.Tensor[] {
  return [...w.u, ...w.rows, ...w.cols];
}

/** Lavin's Bᵀ for F(2,3) and F(4,3): V = Bᵀ d B. */
const BT: Record<WinogradTile, number[][]> = {
  2: [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
  4: [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0], [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]],
};

/** Row k of Bᵀ for `channels` channels as a depthwise filter, `[a, 1, C, 1]` (along rows) or `[1, a, C, 1]`. */
function transformFilter(tile: WinogradTile, k: number, channels: number, along: 'rows' | 'cols'): tf.Tensor4D {
  const a = tile + 2;
  const v = new Float32Array(a * channels);
  for (let t = 0; t < a; t++) v.fill(BT[tile][k][t], t * channels, (t + 1) * channels);
  return tf.tensor4d(v, along === 'rows' ? [a, 1, channels, 1] : [1, a, channels, 1]);
}

/** Lavin's G for F(2,3) and F(4,3): U = G g Gᵀ. */
const G: Record<WinogradTile, number[][]> = {
  2: [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]],
  4: [[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6], [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]],
};

/**
 * Transforms an HWIO `[3, 3, Cin, Cout]` kernel for F(m,3): (m+2)² matrices `[Cin, Cout]`, each a tensor of its
 * own (never a reshape of a shared buffer), plus the input transform's depthwise filters. Computed in float64 in
 * JavaScript: done once per run, and it keeps the transform's rounding out of the result.
 */
export function transformWeights(kernel: tf.Tensor4D, tile: WinogradTile): WinogradWeights {
  const [kh, kw, cin, cout] = kernel.shape;
  if (kh !== 3 || kw !== 3) throw new Error(`Winograd needs a 3x3 kernel, got ${kh}x${kw}.`);
  const g = G[tile];
  const a = tile + 2;
  const n = cin * cout;
  const k = kernel.dataSync();
  const out = new Float32Array(a * a * n);
  const row = new Float64Array(3 * n); // G g for one output row i, over (kw, ci, co)
  for (let i = 0; i < a; i++) {
    row.fill(0);
    for (let r = 0; r < 3; r++) {
      const c = g[i][r];
      if (c === 0) continue;
      for (let q = 0; q < 3 * n; q++) row[q] += c * k[r * 3 * n + q];
    }
    for (let j = 0; j < a; j++) {
      const base = (i * a + j) * n;
      for (let s = 0; s < 3; s++) {
        const c = g[j][s];
        if (c === 0) continue;
        for (let q = 0; q < n; q++) out[base + q] += c * row[s * n + q];
      }
    }
  }
  const u: tf.Tensor2D[] = [];
  for (let ij = 0; ij < a * a; ij++) u.push(tf.tensor2d(out.subarray(ij * n, (ij + 1) * n), [cin, cout]));
  const rows = Array.from({ length: a }, (_, k) => transformFilter(tile, k, cin, 'rows'));
  const cols = Array.from({ length: a }, (_, k) => transformFilter(tile, k, cin, 'cols'));
  return { tile, u, inChannels: cin, outChannels: cout, rows, cols };
}

/** Aᵀ p for the a = m+2 products p (same shape each); returns m new tensors. */
function outputTransform1d(p: tf.Tensor[], tile: WinogradTile): tf.Tensor[] {
  if (tile === 2) return tf.tidy(() => [tf.addN([p[0], p[1], p[2]]), tf.sub(tf.sub(p[1], p[2]), p[3])]);
  return tf.tidy(() => {
    const s12 = tf.add(p[1], p[2]);
    const s34 = tf.add(p[3], p[4]);
    const t12 = tf.sub(p[1], p[2]);
    const t34 = tf.sub(p[3], p[4]);
    return [
      tf.addN([p[0], s12, s34]),
      tf.add(t12, tf.mul(t34, 2)),
      tf.add(s12, tf.mul(s34, 4)),
      tf.addN([t12, tf.mul(t34, 8), p[5]]),
    ];
  });
}

/**
 * `conv2d(x, kernel, 1, 'same') (+ bias)` by Winograd F(m,3) with pre-transformed weights. x: `[1, H, W, Cin]`.
 * Returns `[1, H, W, Cout]`, owned by the caller.
 */
export function winogradConv2d(x: tf.Tensor4D, w: WinogradWeights, bias?: tf.Tensor1D): tf.Tensor4D {
  const [batch, h, wd, cin] = x.shape;
  if (batch !== 1 || cin !== w.inChannels) throw new Error(`winogradConv2d: expected [1, H, W, ${w.inChannels}], got [${x.shape.join(', ')}].`);
  const m = w.tile;
  const a = m + 2;
  const cout = w.outChannels;
  const th = Math.ceil(h / m);
  const tw = Math.ceil(wd / m);
  const tiles = th * tw;
  const rowsP = (th + 1) * m; // padded height: 1 above, the rest below (≥ 1 since m ≥ 2)
  const colsP = (tw + 1) * m;

  const padRows: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [1, rowsP - h - 1], [0, 0], [0, 0]];
  const padCols: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [0, 0], [1, colsP - wd - 1], [0, 0]];

  // Every intermediate is disposed as soon as its last reader is done (not at the end of one tidy), so that at
  // most one input-transform row and one tile row's products live at once. The WASM heap never shrinks, so the
  // high-water mark of the largest layer is what it costs a run.
  const live = new Set<tf.Tensor>();
  const keep = <T extends tf.Tensor>(t: T): T => (live.add(t), t);
  const drop = (ts: readonly tf.Tensor[]) => ts.forEach((t) => (live.delete(t), t.dispose()));
  try {
    // T[i][s]: the output transform along columns of M[i][·], made per tile row i as soon as its products exist.
    const partial: tf.Tensor[][] = [];
    for (let i = 0; i < a; i++) {
      // The input transform, Bᵀ d B, as depthwise convs with stride m (XNNPACK, multi-threaded; the 'same' padding
      // and the padding to whole tiles are the convs' explicit padding): row i of Bᵀ along rows, then each row of
      // Bᵀ along columns.
      const rowT = keep(tf.depthwiseConv2d(x, w.rows[i], [m, 1], padRows));
      const products = w.cols.map((f, j) => {
        const lhs = keep(tf.tidy(() => tf.reshape(tf.depthwiseConv2d(rowT, f, [1, m], padCols), [tiles, cin]) as tf.Tensor2D));
        // M₁₁ is the one product every output pixel sees with weight 1 (column 1 of Aᵀ is all ones): add the bias there.
        const p = keep(bias && i === 1 && j === 1 ? tf.fused.matMul({ a: lhs, b: w.u[i * a + j], bias }) : tf.matMul(lhs, w.u[i * a + j]));
        drop([lhs]);
        return p;
      });
      drop([rowT]);
      partial.push(outputTransform1d(products, m).map(keep));
      drop(products);
    }
    // ys[s][r]: output pixel (r, s) of every tile, [tiles, Cout].
    const ys: tf.Tensor[][] = [];
    for (let s = 0; s < m; s++) {
      const column = partial.map((ti) => ti[s]);
      ys.push(outputTransform1d(column, m).map(keep));
      drop(column);
    }
    // The m x m output pixels interleaved by two concats (along columns within a row of pixels, then along rows).
    const rows: tf.Tensor[] = [];
    for (let r = 0; r < m; r++) {
      const pixels = ys.map((y) => y[r]);
      rows.push(keep(tf.tidy(() => tf.reshape(tf.concat(pixels.map((y) => tf.reshape(y, [th, tw, 1, cout])), 2), [th, 1, tw * m, cout]))));
      drop(pixels);
    }
    const full = tf.tidy(() => tf.reshape(tf.concat(rows, 1), [1, th * m, tw * m, cout]) as tf.Tensor4D);
    drop(rows);
    if (th * m === h && tw * m === wd) return full;
    const cropped = tf.slice(full, [0, 0, 0, 0], [1, h, wd, cout]);
    full.dispose();
    return cropped;
  } finally {
    drop([...live]);
  }
}
