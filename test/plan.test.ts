/**
 * Stylizer.plan: what a call would do, from the images' sizes alone. It must agree with the run it predicts (the
 * scales, tiles, pairs and state placement the result reports), reject what the run rejects with the same codes,
 * and give in OUT_OF_MEMORY's details a size that then plans — all without allocating a tensor.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStylizer, loadVgg19, ready, StyleTransferError, type StylizeOptions, type Stylizer, type Vgg19 } from '../src/adapters/node.js';
import { synthetic } from './helpers/synthetic.js';

let model: Vgg19;
let stylizer: Stylizer;
let content: tf.Tensor3D;
let style: tf.Tensor3D;
beforeAll(async () => {
  await ready();
  model = await loadVgg19();
  stylizer = await createStylizer({ model });
  content = tf.tensor3d(synthetic('held-out photo', 72, 96), [72, 96, 3]);
  style = tf.tensor3d(synthetic('held-out painting', 64, 64), [64, 64, 3]);
});
afterAll(() => {
  stylizer?.dispose();
  model?.dispose();
  tf.dispose([content, style]);
});

const SHALLOW = { styleLayers: ['relu1_1', 'relu2_1', 'relu3_1'], contentLayers: ['relu3_1'] };
const CONTENT = { width: 96, height: 72 };
const STYLE = { width: 64, height: 64 };
const codeOf = (e: unknown) => (e instanceof StyleTransferError ? e.code : String(e));

describe('Stylizer.plan', () => {
  it('reports the scales the run then reports (tiles included) and allocates nothing', async () => {
    const cases: StylizeOptions[] = [
      { size: 96, iterations: 1, ...SHALLOW },
      { size: 96, iterations: 1, ...SHALLOW, tile: 32 },
      { size: 96, iterations: [1, 1], scales: [0.5, 1], ...SHALLOW, tile: 32 },
    ];
    for (const options of cases) {
      const tensors = tf.memory().numTensors;
      const plan = await stylizer.plan(CONTENT, STYLE, options);
      expect(tf.memory().numTensors).toBe(tensors);
      const result = await stylizer.stylize(content, style, options);
      try {
        expect(plan.scales).toEqual(result.scales);
        expect(plan.iterations.reduce((a, b) => a + b, 0)).toBe(result.iterations);
        expect(result.warnings).toEqual(expect.arrayContaining(plan.warnings));
        expect(plan.backend).toBe(result.backend);
      } finally {
        result.dispose();
      }
    }
    const tiled = await stylizer.plan(CONTENT, STYLE, cases[1]);
    expect(tiled.scales[0].tiling).toMatchObject({ tileSize: 32, exact: true });
    if (tf.getBackend() === 'wasm') expect(tiled.memoryBudget).toEqual({ bytes: 4 * 2 ** 30, note: "the wasm backend's limit" });
  });

  it('plans from a style handle, and at 4096 px on WASM keeps the optimiser state in JS memory', async () => {
    const handle = await stylizer.prepareStyle(style);
    try {
      const plan = await stylizer.plan(CONTENT, handle, { size: 96, iterations: 1, ...SHALLOW });
      expect(plan.scales[0]).toMatchObject({ width: 96, height: 72, stateOn: 'device' });
    } finally {
      handle.dispose();
    }
    if (tf.getBackend() !== 'wasm') return;
    const big = await stylizer.plan({ width: 4000, height: 3000 }, { width: 1000, height: 800 }, { size: 4096, iterations: 10 });
    expect(big.scales.map((s) => s.width)).toEqual([512, 1024, 2048, 4096]);
    expect(big.scales[3]).toMatchObject({ width: 4096, height: 3072, stateOn: 'host', tiling: { tileSize: 512 } });
    expect(big.warnings.join(' ')).toMatch(/optimiser's state .* JS memory/);
  });

  it('refuses a size that does not fit with OUT_OF_MEMORY, as the run does, and names a size that plans', async () => {
    if (tf.getBackend() !== 'wasm') return; // the CPU backend has no memory cap to plan against
    const big = tf.zeros([768, 1024, 3]) as tf.Tensor3D;
    try {
      // Tiles of a fixed size keep the plan from shrinking them to fit: the budget then decides the size.
      const options: StylizeOptions = { size: 1024, iterations: 1, ...SHALLOW, tile: 512, memoryBudget: tf.memory().numBytes + 400 * 2 ** 20 };
      const planned = await stylizer.plan({ width: 1024, height: 768 }, STYLE, options).catch((e: unknown) => e);
      expect(codeOf(planned)).toBe('OUT_OF_MEMORY');
      const fitSize = (planned as StyleTransferError).details?.fitSize as number;
      expect(fitSize).toBeGreaterThan(64);
      expect(fitSize).toBeLessThan(1024);
      const ran = await stylizer.stylize(big, style, options).catch((e: unknown) => e);
      expect(codeOf(ran)).toBe('OUT_OF_MEMORY');
      expect((ran as StyleTransferError).details?.fitSize).toBe(fitSize);
      const fits = await stylizer.plan({ width: 1024, height: 768 }, STYLE, { ...options, size: fitSize });
      expect(fits.scales[0].width).toBe(fitSize);
    } finally {
      big.dispose();
    }
  });

  it('rejects what the run rejects: no size, a bad size, too many pixels, bad options, another session\'s handle', async () => {
    const reject = (c: unknown, s: unknown = STYLE, o: StylizeOptions = { size: 96, ...SHALLOW }) =>
      stylizer.plan(c as typeof CONTENT, s as typeof STYLE, o).then(() => 'planned', codeOf);
    expect(await reject(null)).toBe('INVALID_OPTION');
    expect(await reject({ width: '96', height: 72 })).toBe('INVALID_OPTION');
    expect(await reject({ width: 0, height: 72 })).toBe('INVALID_IMAGE');
    expect(await reject({ width: 96.5, height: 72 })).toBe('INVALID_IMAGE');
    expect(await reject({ width: 100_000, height: 100_000 })).toBe('IMAGE_TOO_LARGE');
    expect(await reject(CONTENT, [])).toBe('INVALID_OPTION');
    expect(await reject(CONTENT, [STYLE, { width: -1, height: 5 }])).toBe('INVALID_IMAGE');
    expect(await reject(CONTENT, STYLE, { size: 96, iterations: -1 })).toBe('INVALID_OPTION');
    // Too small to reach relu5_1 (the default style layers): as the run says.
    expect(await reject(CONTENT, STYLE, { size: 8 })).toMatch(/INVALID_OPTION|INVALID_IMAGE/);
    const other = await createStylizer({ model });
    const foreign = await other.prepareStyle(style);
    try {
      expect(await reject(CONTENT, foreign)).toBe('INVALID_OPTION');
    } finally {
      other.dispose();
    }
    expect(await reject(CONTENT)).toBe('planned');
  });
});
