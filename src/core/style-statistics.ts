import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError } from '../errors.js';
import { mulberry32 } from '../image/noise.js';
import { activeKernels, type Kernels } from '../kernels/index.js';
import type { ActivationTerm, At } from './loss-spec.js';
import { styleTerm, type LossNormalization } from './losses.js';

/**
 * Style statistics: what a style term matches between the output's activations F (`[N,C]`, N positions) and the
 * style's. See docs/style-statistics.md.
 * - `'gram'`: FᵀF/(N·C) (Gatys et al. 2016), the term of `losses.ts` unchanged.
 * - `'shifted-gram'`: the Gram of the mean-shifted activations, Cov/C = (FᵀF/N − μᵀμ)/C (Novak & Nikulin 2016's
 *   shift, with the image's own mean).
 * - `'mean-std'`: each channel's mean and standard deviation (Li et al. 2017; O(N·C)).
 * - `'covariance'`: mean and Cov/C (the Gaussian W2 statistics of crowsonkb/style-transfer-pytorch).
 * - `'histogram'`: each channel's sorted values (Risser et al. 2017): the 1-D W2 distance per channel, whose gradient
 *   is 2·(F − R(F)) with R the histogram match.
 * - `'sliced-wasserstein'`: the sorted projections of F on C seeded unit directions (Heitz et al. 2021).
 *
 * The first four depend on the image only through sums over positions (FᵀF, ΣF, ΣF²), so a tiled evaluation adds
 * them tile by tile and is exact. The last two sort all positions of the whole image: they refuse tiling.
 *
 * A target is one `[rows, cols]` tensor per layer, linear in what it holds, so several styles blend by a weighted sum
 * of targets: Grams, covariances, means and standard deviations add; sorted values (quantile functions) add too,
 * which for 1-D distributions is their Wasserstein barycentre.
 */
export const STYLE_STATISTICS = ['gram', 'shifted-gram', 'mean-std', 'covariance', 'histogram', 'sliced-wasserstein'] as const;
export type StyleStatistic = (typeof STYLE_STATISTICS)[number];

/** True when the statistic's terms depend on the image only through sums over positions (exact under tiling). */
export function isTileable(s: StyleStatistic): boolean {
  return s !== 'histogram' && s !== 'sliced-wasserstein';
}

/** Why a statistic cannot be tiled, and what to do (INVALID_OPTION's message). */
export function untileableMessage(s: StyleStatistic): string {
  return `styleStatistic '${s}' sorts the values of all positions of the whole image at once, so it cannot be evaluated a tile at a time: use tile: false with a size the backend holds whole, or a statistic exact under tiling ('gram', 'shifted-gram', 'mean-std' or 'covariance').`;
}

// Added under a square root: a channel that is zero everywhere has σ = √EPS, not 0 (its gradient stays finite).
const VARIANCE_EPS = 1e-5;

/** Sums over the positions of `flat` (`[n,C]`) that a sum-type statistic's target and term are made from. */
export function statisticSums(s: StyleStatistic, flat: tf.Tensor2D, kernels: Kernels = activeKernels()): tf.Tensor[] {
  return tf.tidy(() => {
    if (s === 'gram') return [kernels.gram(flat)];
    if (s === 'mean-std') return [tf.sum(flat, 0, true), tf.sum(tf.square(flat), 0, true)];
    if (s === 'shifted-gram' || s === 'covariance') return [kernels.gram(flat), tf.sum(flat, 0, true)];
    throw new StyleTransferError('INVALID_OPTION', untileableMessage(s), { field: 'styleStatistic', got: s });
  });
}

/** Mean `[1,C]` and Cov/C `[C,C]` from the sums FᵀF and ΣF over `n` positions. */
function meanAndCov(sums: readonly tf.Tensor[], n: number): { mean: tf.Tensor2D; cov: tf.Tensor2D } {
  const c = sums[0].shape[0]!;
  const mean = tf.div(sums[1], n) as tf.Tensor2D;
  return { mean, cov: tf.div(tf.sub(tf.div(sums[0], n), tf.matMul(mean, mean, true, false)), c) as tf.Tensor2D };
}

/** Mean and standard deviation `[1,C]` each from ΣF and ΣF² over `n` positions. */
function meanAndStd(sums: readonly tf.Tensor[], n: number): { mean: tf.Tensor2D; std: tf.Tensor2D } {
  const mean = tf.div(sums[0], n) as tf.Tensor2D;
  const variance = tf.relu(tf.sub(tf.div(sums[1], n), tf.square(mean)));
  return { mean, std: tf.sqrt(tf.add(variance, VARIANCE_EPS)) as tf.Tensor2D };
}

/**
 * A sum-type statistic's target from the whole image's sums ({@link statisticSums}) over `n` positions: the Gram
 * `[C,C]`; Cov/C `[C,C]` (`'shifted-gram'`); mean over std `[2,C]` (`'mean-std'`); mean over Cov/C `[C+1,C]`
 * (`'covariance'`). A new tensor.
 */
export function targetFromSums(s: StyleStatistic, sums: readonly tf.Tensor[], n: number): tf.Tensor2D {
  return tf.tidy(() => {
    if (s === 'gram') return tf.div(sums[0], n * sums[0].shape[0]!) as tf.Tensor2D;
    if (s === 'mean-std') {
      const { mean, std } = meanAndStd(sums, n);
      return tf.concat([mean, std], 0);
    }
    const { mean, cov } = meanAndCov(sums, n);
    return s === 'shifted-gram' ? cov : tf.concat([mean, cov], 0);
  });
}

/** C unit directions (the columns of a `[C,C]` row-major array) drawn from `seed`: sliced Wasserstein's projections. */
export function sliceDirections(seed: number, c: number): Float32Array {
  const rand = mulberry32(seed);
  const out = new Float32Array(c * c);
  for (let i = 0; i < c * c; i++) out[i] = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  for (let k = 0; k < c; k++) {
    let norm = 0;
    for (let j = 0; j < c; j++) norm += out[j * c + k] ** 2;
    for (let j = 0; j < c; j++) out[j * c + k] /= Math.sqrt(norm) || 1;
  }
  return out;
}

/**
 * The seed of sliced Wasserstein's directions at a layer and scale: from the run's `seed`, the layer's point index
 * and the scale's output height. Fixed during a scale (L-BFGS sees one deterministic loss), new at the next.
 */
export function sliceSeed(seed: number, pointIndex: number, scaleHeight: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 31) + Math.imul(pointIndex + 1, 0x85ebca6b) + Math.imul(scaleHeight, 0xc2b2ae35)) >>> 0;
}

/** The rows that a sorting statistic sorts: the channels (`'histogram'`) or the projections on `directions` (`[C,C]`). */
function sortedRows(flat: tf.Tensor2D, directions?: tf.Tensor2D): { values: tf.Tensor2D; indices: tf.Tensor2D } {
  const rows = tf.transpose(directions ? tf.matMul(flat, directions) : flat) as tf.Tensor2D;
  return tf.topk(rows, rows.shape[1], true) as { values: tf.Tensor2D; indices: tf.Tensor2D };
}

/**
 * Sorted values `[K,Q]` (each row descending) resampled to `[K,n]` by linear interpolation of the quantile function
 * (the same tensor when Q = n).
 */
export function resampleQuantiles(sorted: tf.Tensor2D, n: number): tf.Tensor2D {
  const q = sorted.shape[1];
  if (q === n) return sorted;
  const lo = new Int32Array(n);
  const hi = new Int32Array(n);
  const w = new Float32Array(n);
  for (let j = 0; j < n; j++) {
    const p = Math.min(q - 1, Math.max(0, ((j + 0.5) * q) / n - 0.5));
    lo[j] = Math.floor(p);
    hi[j] = Math.min(q - 1, lo[j] + 1);
    w[j] = p - lo[j];
  }
  return tf.tidy(() => {
    const wt = tf.tensor2d(w, [1, n]);
    const a = tf.gather(sorted, tf.tensor1d(lo, 'int32'), 1);
    const b = tf.gather(sorted, tf.tensor1d(hi, 'int32'), 1);
    return tf.add(tf.mul(a, tf.sub(1, wt)), tf.mul(b, wt)) as tf.Tensor2D;
  });
}

/**
 * The target of `s` for a whole style activation `[1,H,W,C]` (a new tensor): {@link targetFromSums} for the sum
 * types; each channel's (`'histogram'`) or each projection's (`'sliced-wasserstein'`, directions from `sliceSeed`)
 * values sorted descending, `[C, H·W]`.
 */
export function styleTargetOf(s: StyleStatistic, activation: tf.Tensor4D, kernels: Kernels = activeKernels(), sliceSeedValue = 0): tf.Tensor2D {
  return tf.tidy(() => {
    const c = activation.shape[3];
    const flat = tf.reshape(activation, [-1, c]) as tf.Tensor2D;
    if (isTileable(s)) return targetFromSums(s, statisticSums(s, flat, kernels), flat.shape[0]);
    const directions = s === 'sliced-wasserstein' ? tf.tensor2d(sliceDirections(sliceSeedValue, c), [c, c]) : undefined;
    return sortedRows(flat, directions).values;
  });
}

/** The scales of a term's parts: `'mean'` averages over each part's entries; `'paper'` is ¼ for matrices, ½ otherwise. */
const partScale = (norm: LossNormalization, weight: number, entries: number, matrix: boolean) => (norm === 'mean' ? weight / entries : weight * (matrix ? 0.25 : 0.5));

/**
 * The style term of statistic `s` with target `target` (from {@link styleTargetOf}, maybe blended), weighted by
 * `weight` with the normalisation `norm`: `'mean'` is `weight` · mean of the squared differences of each part
 * (for `'covariance'`, the mean's plus Cov/C's). `'gram'` is `losses.ts`'s {@link styleTerm}, bit for bit.
 * `sliceSeedValue`: the directions' seed (`'sliced-wasserstein'`; the target's).
 */
export function statisticTerm(s: StyleStatistic, target: tf.Tensor2D, weight: number, norm: LossNormalization = 'mean', kernels: Kernels = activeKernels(), sliceSeedValue = 0): ActivationTerm {
  if (s === 'gram') return styleTerm(target, weight, norm, kernels);
  const flat = (a: tf.Tensor4D) => tf.reshape(a, [-1, a.shape[3]]) as tf.Tensor2D;
  if (s === 'mean-std') return meanStdTerm(target, weight, norm, kernels, flat);
  if (s === 'shifted-gram' || s === 'covariance') return covarianceTerm(s, target, weight, norm, kernels, flat);
  // A sorting target is [K, Q]: K = C rows.
  const directions = s === 'sliced-wasserstein' ? sliceDirections(sliceSeedValue, target.shape[0]) : undefined;
  return sortingTerm(target, directions, weight, norm, kernels, flat);
}

type Flat = (a: tf.Tensor4D) => tf.Tensor2D;

/** Gradient of a term whose gradient is a + b∘F per channel (coefficients `[a, b]`, or `[B, a]` with a matrix B: F·B + a). */
const affineGrad = (flat: Flat) => (a: tf.Tensor4D, k: readonly tf.Tensor[], _at: At) =>
  tf.tidy(() => {
    const f = flat(a);
    const g = k[0].shape[0] === 1 ? tf.add(tf.mul(f, k[1]), k[0]) : tf.add(tf.matMul(f, k[0] as tf.Tensor2D), k[1]);
    return tf.reshape(g, a.shape) as tf.Tensor4D;
  });

/**
 * mean/std: value Σ scale·((μ − μₜ)² + (σ − σₜ)²); ∂σ/∂F = (F − μ)/(N·σ), ∂μ/∂F = 1/N, so the gradient is a + b∘F
 * with b = gσ/(N·σ), a = gμ/N − b∘μ.
 */
function meanStdTerm(target: tf.Tensor2D, weight: number, norm: LossNormalization, kernels: Kernels, flat: Flat): ActivationTerm {
  const c = target.shape[1];
  const scale = partScale(norm, weight, c, false);
  return {
    accumulate: (a) => tf.tidy(() => statisticSums('mean-std', flat(a), kernels)),
    finish: (sums, n) =>
      tf.tidy(() => {
        const { mean, std } = meanAndStd(sums, n);
        const [tMean, tStd] = tf.split(target, 2, 0);
        const dMean = tf.sub(mean, tMean);
        const dStd = tf.sub(std, tStd);
        const value = tf.mul(tf.add(tf.sum(tf.square(dMean)), tf.sum(tf.square(dStd))), scale) as tf.Scalar;
        const b = tf.div(tf.mul(dStd, 2 * scale), tf.mul(std, n));
        const a = tf.sub(tf.mul(dMean, (2 * scale) / n), tf.mul(b, mean));
        return { value, coefficients: [a, b] };
      }),
    activationGrad: affineGrad(flat),
  };
}

/**
 * Cov/C (and the mean, for `'covariance'`): with D = ∂L/∂(Cov/C), Cov = FᵀF/N − μᵀμ gives the gradient
 * F·M + b with M = (D + Dᵀ)/(C·N) and b = (gμ − μ·(D + Dᵀ)/C)/N.
 */
function covarianceTerm(s: 'shifted-gram' | 'covariance', target: tf.Tensor2D, weight: number, norm: LossNormalization, kernels: Kernels, flat: Flat): ActivationTerm {
  const c = target.shape[1];
  const covScale = partScale(norm, weight, c * c, true);
  const meanScale = partScale(norm, weight, c, false);
  return {
    accumulate: (a) => tf.tidy(() => statisticSums(s, flat(a), kernels)),
    finish: (sums, n) =>
      tf.tidy(() => {
        const { mean, cov } = meanAndCov(sums, n);
        const [tMean, tCov] = s === 'covariance' ? tf.split(target, [1, c], 0) : [undefined, target];
        const dCov = tf.sub(cov, tCov);
        let value = tf.mul(tf.sum(tf.square(dCov)), covScale);
        const sym = tf.div(tf.mul(tf.add(dCov, tf.transpose(dCov)), 2 * covScale), c);
        let gMean = tf.neg(tf.matMul(mean, sym));
        if (tMean) {
          const dMean = tf.sub(mean, tMean);
          value = tf.add(value, tf.mul(tf.sum(tf.square(dMean)), meanScale));
          gMean = tf.add(gMean, tf.mul(dMean, 2 * meanScale));
        }
        return { value: value as tf.Scalar, coefficients: [tf.div(sym, n), tf.div(gMean, n)] };
      }),
    activationGrad: affineGrad(flat),
  };
}

/**
 * histogram / sliced Wasserstein: value scale·Σ(sorted − target)² over the K sorted rows (channels, or projections
 * on the `directions`) resampled to N, the squared 1-D W2 distance per row, times N. Its gradient (exact wherever
 * the values are distinct) sends each sorted entry's 2·scale·(sorted − target) back to the position it came from
 * (`topk`'s indices; `Kernels.unsort`: a loop in JS memory on CPU and WASM, on the device without a read-back of
 * the gradient on WebGL and WebGPU); through the projections it is multiplied by the directions' transpose. It needs the
 * whole image at once: `accumulate` passes the activation through and `finish` leaves the gradient itself.
 */
function sortingTerm(target: tf.Tensor2D, directions: Float32Array | undefined, weight: number, norm: LossNormalization, kernels: Kernels, flat: Flat): ActivationTerm {
  const k = target.shape[0];
  // Dᵀ for the gradient, laid out here: WASM's matMul with a transposed operand took 3.5x (B) to 12x (A and B) the
  // CPU time of a plain one (bench, 65536 x 64 · 64 x 64).
  const transposed = directions && Float32Array.from({ length: k * k }, (_, i) => directions[(i % k) * k + Math.floor(i / k)]);
  return {
    accumulate: (a, at) => {
      if (at.top !== 0 || at.left !== 0) throw new StyleTransferError('INVALID_OPTION', untileableMessage(directions ? 'sliced-wasserstein' : 'histogram'), { field: 'styleStatistic' });
      return [tf.tidy(() => tf.clone(flat(a)))];
    },
    finish: ([f], n) =>
      tf.tidy(() => {
        const scale = norm === 'mean' ? weight / (n * k) : weight * 0.5;
        const d = directions ? tf.tensor2d(directions, [k, k]) : undefined;
        const { values, indices } = sortedRows(f as tf.Tensor2D, d);
        const diff = tf.sub(values, resampleQuantiles(target, n));
        const value = tf.mul(tf.sum(tf.square(diff)), scale) as tf.Scalar;
        const gRows = kernels.unsort(tf.mul(diff, 2 * scale) as tf.Tensor2D, indices);
        const g = transposed ? tf.matMul(gRows, tf.tensor2d(transposed, [k, k])) : gRows;
        return { value, coefficients: [g] };
      }),
    activationGrad: (a, [g]) => tf.reshape(g, a.shape) as tf.Tensor4D,
  };
}
