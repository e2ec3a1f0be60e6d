/**
 * Winograd convolution (src/kernels/winograd.ts) against tf.conv2d: F(2,3) and F(4,3), forward (kernel + bias)
 * and backward (the flipped kernel, no bias), for every VGG-19 conv shape (Cin → Cout) at small sizes, including
 * sides that are not a multiple of the tile. Inputs and weights are random normals at VGG-like scales. Tolerance:
 * max |difference| / max |tf.conv2d| ≤ 1e-5 for F(2,3), ≤ 2e-5 for F(4,3) (F(4,3)'s transforms have
 * larger coefficients, so more float32 rounding).
 *
 * Also, through the kernels interface with the real weights: a whole loss pass (forward and backward through
 * conv1_1 … conv3_1) with Winograd forced on every layer equals the generic kernels' to 1e-4, the prepared weights
 * are freed by their handle (tensor count back where it started), and the memory estimate counts them.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ready, loadVgg19 } from '../src/adapters/node.js';
import { genericKernels, kernelsFor, wasmKernelsWith } from '../src/kernels/index.js';
import { lossPass, planPass } from '../src/core/network.js';
import { estimateMemory } from '../src/plan/estimate.js';
import { convUse } from '../src/plan/memory.js';
import { contentLoss } from '../src/core/losses.js';
import { resolveLayer } from '../src/core/layers.js';
import { transformWeights, winogradConv2d, winogradTensors, type WinogradTile } from '../src/kernels/winograd.js';
import { mulberry32 } from '../src/image/noise.js';

beforeAll(async () => {
  await ready();
});

function normals(shape: number[], seed: number, scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const rand = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-12))) * Math.cos(2 * Math.PI * rand());
  return tf.tensor(out, shape);
}

/** max |a − b| / max |b|. */
function relError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / tf.max(tf.abs(b)).dataSync()[0]);
}

// VGG-19's conv shapes (Cin → Cout), each once; backward runs them with Cin and Cout swapped.
const SHAPES: [number, number][] = [[3, 64], [64, 64], [64, 128], [128, 128], [128, 256], [256, 256], [256, 512], [512, 512]];
const TOL: Record<WinogradTile, number> = { 2: 1e-5, 4: 2e-5 };

describe('winogradConv2d equals tf.conv2d', () => {
  for (const tile of [2, 4] as const) {
    for (const [cin, cout] of SHAPES) {
      for (const direction of ['forward', 'backward'] as const) {
        it(`F(${tile},3) ${direction} ${direction === 'forward' ? cin : cout} → ${direction === 'forward' ? cout : cin}`, () => {
          const [i, o] = direction === 'forward' ? [cin, cout] : [cout, cin];
          const side = cin >= 256 ? 9 : 14; // odd / not a multiple of 4: exercises the edge padding
          const x = normals([1, side, side + 3, i], 1 + i, 10) as tf.Tensor4D;
          const kernel = normals([3, 3, i, o], 2 + o, Math.sqrt(2 / (9 * i))) as tf.Tensor4D;
          const bias = direction === 'forward' ? (normals([o], 3, 1) as tf.Tensor1D) : undefined;
          const before = tf.memory().numTensors;
          const w = transformWeights(kernel, tile);
          const got = winogradConv2d(x, w, bias);
          const want = tf.tidy(() => (bias ? tf.add(tf.conv2d(x, kernel, 1, 'same'), bias) : tf.conv2d(x, kernel, 1, 'same')));
          expect(got.shape).toEqual(want.shape);
          expect(relError(got, want)).toBeLessThanOrEqual(TOL[tile]);
          tf.dispose([got, want, ...winogradTensors(w)]);
          expect(tf.memory().numTensors).toBe(before);
          tf.dispose([x, kernel, bias]);
        });
      }
    }
  }
});

describe('the WASM kernels with Winograd', () => {
  it('a loss pass with Winograd on every conv equals the generic one, and the prepared weights are freed', async () => {
    const model = await loadVgg19();
    const start = tf.memory().numTensors;
    const rgb = tf.tidy(() => tf.mul(tf.add(normals([1, 28, 36, 3], 7), 2), 50)) as tf.Tensor4D;
    const points = ['relu1_1', 'relu2_1', 'relu3_1'].map((l) => resolveLayer(l));
    const plan = planPass({ pooling: 'max', losses: points });
    const targets = new Map<number, tf.Tensor4D>();
    const losses = new Map(points.map((p) => [p.index, [(a: tf.Tensor4D) => {
      if (!targets.has(p.index)) targets.set(p.index, tf.keep(tf.mul(a, 0.5)) as tf.Tensor4D);
      return contentLoss(a, targets.get(p.index)!, 1, 'mean');
    }]]));
    const run = (k: typeof genericKernels) => {
      const r = lossPass(model, rgb, plan, losses, k);
      const values = [...r.values.values()].flat().map((v) => v.dataSync()[0]);
      tf.dispose([...r.values.values()].flat());
      return { values, grad: r.grad };
    };
    const want = run(genericKernels);
    for (const tile of [2, 4] as const) {
      const k = wasmKernelsWith({ winograd: true, winogradTile: () => tile });
      const prepared = k.prepareConvs(model, convUse(plan, 28, 36));
      expect(prepared.bytes).toBeGreaterThan(0);
      expect(prepared.bytes).toBe(k.preparedConvBytes(convUse(plan, 28, 36)));
      const got = run(k);
      for (let i = 0; i < want.values.length; i++) expect(Math.abs(got.values[i] - want.values[i]) / want.values[i]).toBeLessThan(1e-4);
      expect(relError(got.grad, want.grad)).toBeLessThan(1e-4);
      got.grad.dispose();
      prepared.dispose();
      prepared.dispose(); // twice is harmless
    }
    tf.dispose([want.grad, rgb, ...targets.values()]);
    expect(tf.memory().numTensors).toBe(start);
    model.dispose();
  });

  it('uses tf.conv2d where nothing is prepared, and can be turned off', async () => {
    const model = await loadVgg19();
    const x = normals([1, 32, 32, 256], 5) as tf.Tensor4D;
    const k = wasmKernelsWith({ winograd: true, winogradTile: () => 2 });
    const plain = genericKernels.conv(x, model, 5, 'forward');
    const unprepared = k.conv(x, model, 5, 'forward');
    expect(relError(unprepared, plain)).toBe(0);
    expect(kernelsFor('wasm', { winograd: false }).preparedConvBytes({ height: 512, width: 512, forward: 13, backward: 13 })).toBe(0);
    expect(kernelsFor('cpu').preparedConvBytes({ height: 512, width: 512, forward: 13, backward: 13 })).toBe(0);
    tf.dispose([x, plain, unprepared]);
    model.dispose();
  });

  it('the memory estimate counts the transformed weights where the table picks Winograd', () => {
    const lossPoints = ['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu4_2', 'relu5_1'].map((l) => resolveLayer(l));
    const on = estimateMemory({ height: 512, width: 512, lossPoints, optimizer: 'lbfgs', backend: 'wasm' });
    const off = estimateMemory({ height: 512, width: 512, lossPoints, optimizer: 'lbfgs' });
    expect(off.convWeights).toBe(0);
    expect(on.convWeights).toBe(kernelsFor('wasm').preparedConvBytes({ height: 512, width: 512, forward: 13, backward: 13 }));
    expect(on.total - off.total).toBe(on.convWeights);
  });
});
