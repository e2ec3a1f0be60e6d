/**
 * The style statistics (src/core/style-statistics.ts) on tiny random tensors, against float64 references written
 * here from their definitions:
 * - value: the term on an activation F `[1,5,4,3]` with the target of another G (`styleTargetOf`), against the
 *   float64 value; relative error < 1e-4 (float32 sums of a few dozen terms).
 * - gradient: ⟨∇F, d⟩ along a random d against the float64 central difference of the reference (ε = 1e-4: the
 *   sorting statistics stay on one side of every tie); relative error < 1e-3.
 * - tiled == whole: the sum-type statistics accumulated over four tiles (each at its `at`) give the whole value and
 *   gradient to 1e-5 relative; the sorting ones refuse a tile.
 * - un-sort: the GPU backends' tensor-only forms (scatter; gather by the inverse permutation) equal the JS loop
 *   exactly, with and without ties, and a sorting term's evaluation reads back 2 tensors with the generic kernels,
 *   1 (topk's indices, in CPU memory on WebGL) with WebGL's and none with WebGPU's (all run here on the Node backend).
 * - quantile resampling keeps the ends; sliced Wasserstein's directions are unit, seeded, new per layer and scale.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ready } from '../../src/adapters/node.js';
import { addSums, ORIGIN } from '../../src/core/loss-spec.js';
import { resampleQuantiles, sliceDirections, sliceSeed, statisticTerm, styleTargetOf, STYLE_STATISTICS, type StyleStatistic } from '../../src/core/style-statistics.js';
import { mulberry32 } from '../../src/image/noise.js';
import { genericKernels, webglKernels, webgpuKernels, type Kernels } from '../../src/kernels/index.js';
import { inversePermutationBySort, unsortByGather, unsortByScatter, unsortInMemory } from '../../src/kernels/unsort.js';
import { codeOf } from '../helpers/async.js';

beforeAll(async () => {
  await ready();
});

const H = 5;
const W = 4;
const C = 3;
const WEIGHT = 7;
const SEED = 1234;

function normals(n: number, seed: number, offset = 0): Float64Array {
  const rand = mulberry32(seed);
  return Float64Array.from({ length: n }, () => offset + Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()));
}

/** Rows [N][C] of a row-major [N·C] array. */
const rowsOf = (x: ArrayLike<number>, c: number) => Array.from({ length: x.length / c }, (_, i) => Array.from({ length: c }, (_, j) => x[i * c + j]));

function moments(f: number[][]) {
  const n = f.length;
  const c = f[0].length;
  const mean = Array.from({ length: c }, (_, j) => f.reduce((a, r) => a + r[j], 0) / n);
  const second = Array.from({ length: c }, (_, i) => Array.from({ length: c }, (_, j) => f.reduce((a, r) => a + r[i] * r[j], 0) / n));
  const cov = second.map((row, i) => row.map((v, j) => (v - mean[i] * mean[j]) / c));
  const gram = second.map((row) => row.map((v) => v / c));
  const std = mean.map((m, j) => Math.sqrt(Math.max(0, second[j][j] - m * m) + 1e-5));
  return { mean, cov, gram, std };
}

/** Each row's values (channels, or projections on `dirs` [C][K]) sorted descending, then resampled to `n`. */
function sortedRows(f: number[][], n: number, dirs?: number[][]): number[][] {
  const k = dirs ? dirs[0].length : f[0].length;
  return Array.from({ length: k }, (_, r) => {
    const v = f.map((row) => (dirs ? row.reduce((a, x, j) => a + x * dirs[j][r], 0) : row[r])).sort((a, b) => b - a);
    const q = v.length;
    return Array.from({ length: n }, (_, j) => {
      const p = Math.min(q - 1, Math.max(0, ((j + 0.5) * q) / n - 0.5));
      const lo = Math.floor(p);
      const hi = Math.min(q - 1, lo + 1);
      return v[lo] * (1 - (p - lo)) + v[hi] * (p - lo);
    });
  });
}

const sq = (a: number[], b: number[]) => a.reduce((s, x, i) => s + (x - b[i]) ** 2, 0);
const sqM = (a: number[][], b: number[][]) => a.reduce((s, r, i) => s + sq(r, b[i]), 0);

/** The float64 loss ('mean' normalisation) of statistic `s` for output rows `f` against style rows `g`. */
function reference(s: StyleStatistic, f: number[][], g: number[][]): number {
  const c = f[0].length;
  const a = moments(f);
  const b = moments(g);
  switch (s) {
    case 'gram':
      return (WEIGHT * sqM(a.gram, b.gram)) / (c * c);
    case 'shifted-gram':
      return (WEIGHT * sqM(a.cov, b.cov)) / (c * c);
    case 'covariance':
      return (WEIGHT * sqM(a.cov, b.cov)) / (c * c) + (WEIGHT * sq(a.mean, b.mean)) / c;
    case 'mean-std':
      return (WEIGHT * (sq(a.mean, b.mean) + sq(a.std, b.std))) / c;
    default: {
      const d = s === 'sliced-wasserstein' ? rowsOf(sliceDirections(SEED, c), c) : undefined;
      return (WEIGHT * sqM(sortedRows(f, f.length, d), sortedRows(g, f.length, d))) / (f.length * c);
    }
  }
}

async function termOn(s: StyleStatistic, f: Float64Array, style: tf.Tensor4D) {
  const target = styleTargetOf(s, style, undefined, SEED);
  const term = statisticTerm(s, target, WEIGHT, 'mean', undefined, SEED);
  const x = tf.tensor4d(Float32Array.from(f), [1, H, W, C]);
  const sums = term.accumulate(x, ORIGIN);
  const { value, coefficients } = term.finish(sums, H * W);
  tf.dispose(sums);
  const grad = term.activationGrad(x, coefficients, ORIGIN);
  const out = { value: (await value.data())[0], grad: Float64Array.from(await grad.data()) };
  tf.dispose([target, x, value, grad, ...coefficients]);
  return out;
}

describe('style statistics against float64 references', () => {
  for (const s of STYLE_STATISTICS) {
    it(`${s}: value and gradient`, async () => {
      const before = tf.memory().numTensors;
      // A style of another size (6x3) than the output (5x4): the sorting targets are resampled.
      const gData = normals(6 * 3 * C, 2, 0.5);
      const style = tf.tensor4d(Float32Array.from(gData), [1, 6, 3, C]);
      const f = normals(H * W * C, 1);
      const g = rowsOf(gData, C);
      const { value, grad } = await termOn(s, f, style);
      const want = reference(s, rowsOf(f, C), g);
      expect(Math.abs(value - want) / want).toBeLessThan(1e-4);
      const d = normals(f.length, 3);
      const eps = 1e-4;
      const at = (sign: number) => reference(s, rowsOf(f.map((v, i) => v + sign * eps * d[i]), C), g);
      const fd = (at(1) - at(-1)) / (2 * eps);
      const analytic = grad.reduce((a, v, i) => a + v * d[i], 0);
      expect(Math.abs(analytic - fd) / Math.abs(fd)).toBeLessThan(1e-3);
      style.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});

describe('tiled evaluation', () => {
  // Four tiles of the 5x4 activation: rows [0,2) and [2,5), columns [0,1) and [1,4).
  const tiles = [[0, 2, 0, 1], [0, 2, 1, 4], [2, 5, 0, 1], [2, 5, 1, 4]] as const;
  for (const s of STYLE_STATISTICS) {
    it(`${s}: ${s === 'histogram' || s === 'sliced-wasserstein' ? 'refuses tiles' : 'tiled equals whole'}`, async () => {
      const before = tf.memory().numTensors;
      const style = tf.tensor4d(Float32Array.from(normals(6 * 3 * C, 2, 0.5)), [1, 6, 3, C]);
      const target = styleTargetOf(s, style, undefined, SEED);
      const term = statisticTerm(s, target, WEIGHT, 'mean', undefined, SEED);
      const x = tf.tensor4d(Float32Array.from(normals(H * W * C, 1)), [1, H, W, C]);
      const crop = ([r0, r1, c0, c1]: readonly number[]) => tf.slice(x, [0, r0, c0, 0], [1, r1 - r0, c1 - c0, C]);
      const at = ([r0, , c0]: readonly number[]) => ({ top: r0, left: c0 });
      try {
        if (s === 'histogram' || s === 'sliced-wasserstein') {
          const c = crop(tiles[3]);
          expect(await codeOf((async () => term.accumulate(c, at(tiles[3])))())).toBe('INVALID_OPTION');
          c.dispose();
          return;
        }
        const wholeSums = term.accumulate(x, ORIGIN);
        const whole = term.finish(wholeSums, H * W);
        tf.dispose(wholeSums);
        const wholeGrad = term.activationGrad(x, whole.coefficients, ORIGIN);
        let sums: tf.Tensor[] | undefined;
        for (const t of tiles) {
          const c = crop(t);
          sums = addSums(sums, term.accumulate(c, at(t)));
          c.dispose();
        }
        const tiled = term.finish(sums!, H * W);
        tf.dispose(sums!);
        const w = (await whole.value.data())[0];
        expect(Math.abs((await tiled.value.data())[0] - w) / w).toBeLessThan(1e-5);
        for (const t of tiles) {
          const c = crop(t);
          const g = term.activationGrad(c, tiled.coefficients, at(t));
          const wantGrad = tf.slice(wholeGrad, [0, t[0], t[2], 0], [1, t[1] - t[0], t[3] - t[2], C]);
          const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(g, wantGrad))));
          const scale = tf.tidy(() => tf.max(tf.abs(wholeGrad)));
          expect((await diff.data())[0]).toBeLessThan(1e-5 * (await scale.data())[0]);
          tf.dispose([c, g, wantGrad, diff, scale]);
        }
        tf.dispose([whole.value, tiled.value, wholeGrad, ...whole.coefficients, ...tiled.coefficients]);
      } finally {
        tf.dispose([style, target, x]);
      }
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});

describe('un-sort of the sorting statistics', () => {
  /** K rows of n values (`levels` distinct values when given: many ties), their topk indices, and other values. */
  function sortedCase(k: number, n: number, seed: number, levels?: number) {
    const x = Float32Array.from(normals(k * n, seed), (v) => (levels ? Math.round(v * levels) / levels : v));
    return tf.tidy(() => {
      const { indices } = tf.topk(tf.tensor2d(x, [k, n]), n, true);
      return { indices: indices as tf.Tensor2D, sorted: tf.tensor2d(Float32Array.from(normals(k * n, seed + 1)), [k, n]) };
    });
  }
  const forms: [string, (s: tf.Tensor2D, i: tf.Tensor2D) => tf.Tensor2D][] = [
    ['scatter', unsortByScatter],
    ['gather by the inverse from a second sort', (s, i) => tf.tidy(() => unsortByGather(s, inversePermutationBySort(i)))],
    ['webgl kernels', webglKernels.unsort],
    ['webgpu kernels', webgpuKernels.unsort],
  ];
  for (const [k, n, levels] of [[3, 20, undefined], [7, 300, 2], [64, 257, undefined], [5, 1000, 1]] as const) {
    it(`tensor-only forms equal the JS loop exactly: ${k} x ${n}${levels ? `, ties (${levels === 1 ? 'integers' : 'halves'})` : ''}`, async () => {
      const before = tf.memory().numTensors;
      const { indices, sorted } = sortedCase(k, n, 10 + n, levels);
      const loop = unsortInMemory(sorted, indices);
      const want = await loop.data();
      expect(loop.shape).toEqual([n, k]);
      // The loop itself: each row's values land at the positions topk took them from.
      const idx = await indices.data();
      const vals = await sorted.data();
      for (let j = 0; j < n; j += 7) expect(want[idx[j] * k]).toBe(vals[j]);
      for (const [name, unsort] of forms) {
        const got = unsort(sorted, indices);
        expect(got.shape, name).toEqual([n, k]);
        expect(Array.from(await got.data()), name).toEqual(Array.from(want));
        got.dispose();
      }
      tf.dispose([indices, sorted, loop]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('a sorting term reads back 2 tensors per evaluation with the generic kernels, 1 with WebGL\'s, none with WebGPU\'s, and gives the same result', async () => {
    const engine = tf.engine() as unknown as Record<string, (...a: unknown[]) => unknown>;
    const originals = { read: engine.read, readSync: engine.readSync };
    let reads = 0;
    for (const name of ['read', 'readSync'] as const) {
      engine[name] = function (this: unknown, ...a: unknown[]) {
        reads++;
        return originals[name].apply(this, a);
      };
    }
    try {
      for (const s of ['histogram', 'sliced-wasserstein'] as const) {
        const style = tf.tensor4d(Float32Array.from(normals(6 * 3 * C, 2, 0.5)), [1, 6, 3, C]);
        const x = tf.tensor4d(Float32Array.from(normals(H * W * C, 1)), [1, H, W, C]);
        const target = styleTargetOf(s, style, genericKernels, SEED);
        const evaluate = (kernels: Kernels) => {
          const term = statisticTerm(s, target, WEIGHT, 'mean', kernels, SEED);
          const sums = term.accumulate(x, ORIGIN);
          const from = reads;
          const { value, coefficients } = term.finish(sums, H * W);
          const n = reads - from;
          const grad = term.activationGrad(x, coefficients, ORIGIN);
          tf.dispose([...sums, ...coefficients]);
          return { reads: n, value, grad };
        };
        const results = [genericKernels, webglKernels, webgpuKernels].map(evaluate);
        expect(results.map((r) => r.reads), s).toEqual([2, 1, 0]);
        const [want, ...others] = await Promise.all(results.map(async (r) => [...(await r.value.data()), ...(await r.grad.data())]));
        for (const got of others) expect(got, s).toEqual(want);
        tf.dispose([style, x, target, ...results.flatMap((r) => [r.value, r.grad])]);
      }
    } finally {
      Object.assign(engine, originals);
    }
  });
});

describe('quantile resampling', () => {
  it('keeps the ends and interpolates between', async () => {
    const sorted = tf.tensor2d([[4, 3, 2, 1]]);
    const up = resampleQuantiles(sorted, 8);
    const down = resampleQuantiles(sorted, 2);
    expect(Array.from(await up.data())).toEqual([4, 3.75, 3.25, 2.75, 2.25, 1.75, 1.25, 1].map((v) => expect.closeTo(v, 6)));
    expect(Array.from(await down.data())).toEqual([3.5, 1.5]);
    expect(resampleQuantiles(sorted, 4)).toBe(sorted);
    tf.dispose([sorted, up, down]);
  });
});

describe('sliced Wasserstein directions', () => {
  it('are unit columns, reproducible from the seed, and new at each layer and scale', () => {
    const c = 8;
    const d = sliceDirections(sliceSeed(0, 2, 256), c);
    for (let k = 0; k < c; k++) {
      let norm = 0;
      for (let j = 0; j < c; j++) norm += d[j * c + k] ** 2;
      expect(norm).toBeCloseTo(1, 5);
    }
    expect(sliceDirections(sliceSeed(0, 2, 256), c)).toEqual(d);
    expect(sliceSeed(0, 2, 128)).not.toBe(sliceSeed(0, 2, 256));
    expect(sliceSeed(0, 3, 256)).not.toBe(sliceSeed(0, 2, 256));
    expect(sliceSeed(1, 2, 256)).not.toBe(sliceSeed(0, 2, 256));
  });
});
