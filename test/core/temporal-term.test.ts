/**
 * The temporal term (Ruder et al.): value (1/D)·Σ_k Σ c_k(x − ω_k)² and gradient 2·Σ_k c_k(x − ω_k)/D, D = H·W·3,
 * times the weight, against that formula computed in float64 in JS; the host form equals the tensor form; through
 * `runLoss` it is the image term after TV, and the loss is 0 with its gradient 0 where every c is 0.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ready } from '../../src/adapters/node.js';
import { temporalTerm, type TemporalTarget } from '../../src/core/losses.js';
import { mulberry32 } from '../../src/image/noise.js';

const [h, w] = [5, 7];
const rand = mulberry32(7);
const values = (n: number, scale: number) => Float32Array.from({ length: n }, () => rand() * scale);

function setup() {
  const x = values(h * w * 3, 255);
  const frames = [0, 1].map(() => ({ warped: values(h * w * 3, 255), c: Float32Array.from(values(h * w, 1), (v, i) => (i % 4 === 0 ? 0 : v)) }));
  return { x, frames };
}

/** The formula, in float64. */
function expected(x: Float32Array, frames: { warped: Float32Array; c: Float32Array }[], weight: number) {
  const d = h * w * 3;
  let value = 0;
  const grad = new Float64Array(x.length);
  for (const { warped, c } of frames) {
    for (let i = 0; i < x.length; i++) {
      const diff = x[i] - warped[i];
      const ci = c[Math.floor(i / 3)];
      value += ci * diff * diff;
      grad[i] += (2 * ci * diff) / d;
    }
  }
  return { value: (weight * value) / d, grad: grad.map((g) => g * weight) };
}

describe('temporalTerm', () => {
  it('is weight · (1/D) Σ c (x − ω)² over the frames, with gradient weight · 2c(x − ω)/D', async () => {
    await ready();
    const { x, frames } = setup();
    const before = tf.memory().numTensors;
    const targets: TemporalTarget[] = frames.map((f) => ({ warped: tf.tensor4d(f.warped, [1, h, w, 3]), weights: tf.tensor4d(f.c, [1, h, w, 1]) }));
    const term = temporalTerm(targets, 1e3);
    const xt = tf.tensor4d(x, [1, h, w, 3]);
    const r = term.evaluate(xt);
    const want = expected(x, frames, 1e3);
    const value = (await r.value.data())[0];
    const grad = await r.grad.data();
    expect(value).toBeGreaterThan(1000);
    expect(Math.abs(value - want.value) / want.value).toBeLessThan(1e-5);
    const scale = Math.max(...want.grad.map(Math.abs));
    for (let i = 0; i < grad.length; i++) expect(Math.abs(grad[i] - want.grad[i])).toBeLessThan(1e-5 * scale);
    // Pixels with c = 0 (every fourth) get no gradient.
    expect(grad[0]).toBe(0);
    const host = term.evaluateHost(x, h, w);
    expect(Math.abs(host.value - want.value) / want.value).toBeLessThan(1e-9);
    for (let i = 0; i < grad.length; i++) expect(Math.abs(host.grad[i] - want.grad[i])).toBeLessThan(1e-5 * scale);
    tf.dispose([r.value, r.grad, xt, ...targets.flatMap((t) => [t.warped, t.weights])]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('is 0 with a zero gradient where the image equals the warped frame or c is 0', async () => {
    await ready();
    const x = values(h * w * 3, 255);
    const before = tf.memory().numTensors;
    const xt = tf.tensor4d(x, [1, h, w, 3]);
    const targets = [
      { warped: xt, weights: tf.ones([1, h, w, 1]) as tf.Tensor4D },
      { warped: tf.zeros([1, h, w, 3]) as tf.Tensor4D, weights: tf.zeros([1, h, w, 1]) as tf.Tensor4D },
    ];
    const r = temporalTerm(targets, 1e3).evaluate(xt);
    expect((await r.value.data())[0]).toBe(0);
    expect(Math.max(...Array.from(await r.grad.data(), Math.abs))).toBe(0);
    tf.dispose([r.value, r.grad, xt, targets[0].weights, targets[1].warped, targets[1].weights]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
