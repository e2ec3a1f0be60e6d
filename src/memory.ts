import * as tf from '@tensorflow/tfjs-core';
import { NETWORK_POINTS, type NetworkPoint } from './layers.js';

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

function pointBytes(p: NetworkPoint, height: number, width: number): number {
  // 'valid' 2x2 pooling floors each side at every pool.
  let h = height;
  let w = width;
  for (let b = 1; b < p.block || (p.kind === 'pool' && b === p.block); b++) {
    h = Math.floor(h / 2);
    w = Math.floor(w / 2);
  }
  return h * w * p.channels * F32;
}

/**
 * Estimates the peak memory of one optimisation step of {@link stylize} at a given size, mirroring how
 * `lossAndGradient` keeps tensors: the ReLU and pool outputs up to the deepest loss point (pre-ReLU outputs only
 * where a loss reads them), about four block-sized tensors during the backward sweep, the optimiser's state and
 * the targets. Measured on the WASM backend in Node at 512 px (Adam), the WASM heap grew by 826 MiB for an
 * estimate of 727 MiB; callers add headroom (the engine uses 1.3x).
 */
export function estimateMemory(input: MemoryEstimateInput): MemoryEstimate {
  const { height, width, lossPoints } = input;
  const deepest = Math.max(...lossPoints.map((p) => p.index));
  const lossSet = new Set(lossPoints.map((p) => p.index));
  let activations = 0;
  let largest = 0;
  for (const p of NETWORK_POINTS.slice(0, deepest + 1)) {
    const b = pointBytes(p, height, width);
    largest = Math.max(largest, b);
    if (p.kind !== 'conv' || lossSet.has(p.index)) activations += b;
  }
  // The input (BGR) and its gradient are image-sized; the backward sweep holds dy, the new gradient, a temporary
  // (the ReLU mask or a loss gradient) and the backend's conv workspace, each up to the largest activation.
  const image = height * width * 3 * F32;
  const backward = 4 * largest + 2 * image;
  const vectors = input.optimizer === 'lbfgs' ? 2 * (input.historySize ?? 50) + 6 : 5;
  const optimizer = vectors * image * (input.pyramid ? 4 / 3 : 1);
  const targets = lossPoints.reduce((a, p) => a + Math.max(p.channels * p.channels * F32, pointBytes(p, height, width)), 0);
  return { activations, backward, optimizer, targets, total: activations + backward + optimizer + targets };
}

/**
 * The most the active backend can hold, in bytes, when it has a hard cap: 4 GiB for WASM (its 32-bit heap);
 * `undefined` when unknown (CPU: host RAM; WebGL: the driver decides).
 */
export function backendMemoryLimit(backend = tf.getBackend()): number | undefined {
  if (backend === 'wasm') return 4 * 1024 ** 3;
  return undefined;
}
