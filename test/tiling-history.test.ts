/**
 * The L-BFGS history kept on the host (Float32Arrays, for images whose history the backend cannot hold), and the
 * whole optimiser state on the host (a Float32Array objective), give the same optimisation as the device's, and
 * leak no tensor.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ready } from '../src/adapters/node.js';
import { lbfgs, type Objective } from '../src/core.js';

let c: tf.Tensor1D; // curvatures 1 … 961
beforeAll(async () => {
  await ready();
  c = tf.tensor1d(Array.from({ length: n }, (_, i) => 1 + i * i * 0.4));
});
afterAll(() => c?.dispose());

/** A badly conditioned quadratic  in 50 dimensions plus a quartic term: ½Σ cᵢxᵢ² + ¼Σ xᵢ⁴ − Σ xᵢ. */
const n = 50;
const objective: Objective = async (x, direction) => {
  const { f, g, gtd } = tf.tidy(() => {
    const f = tf.sub(tf.add(tf.mul(0.5, tf.sum(tf.mul(c, tf.square(x)))), tf.mul(0.25, tf.sum(tf.pow(x, 4)))), tf.sum(x));
    const g = tf.sub(tf.add(tf.mul(c, x), tf.pow(x, 3)), 1);
    return { f, g, gtd: direction ? tf.sum(tf.mul(g, direction)) : tf.scalar(0) };
  });
  const [loss, d] = [(await f.data())[0], (await gtd.data())[0]];
  tf.dispose([f, gtd]);
  return { loss, parts: [loss], grad: g, gtd: direction ? d : undefined };
};

/** The same function of Float32Arrays, in JS. */
const hostObjective: Objective<Float32Array> = async (x, direction) => {
  const cs = c.dataSync();
  let loss = 0;
  const grad = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    loss += 0.5 * cs[i] * x[i] ** 2 + 0.25 * x[i] ** 4 - x[i];
    grad[i] = cs[i] * x[i] + x[i] ** 3 - 1;
  }
  const gtd = direction ? grad.reduce((a, g, i) => a + g * direction[i], 0) : undefined;
  return { loss, parts: [loss], grad, gtd };
};

async function hostTrajectory(): Promise<{ losses: number[]; x: ArrayLike<number>; curvatures: number[] }> {
  const losses: number[] = [];
  const curvatures: number[] = [];
  let x: ArrayLike<number> = [];
  for await (const step of lbfgs(hostObjective, new Float32Array(n).fill(2), 25, { historySize: 5, toleranceChange: 0, toleranceGrad: 0 })) {
    losses.push(step.evaluation.loss);
    curvatures.push(step.curvature ?? 0);
    x = step.x.slice();
  }
  return { losses, x, curvatures };
}

async function trajectory(historyOn: 'device' | 'host'): Promise<{ losses: number[]; x: ArrayLike<number> }> {
  const x0 = tf.fill([n], 2);
  const losses: number[] = [];
  let x: ArrayLike<number> = [];
  for await (const step of lbfgs(objective, x0, 25, { historySize: 5, historyOn, toleranceChange: 0, toleranceGrad: 0 })) {
    losses.push(step.evaluation.loss);
    x = await step.x.data();
  }
  x0.dispose();
  return { losses, x };
}

describe('lbfgs historyOn: "host"', () => {
  it('follows the device history’s iterates (history shorter than the run) and leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const device = await trajectory('device');
    const host = await trajectory('host');
    expect(tf.memory().numTensors).toBe(before);
    expect(host.losses.length).toBe(device.losses.length);
    host.losses.forEach((l, i) => expect(Math.abs(l - device.losses[i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(device.losses[i]))));
    for (let i = 0; i < n; i++) expect(Math.abs(host.x[i] - device.x[i])).toBeLessThan(1e-4);
    expect(device.losses.at(-1)!).toBeLessThan(device.losses[0]);
  });
});

describe('lbfgs on Float32Arrays (the optimiser state in JS memory)', () => {
  it('follows the device’s iterates, with no tensor made', async () => {
    const device = await trajectory('device');
    const before = tf.memory().numTensors;
    const host = await hostTrajectory();
    expect(tf.memory().numTensors).toBe(before);
    expect(host.losses.length).toBe(device.losses.length);
    host.losses.forEach((l, i) => expect(Math.abs(l - device.losses[i])).toBeLessThan(1e-4 * Math.max(1, Math.abs(device.losses[i]))));
    for (let i = 0; i < n; i++) expect(Math.abs(host.x[i] - device.x[i])).toBeLessThan(1e-4);
    expect(host.curvatures.at(-1)!).toBeGreaterThan(0);
  });
});
