/**
 * Receptive fields of the network's points: the theoretical size from the layer table (3x3 'same' convs with
 * stride 1, 2x2 pools with stride 2), and the effective size — how far the input gradient of one centre unit
 * actually spreads — from the library's own backward pass.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError, describe } from '../errors.js';
import { toImageTensor, type ImageInput } from '../image/input.js';
import { VGG19, type NetworkArchitecture, type NetworkPoint } from '../core/architecture.js';
import type { LossNetwork } from '../core/model.js';
import { activationShape, assertFits, lossAndGradient, type PointLoss, type Pooling } from '../core/network.js';

/** The theoretical receptive field of a network point. */
export interface TheoreticalReceptiveField {
  layer: string;
  /** Side in input pixels of the square patch one unit depends on (ignoring the image's borders). */
  size: number;
  /** Input pixels between neighbouring units (the product of the strides so far). */
  jump: number;
}

/**
 * The theoretical receptive field of a point: each 3x3 conv (stride 1, 'same' padding) adds 2·jump pixels, each
 * 2x2 pool (stride 2) adds one jump and doubles it; ReLUs add nothing. conv1_1 3, pool1 6, conv2_1 10, conv3_1 24,
 * conv4_1 68, conv5_1 156, conv5_4 252, pool5 268 in VGG-19 (the default `network`); VGG-16's conv5_3 196.
 */
export function theoreticalReceptiveField(layer: string, network: NetworkArchitecture = VGG19): TheoreticalReceptiveField {
  const target = network.resolve(layer, 'layer');
  let size = 1;
  let jump = 1;
  for (const p of network.points.slice(0, target.index + 1)) {
    if (p.kind === 'conv') size += 2 * jump;
    else if (p.kind === 'pool') {
      size += jump;
      jump *= 2;
    }
  }
  return { layer: target.name, size, jump };
}

/** Options of {@link effectiveReceptiveField}. */
export interface EffectiveReceptiveFieldOptions {
  /** Pooling between blocks. Default `'max'`. */
  pooling?: Pooling;
  /** Share of the gradient mass the effective size holds. Default 0.95. */
  mass?: number;
  /** The unit whose gradient is taken, `[row, column]` in the layer's grid. Default: the centre one. */
  unit?: readonly [number, number];
}

/** The effective receptive field of one unit (see {@link effectiveReceptiveField}). */
export interface EffectiveReceptiveField {
  layer: string;
  /** Side in pixels of the smallest square around the unit's centre holding `mass` of Σ|∂y/∂x|. */
  size: number;
  /** Root-mean-square distance (pixels) of the gradient mass from the unit's centre. */
  rms: number;
  /** Side of the square around the centre that holds every non-zero gradient (≤ the theoretical size). */
  support: number;
  /** The theoretical size, for comparison. */
  theoretical: number;
  /** True when the theoretical field reaches past the image's border (the effective one is then cut too). */
  clipped: boolean;
  /** The unit, `[row, column]`, and its centre in input pixels `[y, x]`. */
  unit: [number, number];
  centre: [number, number];
  /** Σ over R, G, B of |∂y/∂x| per input pixel, `[H·W]` row-major, scaled to a maximum of 1. */
  map: Float32Array;
  width: number;
  height: number;
  /** The share of the mass the size holds. */
  mass: number;
}

/**
 * The effective receptive field of a unit of `layer` on `image` (RGB 0–255): the gradient of the sum of the
 * unit's channels with respect to the input pixels, by the same hand-written backward pass the optimisation uses
 * (so max pooling routes it to the winning inputs of this image, and ReLUs cut it where they are off). Reports the
 * side of the smallest centred square holding 95% of Σ|∂y/∂x| (Luo et al. 2016 show it is much smaller than the
 * theoretical field), the RMS radius of the mass, and the support. Makes no tensor it does not free.
 *
 * @example
 * ```ts
 * const erf = await effectiveReceptiveField(vgg, photo128, 'conv3_1');
 * console.log(erf.size, erf.theoretical); // e.g. 15 24
 * ```
 */
export async function effectiveReceptiveField(model: LossNetwork, image: ImageInput, layer: string, options: EffectiveReceptiveFieldOptions = {}): Promise<EffectiveReceptiveField> {
  const point: NetworkPoint = model.architecture.resolve(layer, 'layer');
  const pooling = options.pooling ?? 'max';
  if (pooling !== 'max' && pooling !== 'avg') throw new StyleTransferError('INVALID_OPTION', `\`pooling\` is ${describe(pooling)}; expected "max" or "avg".`, { field: 'pooling' });
  const mass = options.mass ?? 0.95;
  if (typeof mass !== 'number' || !(mass > 0 && mass <= 1)) throw new StyleTransferError('INVALID_OPTION', `\`mass\` is ${describe(mass)}; expected a share in (0, 1].`, { field: 'mass' });
  const rgb = toImageTensor(image, 'image');
  try {
    const [, height, width] = rgb.shape;
    assertFits(height, width, point);
    const [, ah, aw, channels] = activationShape(point, height, width);
    const [row, col] = options.unit ?? [Math.floor((ah - 1) / 2), Math.floor((aw - 1) / 2)];
    if (!Number.isInteger(row) || !Number.isInteger(col) || row < 0 || col < 0 || row >= ah || col >= aw) {
      throw new StyleTransferError('INVALID_OPTION', `\`unit\` is ${describe(options.unit)}; ${point.name} is ${ah}x${aw} units here, so give [row 0–${ah - 1}, column 0–${aw - 1}].`, { field: 'unit' });
    }
    const centreUnit: PointLoss = (a) =>
      tf.tidy(() => ({
        value: tf.sum(tf.slice(a, [0, row, col, 0], [1, 1, 1, channels])) as tf.Scalar,
        grad: tf.pad(tf.ones([1, 1, 1, channels]), [[0, 0], [row, ah - 1 - row], [col, aw - 1 - col], [0, 0]]) as tf.Tensor4D,
      }));
    const { values, grad } = lossAndGradient(model, rgb, new Map([[point.index, centreUnit]]), pooling);
    tf.dispose(values);
    let g: Float32Array;
    try {
      g = (await grad.data()) as Float32Array;
    } finally {
      grad.dispose();
    }
    return measure(g, width, height, point, row, col, mass, model.architecture);
  } finally {
    rgb.dispose();
  }
}

/** Sizes of a gradient `[H, W, 3]` around the unit's centre. */
function measure(g: Float32Array, width: number, height: number, point: NetworkPoint, row: number, col: number, mass: number, network: NetworkArchitecture): EffectiveReceptiveField {
  const theo = theoreticalReceptiveField(point.name, network);
  const s = point.stride;
  // A unit at stride s covers input pixels s·i … s·i + s − 1 before its convs widen it: its centre is s·i + (s − 1)/2.
  const cy = s * row + (s - 1) / 2;
  const cx = s * col + (s - 1) / 2;
  const n = width * height;
  const m = new Float32Array(n);
  let total = 0;
  let peak = 0;
  let sq = 0;
  let reach = -1;
  const dist = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = Math.abs(g[3 * i]) + Math.abs(g[3 * i + 1]) + Math.abs(g[3 * i + 2]);
    m[i] = v;
    const y = Math.floor(i / width);
    const x = i - y * width;
    dist[i] = Math.max(Math.abs(y - cy), Math.abs(x - cx));
    total += v;
    sq += v * ((y - cy) ** 2 + (x - cx) ** 2);
    if (v > 0 && dist[i] > reach) reach = dist[i];
    if (v > peak) peak = v;
  }
  const half = (theo.size - 1) / 2;
  const clipped = cy - half < 0 || cx - half < 0 || cy + half > height - 1 || cx + half > width - 1;
  let size = 0;
  if (total > 0) {
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => dist[a] - dist[b]);
    let acc = 0;
    for (const i of order) {
      acc += m[i];
      if (acc >= mass * total * (1 - 1e-9)) {
        size = 2 * dist[i] + 1;
        break;
      }
    }
  }
  if (peak > 0) for (let i = 0; i < n; i++) m[i] /= peak;
  return {
    layer: point.name,
    size,
    rms: total > 0 ? Math.sqrt(sq / total) : 0,
    support: reach < 0 ? 0 : 2 * reach + 1,
    theoretical: theo.size,
    clipped,
    unit: [row, col],
    centre: [cy, cx],
    map: m,
    width,
    height,
    mass,
  };
}
