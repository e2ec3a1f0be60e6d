/**
 * Golden test: the VGG-19 extractor, Gram matrix, losses and the hand-written backward pass against the
 * float64 reference numbers in shared/golden/vgg19-activations.json (see shared/golden/README.md).
 *
 * The reference used the uint8 Keras weights only, so the exact comparisons load the uint8-only weight set that
 * test/setup/global-setup.ts builds (`--exact none`). A last block checks the package's default weights loosely.
 *
 * Runs on the backend `NST_TEST_BACKEND` names (default wasm; `npm run test:backends` runs it on each backend
 * available in Node). The tolerances are the same on every backend (measured worst cases: docs/backends.md).
 * Tolerances (README "Suggested test tolerances", measured on wasm):
 * - anything summed in JS doubles over `dataSync()` (layer mean/std/channel means, Gram trace/sum) and single
 *   values (positions, max, Gram entries): rtol 1e-4;
 * - values reduced on the backend with `tf.sum` (styleLoss/contentLoss/tvLoss values): the WASM backend sums
 *   millions of float32 terms in float32, which the README measured at up to ~2.2e-4 relative: rtol 2e-3.
 */
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadVgg19, extractFeatures, type Vgg19 } from '../src/adapters/node.js';
import { readyTestBackend } from './helpers/backend.js';
import { gramMatrix } from '../src/core/gram.js';
import { contentLoss, styleLoss, tvLoss } from '../src/core/losses.js';
import { lossAndGradient, type PointLoss } from '../src/core/network.js';
import { resolveLayer } from '../src/core/layers.js';
import { activeKernels, wasmKernelsWith } from '../src/kernels/index.js';

const SHARED = new URL('../../shared/', import.meta.url);
const GOLDEN = new URL('golden/', SHARED);
const REPO_WEIGHTS = fileURLToPath(new URL('../weights/', import.meta.url));

interface Position { y: number; x: number; c: number; value: number }
interface LayerGolden {
  shape_nhwc: number[];
  mean: number;
  std: number;
  max: number;
  fraction_zero: number;
  channel_means_0_7: number[];
  positions: Position[];
}
interface GramGolden { shape: number[]; trace: number; row0_0_7: number[]; sum: number }
interface Golden {
  images: Record<'tubingen' | 'starry_night', { file: string; sha256_rgb: string; pixel_sum: number; rgb_at_0_0: number[]; rgb_at_111_200: number[] }>;
  layers: Record<string, LayerGolden>;
  gram: Record<'tubingen' | 'starry_night', Record<string, GramGolden>>;
  style_loss_tubingen_vs_starry: { per_layer: Record<string, { sum_sq_diff: number; mean_sq_diff: number }>; total_norm_mean: number; total_norm_paper: number };
  content_loss_starry_vs_tubingen: { layer: string; sum_sq_diff: number; mean_sq_diff: number };
  full_loss: {
    content_weight: number;
    style_weight: number;
    tv_weight: number;
    loss: number;
    content_term: number;
    style_term: number;
    tv_term: number;
    grad_wrt_rgb_pixels: { l2_norm: number; max_abs: number; sum: number; positions: Position[] };
  };
}

const golden = JSON.parse(readFileSync(new URL('vgg19-activations.json', GOLDEN), 'utf8')) as Golden;
const KERAS_LAYERS = Object.keys(golden.layers); // block1_conv1 … block5_conv4, forward order
const STYLE_LAYERS = ['block1_conv1', 'block2_conv1', 'block3_conv1', 'block4_conv1', 'block5_conv1'];
const CONTENT_LAYER = golden.content_loss_starry_vs_tubingen.layer; // block4_conv2

/** Keras `blockN_convM` (post-ReLU) → canonical `reluN_M`. */
const relu = (keras: string): string => keras.replace(/^block(\d)_conv(\d)$/, 'relu$1_$2');

function readRgb(name: 'tubingen' | 'starry_night'): { data: Uint8Array; width: number; height: number } {
  const data = new Uint8Array(readFileSync(new URL(golden.images[name].file, GOLDEN)));
  return { data, width: 224, height: 224 };
}

// ---- comparison with bookkeeping of the worst relative error per quantity (printed at the end) ----

const worst = new Map<string, { rel: number; where: string }>();

/**
 * Asserts |actual − expected| ≤ rtol·|expected| + atol, and records the relative error under `quantity`
 * (entries compared by atol only — expected 0 — are recorded as error/atol-scale instead).
 */
function close(quantity: string, where: string, actual: number, expected: number, rtol: number, atol = 0): void {
  const err = Math.abs(actual - expected);
  const rel = expected !== 0 ? err / Math.abs(expected) : err;
  const w = worst.get(quantity);
  if (!w || rel > w.rel) worst.set(quantity, { rel, where });
  if (!(err <= rtol * Math.abs(expected) + atol)) {
    expect.fail(`${quantity} at ${where}: got ${actual}, expected ${expected} (rel err ${rel.toExponential(2)}, rtol ${rtol}, atol ${atol})`);
  }
}

/** Mean and population std of a float32 array, accumulated in float64 (two passes). */
function meanStd(v: Float32Array): { mean: number; std: number } {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  const mean = s / v.length;
  let q = 0;
  for (let i = 0; i < v.length; i++) q += (v[i] - mean) ** 2;
  return { mean, std: Math.sqrt(q / v.length) };
}

afterAll(() => {
  const rows = [...worst.entries()].map(([q, { rel, where }]) => `  ${q.padEnd(40)} ${rel.toExponential(2)}  (${where})`);
  console.log(`golden: worst relative error per quantity (${backend} backend)\n${rows.join('\n')}`);
});

let backend: string;
beforeAll(async () => {
  backend = await readyTestBackend();
});

describe('golden fixture files', () => {
  it('reads the .rgb pixels the reference used', () => {
    for (const name of ['tubingen', 'starry_night'] as const) {
      const img = golden.images[name];
      const { data } = readRgb(name);
      expect(data.length).toBe(224 * 224 * 3);
      expect(createHash('sha256').update(data).digest('hex')).toBe(img.sha256_rgb);
      expect(data.reduce((a, b) => a + b, 0)).toBe(img.pixel_sum);
      expect([...data.subarray(0, 3)]).toEqual(img.rgb_at_0_0);
      const o = (111 * 224 + 200) * 3;
      expect([...data.subarray(o, o + 3)]).toEqual(img.rgb_at_111_200);
    }
  });
});

describe('golden: uint8-only weights (as the reference)', () => {
  let model: Vgg19;
  /** Post-ReLU activations of both images at all 16 conv layers, keyed by Keras name. */
  const acts: Record<'tubingen' | 'starry_night', Record<string, tf.Tensor4D>> = { tubingen: {}, starry_night: {} };
  let startTensors: number;

  beforeAll(async () => {
    startTensors = tf.memory().numTensors;
    model = await loadVgg19({ weights: inject('uint8WeightsDir') });
    const tub = await extractFeatures(model, readRgb('tubingen'), KERAS_LAYERS);
    acts.tubingen = tub;
    // starry_night: only what the Gram / content-loss checks need.
    acts.starry_night = await extractFeatures(model, readRgb('starry_night'), [...STYLE_LAYERS, CONTENT_LAYER]);
  });

  afterAll(() => {
    for (const set of Object.values(acts)) tf.dispose(Object.values(set));
    model?.dispose();
    expect(tf.memory().numTensors).toBe(startTensors);
  });

  it('loads the uint8-only weight set', () => {
    expect(model.location).toContain('nst-weights-uint8-');
  });

  describe.each(KERAS_LAYERS)('activation %s', (keras) => {
    it(`matches mean, std, max, zeros, channel means and positions (as ${relu(keras)})`, () => {
      const g = golden.layers[keras];
      const a = acts.tubingen[keras];
      expect(a.shape).toEqual(g.shape_nhwc);
      const [, h, w, c] = a.shape;
      const v = a.dataSync() as Float32Array;

      const { mean, std } = meanStd(v);
      close('layer mean (JS doubles)', keras, mean, g.mean, 1e-4);
      close('layer std (JS doubles)', keras, std, g.std, 1e-4);

      let max = -Infinity;
      let zeros = 0;
      const chSum = new Float64Array(8);
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (x > max) max = x;
        if (x === 0) zeros++;
        const ch = i % c;
        if (ch < 8) chSum[ch] += x;
      }
      close('layer max', keras, max, g.max, 1e-4);
      close('fraction_zero (abs)', keras, zeros / v.length, g.fraction_zero, 0, 1e-4);
      // Some deep channels are exactly 0 in the reference: those are compared with an absolute tolerance
      // scaled by the layer mean (their float32 values are 0 too, or a few ulps of a tiny activation).
      g.channel_means_0_7.forEach((m, ch) => {
        close('channel_means_0_7', `${keras}[c=${ch}]`, chSum[ch] / (h * w), m, 1e-4, m === 0 ? 1e-6 * g.mean : 0);
      });

      for (const p of g.positions) {
        close('activation at positions', `${keras}[${p.y},${p.x},${p.c}]`, v[(p.y * w + p.x) * c + p.c], p.value, 1e-4);
      }
    });
  });

  describe.each(['tubingen', 'starry_night'] as const)('Gram matrices of %s', (image) => {
    it.each(STYLE_LAYERS)('%s: trace, row 0 and sum', (keras) => {
      const g = golden.gram[image][keras];
      const G = gramMatrix(acts[image][keras]);
      const m = G.dataSync() as Float32Array;
      G.dispose();
      const c = g.shape[0];
      expect(G.shape).toEqual(g.shape);
      let trace = 0;
      let sum = 0;
      for (let i = 0; i < c; i++) trace += m[i * c + i];
      for (let i = 0; i < m.length; i++) sum += m[i];
      close('Gram trace', `${image}/${keras}`, trace, g.trace, 1e-4);
      close('Gram sum', `${image}/${keras}`, sum, g.sum, 1e-4);
      // Exactly-zero entries (channels that never fire together) get an absolute tolerance of 1e-3·trace/C.
      g.row0_0_7.forEach((e, j) => {
        close(e === 0 ? 'Gram row0_0_7 zero entries (abs)' : 'Gram row0_0_7', `${image}/${keras}[0,${j}]`, m[j], e, 1e-4, e === 0 ? (1e-3 * g.trace) / c : 0);
      });
    });
  });

  it('style loss tubingen vs starry_night, "mean" and "paper" normalisation', () => {
    const ref = golden.style_loss_tubingen_vs_starry;
    let totalMean = 0;
    let totalPaper = 0;
    for (const keras of STYLE_LAYERS) {
      const [vMean, vPaper] = tf.tidy(() => {
        const target = gramMatrix(acts.starry_night[keras]);
        const x = acts.tubingen[keras];
        return [styleLoss(x, target, 1, 'mean').value.dataSync()[0], styleLoss(x, target, 1 / 5, 'paper').value.dataSync()[0]];
      });
      // Per-layer values too: the "mean" value is mean_sq_diff, the paper value ¼·⅕·sum_sq_diff (tf.sum: 2e-3).
      close('style loss per layer (tf.sum)', `${keras} mean`, vMean, ref.per_layer[keras].mean_sq_diff, 2e-3);
      close('style loss per layer (tf.sum)', `${keras} paper`, vPaper, ref.per_layer[keras].sum_sq_diff / 20, 2e-3);
      totalMean += vMean;
      totalPaper += vPaper;
    }
    close('style loss total (tf.sum)', 'total_norm_mean', totalMean, ref.total_norm_mean, 2e-3);
    close('style loss total (tf.sum)', 'total_norm_paper', totalPaper, ref.total_norm_paper, 2e-3);
  });

  it('style loss summed in JS doubles from the Gram matrices (rtol 1e-4)', () => {
    // The same quantity without the backend's float32 reduction: isolates Gram accuracy from tf.sum's.
    const ref = golden.style_loss_tubingen_vs_starry;
    let total = 0;
    for (const keras of STYLE_LAYERS) {
      const gx = tf.tidy(() => gramMatrix(acts.tubingen[keras]).dataSync() as Float32Array);
      const gs = tf.tidy(() => gramMatrix(acts.starry_night[keras]).dataSync() as Float32Array);
      let s = 0;
      for (let i = 0; i < gx.length; i++) s += (gx[i] - gs[i]) ** 2;
      close('style loss per layer (JS doubles)', keras, s, ref.per_layer[keras].sum_sq_diff, 1e-4);
      total += s / gx.length;
    }
    close('style loss total (JS doubles)', 'total_norm_mean', total, ref.total_norm_mean, 1e-4);
  });

  it('content loss starry_night vs tubingen at relu4_2, "mean" and "paper"', () => {
    const ref = golden.content_loss_starry_vs_tubingen;
    const x = acts.starry_night[CONTENT_LAYER];
    const p = acts.tubingen[CONTENT_LAYER];
    const [vMean, vPaper] = tf.tidy(() => [contentLoss(x, p, 1, 'mean').value.dataSync()[0], contentLoss(x, p, 1, 'paper').value.dataSync()[0]]);
    close('content loss (tf.sum)', 'mean', vMean, ref.mean_sq_diff, 2e-3);
    close('content loss (tf.sum)', 'paper = ½·sum', vPaper, ref.sum_sq_diff / 2, 2e-3);
    // and in JS doubles
    const dx = x.dataSync();
    const dp = p.dataSync();
    let s = 0;
    for (let i = 0; i < dx.length; i++) s += (dx[i] - dp[i]) ** 2;
    close('content loss (JS doubles)', 'sum_sq_diff', s, ref.sum_sq_diff, 1e-4);
  });

  // With Winograd (the kernels stylize() uses on WASM, prepared as a run prepares them) the same tolerances hold:
  // its F(2,3) rounding is another float32 rounding of the same sums (docs/performance.md, "Winograd convolutions").
  for (const variant of ['tf.conv2d', 'Winograd'] as const) {
    it(`full loss and its gradient with respect to the RGB pixels (lossAndGradient, ${variant})`, () => {
      const before = tf.memory().numTensors;
      // Unprepared, the active kernels' convs are tf.conv2d; prepared, Winograd runs where WASM's table picks it.
      const kernels = variant === 'Winograd' ? wasmKernelsWith({ winograd: true }) : activeKernels();
      const prepared = variant === 'Winograd' ? kernels.prepareConvs(model, { height: 224, width: 224, forward: 13, backward: 13 }) : undefined;
      if (prepared) expect(prepared.bytes).toBeGreaterThan(0);
      const ref = golden.full_loss;
      const refGrad = ref.grad_wrt_rgb_pixels;
      const out = tf.tidy(() => {
        const rgb = tf.tensor4d(Float32Array.from(readRgb('tubingen').data), [1, 224, 224, 3]);
        const contentTarget = acts.tubingen[CONTENT_LAYER];
        const losses = new Map<number, PointLoss>();
        losses.set(resolveLayer(CONTENT_LAYER).index, (a) => contentLoss(a, contentTarget, ref.content_weight, 'mean'));
        for (const keras of STYLE_LAYERS) {
          const target = gramMatrix(acts.starry_night[keras]);
          losses.set(resolveLayer(keras).index, (a) => styleLoss(a, target, ref.style_weight, 'mean'));
        }
        const { values, grad } = lossAndGradient(model, rgb, losses, 'max', kernels);
        // TV acts on the image itself, outside the network: add its value and gradient.
        const tv = tvLoss(rgb, ref.tv_weight);
        // `values` come in forward order of the loss points: relu1_1, relu2_1, relu3_1, relu4_1, relu4_2, relu5_1.
        const order = [...losses.keys()].sort((a, b) => a - b);
        const contentValue = values[order.indexOf(resolveLayer(CONTENT_LAYER).index)];
        const styleValues = values.filter((v) => v !== contentValue);
        return {
          n: values.length,
          content: contentValue.dataSync()[0],
          style: tf.addN(styleValues).dataSync()[0],
          tv: tv.value.dataSync()[0],
          total: tf.add(tf.addN(values), tv.value).dataSync()[0],
          grad: tf.add(grad, tv.grad).dataSync() as Float32Array,
        };
      });
      prepared?.dispose();
      // Nothing allocated inside the tidy survives it, and the prepared weights are freed.
      expect(tf.memory().numTensors).toBe(before);
      expect(out.n).toBe(6);
      expect(out.grad.length).toBe(224 * 224 * 3);

      // x = content image: the content term is 0 up to float32 noise of two identical forward passes.
      expect(Math.abs(out.content)).toBeLessThanOrEqual(1e-6 * ref.style_term);
      close(`full loss: terms (tf.sum)${variant === 'Winograd' ? ' (Winograd)' : ''}`, 'style_term ×100', out.style, ref.style_weight * ref.style_term, 2e-3);
      close('full loss: terms (tf.sum)', 'tv_term ×0.001', out.tv, ref.tv_weight * ref.tv_term, 2e-3);
      close(`full loss: value (tf.sum)${variant === 'Winograd' ? ' (Winograd)' : ''}`, 'loss', out.total, ref.loss, 2e-3);

      // Gradient summaries in JS doubles. rtol 1e-3 rather than 1e-4: a float32 backward pass differs from the
      // float64 reference by ~5.6e-4 in relative L2 and by up to 3.8e-3·max|g| in single entries (README, the
      // float32-vs-float64 run), concentrated in a few pixels where float32 rounding flips a ReLU or max-pool
      // tie. The summaries land far closer (README measured ≤ 1.3e-6 on wasm), but `max_abs` and the samples are
      // single entries that could sit on such a pixel; any real mistake (missing term, factor 2, unflipped kernel,
      // RGB/BGR swap) moves them by ≫ 1e-3.
      let l2 = 0;
      let maxAbs = 0;
      let sum = 0;
      for (const v of out.grad) {
        l2 += v * v;
        sum += v;
        if (Math.abs(v) > maxAbs) maxAbs = Math.abs(v);
      }
      const suffix = variant === 'Winograd' ? ' (Winograd)' : '';
      close(`gradient l2_norm${suffix}`, 'grad', Math.sqrt(l2), refGrad.l2_norm, 1e-3);
      close(`gradient max_abs${suffix}`, 'grad', maxAbs, refGrad.max_abs, 1e-3);
      close(`gradient sum${suffix}`, 'grad', sum, refGrad.sum, 1e-3);
      for (const p of refGrad.positions) {
        close(`gradient at positions${suffix}`, `[${p.y},${p.x},${p.c}]`, out.grad[(p.y * 224 + p.x) * 3 + p.c], p.value, 1e-3);
      }
    });
  }
});

describe('lossAndGradient across calls', () => {
  it('gives the same gradient on a second call, and leaves the tensor count unchanged', async () => {
    const model = await loadVgg19({ weights: inject('uint8WeightsDir') });
    try {
      const rgb = tf.tidy(() => tf.mul(tf.randomUniform([1, 48, 48, 3], 0, 1, 'float32', 7), 255) as tf.Tensor4D);
      const target = tf.tidy(() => tf.mul(tf.ones([128, 128]), 10) as tf.Tensor2D);
      const idx = resolveLayer('relu2_1').index;
      const run = (): Float32Array =>
        tf.tidy(() => lossAndGradient(model, rgb, new Map<number, PointLoss>([[idx, (a) => styleLoss(a, target, 1)]]), 'max').grad.dataSync() as Float32Array);
      // The flipped kernels the backward pass uses belong to the model and must survive the caller's tidy.
      const n0 = tf.memory().numTensors;
      const g1 = run();
      expect(tf.memory().numTensors).toBe(n0);
      const g2 = run();
      expect(tf.memory().numTensors).toBe(n0);
      expect(g2).toEqual(g1);
      expect(g1.some((v) => v !== 0)).toBe(true);
      tf.dispose([rgb, target]);
    } finally {
      model.dispose();
    }
  });
});

describe('default package weights (exact float32 for block1–3)', () => {
  it('per-layer mean and std within 1% of the uint8 reference', async () => {
    // The package's weights/ use the exact float32 Keras weights for block1–3 where the reference used their
    // uint8 quantisation (kernel error up to ~0.0003–0.0024 absolute, a few % of each kernel's spread): the
    // activations legitimately move by ~1e-3 relative (measured ≤ 3.6e-3 on mean/std), so 1% is the bound here.
    const before = tf.memory().numTensors;
    const model = await loadVgg19({ weights: REPO_WEIGHTS });
    const feats = await extractFeatures(model, readRgb('tubingen'), KERAS_LAYERS);
    try {
      for (const keras of KERAS_LAYERS) {
        const g = golden.layers[keras];
        const { mean, std } = meanStd(feats[keras].dataSync() as Float32Array);
        close('default weights: layer mean', keras, mean, g.mean, 1e-2);
        close('default weights: layer std', keras, std, g.std, 1e-2);
      }
    } finally {
      tf.dispose(Object.values(feats));
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
