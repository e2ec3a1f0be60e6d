/**
 * Read-backs (GPU→CPU transfers, each a pipeline stall on WebGL/WebGPU) per iteration of the optimisation loop:
 * L-BFGS reads once per evaluation (the loss, its parts and the scalars it branches on, in one transfer) plus once
 * per iteration (the new direction's slope and size); Adam once per iteration. Counted at the engine (every
 * tensor read), on WASM; the browser numbers come from `npm run bench -- --gpu --software --readbacks`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lbfgs } from '../src/optim/lbfgs.js';
import type { Objective } from '../src/optim/types.js';
import { loadVgg19, ready, stylize, type Vgg19 } from '../src/adapters/node.js';
import { loadImage, type RgbPixels } from './helpers/images.js';

let model: Vgg19;
let content: RgbPixels;
let style: RgbPixels;
let reads = 0;

beforeAll(async () => {
  await ready();
  model = await loadVgg19();
  content = loadImage('tubingen', 48);
  style = loadImage('starry_night', 48);
  // At the engine: what tensors' data()/dataSync()/array() read. (Backend kernels also call the backend's readSync
  // themselves — WASM's concat of small tensors does — which is no transfer on WASM.)
  const b = tf.engine() as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const name of ['read', 'readSync']) {
    const f = b[name];
    b[name] = function (this: unknown, ...a: unknown[]) {
      reads++;
      return f.apply(this, a);
    };
  }
});
afterAll(() => model?.dispose());

/** Reads between the end of the first iteration and the end of the last, and the evaluations made meanwhile. */
async function loopReads(optimizer: 'lbfgs' | 'adam') {
  let from = 0;
  let evalsFrom = 0;
  const r = await stylize({
    model, content, style, size: 48, iterations: 5, optimizer, contentLayers: ['relu2_2'], styleLayers: ['relu1_1', 'relu2_1'],
    onIteration: (i) => {
      if (i.iteration === 1) [from, evalsFrom] = [reads, i.evaluations];
    },
  });
  const out = { reads: reads - from, iterations: r.iterations - 1, evaluations: r.evaluations - evalsFrom };
  r.dispose();
  return out;
}

describe('read-backs per iteration', () => {
  it('L-BFGS: one per evaluation and one per iteration (was three per iteration)', async () => {
    const n = await loopReads('lbfgs');
    expect(n.iterations).toBe(4);
    expect(n.reads).toBe(n.evaluations + n.iterations);
  });

  it('Adam: one per iteration', async () => {
    const n = await loopReads('adam');
    expect(n.reads).toBe(n.iterations);
  });

  it('L-BFGS takes the same steps whether the objective returns its extra scalars or they are read separately', async () => {
    // f(x) = ½ Σ aᵢ xᵢ² − bᵀx on 3 coordinates.
    const a = tf.tensor1d([1, 10, 100]);
    const b = tf.tensor1d([1, 2, 3]);
    const make = (honourExtra: boolean): Objective => async (x, d, extra) => {
      const [v, g] = tf.tidy(() => {
        const g = tf.sub(tf.mul(a, x), b);
        return [tf.stack([tf.sub(tf.mul(0.5, tf.sum(tf.mul(a, tf.square(x)))), tf.sum(tf.mul(b, x))), d ? tf.sum(tf.mul(g, d)) : tf.scalar(0), ...(honourExtra && extra ? extra(g) : [])]), g];
      });
      const values = Array.from(await v.data());
      v.dispose();
      return { loss: values[0], parts: [values[0]], grad: g, gtd: d ? values[1] : undefined, extra: honourExtra && extra ? values.slice(2) : undefined };
    };
    const run = async (honourExtra: boolean) => {
      const xs: number[][] = [];
      const x0 = tf.zeros([3]);
      for await (const s of lbfgs(make(honourExtra), x0, 6, { historySize: 3 })) xs.push(Array.from(await s.x.data()));
      x0.dispose();
      return xs;
    };
    const before = tf.memory().numTensors;
    const [withExtra, without] = [await run(true), await run(false)];
    expect(withExtra.length).toBeGreaterThan(1);
    withExtra.forEach((x, i) => x.forEach((v, j) => expect(v).toBeCloseTo(without[i][j], 5)));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b]);
  });
});
