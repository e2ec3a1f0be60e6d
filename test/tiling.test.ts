/**
 * Tiled evaluation: the geometry (alignment, exact halo, interiors that cover every position once), and the tiled
 * loss and gradient against the whole image's on synthetic pictures made here — equal to ~1e-5 with the exact
 * halo, close with a smaller one — with no tensor left behind.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVgg19, ready, resolveLayer, type Vgg19 } from '../src/adapters/node.js';
import { gramMatrix } from '../src/core/gram.js';
import { activeKernels } from '../src/kernels/index.js';
import { contentLoss, contentTerm, styleLoss, styleTerm } from '../src/core/losses.js';
import { lossPoints, type LossSpec } from '../src/core/loss-spec.js';
import { activationShape, forward, lossPass, planPass, preprocess, type PointLoss } from '../src/core/network.js';
import { tiledLossAndGradient, tiledLossAndGradientHost } from '../src/stylize/tiling/evaluate.js';
import { edgeReach, exactHalo, forwardHalo, interiorAt, tileLayout, withHalo } from '../src/stylize/tiling/layout.js';
import { synthetic } from './helpers/synthetic.js';

let model: Vgg19;
beforeAll(async () => {
  await ready();
  model = await loadVgg19();
});
afterAll(() => model?.dispose());

const P = (n: string) => resolveLayer(n);

describe('tileLayout', () => {
  it('gives the exact halo from each loss point’s reach (160 px to relu5_1, 80 px to relu4_2)', () => {
    expect(edgeReach(P('relu5_1'))).toBe(5);
    expect(edgeReach(P('relu4_2'))).toBe(5);
    expect(exactHalo([P('relu1_1'), P('relu5_1'), P('relu4_2')], 16)).toBe(160);
    expect(exactHalo([P('relu4_2')], 8)).toBe(80);
    expect(exactHalo([P('relu3_1')], 4)).toBe(24);
    // The forward-only passes need half: the interior's own activations, not what they influence.
    expect(forwardHalo([P('relu1_1'), P('relu5_1'), P('relu4_2')], 16)).toBe(80);
    expect(forwardHalo([P('relu3_1')], 4)).toBe(12);
    const L = tileLayout({ height: 2048, width: 2048, lossPoints: [P('relu1_1'), P('relu5_1')], tileSize: 512 });
    expect([L.halo, L.forwardHalo]).toEqual([160, 80]);
    expect(tileLayout({ height: 2048, width: 2048, lossPoints: [P('relu5_1')], tileSize: 512, halo: 32 }).forwardHalo).toBe(32);
  });

  it('cuts every axis into aligned interiors that cover each position of every point exactly once (with either halo)', () => {
    const points = [P('relu1_1'), P('relu3_1'), P('relu4_1')];
    for (const [h, w, size] of [[200, 136, 48], [97, 131, 40], [64, 64, 64]] as const) {
      const L = tileLayout({ height: h, width: w, lossPoints: points, tileSize: size });
      expect(L.align).toBe(8);
      expect(L.tileSize % 8).toBe(0);
      for (const p of points) {
        const [, ph, pw] = activationShape(p, h, w);
        const seen = new Uint8Array(ph * pw);
        // The gradient pass's crops and the forward passes' smaller ones (same interiors).
        for (const t of [...L.tiles, ...L.tiles.map((t) => withHalo(t, L.forwardHalo, L))]) {
          const [, ch, cw] = activationShape(p, t.y.cropEnd - t.y.cropStart, t.x.cropEnd - t.x.cropStart);
          const r = interiorAt(t, p.stride, ch, cw);
          for (let y = 0; y < r.rows; y++) for (let x = 0; x < r.cols; x++) seen[(t.y.cropStart / p.stride + r.top + y) * pw + t.x.cropStart / p.stride + r.left + x]++;
        }
        expect([...seen].every((c) => c === 2)).toBe(true);
      }
    }
  });
});

/**
 * Whole-image loss and gradient of the same spec's terms through the public per-point losses (`contentLoss`,
 * `styleLoss`: the terms on one tile covering the image) in one `lossPass`, several terms at a point allowed.
 */
function untiled(t: Awaited<ReturnType<typeof targets>>, x: tf.Tensor4D) {
  const losses = new Map<number, PointLoss[]>();
  const add = (i: number, l: PointLoss) => losses.set(i, [...(losses.get(i) ?? []), l]);
  for (const c of t.content) add(c.point.index, (a) => contentLoss(a, c.target, c.weight, 'mean'));
  for (const s of t.style) add(s.point.index, (a) => styleLoss(a, s.target, s.weight, 'mean'));
  const plan = planPass({ pooling: t.spec.pooling, losses: lossPoints(t.spec.loss) });
  const r = lossPass(model, x, plan, losses, activeKernels());
  // Terms at a point come back in the order they were added: content first, then style.
  const taken = new Map<number, number>();
  const values = [...t.content, ...t.style].map((c) => {
    const k = taken.get(c.point.index) ?? 0;
    taken.set(c.point.index, k + 1);
    return r.values.get(c.point.index)![k];
  });
  return { values, grad: r.grad };
}

async function targets(contentPoints: string[], stylePoints: string[], h: number, w: number) {
  const contentImage = tf.tensor4d(synthetic('content', h, w), [1, h, w, 3]);
  const styleImage = tf.tensor4d(synthetic('style', 64, 64), [1, 64, 64, 3]);
  const ci = preprocess(contentImage);
  const ca = await forward(model, ci, contentPoints.map(P), 'max');
  const si = preprocess(styleImage);
  const sa = await forward(model, si, stylePoints.map(P), 'max');
  const content = contentPoints.map((n) => ({ point: P(n), target: ca.get(P(n).name)!, weight: 5 }));
  const style = stylePoints.map((n) => ({ point: P(n), target: gramMatrix(sa.get(P(n).name)!), weight: 100 }));
  const loss: LossSpec = {
    points: [
      ...content.map((c) => ({ point: c.point, term: contentTerm(c.target, c.weight, 'mean') })),
      ...style.map((s) => ({ point: s.point, term: styleTerm(s.target, s.weight, 'mean') })),
    ],
    image: [],
  };
  tf.dispose([contentImage, styleImage, ci, si, ...sa.values()]);
  return { spec: { pooling: 'max' as const, loss }, content, style, dispose: () => tf.dispose([...ca.values(), ...style.map((s) => s.target)]) };
}

/** The 'mean' content loss of `x` in float64. */
async function contentInFloat64(x: tf.Tensor4D, term: { point: ReturnType<typeof P>; target: tf.Tensor4D; weight: number }): Promise<number> {
  const input = preprocess(x);
  const acts = await forward(model, input, [term.point], 'max');
  const a = await acts.get(term.point.name)!.data();
  const b = await term.target.data();
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  tf.dispose([input, ...acts.values()]);
  return (sum * term.weight) / a.length;
}

const relErr = (a: Float32Array, b: Float32Array) => {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
};

describe('tiledLossAndGradient', () => {
  it('equals the whole image’s loss and gradient with the exact halo (96x80, tiles of 48) and leaks nothing', async () => {
    const [h, w] = [80, 96];
    const t = await targets(['relu2_2'], ['relu1_1', 'relu2_1', 'relu3_1'], h, w);
    const x = tf.tensor4d(synthetic('image', h, w), [1, h, w, 3]);
    const before = tf.memory().numTensors;
    const layout = tileLayout({ height: h, width: w, lossPoints: [P('relu2_2'), P('relu1_1'), P('relu2_1'), P('relu3_1')], tileSize: 48 });
    expect(layout.tiles.length).toBe(4);
    expect(layout.halo).toBe(24);
    const seen: number[] = [];
    const tiled = await tiledLossAndGradient(model, x, { ...t.spec, layout, kernels: activeKernels(), beforeTile: (tile, pass) => void seen.push(pass * 10 + tile.index) });
    expect(seen).toEqual([10, 11, 12, 13, 20, 21, 22, 23]);
    const whole = untiled(t, x);
    const tv = await Promise.all(tiled.values.map((v) => v.data()));
    const wv = await Promise.all(whole.values.map((v) => v.data()));
    // A content loss is one float32 sum over every position (here 245760 terms), whose rounding depends on the
    // order: the reference is the same sum in float64 on the host, which both must match.
    const reference = await contentInFloat64(x, t.content[0]);
    expect(Math.abs(tv[0][0] - reference) / reference).toBeLessThan(1e-5);
    expect(Math.abs(wv[0][0] - reference) / reference).toBeLessThan(1e-4);
    for (let i = 1; i < tv.length; i++) expect(Math.abs(tv[i][0] - wv[i][0]) / Math.abs(wv[i][0])).toBeLessThan(1e-5);
    expect(relErr((await tiled.grad.data()) as Float32Array, (await whole.grad.data()) as Float32Array)).toBeLessThan(1e-5);
    tf.dispose([...tiled.values, tiled.grad, ...whole.values, whole.grad]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(x);
    t.dispose();
  });

  it('on an image in JS memory (tiledLossAndGradientHost) gives the same loss and gradient as on a tensor', async () => {
    const [h, w] = [80, 96];
    const t = await targets(['relu2_2'], ['relu1_1', 'relu2_1', 'relu3_1'], h, w);
    const x = tf.tensor4d(synthetic('image', h, w), [1, h, w, 3]);
    const layout = tileLayout({ height: h, width: w, lossPoints: [P('relu2_2'), P('relu1_1'), P('relu2_1'), P('relu3_1')], tileSize: 48 });
    const spec = { ...t.spec, layout, kernels: activeKernels() };
    const device = await tiledLossAndGradient(model, x, spec);
    const before = tf.memory().numTensors;
    const host = await tiledLossAndGradientHost(model, (await x.data()) as Float32Array, spec);
    expect(tf.memory().numTensors).toBe(before + host.values.length);
    expect(host.grad).toBeInstanceOf(Float32Array);
    const dv = await Promise.all(device.values.map((v) => v.data()));
    const hv = await Promise.all(host.values.map((v) => v.data()));
    hv.forEach((v, i) => expect(v[0]).toBe(dv[i][0]));
    expect(relErr(host.grad, (await device.grad.data()) as Float32Array)).toBe(0);
    tf.dispose([...device.values, device.grad, ...host.values, x]);
    t.dispose();
  });

  it('with a halo below the exact one, the error is small and shrinks as the halo grows', async () => {
    const [h, w] = [96, 96];
    const t = await targets(['relu3_1'], ['relu1_1', 'relu2_1', 'relu3_1'], h, w);
    const x = tf.tensor4d(synthetic('image', h, w), [1, h, w, 3]);
    const whole = untiled(t, x);
    const wg = (await whole.grad.data()) as Float32Array;
    const errors: number[] = [];
    for (const halo of [8, 16, 24]) {
      const layout = tileLayout({ height: h, width: w, lossPoints: [P('relu1_1'), P('relu2_1'), P('relu3_1')], tileSize: 32, halo });
      const tiled = await tiledLossAndGradient(model, x, { ...t.spec, layout, kernels: activeKernels() });
      errors.push(relErr((await tiled.grad.data()) as Float32Array, wg));
      tf.dispose([...tiled.values, tiled.grad]);
    }
    expect(errors[2]).toBeLessThan(1e-5);
    expect(errors[0]).toBeGreaterThan(errors[1]);
    expect(errors[1]).toBeGreaterThan(errors[2]);
    expect(errors[0]).toBeLessThan(0.5);
    tf.dispose([...whole.values, whole.grad, x]);
    t.dispose();
  }, 300_000);
});
