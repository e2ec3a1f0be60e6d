/**
 * The run's objectives on one loss spec (src/stylize/objective.ts, tiling/objective.ts): whole-image, tiled on the
 * device and tiled in JS memory give the same parts; a non-finite total loss at a point the optimiser moves to is
 * refused with NON_FINITE_LOSS owning no tensor, while along a search direction (a line-search trial) it is returned.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVgg19, ready, resolveLayer, StyleTransferError, type Vgg19 } from '../src/adapters/node.js';
import { gramMatrix } from '../src/core/gram.js';
import type { LossSpec } from '../src/core/loss-spec.js';
import { lossPoints } from '../src/core/loss-spec.js';
import { contentTerm, styleTerm, temporalTerm, tvTerm } from '../src/core/losses.js';
import { forward, planPass, preprocess } from '../src/core/network.js';
import { activeKernels } from '../src/kernels/index.js';
import type { Objective } from '../src/optim/types.js';
import { makeObjective } from '../src/stylize/objective.js';
import { tileLayout } from '../src/stylize/tiling/layout.js';
import { makeHostTiledObjective, makeTiledObjective } from '../src/stylize/tiling/objective.js';
import { synthetic } from './helpers/synthetic.js';

let model: Vgg19;
let loss: LossSpec;
let freeTargets: () => void;
const [h, w] = [48, 64];

beforeAll(async () => {
  await ready();
  model = await loadVgg19();
  const content = tf.tensor4d(synthetic('content', h, w), [1, h, w, 3]);
  const style = tf.tensor4d(synthetic('style', 48, 48), [1, 48, 48, 3]);
  const [c, s] = [resolveLayer('relu2_1'), resolveLayer('relu1_1')];
  const ci = preprocess(content);
  const si = preprocess(style);
  const ca = await forward(model, ci, [c], 'max');
  const sa = await forward(model, si, [s], 'max');
  const gram = gramMatrix(sa.get(s.name)!);
  tf.dispose([content, style, ci, si, ...sa.values()]);
  // The temporal term (video): a previous frame, and weights c that are 0 in a band.
  const warped = tf.tensor4d(synthetic('previous', h, w), [1, h, w, 3]);
  const weights = tf.tidy(() => tf.cast(tf.greater(tf.randomUniform([1, h, w, 1], 0, 1, 'float32', 3), 0.2), 'float32')) as tf.Tensor4D;
  loss = {
    points: [{ point: c, term: contentTerm(ca.get(c.name)!, 5) }, { point: s, term: styleTerm(gram, 100) }],
    image: [tvTerm(1e-3), temporalTerm([{ warped, weights }], 10)],
  };
  freeTargets = () => tf.dispose([...ca.values(), gram, warped, weights]);
});
afterAll(() => {
  freeTargets?.();
  model?.dispose();
});

function objectives(): [string, Objective<tf.Tensor | Float32Array>, (x: tf.Tensor4D) => tf.Tensor | Float32Array][] {
  const pass = planPass({ pooling: 'max', losses: lossPoints(loss) });
  const kernels = activeKernels();
  const layout = tileLayout({ height: h, width: w, lossPoints: lossPoints(loss), tileSize: 32 });
  const tiled = { layout, pooling: 'max' as const, loss, kernels };
  return [
    ['whole', makeObjective(model, loss, { pass, tappedPass: pass, kernels, normalizeGradients: false, iteration: () => 1 }) as Objective<tf.Tensor | Float32Array>, (x) => x.clone()],
    ['tiled', makeTiledObjective(model, tiled) as Objective<tf.Tensor | Float32Array>, (x) => x.clone()],
    ['tiled, in JS memory', makeHostTiledObjective(model, tiled) as Objective<tf.Tensor | Float32Array>, (x) => x.dataSync() as Float32Array],
  ];
}

const dispose = (v: tf.Tensor | Float32Array) => void (v instanceof tf.Tensor && v.dispose());

describe('the run objectives on one loss spec', () => {
  it('whole, tiled and tiled in JS memory give the same parts (content, style, TV, temporal) and total', async () => {
    const x = tf.tensor4d(synthetic('image', h, w), [1, h, w, 3]);
    const results: number[][] = [];
    for (const [, objective, as] of objectives()) {
      const at = as(x);
      const ev = await objective(at);
      expect(ev.parts.length).toBe(4);
      expect(ev.loss).toBeCloseTo(Array.from(ev.parts).reduce((a, b) => a + b, 0), 0);
      results.push([ev.loss, ...ev.parts]);
      dispose(ev.grad);
      dispose(at);
    }
    for (const r of results.slice(1)) r.forEach((v, i) => expect(Math.abs(v - results[0][i]) / Math.abs(results[0][i])).toBeLessThan(1e-4));
    x.dispose();
  }, 120_000);

  it('a non-finite loss: NON_FINITE_LOSS with its parts and advice, no tensor left; along a direction it is returned', async () => {
    // Finite but huge pixels: the Grams overflow float32.
    const x = tf.fill([1, h, w, 3], 1e30) as tf.Tensor4D;
    const d = tf.onesLike(x);
    for (const [name, objective, as] of objectives()) {
      const at = as(x);
      const dir = as(d);
      const before = tf.memory().numTensors;
      const e = await objective(at).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e, name).toBeInstanceOf(StyleTransferError);
      const err = e as StyleTransferError;
      expect(err.code).toBe('NON_FINITE_LOSS');
      expect(err.message).toMatch(/loss became (NaN|Infinity)\. Lower the learning rate or the weights/);
      expect(Number.isFinite(err.details!.loss as number)).toBe(false);
      expect((err.details!.parts as number[]).length).toBe(4);
      expect(tf.memory().numTensors, name).toBe(before);
      // A line-search trial: the value comes back for the optimiser to reject.
      const trial = await objective(at, dir);
      expect(Number.isFinite(trial.loss)).toBe(false);
      dispose(trial.grad);
      expect(tf.memory().numTensors, name).toBe(before);
      dispose(at);
      dispose(dir);
    }
    tf.dispose([x, d]);
  }, 120_000);
});
