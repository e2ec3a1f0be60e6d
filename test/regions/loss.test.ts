/**
 * Styles by region, with known answers: the guided style term (Gatys et al. 2017) and the weighted content term
 * reduce to the plain terms for an all-ones mask, their gradients match finite differences, complementary masks
 * recover the whole image's Gram (area-weighted), tiled evaluation equals whole, and a run with one all-ones region
 * is the run without regions.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVgg19, ready, resolveLayer, createStylizer, type Vgg19, type Stylizer } from '../../src/adapters/node.js';
import { gramMatrix } from '../../src/core/gram.js';
import { lossPoints, wholeImageLoss, type ActivationTerm, type LossSpec } from '../../src/core/loss-spec.js';
import { contentTerm, styleTerm, tvTerm } from '../../src/core/losses.js';
import { forward, planPass, preprocess } from '../../src/core/network.js';
import { activeKernels } from '../../src/kernels/index.js';
import { guidedGram } from '../../src/regions/targets.js';
import { makeObjective } from '../../src/stylize/objective.js';
import { tileLayout } from '../../src/stylize/tiling/layout.js';
import { makeTiledObjective } from '../../src/stylize/tiling/objective.js';
import { synthetic } from '../helpers/synthetic.js';

let model: Vgg19;
beforeAll(async () => {
  await ready();
  model = await loadVgg19();
});
afterAll(() => model?.dispose());

/** Seeded values in [lo, hi). */
function seeded(shape: number[], seed: number, lo = 0, hi = 1): tf.Tensor {
  return tf.randomUniform(shape, lo, hi, 'float32', seed);
}

/** Value and activation gradient of a term on a whole activation. */
function evaluate(term: ActivationTerm, a: tf.Tensor4D): { value: number; grad: tf.Tensor4D } {
  const r = wholeImageLoss(term)(a);
  const value = r.value.dataSync()[0];
  r.value.dispose();
  return { value, grad: r.grad };
}

const relDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.norm(tf.sub(a, b)).dataSync()[0] / tf.norm(b).dataSync()[0]);

describe('the guided style term', () => {
  it('with an all-ones guide is the plain style term (value and gradient)', () => {
    const before = tf.memory().numTensors;
    const a = seeded([1, 6, 7, 8], 1) as tf.Tensor4D;
    const target = tf.tidy(() => gramMatrix(seeded([1, 5, 5, 8], 2) as tf.Tensor4D));
    const ones = tf.ones([1, 6, 7, 1]) as tf.Tensor4D;
    for (const norm of ['mean', 'paper'] as const) {
      const plain = evaluate(styleTerm(target, 3, norm), a);
      const guided = evaluate(styleTerm(target, 3, norm, activeKernels(), ones), a);
      expect(guided.value).toBeCloseTo(plain.value, 6);
      expect(relDiff(guided.grad, plain.grad)).toBeLessThan(1e-6);
      tf.dispose([plain.grad, guided.grad]);
    }
    tf.dispose([a, target, ones]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('complementary masks give the whole Gram back, area-weighted: Σ (E_r/N)·G_r = G', () => {
    const a = seeded([1, 8, 8, 6], 3) as tf.Tensor4D;
    const left = tf.tidy(() => tf.concat([tf.ones([1, 8, 3, 1]), tf.zeros([1, 8, 5, 1])], 2)) as tf.Tensor4D;
    const right = tf.tidy(() => tf.sub(1, left)) as tf.Tensor4D;
    const gram = (x: tf.Tensor2D) => tf.matMul(x, x, true, false) as tf.Tensor2D;
    const combined = tf.tidy(() => tf.add(tf.mul(guidedGram(a, left, gram), 24 / 64), tf.mul(guidedGram(a, right, gram), 40 / 64)));
    const whole = gramMatrix(a);
    expect(relDiff(combined, whole)).toBeLessThan(1e-6);
    tf.dispose([a, left, right, combined, whole]);
  });

  it('has the gradient of its value (central finite differences along random directions)', () => {
    const a = seeded([1, 5, 6, 4], 4, 0, 2) as tf.Tensor4D;
    const guide = seeded([1, 5, 6, 1], 5) as tf.Tensor4D; // soft
    const target = tf.tidy(() => gramMatrix(seeded([1, 4, 4, 4], 6, 0, 2) as tf.Tensor4D));
    const term = styleTerm(target, 10, 'mean', activeKernels(), guide);
    const { grad } = evaluate(term, a);
    for (let k = 0; k < 3; k++) {
      const v = seeded(a.shape, 10 + k, -1, 1) as tf.Tensor4D;
      const eps = 1e-2;
      const plus = tf.tidy(() => tf.add(a, tf.mul(v, eps))) as tf.Tensor4D;
      const minus = tf.tidy(() => tf.sub(a, tf.mul(v, eps))) as tf.Tensor4D;
      const [p, m] = [evaluate(term, plus), evaluate(term, minus)];
      const numeric = (p.value - m.value) / (2 * eps);
      const analytic = tf.tidy(() => tf.sum(tf.mul(grad, v)).dataSync()[0]);
      expect(Math.abs(numeric - analytic) / Math.abs(analytic)).toBeLessThan(2e-3);
      tf.dispose([v, plus, minus, p.grad, m.grad]);
    }
    tf.dispose([a, guide, target, grad]);
  });
});

describe('the weighted content term', () => {
  it('is the plain term with an all-ones map, and has the gradient of its value', () => {
    const a = seeded([1, 5, 6, 4], 7, 0, 3) as tf.Tensor4D;
    const target = seeded([1, 5, 6, 4], 8, 0, 3) as tf.Tensor4D;
    const ones = tf.ones([1, 5, 6, 1]) as tf.Tensor4D;
    const map = seeded([1, 5, 6, 1], 9) as tf.Tensor4D;
    const plain = evaluate(contentTerm(target, 2), a);
    const same = evaluate(contentTerm(target, 2, 'mean', ones), a);
    expect(same.value).toBeCloseTo(plain.value, 6);
    expect(relDiff(same.grad, plain.grad)).toBeLessThan(1e-6);
    const term = contentTerm(target, 2, 'mean', map);
    const { grad } = evaluate(term, a);
    const v = seeded(a.shape, 20, -1, 1) as tf.Tensor4D;
    const eps = 1e-2;
    const plus = tf.tidy(() => tf.add(a, tf.mul(v, eps))) as tf.Tensor4D;
    const minus = tf.tidy(() => tf.sub(a, tf.mul(v, eps))) as tf.Tensor4D;
    const [p, m] = [evaluate(term, plus), evaluate(term, minus)];
    const analytic = tf.tidy(() => tf.sum(tf.mul(grad, v)).dataSync()[0]);
    expect(Math.abs((p.value - m.value) / (2 * eps) - analytic) / Math.abs(analytic)).toBeLessThan(2e-3);
    tf.dispose([a, target, ones, map, plain.grad, same.grad, grad, v, plus, minus, p.grad, m.grad]);
  });
});

describe('regions under tiling', () => {
  it('a tiled evaluation with guided style and weighted content terms equals the whole one', async () => {
    const [h, w] = [48, 64];
    const [c, s] = [resolveLayer('relu2_1'), resolveLayer('relu1_1')];
    const content = tf.tensor4d(synthetic('content', h, w), [1, h, w, 3]);
    const style = tf.tensor4d(synthetic('style', 48, 48), [1, 48, 48, 3]);
    const ci = preprocess(content);
    const si = preprocess(style);
    const ca = await forward(model, ci, [c], 'max');
    const sa = await forward(model, si, [s], 'max');
    const gram = gramMatrix(sa.get(s.name)!);
    const guide = tf.tidy(() => tf.concat([tf.ones([1, h, 20, 1]), tf.fill([1, h, w - 20, 1], 0.25)], 2)) as tf.Tensor4D;
    const map = tf.tidy(() => tf.concat([tf.fill([1, h / 2, 16, 1], 0.5), tf.ones([1, h / 2, 16, 1])], 2)) as tf.Tensor4D; // at relu2_1's size
    const loss: LossSpec = {
      points: [{ point: c, term: contentTerm(ca.get(c.name)!, 5, 'mean', map) }, { point: s, term: styleTerm(gram, 100, 'mean', activeKernels(), guide) }],
      image: [tvTerm(1e-3)],
    };
    const pass = planPass({ pooling: 'max', losses: lossPoints(loss) });
    const kernels = activeKernels();
    const layout = tileLayout({ height: h, width: w, lossPoints: lossPoints(loss), tileSize: 32 });
    const x = tf.tensor4d(synthetic('image', h, w), [1, h, w, 3]);
    const whole = await makeObjective(model, loss, { pass, tappedPass: pass, kernels, normalizeGradients: false, iteration: () => 1 })(x);
    const tiled = await makeTiledObjective(model, { layout, pooling: 'max', loss, kernels })(x);
    Array.from(whole.parts).forEach((v, i) => expect(Math.abs(tiled.parts[i] - v) / Math.abs(v)).toBeLessThan(1e-4));
    expect(relDiff(tiled.grad as tf.Tensor, whole.grad as tf.Tensor)).toBeLessThan(1e-4);
    tf.dispose([content, style, ci, si, ...ca.values(), ...sa.values(), gram, guide, map, x, whole.grad as tf.Tensor, tiled.grad as tf.Tensor]);
  }, 120_000);
});

describe('stylize() with regions', () => {
  let stylizer: Stylizer;
  const [h, w] = [40, 48];
  const px = (name: string) => ({ data: synthetic(name, h, w), width: w, height: h, channels: 3 as const });
  beforeAll(async () => {
    stylizer = await createStylizer({ model, cacheSize: 0 }); // no style kept between calls: the tensor count is the call's alone
  });
  afterAll(() => stylizer?.dispose());

  it('one region covering everything is the run without regions', async () => {
    const before = tf.memory().numTensors;
    const o = { size: 48, iterations: 3, styleLayers: ['relu1_1', 'relu2_1'] };
    const plain = await stylizer.stylize(px('c'), px('s'), o);
    const full = { data: new Float32Array(h * w).fill(1), width: w, height: h };
    const region = await stylizer.stylize(px('c'), px('s'), { ...o, regions: [{ mask: full }] });
    expect(region.history.at(-1)!.loss.total).toBeCloseTo(plain.history.at(-1)!.loss.total, 0);
    expect(Math.abs(region.history.at(-1)!.loss.total - plain.history.at(-1)!.loss.total) / plain.history.at(-1)!.loss.total).toBeLessThan(1e-5);
    plain.dispose();
    region.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('two regions with two styles (one from a region of its image): per-layer losses, a warning where a region vanishes, nothing leaked', async () => {
    const before = tf.memory().numTensors;
    const left = new Float32Array(h * w);
    for (let y = 0; y < h; y++) for (let x = 0; x < 20; x++) left[y * w + x] = 1;
    const right = left.map((v) => 1 - v);
    const top = new Float32Array(h * w);
    top.fill(1, 0, (h / 2) * w);
    const r = await stylizer.stylize(px('c'), [px('a'), px('b')], {
      size: 48,
      iterations: 2,
      styleLayers: ['relu1_1', 'relu2_1', 'relu4_1'],
      regions: [
        { mask: { data: left, width: w, height: h }, styles: [0], name: 'sky' },
        { mask: { data: right, width: w, height: h }, styles: [{ style: 1, mask: { data: top, width: w, height: h } }], name: 'ground' },
      ],
    });
    expect(Object.keys(r.history.at(-1)!.loss.styleLayers).sort()).toEqual(['relu1_1', 'relu2_1', 'relu4_1'].filter((l) => r.history.at(-1)!.loss.styleLayers[l as 'relu1_1'] !== undefined).sort());
    expect(r.history.at(-1)!.loss.style).toBeGreaterThan(0);
    // At 48 px relu4_1 is 6x5: the 20 px 'sky' eroded by relu4_1's receptive field leaves nothing.
    expect(r.warnings.some((m) => /Region "sky" has no area left at relu4_1/.test(m))).toBe(true);
    r.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('runs when every region vanishes at the deepest style layer (no term there: the backward pass starts below it)', async () => {
    const before = tf.memory().numTensors;
    const left = new Float32Array(h * w);
    for (let y = 0; y < h; y++) for (let x = 0; x < w / 2; x++) left[y * w + x] = 1;
    const r = await stylizer.stylize(px('c'), [px('a'), px('b')], {
      size: 48,
      iterations: 1,
      styleLayers: ['relu1_1', 'relu5_1'],
      regions: [
        { mask: { data: left, width: w, height: h }, styles: [0], name: 'left' },
        { mask: { data: left.map((v) => 1 - v), width: w, height: h }, styles: [1], name: 'right' },
      ],
    });
    for (const name of ['left', 'right']) expect(r.warnings.some((m) => m.includes(`Region "${name}" has no area left at relu5_1`))).toBe(true);
    expect(Number.isFinite(r.history.at(-1)!.loss.total)).toBe(true);
    expect(r.history.at(-1)!.loss.style).toBeGreaterThan(0);
    r.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses bad regions with the field named', async () => {
    await expect(stylizer.stylize(px('c'), px('s'), { regions: [{ mask: px('m'), styles: [2] }] })).rejects.toMatchObject({ code: 'INVALID_OPTION', details: { field: 'regions[0].styles[0]' } });
    await expect(stylizer.stylize(px('c'), px('s'), { regions: [] })).rejects.toMatchObject({ code: 'INVALID_OPTION', details: { field: 'regions' } });
    await expect(stylizer.stylize(px('c'), px('s'), { uncovered: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTION', details: { field: 'uncovered' } });
    await expect(stylizer.stylize(px('c'), px('s'), { regions: [{ mask: { data: new Float32Array(4).fill(2), width: 2, height: 2 } }] })).rejects.toMatchObject({ code: 'INVALID_OPTION', details: { field: 'regions[0].mask.data[0]' } });
  });
});
