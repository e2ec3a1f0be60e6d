/**
 * The public memory questions (`neural-style-tfjs/core`): a step's estimate at a size, and a backend's hard cap.
 * They read the named backend's kernels (its prepared conv weights, a GPU's live limits) and answer with the same
 * arithmetic the run plan uses (`memory.ts`).
 */
import { planPass } from '../core/network.js';
import { activeKernels, kernelsFor } from '../kernels/index.js';
import { convUse, largestTensor, passTensors, stepMemory, type MemoryEstimate, type MemoryEstimateInput } from './memory.js';

/**
 * Estimates the peak memory of one optimisation step of `stylize` at a given size (max pooling), from the same pass
 * plan the engine uses; with a GPU `backend`, also its largest single tensor against the device's limit. Measured on
 * the WASM backend in Node at 512 px (Adam), the WASM heap grew by 826 MiB for an estimate of 727 MiB; callers add
 * headroom (the engine uses `MEMORY_SLACK` and its kin, `plan/tuning.ts`).
 */
export function estimateMemory(input: MemoryEstimateInput): MemoryEstimate {
  const pass = planPass({ network: input.network, pooling: 'max', losses: input.lossPoints });
  const convWeightBytes = input.backend === undefined ? 0 : kernelsFor(input.backend).preparedConvBytes(convUse(pass, input.height, input.width));
  const estimate = stepMemory(pass, { ...input, convWeightBytes });
  const limits = input.backend === undefined ? undefined : kernelsFor(input.backend).deviceLimits?.();
  if (!limits) return estimate;
  const { tensor, size } = largestTensor(passTensors(pass, input.height, input.width, limits), limits);
  return { ...estimate, largest: { what: tensor.what, shape: [...tensor.shape], size, limit: limits.maxAllocation, limitName: limits.limitName } };
}

/**
 * The most a backend can hold, in bytes, when it has a hard cap: 4 GiB for WASM (its 32-bit heap); `undefined`
 * when unknown (CPU: host RAM; WebGL, WebGPU: the driver decides — runs there are checked against a budget, the
 * `memoryBudget` option). Default: the active backend.
 */
export function backendMemoryLimit(backend?: string): number | undefined {
  return (backend === undefined ? activeKernels() : kernelsFor(backend)).memoryLimit;
}
