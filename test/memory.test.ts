/**
 * Memory planning: the estimate grows with size and depth, and a size that cannot fit the WASM heap fails with
 * OUT_OF_MEMORY before any work (no tensors made, no time spent).
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendMemoryLimit, estimateMemory, loadVgg19, ready, resolveLayer, stylize, StyleTransferError, type Vgg19 } from '../src/node.js';

const DEFAULT_POINTS = ['relu4_2', 'relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1'].map((n) => resolveLayer(n));
let model: Vgg19;

beforeAll(async () => {
  await ready();
  model = await loadVgg19();
});
afterAll(() => model?.dispose());

describe('estimateMemory', () => {
  it('grows with the image area and the L-BFGS history, and stops at the deepest loss layer', () => {
    const at = (size: number, history = 100, points = DEFAULT_POINTS) =>
      estimateMemory({ height: size, width: size, lossPoints: points, optimizer: 'lbfgs', historySize: history });
    const a = at(256);
    const b = at(512);
    // Activations scale with the pixel count (4x), the Gram targets do not.
    expect(b.activations / a.activations).toBeCloseTo(4, 1);
    expect(at(512, 10).optimizer).toBeLessThan(b.optimizer / 5);
    expect(at(512, 100, [resolveLayer('relu1_1')]).activations).toBeLessThan(b.activations / 4);
    expect(b.total).toBe(b.activations + b.backward + b.optimizer + b.targets);
    // At 512 px the default loss keeps ~320 MiB of activations (ReLU + pool outputs up to relu5_1).
    expect(b.activations / 2 ** 20).toBeGreaterThan(300);
    expect(b.activations / 2 ** 20).toBeLessThan(340);
    // The pyramid parametrisation's optimiser vectors are 4/3 of the image; nothing else changes.
    const p = estimateMemory({ height: 512, width: 512, lossPoints: DEFAULT_POINTS, optimizer: 'lbfgs', historySize: 100, pyramid: true });
    expect(p.optimizer / b.optimizer).toBeCloseTo(4 / 3, 6);
    expect(p.total - p.optimizer).toBe(b.total - b.optimizer);
  });

  it('knows the WASM heap cap and no cap for CPU', () => {
    expect(backendMemoryLimit('wasm')).toBe(4 * 1024 ** 3);
    expect(backendMemoryLimit('cpu')).toBeUndefined();
  });
});

describe('stylize() memory check', () => {
  it('rejects a size that cannot fit the WASM heap before doing any work', async () => {
    expect(tf.getBackend()).toBe('wasm');
    const before = tf.memory().numTensors;
    const content = { data: new Uint8Array(64 * 64 * 3).fill(128), width: 64, height: 64 };
    const err = await stylize({ model, content, style: content, size: 4096 }).catch((e) => e);
    expect(err).toBeInstanceOf(StyleTransferError);
    expect((err as StyleTransferError).code).toBe('OUT_OF_MEMORY');
    expect((err as Error).message).toMatch(/4096x4096 image needs about [\d.]+ GiB on the wasm backend/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
