import { NETWORK_POINTS, type NetworkPoint } from './layers.js';
import { kernelsFor, activeKernels, type ConvUse, type DeviceLimits, type PlannedTensor } from '../kernels/index.js';
import { activationShape, planPass, type PassPlan } from './network.js';

/** What a memory estimate is for. */
export interface MemoryEstimateInput {
  height: number;
  width: number;
  /** Points the losses read (content and style layers). */
  lossPoints: readonly NetworkPoint[];
  optimizer: 'lbfgs' | 'adam';
  /** L-BFGS correction pairs (each pair holds two image-sized vectors). Default 50, as `stylize()`. */
  historySize?: number;
  /**
   * True when the optimiser works on the multi-scale pyramid parametrisation (`precondition: 'pyramid'`): its
   * vectors are then up to 4/3 of the image's size. Default false.
   */
  pyramid?: boolean;
  /**
   * A backend: count its per-run conv weights (WASM: Winograd's, see `Kernels.preparedConvBytes`) and, for a GPU
   * backend (`'webgl'`, `'webgpu'`) that has started, report the largest single tensor of a step against the live
   * device's limit ({@link MemoryEstimate.largest}). Default: none.
   */
  backend?: string;
}

/** The largest single tensor of a step on a GPU, against the device's per-allocation limit. */
export interface LargestAllocation {
  /** What it is (`'conv1_1 input gradient im2col matrix'`) and its shape. */
  what: string;
  shape: number[];
  /** Its size in the limit's unit (WebGL: texels on the texture's longer side; WebGPU: bytes). */
  size: number;
  /** The limit on `size`, and its name (`'WebGL MAX_TEXTURE_SIZE 8192'`). */
  limit: number;
  limitName: string;
}

/** Bytes, by what holds them. */
export interface MemoryEstimate {
  /** Activations kept by the forward pass for the backward pass. */
  activations: number;
  /** Gradients and temporaries alive at once during the backward pass. */
  backward: number;
  /** Optimiser state (L-BFGS history or Adam moments) and image-sized working vectors. */
  optimizer: number;
  /** Style Grams and content features. */
  targets: number;
  /** The backend's per-run conv weights (WASM: Winograd-transformed kernels and XNNPACK's packed copies). */
  convWeights: number;
  /** Sum of the above (weights not included: see `Vgg19.bytes`). */
  total: number;
  /** With a GPU `backend`: the step's largest single tensor; it fits when `size <= limit`. */
  largest?: LargestAllocation;
}

const F32 = 4;

/** Bytes of one activation at point `p` for a `height`x`width` input. */
export function activationBytes(p: NetworkPoint, height: number, width: number): number {
  return activationShape(p, height, width).reduce((a, b) => a * b, F32);
}

/**
 * Peak memory of one optimisation step whose loss pass follows `pass` (see {@link planPass}): the activations it
 * retains, about four of the largest activations during the backward sweep, the optimiser's state and the targets.
 * The run plan (stylize/plan.ts) and {@link estimateMemory} both call this.
 */
export function stepMemory(pass: PassPlan, input: Omit<MemoryEstimateInput, 'lossPoints' | 'backend'> & { convWeightBytes?: number }): MemoryEstimate {
  const { height, width } = input;
  let activations = 0;
  let largest = 0;
  for (const p of NETWORK_POINTS.slice(0, pass.deepestLoss + 1)) {
    const b = activationBytes(p, height, width);
    largest = Math.max(largest, b);
    if (pass.retained.has(p.index)) activations += b;
  }
  // The input (BGR) and its gradient are image-sized; the backward sweep holds dy, the new gradient, a temporary
  // (the ReLU mask or a loss gradient) and the backend's conv workspace, each up to the largest activation.
  const image = height * width * 3 * F32;
  const backward = 4 * largest + 2 * image;
  const vectors = input.optimizer === 'lbfgs' ? 2 * (input.historySize ?? 50) + 6 : 5;
  const optimizer = vectors * image * (input.pyramid ? 4 / 3 : 1);
  const targets = [...pass.lossPoints].reduce((a, i) => a + Math.max(NETWORK_POINTS[i].channels ** 2 * F32, activationBytes(NETWORK_POINTS[i], height, width)), 0);
  const convWeights = input.convWeightBytes ?? 0;
  return { activations, backward, optimizer, targets, convWeights, total: activations + backward + optimizer + targets + convWeights };
}

/** The convs a pass runs (forward up to `pass.last`, backward from `pass.deepestLoss`) at an input size. */
export function convUse(pass: PassPlan, height: number, width: number): ConvUse {
  const convs = (i: number) => (i < 0 ? 0 : NETWORK_POINTS[i].convIndex + 1);
  return { height, width, forward: convs(pass.last), backward: convs(pass.deepestLoss) };
}

/**
 * Estimates the peak memory of one optimisation step of {@link stylize} at a given size (max pooling), from the
 * same pass plan a run uses; with a GPU `backend`, also its largest single tensor against the device's limit. Measured on the WASM backend in Node at 512 px (Adam), the WASM heap grew by
 * 826 MiB for an estimate of 727 MiB; callers add headroom (the run plan's `MEMORY_SLACK` and its tiled variants in stylize/plan.ts).
 */
export function estimateMemory(input: MemoryEstimateInput): MemoryEstimate {
  const pass = planPass({ pooling: 'max', losses: input.lossPoints });
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

/**
 * The large tensors one pass of `pass` allocates at `height`x`width` on a device with `limits`: the input, every
 * activation up to the deepest point computed, each 3x3 conv's scratch (WebGL: its im2col matrix), the Gram
 * matrices' transposed features; with a backward pass (`pass.deepestLoss` ≥ 0) also each conv's input gradient
 * (a conv with the flipped kernel, Cout → Cin) and its scratch. Small tensors (weights, Grams, scalars) are left out.
 */
export function passTensors(pass: PassPlan, height: number, width: number, limits: DeviceLimits): PlannedTensor[] {
  const out: PlannedTensor[] = [{ shape: [1, height, width, 3], what: 'input image' }];
  let cin = 3;
  for (const p of NETWORK_POINTS.slice(0, pass.last + 1)) {
    const [, h, w, c] = activationShape(p, height, width);
    out.push({ shape: [1, h, w, c], what: p.name });
    if (p.kind === 'conv') {
      for (const t of limits.convScratch(h, w, cin, c)) out.push({ ...t, what: `${p.name} ${t.what}` });
      if (p.index <= pass.deepestLoss) {
        for (const t of limits.convScratch(h, w, c, cin)) out.push({ ...t, what: `${p.name} input gradient ${t.what}` });
      }
      cin = c;
    }
    if (pass.lossPoints.has(p.index)) out.push({ shape: [c, h * w], what: `${p.name} transposed features (Gram)` });
  }
  return out;
}

/** The tensor of `tensors` that is largest in the device's allocation unit, with that size. */
export function largestTensor(tensors: readonly PlannedTensor[], limits: DeviceLimits): { tensor: PlannedTensor; size: number } {
  let best = { tensor: tensors[0], size: limits.allocationSize(tensors[0]) };
  for (const t of tensors.slice(1)) {
    const size = limits.allocationSize(t);
    if (size > best.size) best = { tensor: t, size };
  }
  return best;
}
