import { NETWORK_POINTS, type NetworkPoint } from './layers.js';
import { kernelsFor, activeKernels } from '../kernels/index.js';
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
  /** Sum of the above (weights not included: see `Vgg19.bytes`). */
  total: number;
}

const F32 = 4;

/** Bytes of one activation at point `p` for a `height`x`width` input. */
export function activationBytes(p: NetworkPoint, height: number, width: number): number {
  return activationShape(p, height, width).reduce((a, b) => a * b, F32);
}

/**
 * Peak memory of one optimisation step whose loss pass follows `pass` (see {@link planPass}): the activations it
 * retains, about four of the largest activations during the backward sweep, the optimiser's state and the targets.
 * The engine's run plan and {@link estimateMemory} both call this.
 */
export function stepMemory(pass: PassPlan, input: Omit<MemoryEstimateInput, 'lossPoints'>): MemoryEstimate {
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
  return { activations, backward, optimizer, targets, total: activations + backward + optimizer + targets };
}

/**
 * Estimates the peak memory of one optimisation step of {@link stylize} at a given size (max pooling), from the
 * same pass plan the engine uses. Measured on the WASM backend in Node at 512 px (Adam), the WASM heap grew by
 * 826 MiB for an estimate of 727 MiB; callers add headroom (the engine uses 1.3x).
 */
export function estimateMemory(input: MemoryEstimateInput): MemoryEstimate {
  return stepMemory(planPass({ pooling: 'max', losses: input.lossPoints }), input);
}

/**
 * The most a backend can hold, in bytes, when it has a hard cap: 4 GiB for WASM (its 32-bit heap); `undefined`
 * when unknown (CPU: host RAM; WebGL: the driver decides). Default: the active backend.
 */
export function backendMemoryLimit(backend?: string): number | undefined {
  return (backend === undefined ? activeKernels() : kernelsFor(backend)).memoryLimit;
}
