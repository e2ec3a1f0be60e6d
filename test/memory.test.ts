/**
 * Memory planning: the estimate grows with size and depth, it reads the same pass plan the engine runs, the run plan
 * (sizes, L-BFGS history, pyramid levels, taps) is what the loop uses, and a size that cannot fit the WASM heap
 * fails with OUT_OF_MEMORY before any work (no tensors made, no time spent).
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVgg19, ready, resolveLayer, stylize, StyleTransferError, NETWORK_POINTS, type Vgg19 } from '../src/adapters/node.js';
import { backendMemoryLimit, estimateMemory } from '../src/core.js';
import { stepMemory } from '../src/plan/memory.js';
import { planPass } from '../src/core/network.js';
import { resolveOptions, type StylizeOptions } from '../src/stylize/options.js';
import { planRun } from '../src/stylize/plan.js';
import { guardWasmMalloc } from '../src/kernels/wasm-malloc-guard.js';

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

describe('the pass plan', () => {
  const names = (set: ReadonlySet<number>) => [...set].sort((a, b) => a - b).map((i) => NETWORK_POINTS[i].name);

  it('keeps what the backward pass reads: ReLU outputs, max-pool outputs, pre-ReLU outputs only under a loss', () => {
    const losses = ['conv2_1', 'relu2_2'].map((n) => resolveLayer(n));
    const max = planPass({ pooling: 'max', losses });
    expect(max.deepestLoss).toBe(resolveLayer('relu2_2').index);
    expect(max.last).toBe(max.deepestLoss);
    expect(names(max.retained)).toEqual(['relu1_1', 'relu1_2', 'pool1', 'conv2_1', 'relu2_1', 'relu2_2']);
    // Average pooling's backward reads only its input's shape.
    expect(names(planPass({ pooling: 'avg', losses }).retained)).toEqual(['relu1_1', 'relu1_2', 'conv2_1', 'relu2_1', 'relu2_2']);
    // Observed points extend the pass without being kept; a forward pass keeps only what is returned.
    const tapped = planPass({ pooling: 'max', losses, observe: [resolveLayer('pool3')] });
    expect(tapped.last).toBe(resolveLayer('pool3').index);
    expect(tapped.retained).toEqual(max.retained);
    expect(names(planPass({ pooling: 'max', keep: [resolveLayer('relu3_1')] }).retained)).toEqual(['relu3_1']);
  });

  it('estimateMemory counts exactly the activations the plan retains', () => {
    const pass = planPass({ pooling: 'max', losses: DEFAULT_POINTS });
    const e = estimateMemory({ height: 64, width: 48, lossPoints: DEFAULT_POINTS, optimizer: 'adam' });
    const bytes = [...pass.retained].reduce((a, i) => {
      const p = NETWORK_POINTS[i];
      return a + (64 / p.stride) * (48 / p.stride) * p.channels * 4;
    }, 0);
    expect(e.activations).toBe(bytes);
    expect(stepMemory(pass, { height: 64, width: 48, optimizer: 'adam' })).toEqual(e);
  });
});

describe('the run plan', () => {
  const plan = (options: StylizeOptions, memoryLimit?: number, tapPoints: string[] = []) =>
    planRun({
      o: resolveOptions(options, 1), content: { height: 300, width: 400 }, styles: [{ height: 512, width: 512 }],
      tapPoints: tapPoints.map((n) => resolveLayer(n)), backend: 'test', memoryLimit,
    });

  it('sizes, style sizes, pyramid levels and L-BFGS history per scale, computed once', () => {
    const p = plan({ size: 256, scales: [0.5, 1], iterations: [5, 5], styleScale: 0.5, lbfgs: { historySize: 20 } });
    expect(p.scales.map((s) => [s.size, s.width, s.height, s.styleSize])).toEqual([[128, 128, 96, 64], [256, 256, 192, 128]]);
    expect(p.scales.map((s) => s.styleShapes)).toEqual([[{ width: 64, height: 64 }], [{ width: 128, height: 128 }]]);
    expect(p.scales.map((s) => s.pyramidLevels)).toEqual([5, 6]);
    expect(p.scales.map((s) => s.historySize)).toEqual([20, 20]);
    expect(p.scales[1].memory).toEqual(estimateMemory({ height: 192, width: 256, lossPoints: DEFAULT_POINTS, optimizer: 'lbfgs', historySize: 20, pyramid: true }));
    expect(plan({ size: 64, precondition: 'none' }).scales[0].pyramidLevels).toBe(0);
    expect(plan({ size: 64, optimizer: 'adam' }).scales[0].historySize).toBe(0);
  });

  it('under a memory cap: shortens the history with a warning, and lets taps run their own pass when holding them does not fit', () => {
    const full = plan({ size: 512, lbfgs: { historySize: 100 } }).scales[0].memory;
    const cap = (full.total - full.optimizer / 2) * 1.3 + tf.memory().numBytes;
    const p = plan({ size: 512, lbfgs: { historySize: 100 } }, cap, ['relu1_1']);
    expect(p.scales[0].historySize).toBeLessThan(100);
    expect(p.warnings[0]).toMatch(/history was shortened from 100 to \d+ pairs to fit the test backend's memory/);
    expect(p.tapsInPass).toBe(false);
    expect(plan({ size: 512 }, undefined, ['relu1_1']).tapsInPass).toBe(true);
    expect(plan({ size: 512 }, 64 * 2 ** 30, ['relu1_1']).tapsInPass).toBe(true);
    expect(() => plan({ size: 512 }, 2 ** 20)).toThrow(/needs about [\d.]+ GiB on the test backend/);
  });

  it('runs a scale on plain convs where the prepared ones (Winograd) alone would have it tiled', () => {
    const run = (convBytes: number, options: StylizeOptions = {}) => {
      const o = resolveOptions({ size: 512, lbfgs: { historySize: 10 }, ...options }, 1);
      const input = { o, content: { height: 512, width: 512 }, styles: [{ height: 512, width: 512 }], tapPoints: [], backend: 'test', convBytes: () => convBytes };
      const plain = planRun({ ...input, convBytes: () => 0, memoryLimit: undefined }).scales[0].memory.total;
      // A cap the whole image fits with 3 pairs and no prepared convs, and not with 1 GiB of them.
      return planRun({ ...input, memoryLimit: plain * 1.2 + tf.memory().numBytes + 2 ** 20 });
    };
    const small = run(2 ** 20);
    expect(small.scales[0]).toMatchObject({ prepareConvs: true, tiling: undefined });
    expect(small.scales[0].memory.convWeights).toBe(2 ** 20);
    const large = run(2 ** 30);
    expect(large.scales[0]).toMatchObject({ prepareConvs: false, tiling: undefined });
    expect(large.scales[0].memory.convWeights).toBe(0);
    expect(large.warnings).toContainEqual(expect.stringMatching(/512x512 the test backend's prepared convolutions \(Winograd's weights\) are not used/));
    // Tiles asked for: the convs are prepared (for the crops' pass, which fits).
    expect(run(2 ** 30, { tile: 256 }).scales[0].prepareConvs).toBe(true);
  });
});

describe('stylize() memory check', () => {
  it('rejects a size that cannot fit the WASM heap before doing any work', async () => {
    expect(tf.getBackend()).toBe('wasm');
    const before = tf.memory().numTensors;
    const content = { data: new Uint8Array(64 * 64 * 3).fill(128), width: 64, height: 64 };
    // L-BFGS fits 4096 px in tiles with its state in JS memory; Adam keeps its state on the device, where at
    // 4096x4096 it does not fit next to any tile's pass.
    const err = await stylize({ model, content, style: content, size: 4096, optimizer: 'adam' }).catch((e) => e);
    expect(err).toBeInstanceOf(StyleTransferError);
    expect((err as StyleTransferError).code).toBe('OUT_OF_MEMORY');
    expect((err as Error).message).toMatch(/4096x4096 image needs about [\d.]+ GiB on the wasm backend/);
    expect((err as Error).message).toMatch(/L-BFGS .* keeps its state in JS memory/);
    expect(tf.memory().numTensors).toBe(before);
    // The size it suggests is one that fits in tiles, and it plans.
    const fit = (err as StyleTransferError).details!.fitSize as number;
    expect(fit).toBeGreaterThan(2048);
    expect(fit).toBeLessThan(4096);
    const planned = planRun({ o: resolveOptions({ size: fit, optimizer: 'adam' }, 1), content: { height: 64, width: 64 }, styles: [{ height: 64, width: 64 }], tapPoints: [], backend: 'wasm', memoryLimit: backendMemoryLimit() });
    expect(planned.scales.at(-1)!.tiling).toBeDefined();
  });
});

describe('the WASM heap guard', () => {
  it('turns a failed heap allocation into OUT_OF_MEMORY instead of a write at address 0', () => {
    const module = { HEAPU8: new Uint8Array(16), calls: [] as number[], _malloc(bytes: number) {
      module.calls.push(bytes);
      return bytes > 100 ? 0 : 8;
    } };
    guardWasmMalloc({ wasm: module });
    guardWasmMalloc({ wasm: module }); // once per module
    expect(module._malloc(10)).toBe(8);
    expect(() => module._malloc(1000)).toThrow(/The WASM heap could not hold another 0\.0 MiB tensor/);
    // Sizes past 32 bits are refused before they reach malloc (which would wrap them).
    expect(() => module._malloc(2 ** 32 + 8)).toThrow(StyleTransferError);
    expect(module.calls).toEqual([10, 1000]);
  });

  it('is on the WASM backend once a run starts: a tensor past the heap fails cleanly', async () => {
    const content = { data: new Uint8Array(32 * 32 * 3).fill(128), width: 32, height: 32 };
    (await stylize({ model, content, style: content, size: 32, iterations: 1 })).dispose();
    const before = tf.memory().numTensors;
    // 4.6 GB: tfjs-backend-wasm would pass the byte count to malloc as a 32-bit number and write past the block.
    const err = (() => {
      try {
        tf.zeros([1100, 1024, 1024]).dispose();
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(StyleTransferError);
    expect((err as StyleTransferError).code).toBe('OUT_OF_MEMORY');
    expect(tf.memory().numTensors).toBe(before);
    // The real failure: a heap that cannot grow (2.2 GB held, 2.2 GB more asked of the 4 GiB heap) makes malloc
    // return 0; unguarded, TF.js would write the second tensor at address 0.
    const held = tf.zeros([550, 1024, 1024]);
    expect(() => tf.zeros([550, 1024, 1024])).toThrow(/The WASM heap could not hold another 2200\.0 MiB tensor/);
    held.dispose();
    expect(tf.memory().numTensors).toBe(before);
    // The backend still works.
    expect(Array.from(tf.tidy(() => tf.add(tf.ones([2]), 1)).dataSync())).toEqual([2, 2]);
  });
});
