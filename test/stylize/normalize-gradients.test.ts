/**
 * `normalizeGradients` (src/stylize/normalize-gradients.ts) with the real VGG-19 weights:
 * - `true` is the gradient of a loss: after the scale's first evaluation fixes the factors, the objective's
 *   directional derivative ⟨g, d⟩ matches the central difference of its value (relative error < 1e-3, measured 1e-4: float32 VGG
 *   passes, ε = 0.25 in 0–255 units); `'per-evaluation'` does not (off by orders of magnitude, which is why L-BFGS
 *   refuses it);
 * - the factors stay fixed: each term's value is its plain value times the same factor at any point;
 * - a term's weight (`PointTerm.weight`) is kept: each term's activation gradient starts the scale at that L1 norm
 *   (jcjohnson's normalised gradient times the strength), and the loss is the same with every weight scaled by k
 *   but for that factor k (so `styleWeight` still sets the balance against TV);
 * - `'per-evaluation'` with L-BFGS is INVALID_OPTION naming the fix; with Adam, and `true` with L-BFGS, runs lower the
 *   loss and leave no tensor behind.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVgg19, ready, resolveLayer, stylize, StyleTransferError, type Vgg19 } from '../../src/adapters/node.js';
import { gramMatrix } from '../../src/core/gram.js';
import { lossPoints, wholeImageLoss, type LossSpec } from '../../src/core/loss-spec.js';
import { contentTerm, styleTerm, tvTerm } from '../../src/core/losses.js';
import { forward, planPass, preprocess } from '../../src/core/network.js';
import { activeKernels } from '../../src/kernels/index.js';
import { mulberry32 } from '../../src/image/noise.js';
import { makeObjective } from '../../src/stylize/objective.js';
import { gradientScaling } from '../../src/stylize/normalize-gradients.js';
import { loadImage, type RgbPixels } from '../helpers/images.js';
import { synthetic } from '../helpers/synthetic.js';

let model: Vgg19;
let loss: LossSpec;
let freeTargets: () => void;
let content: RgbPixels;
let contentImage: tf.Tensor4D;
let starry: RgbPixels;
const [h, w] = [32, 32];

beforeAll(async () => {
  await ready();
  model = await loadVgg19();
  content = loadImage('tubingen', 48);
  starry = loadImage('starry_night', 48);
  const c = tf.tensor4d(synthetic('content', h, w), [1, h, w, 3]);
  const s = tf.tensor4d(synthetic('style', 32, 32), [1, 32, 32, 3]);
  const [cp, s1, s2] = [resolveLayer('relu2_1'), resolveLayer('relu1_1'), resolveLayer('relu2_1')];
  const [ci, si] = [preprocess(c), preprocess(s)];
  const ca = await forward(model, ci, [cp], 'max');
  const sa = await forward(model, si, [s1, s2], 'max');
  const g1 = gramMatrix(sa.get(s1.name)!);
  const g2 = gramMatrix(sa.get(s2.name)!);
  contentImage = tf.keep(c);
  tf.dispose([s, ci, si, ...sa.values()]);
  loss = { points: [{ point: cp, term: contentTerm(ca.get(cp.name)!, 5) }, { point: s1, term: styleTerm(g1, 100) }, { point: s2, term: styleTerm(g2, 100) }], image: [tvTerm(1e-3)] };
  freeTargets = () => tf.dispose([...ca.values(), g1, g2, contentImage]);
});
afterAll(() => {
  freeTargets?.();
  model?.dispose();
});

function objective(mode: boolean | 'per-evaluation') {
  const pass = planPass({ pooling: 'max', losses: lossPoints(loss) });
  return makeObjective(model, loss, { pass, tappedPass: pass, kernels: activeKernels(), normalizeGradients: mode, iteration: () => 1 });
}

/** |⟨g, d⟩ − central difference| / |central difference| of `mode`'s objective at x along d, after a first evaluation at x0. */
async function derivativeError(mode: boolean | 'per-evaluation', x0: tf.Tensor4D, x: tf.Tensor4D, d: tf.Tensor4D, eps: number): Promise<number> {
  const f = objective(mode);
  const first = await f(x0);
  (first.grad as tf.Tensor).dispose();
  const at = await f(x);
  const gd = tf.tidy(() => tf.sum(tf.mul(at.grad as tf.Tensor, d)));
  const analytic = (await gd.data())[0];
  tf.dispose([gd, at.grad as tf.Tensor]);
  const value = async (sign: number) => {
    const y = tf.tidy(() => tf.add(x, tf.mul(d, sign * eps)) as tf.Tensor4D);
    const r = await f(y);
    tf.dispose([y, r.grad as tf.Tensor]);
    return r.loss;
  };
  const fd = ((await value(1)) - (await value(-1))) / (2 * eps);
  const error = Math.abs(analytic - fd) / Math.abs(fd);
  console.log(`normalizeGradients ${mode}: |<g,d> - central difference| / |central difference| = ${error.toExponential(2)}`);
  return error;
}

describe('normalizeGradients', () => {
  it("true is the gradient of a fixed loss; 'per-evaluation' is not", async () => {
    const before = tf.memory().numTensors;
    const x0 = tf.tensor4d(synthetic('image', h, w), [1, h, w, 3]);
    const rand = mulberry32(7);
    const d = tf.tensor4d(Float32Array.from({ length: h * w * 3 }, () => rand() - 0.5), [1, h, w, 3]);
    // A point other than the one that fixed the factors.
    const x = tf.tidy(() => tf.add(x0, tf.mul(d, 20)) as tf.Tensor4D);
    expect(await derivativeError(true, x0, x, d, 0.25)).toBeLessThan(1e-3);
    expect(await derivativeError('per-evaluation', x0, x, d, 0.25)).toBeGreaterThan(0.5);

    // Fixed factors: each term's normalised value over its plain value is the same at x0 and x.
    const plain = objective(false);
    const norm = objective(true);
    const ratios: number[][] = [];
    for (const at of [x0, x]) {
      const [p, n] = [await plain(at), await norm(at)];
      tf.dispose([p.grad as tf.Tensor, n.grad as tf.Tensor]);
      ratios.push(Array.from(n.parts.slice(0, 3), (v, i) => v / p.parts[i]));
      expect(n.parts[3]).toBeCloseTo(p.parts[3], 3); // TV is an image term: not scaled
    }
    ratios[1].forEach((r, i) => expect(Math.abs(r - ratios[0][i]) / ratios[0][i]).toBeLessThan(1e-5));
    tf.dispose([x0, x, d]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a term with a zero gradient at the first evaluation (the content term of a run started from the content) takes the geometric mean of the other factors', async () => {
    const before = tf.memory().numTensors;
    const rand = mulberry32(11);
    const d = tf.tensor4d(Float32Array.from({ length: h * w * 3 }, () => rand() - 0.5), [1, h, w, 3]);
    const x = tf.tidy(() => tf.add(contentImage, tf.mul(d, 20)) as tf.Tensor4D);
    const norm = objective(true);
    const plain = objective(false);
    const first = await norm(contentImage);
    expect(first.parts[0]).toBe(0); // the content term: 0 whatever its factor
    const [n, p] = [await norm(x), await plain(x)];
    tf.dispose([first.grad as tf.Tensor, n.grad as tf.Tensor, p.grad as tf.Tensor]);
    const [content, ...style] = [0, 1, 2].map((i) => n.parts[i] / p.parts[i]);
    const mean = Math.sqrt(style[0] * style[1]);
    expect(Math.abs(content - mean) / mean).toBeLessThan(1e-4);
    // Still the gradient of one fixed loss.
    expect(await derivativeError(true, contentImage, x, d, 0.25)).toBeLessThan(1e-3);
    tf.dispose([x, d]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keeps each term\'s weight: it starts the scale with an activation gradient of that L1 norm', async () => {
    const before = tf.memory().numTensors;
    const x = tf.tensor4d(synthetic('image', h, w), [1, h, w, 3]);
    const pass = planPass({ pooling: 'max', losses: lossPoints(loss) });
    const weights = [5, 100, 100];
    const objectiveWith = (k: number | undefined) =>
      makeObjective(model, { ...loss, points: loss.points.map((p, i) => ({ ...p, weight: k === undefined ? undefined : k * weights[i] })) }, { pass, tappedPass: pass, kernels: activeKernels(), normalizeGradients: true, iteration: () => 1 });
    const parts: number[][] = [];
    for (const k of [undefined, 1, 3]) {
      const r = await objectiveWith(k)(x);
      (r.grad as tf.Tensor).dispose();
      parts.push(Array.from(r.parts.slice(0, 3)));
    }
    // Without weights every term starts at unit L1 norm; with them, at its weight: each value scales by it (the
    // terms' losses are their weights times quadratic forms, so the factor is exactly the weight's ratio).
    parts[1].forEach((v, i) => expect(Math.abs(v / parts[0][i] - weights[i]) / weights[i]).toBeLessThan(1e-4));
    parts[2].forEach((v, i) => expect(Math.abs(v / parts[1][i] - 3) / 3).toBeLessThan(1e-4));
    // And that L1 norm is the activation gradient's: the style term's at relu1_1, as a PointLoss hands it back.
    const input = preprocess(x);
    const acts = await forward(model, input, [resolveLayer('relu1_1')], 'max');
    const act = acts.get('relu1_1')!;
    input.dispose();
    const scaling = gradientScaling(true, 1);
    const wrapped = scaling.wrap(wholeImageLoss(loss.points[1].term), 0, 100);
    const r = tf.tidy(() => wrapped(act));
    const l1 = tf.tidy(() => tf.sum(tf.abs(r.grad)));
    expect(Math.abs((await l1.data())[0] - 100) / 100).toBeLessThan(1e-4);
    tf.dispose([r.value, r.grad, l1, ...acts.values(), x]);
    await scaling.settle();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("'per-evaluation' with L-BFGS is refused; with Adam, and true with L-BFGS, runs lower the loss", async () => {
    const before = tf.memory().numTensors;
    const base = { content, style: starry, model, size: 32, iterations: 4 };
    const e = await stylize({ ...base, normalizeGradients: 'per-evaluation' }).then(
      (r) => r.dispose(),
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(StyleTransferError);
    expect((e as StyleTransferError).code).toBe('INVALID_OPTION');
    expect((e as StyleTransferError).message).toMatch(/not the gradient of any loss.*normalizeGradients: true.*optimizer: 'adam'/);
    for (const opts of [{ normalizeGradients: true }, { normalizeGradients: 'per-evaluation', optimizer: 'adam', learningRate: 5 }] as const) {
      const r = await stylize({ ...base, ...opts });
      const [start, end] = [r.history[0].loss.total, r.history[r.history.length - 1].loss.total];
      expect(end).toBeLessThan(start);
      // With `true` the run really moves (measured 0.45x over 4 iterations): a content factor of 1/ε, fixed where
      // the run starts (the content image, so a zero content gradient), once held it at 1.000x.
      if (opts.normalizeGradients === true) expect(end).toBeLessThan(0.8 * start);
      r.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
