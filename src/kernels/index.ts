import * as tf from '@tensorflow/tfjs-core';
import { genericKernels } from './generic.js';
import type { Kernels } from './types.js';
import { wasmKernels, wasmKernelsWith, type WasmKernelOptions } from './wasm.js';
import { webglKernels } from './webgl.js';
import { webgpuKernels } from './webgpu.js';

export type { DeviceLimits, Kernels, PlannedTensor, ConvWeights, ConvDirection, ConvUse, PreparedConvs } from './types.js';
export { genericKernels, NOTHING_PREPARED } from './generic.js';
export { wasmKernels, wasmKernelsWith, type WasmKernelOptions } from './wasm.js';
export { webglKernels } from './webgl.js';
export { webgpuKernels } from './webgpu.js';

/** Backends with their own kernels; every other backend gets {@link genericKernels}. */
const BY_BACKEND = new Map<string, Kernels>([
  ['wasm', wasmKernels],
  ['webgl', webglKernels],
  ['webgpu', webgpuKernels],
]);

/** The kernels for a TF.js backend by name (`'wasm'`, `'webgl'`, …); `options` tune the WASM ones. */
export function kernelsFor(backend: string, options: WasmKernelOptions = {}): Kernels {
  if (backend === 'wasm' && options.winograd !== undefined) return wasmKernelsWith(options);
  return BY_BACKEND.get(backend) ?? genericKernels;
}

/**
 * The kernels for the backend TF.js runs on now: the default of the public building blocks (`gramMatrix`,
 * `styleLoss`, `lossAndGradient`) when no kernels are passed. A stylize session chooses them once per run and passes them in.
 */
export function activeKernels(): Kernels {
  return kernelsFor(tf.getBackend());
}
