import * as tf from '@tensorflow/tfjs-core';
import { STYLIZE_DEFAULTS } from '../defaults.js';
import { GPU_BUDGET_NOTE } from './gpu-budget.js';
import { genericKernels, gramTransposeA } from './generic.js';
import { inversePermutationInMemory, unsortByGather } from './unsort.js';
import type { DeviceLimits, Kernels, PlannedTensor } from './types.js';

const squarish = (size: number): [number, number] => {
  const w = Math.ceil(Math.sqrt(size));
  return [w, Math.ceil(size / w)];
};

/**
 * The texture a float32 tensor of `shape` gets on tfjs-backend-webgl 4.x, in texels `[rows, columns]`: the same
 * layout rules as its `webgl_util.getTextureShapeFromLogicalShape` (squeeze unit dimensions, keep 2-D shapes, fold
 * 3-D/4-D shapes into rows x columns when both fit, else a near-square texture), then — packed — 2x2 values per
 * RGBA texel. (The narrow-texture flags, off by default, are not modelled.) A texture is valid when both sides are
 * at most `maxTextureSize` (WebGL's MAX_TEXTURE_SIZE, as TF.js reads it into `WEBGL_MAX_TEXTURE_SIZE`).
 */
export function webglTextureShape(shape: readonly number[], maxTextureSize: number, packed: boolean): [number, number] {
  const max = packed ? 2 * maxTextureSize : maxTextureSize;
  let s = [...shape];
  if (packed) {
    // Values pair up only within the last two dimensions: odd sizes there round up to even.
    s = s.map((d, i) => (i >= s.length - 2 && d % 2 !== 0 ? d + 1 : d));
    if (s.length === 1) s = [2, s[0]];
  }
  if (s.length !== 2) s = s.filter((d) => d !== 1);
  const size = s.reduce((a, b) => a * b, 1);
  let tex: [number, number] | undefined;
  if (s.length <= 1 && size <= max) tex = [1, size];
  else if (s.length === 2 && s[0] <= max && s[1] <= max) tex = [s[0], s[1]];
  else if (s.length === 3 && s[0] * s[1] <= max && s[2] <= max) tex = [s[0] * s[1], s[2]];
  else if (s.length === 3 && s[0] <= max && s[1] * s[2] <= max) tex = [s[0], s[1] * s[2]];
  else if (s.length === 4 && s[0] * s[1] * s[2] <= max && s[3] <= max) tex = [s[0] * s[1] * s[2], s[3]];
  else if (s.length === 4 && s[0] <= max && s[1] * s[2] * s[3] <= max) tex = [s[0], s[1] * s[2] * s[3]];
  if (!tex) {
    if (packed) {
      const [rows, cols] = s.length >= 2 ? s.slice(-2) : [2, 2];
      const batch = s.slice(0, -2).reduce((a, b) => a * b, 1);
      tex = squarish((batch * rows * cols) / 4).map((d) => d * 2) as [number, number];
    } else tex = squarish(size);
  }
  return packed ? [Math.ceil(tex[0] / 2), Math.ceil(tex[1] / 2)] : tex;
}

/**
 * WebGL's limits for a context whose MAX_TEXTURE_SIZE is `maxTextureSize`. A 3x3 conv runs as im2col + matMul
 * (`WEBGL_CONV_IM2COL`, on by default): its packed `[9·Cin, H·W]` matrix is the largest texture of a step (576·H·W
 * values at conv1_2 and in conv1_1's input gradient), so it sets the largest image a context can take.
 */
export function webglDeviceLimits(maxTextureSize: number): DeviceLimits {
  return {
    limitName: `WebGL MAX_TEXTURE_SIZE ${maxTextureSize}`,
    maxAllocation: maxTextureSize,
    // Tensors other than the im2col matrix are measured unpacked (one value per texel, the stricter layout):
    // several ops on the backward path (MaxPoolGrad, step, resizeNearestNeighbor) write unpacked textures.
    allocationSize: (t: PlannedTensor) => Math.max(...webglTextureShape(t.shape, maxTextureSize, t.packed === true)),
    describe: (size) => `a texture ${size} texels wide`,
    convScratch: (h, w, cin, cout) => [
      { shape: [1, 9 * cin, h * w], packed: true, what: 'im2col matrix' },
      { shape: [1, h * w, cout], packed: true, what: 'matMul product' },
    ],
    defaultBudget: STYLIZE_DEFAULTS.memoryBudget.webgl,
    budgetNote: GPU_BUDGET_NOTE,
  };
}

/**
 * tfjs-backend-webgl: the Gram as one transposed-read matMul (no transposed copy; as fast or faster than the generic
 * transpose + matMul, where WASM's blocked transpose is up to 8x slower) and the context's texture limit for
 * planning. ReLU + max-pool backward stays MaxPoolGrad: the mask form measured 2–3x faster on SwiftShader, but with
 * it the page's 64 px WebGL run no longer matched WebGPU's (first-iteration loss 0.23% apart, where the two agreed to
 * 6 digits with MaxPoolGrad), which is not explained yet. docs/performance.md has the numbers.
 */
export const webglKernels: Kernels = {
  ...genericKernels,
  name: 'webgl',
  gram: gramTransposeA,
  // The gradient stays on the GPU: the inverse permutation is made in JS from topk's indices, which TF.js's WebGL
  // topk (k > 128) computed on the CPU (no stall), then one batched gather. (ScatterNd is quadratic here.)
  unsort: (sorted, indices) => tf.tidy(() => unsortByGather(sorted, inversePermutationInMemory(indices))),
  // Read when a run is planned: the flag is TF.js's reading of the context's MAX_TEXTURE_SIZE (an app or test may
  // lower it to plan for a smaller GPU; TF.js then enforces the lower value too).
  deviceLimits: () => webglDeviceLimits(tf.env().getNumber('WEBGL_MAX_TEXTURE_SIZE')),
};
