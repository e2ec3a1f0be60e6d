/**
 * GPU memory planning, the pure maths (no GPU needed): WebGL's texture layout against tfjs-backend-webgl's own
 * function, the largest tensor of a step, and the run plan's refusals with the size that fits. The same planner
 * runs against real WebGL and WebGPU devices in test/browser/gpu-memory.test.ts.
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { webglDeviceLimits, webglTextureShape } from '../src/kernels/webgl.js';
import { webgpuDeviceLimits } from '../src/kernels/webgpu.js';
import { resolveLayer } from '../src/core/layers.js';
import { largestTensor, passTensors } from '../src/plan/memory.js';
import { planPass } from '../src/core/network.js';
import { isStyleTransferError, StyleTransferError } from '../src/errors.js';
import { resolveOptions, type StylizeOptions } from '../src/stylize/options.js';
import { planRun } from '../src/stylize/plan.js';
import type { DeviceLimits } from '../src/kernels/index.js';

const DEFAULT_LOSSES = ['relu4_2', 'relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1'].map((n) => resolveLayer(n));
const MiB = 2 ** 20;

// The plan reads tf.memory() for the tensors in use; the plain CPU backend is enough (nothing is allocated).
beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('WebGL texture layout', () => {
  // tfjs-backend-webgl's CommonJS build with its own tfjs-core (CommonJS too), so its flags are set on the env it reads.
  const require = createRequire(import.meta.url);
  const { webgl_util } = require('@tensorflow/tfjs-backend-webgl') as { webgl_util: { getTextureShapeFromLogicalShape(s: number[], packed: boolean): [number, number] } };
  const env = (require('@tensorflow/tfjs-core') as typeof tf).env();

  it('is tfjs-backend-webgl 4.x’s, packed and unpacked, for the shapes a run makes', () => {
    const shapes = [
      [1, 256, 256, 3], [1, 256, 256, 64], [1, 1024, 768, 64], [1, 33, 17, 128], [1, 576, 65536], [1, 27, 1048576], [1, 1048576, 64],
      [64, 65536], [512, 512], [3, 3, 512, 512], [1, 4096, 4096, 64], [7], [1, 1, 1, 1], [1, 2047, 3, 5],
    ];
    for (const max of [2048, 4096, 8192, 16384]) {
      env.set('WEBGL_MAX_TEXTURE_SIZE', max);
      for (const shape of shapes) {
        for (const packed of [false, true]) {
          const [r, c] = webgl_util.getTextureShapeFromLogicalShape(shape, packed);
          const texels = packed ? [Math.ceil(r / 2), Math.ceil(c / 2)] : [r, c];
          expect(webglTextureShape(shape, max, packed), `${shape} ${packed ? 'packed' : 'unpacked'} at ${max}`).toEqual(texels);
        }
      }
    }
  });
});

describe('the largest tensor of a step', () => {
  const pass = planPass({ pooling: 'max', losses: DEFAULT_LOSSES });

  it('on WebGL is the 576-row im2col matrix of the convs at full size', () => {
    const limits = webglDeviceLimits(8192);
    const { tensor, size } = largestTensor(passTensors(pass, 1024, 1024, limits), limits);
    expect(tensor.shape).toEqual([1, 576, 1024 * 1024]);
    expect(tensor.what).toBe('conv1_1 input gradient im2col matrix');
    // 576·1024²/4 values per texel, near-square: sqrt(288·1024²/2)·… ≈ 12288 texels wide, over 8192.
    expect(size).toBeGreaterThan(8192);
    expect(largestTensor(passTensors(pass, 512, 512, limits), limits).size).toBeLessThanOrEqual(8192);
  });

  it('on WebGPU is a 64-channel activation at full size (no im2col buffer)', () => {
    const limits = webgpuDeviceLimits({ maxStorageBufferBindingSize: 128 * MiB, maxBufferSize: 256 * MiB });
    expect(limits.limitName).toBe(`WebGPU maxStorageBufferBindingSize ${128 * MiB}`);
    const { tensor, size } = largestTensor(passTensors(pass, 1024, 1024, limits), limits);
    expect(tensor.shape).toEqual([1, 1024, 1024, 64]);
    expect(size).toBe(1024 * 1024 * 64 * 4);
  });

  it('a forward-only pass has no input-gradient convs', () => {
    const limits = webglDeviceLimits(8192);
    const forward = passTensors({ ...pass, deepestLoss: -1 }, 64, 64, limits).map((t) => t.what);
    expect(forward.some((w) => w.includes('input gradient'))).toBe(false);
    expect(forward).toContain('conv1_2 im2col matrix');
  });
});

describe('the run plan on a GPU', () => {
  const plan = (options: StylizeOptions, deviceLimits: DeviceLimits, content = { height: 768, width: 1024 }) =>
    planRun({ o: resolveOptions(options, 1), content, styles: [{ height: 512, width: 512 }], tapPoints: [], backend: 'webgl', memoryLimit: undefined, deviceLimits });
  const refusal = (f: () => unknown): StyleTransferError => {
    try {
      f();
    } catch (e) {
      if (isStyleTransferError(e)) return e;
      throw e;
    }
    throw new Error('expected a StyleTransferError');
  };

  it('with tiling off, refuses a size over the WebGL texture limit with DEVICE_LIMIT, the largest size and a tile that fit', () => {
    const limits = webglDeviceLimits(8192);
    const e = refusal(() => plan({ size: 1024, memoryBudget: 64 * 2 ** 30, tile: false }, limits));
    expect(e.code).toBe('DEVICE_LIMIT');
    expect(e.message).toMatch(/At 1024x768 the content's conv1_1 input gradient im2col matrix \[1, 576, 786432\] would need a texture \d+ texels wide on the webgl backend, over its limit \(WebGL MAX_TEXTURE_SIZE 8192\)\. `size: \d+` is the largest that fits; `tile: 512` evaluates this size in tiles that fit\./);
    expect(e.details!.fitTile).toBe(512);
    const fit = e.details!.fitSize as number;
    // 576·H·W/4 values in a near-square texture of 2x2-value texels within 8192²: H·W ≤ 8192²/144 ≈ 682². The
    // square style image (resized to \`size\`) reaches that first.
    expect(fit).toBeGreaterThanOrEqual(680);
    expect(fit).toBeLessThanOrEqual(683);
    expect(plan({ size: fit, memoryBudget: 64 * 2 ** 30, tile: false }, limits).scales[0].width).toBe(fit);
    expect(refusal(() => plan({ size: fit + 1, memoryBudget: 64 * 2 ** 30, tile: false }, limits)).code).toBe('DEVICE_LIMIT');
  });

  it('by default tiles a size over the device limit, with the largest tile whose crop fits', () => {
    const limits = webglDeviceLimits(8192);
    const s = plan({ size: 1024, memoryBudget: 64 * 2 ** 30 }, limits).scales[0];
    // A 768 px tile's crop (with the exact 160 px halo) is 1024x768 again; 512's is 832x768, under 682² texels·144.
    expect(s.tiling?.tileSize).toBe(512);
    expect(s.tiling!.maxCrop.height * s.tiling!.maxCrop.width).toBeLessThanOrEqual((8192 * 8192) / 144);
    // A forced tile too large for the device is refused, naming a tile that fits.
    const e = refusal(() => plan({ size: 1024, memoryBudget: 64 * 2 ** 30, tile: 1024 }, limits));
    expect(e.code).toBe('DEVICE_LIMIT');
    expect(e.details!.image).toBe('content tile');
    expect(e.details!.fitTile).toBe(512);
    // Taps need whole activations: never tiled, so refused.
    expect(refusal(() => planRun({ o: resolveOptions({ size: 1024, memoryBudget: 64 * 2 ** 30 }, 1), content: { height: 768, width: 1024 }, styles: [{ height: 512, width: 512 }], tapPoints: [resolveLayer('relu1_1')], backend: 'webgl', memoryLimit: undefined, deviceLimits: limits })).code).toBe('DEVICE_LIMIT');
  });

  it('checks every scale, and the style images at their own size', () => {
    const limits = webglDeviceLimits(4096);
    const e = refusal(() => plan({ size: 380, styleScale: 2, memoryBudget: 64 * 2 ** 30, tile: false }, limits));
    expect(e.details!.image).toBe('style');
    expect(e.message).toMatch(/\(or lower `styleScale`\)/);
    const fit = e.details!.fitSize as number;
    expect(plan({ size: fit, styleScale: 2, memoryBudget: 64 * 2 ** 30, tile: false }, limits).scales).toHaveLength(1);
  });

  it('refuses a size over a WebGPU buffer limit (tiling off), and tiles it by default', () => {
    const limits = webgpuDeviceLimits({ maxStorageBufferBindingSize: 128 * MiB, maxBufferSize: 256 * MiB });
    const e = refusal(() => plan({ size: 1024, memoryBudget: 64 * 2 ** 30, tile: false }, limits, { height: 1024, width: 1024 }));
    expect(e.code).toBe('DEVICE_LIMIT');
    // 1024·1024·64·4 bytes = 256 MiB; 128 MiB holds 724² 64-channel activations.
    expect(e.details!.fitSize).toBe(724);
    expect(e.details!.shape).toEqual([1, 1024, 1024, 64]);
    const tiled = plan({ size: 1024, memoryBudget: 64 * 2 ** 30 }, limits, { height: 1024, width: 1024 }).scales[0].tiling!;
    expect(tiled.maxCrop.height * tiled.maxCrop.width * 64 * 4).toBeLessThanOrEqual(128 * MiB);
  });

  it('checks the total against the default GPU budget, or the call’s memoryBudget, with the size that fits', () => {
    const limits = webgpuDeviceLimits({ maxStorageBufferBindingSize: 2 ** 31, maxBufferSize: 2 ** 31 });
    // 2 GiB by default: 1024x768 with the default layers needs more. By default the run is then tiled (the tiles
    // fit); with tiling off it is refused with the size that fits.
    expect(plan({ size: 1024 }, limits).scales[0].tiling).toBeDefined();
    const e = refusal(() => plan({ size: 1024, tile: false }, limits));
    expect(e.code).toBe('OUT_OF_MEMORY');
    expect(e.message).toMatch(/left of the default GPU budget .*`size: \d+` is the largest that fits/);
    const fit = e.details!.fitSize as number;
    expect(plan({ size: fit, tile: false }, limits).scales[0].width).toBe(fit);
    // A larger budget lets it run; a smaller one refuses 512 too, naming the option.
    expect(plan({ size: 1024, memoryBudget: 8 * 2 ** 30 }, limits).scales[0].width).toBe(1024);
    expect(refusal(() => plan({ size: 512, memoryBudget: 256 * MiB, tile: false }, limits)).message).toMatch(/left of your `memoryBudget`/);
    // On a pure CPU backend with no cap, only an explicit budget is checked.
    expect(planRun({ o: resolveOptions({ size: 1024 }, 1), content: { height: 768, width: 1024 }, styles: [{ height: 512, width: 512 }], tapPoints: [], backend: 'cpu', memoryLimit: undefined }).scales[0].width).toBe(1024);
  });

  it('memoryBudget is validated', () => {
    expect(() => resolveOptions({ memoryBudget: -1 })).toThrow(/Option `memoryBudget` is -1; expected a whole number/);
    expect(resolveOptions({ memoryBudget: 2 ** 30 }).memoryBudget).toBe(2 ** 30);
  });
});
