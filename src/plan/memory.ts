/**
 * Memory estimates of one optimisation step, whole or a tile at a time, and the large tensors one pass allocates
 * (for a GPU's per-allocation limit): pure arithmetic on the network's shapes, no tensors. The counts they rest on
 * are in `tuning.ts`.
 */
import type { NetworkPoint } from '../core/layers.js';
import type { NetworkArchitecture } from '../core/architecture.js';
import { activationShape, type PassPlan } from '../core/network.js';
import type { StyleStatistic } from '../core/style-statistics.js';
import type { ConvUse, DeviceLimits, PlannedTensor } from '../kernels/index.js';
import type { TileLayout } from '../stylize/tiling/layout.js';
import { ADAM_VECTORS, BACKWARD_ACTIVATIONS, BACKWARD_IMAGES, IMAGE_SIZED_TENSORS, IMAGE_SIZED_TENSORS_HOST_STATE, LBFGS_WORKING_VECTORS, SORT_TEMPORARIES } from './tuning.js';

/** What a memory estimate is for. */
export interface MemoryEstimateInput {
  height: number;
  width: number;
  /** Points the losses read (content and style layers). */
  lossPoints: readonly NetworkPoint[];
  /** The network the points are in (`model.architecture`). Default VGG-19. */
  network?: NetworkArchitecture;
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
  /**
   * The style terms' statistic (`styleStatistic`): `'histogram'` and `'sliced-wasserstein'` add their sort buffers
   * to `backward` ({@link sortBytes}). Default `'gram'`.
   */
  styleStatistic?: StyleStatistic;
  /** The points of the style terms, for the sort buffers. Default: all of `lossPoints`. */
  stylePoints?: readonly NetworkPoint[];
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
  /** Gradients and temporaries alive at once during the backward pass (with a sorting statistic, its sort buffers). */
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
/** The pyramid's levels hold at most 1 + 1/4 + 1/16 + … = 4/3 of the image's values (exact bound, not tuned). */
const PYRAMID_SHARE = 4 / 3;
/** The L-BFGS history `stepMemory` assumes when none is given: `stylize()`'s default. */
const DEFAULT_HISTORY = 50;

/** Bytes of a float32 RGB image. */
export const imageBytes = (height: number, width: number): number => height * width * 3 * F32;

/** Bytes of one optimiser vector (the image, or the pyramid's levels: 4/3 of it) as float32. */
export const optimiserVectorBytes = (height: number, width: number, pyramid: boolean): number => imageBytes(height, width) * (pyramid ? PYRAMID_SHARE : 1);

/** Bytes of one activation at point `p` for a `height`x`width` input. */
export function activationBytes(p: NetworkPoint, height: number, width: number): number {
  return activationShape(p, height, width).reduce((a, b) => a * b, F32);
}

/**
 * The sort buffers of a sorting statistic's style terms ({@link SORT_TEMPORARIES} activations at the largest point
 * they read; the terms run one at a time), 0 for the others: a whole-image step only (sorting terms are never tiled).
 */
export function sortBytes(statistic: StyleStatistic | undefined, stylePoints: readonly NetworkPoint[], height: number, width: number): number {
  if (statistic !== 'histogram' && statistic !== 'sliced-wasserstein') return 0;
  return SORT_TEMPORARIES[statistic] * Math.max(0, ...stylePoints.map((p) => activationBytes(p, height, width)));
}

/**
 * Peak memory of one optimisation step whose loss pass follows `pass` (see `planPass`): the activations it retains,
 * {@link BACKWARD_ACTIVATIONS} of the largest activation, {@link BACKWARD_IMAGES} images and a sorting statistic's
 * buffers ({@link sortBytes}) during the backward sweep, the optimiser's state and the targets. The run plan and
 * `estimateMemory` both call this.
 */
export function stepMemory(pass: PassPlan, input: Omit<MemoryEstimateInput, 'lossPoints' | 'backend' | 'network'> & { convWeightBytes?: number }): MemoryEstimate {
  const { height, width } = input;
  let activations = 0;
  let largest = 0;
  for (const p of pass.network.points.slice(0, pass.deepestLoss + 1)) {
    const b = activationBytes(p, height, width);
    largest = Math.max(largest, b);
    if (pass.retained.has(p.index)) activations += b;
  }
  const image = imageBytes(height, width);
  const sorts = sortBytes(input.styleStatistic, input.stylePoints ?? [...pass.lossPoints].map((i) => pass.network.points[i]), height, width);
  const backward = BACKWARD_ACTIVATIONS * largest + BACKWARD_IMAGES * image + sorts;
  const vectors = input.optimizer === 'lbfgs' ? 2 * (input.historySize ?? DEFAULT_HISTORY) + LBFGS_WORKING_VECTORS : ADAM_VECTORS;
  const optimizer = vectors * image * (input.pyramid ? PYRAMID_SHARE : 1);
  const targets = [...pass.lossPoints].reduce((a, i) => a + Math.max(pass.network.points[i].channels ** 2 * F32, activationBytes(pass.network.points[i], height, width)), 0);
  const convWeights = input.convWeightBytes ?? 0;
  return { activations, backward, optimizer, targets, convWeights, total: activations + backward + optimizer + targets + convWeights };
}

/** What {@link tiledStepMemory} needs besides the pass and the layout. */
export interface TiledMemoryInput {
  optimizer: 'lbfgs' | 'adam';
  historySize: number;
  pyramid: boolean;
  stateOn: 'device' | 'host';
  contentPoints: readonly NetworkPoint[];
  stylePoints: readonly NetworkPoint[];
}

/**
 * Peak memory on the device of one step evaluated a tile at a time: one crop's pass (its activations and backward
 * sweep, at the largest crop), the content targets at the whole image's size, and — with the optimiser's state on
 * the device — that state and the image-sized tensors that live through an evaluation
 * ({@link IMAGE_SIZED_TENSORS} images); with the state in JS memory, {@link IMAGE_SIZED_TENSORS_HOST_STATE} images.
 * The targets are the content activations at the whole size and the Grams.
 */
export function tiledStepMemory(pass: PassPlan, layout: TileLayout, input: TiledMemoryInput): MemoryEstimate {
  const crop = stepMemory(pass, { height: layout.maxCrop.height, width: layout.maxCrop.width, optimizer: input.optimizer, historySize: 0 });
  const whole = stepMemory(pass, { height: layout.height, width: layout.width, optimizer: input.optimizer, historySize: input.historySize, pyramid: input.pyramid });
  const targets =
    input.contentPoints.reduce((a, p) => a + activationBytes(p, layout.height, layout.width), 0) + input.stylePoints.reduce((a, p) => a + p.channels ** 2 * F32, 0);
  const host = input.stateOn === 'host';
  const backward = crop.backward + (host ? IMAGE_SIZED_TENSORS_HOST_STATE : IMAGE_SIZED_TENSORS) * imageBytes(layout.height, layout.width);
  const activations = crop.activations;
  const optimizer = host ? 0 : whole.optimizer;
  // Not counted here: WASM's Winograd weights, prepared per scale (≤ ~0.3 GB at 512 px; docs/performance.md).
  return { activations, backward, optimizer, targets, convWeights: 0, total: activations + backward + optimizer + targets };
}

/** The convs a pass runs (forward up to `pass.last`, backward from `pass.deepestLoss`) at an input size. */
export function convUse(pass: PassPlan, height: number, width: number): ConvUse {
  const convs = (i: number) => (i < 0 ? 0 : pass.network.points[i].convIndex + 1);
  return { height, width, forward: convs(pass.last), backward: convs(pass.deepestLoss) };
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
  for (const p of pass.network.points.slice(0, pass.last + 1)) {
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
