import * as tf from '@tensorflow/tfjs-core';
import { STYLIZE_DEFAULTS } from '../defaults.js';
import { GPU_BUDGET_NOTE } from './gpu-budget.js';
import { genericKernels, gramTransposeA } from './generic.js';
import { unsortByScatter } from './unsort.js';
import type { DeviceLimits, Kernels, PlannedTensor } from './types.js';

/** The two GPUSupportedLimits that bound one tensor on WebGPU. */
export interface WebGpuBufferLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
}

/**
 * WebGPU's limits for a device with these limits. Every tensor is one storage buffer bound whole to its shaders, so
 * the largest tensor of a step (the 64-channel activations at full size, 256·H·W bytes) must fit both limits. A 3x3
 * conv runs as one implicit-GEMM shader with no scratch buffer (a separate im2col shader only for tiny outputs).
 */
export function webgpuDeviceLimits(limits: WebGpuBufferLimits): DeviceLimits {
  const max = Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
  const which = limits.maxStorageBufferBindingSize <= limits.maxBufferSize ? 'maxStorageBufferBindingSize' : 'maxBufferSize';
  return {
    limitName: `WebGPU ${which} ${max}`,
    maxAllocation: max,
    allocationSize: (t: PlannedTensor) => t.shape.reduce((a, b) => a * b, 4),
    describe: (size) => `a ${(size / 2 ** 20).toFixed(0)} MiB buffer`,
    convScratch: () => [],
    defaultBudget: STYLIZE_DEFAULTS.memoryBudget.webgpu,
    budgetNote: GPU_BUDGET_NOTE,
  };
}

/**
 * tfjs-backend-webgpu: the Gram as one transposed-read matMul (1.9–6.9x faster than transpose + matMul on
 * SwiftShader's adapter, and no transposed copy of the features), the generic ReLU + max-pool backward (the mask form measured no
 * better here), and the device's buffer limits for planning. docs/performance.md has the numbers.
 */
export const webgpuKernels: Kernels = {
  ...genericKernels,
  name: 'webgpu',
  gram: gramTransposeA,
  // On the device, no read-back: one scatter pass (topk runs on the GPU here, so nothing else reads back either).
  unsort: unsortByScatter,
  deviceLimits: () => {
    // TF.js creates its device with the adapter's maxStorageBufferBindingSize and maxBufferSize.
    const device = (tf.backend() as unknown as { device?: { limits?: WebGpuBufferLimits } }).device;
    // Without a device (never on a started backend) fall back to WebGPU's guaranteed minimums.
    return webgpuDeviceLimits(device?.limits ?? { maxStorageBufferBindingSize: 128 * 2 ** 20, maxBufferSize: 256 * 2 ** 20 });
  },
};
