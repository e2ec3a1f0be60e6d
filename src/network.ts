import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError } from './errors.js';
import { NETWORK_POINTS, resolveLayer, type LayerName, type NetworkPoint } from './layers.js';
import type { Vgg19 } from './model.js';

/** Pooling between blocks: the network's own max pooling, or average pooling (Gatys et al. found it smoother). */
export type Pooling = 'max' | 'avg';

/** Caffe preprocessing mean, in B, G, R order. */
export const BGR_MEAN = [103.939, 116.779, 123.68] as const;

/** RGB 0–255 `[1,H,W,3]` → the network's input: BGR with the ImageNet mean subtracted. */
export function preprocess(rgb: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.sub(tf.reverse(rgb, -1), tf.tensor1d(BGR_MEAN as unknown as number[])));
}

/** What a tap callback is told about the activation it receives. */
export interface TapInfo {
  /** The network point (name, kind conv/relu/pool, block, channels, stride). */
  point: NetworkPoint;
  /** Activation shape `[1,H,W,C]`. */
  shape: number[];
  /** During `stylize()`: the iteration the activation belongs to. */
  iteration?: number;
}

/**
 * Observe activations as they are computed. The tensor passed to `onActivation` is valid only during the call
 * (clone it to keep it); an async callback is awaited before the tensor is freed.
 */
export interface Taps {
  /** Points to observe (`conv3_1`, `relu3_1`, `pool3`, Keras `block3_conv1`), or `'all'`. */
  layers: readonly string[] | 'all';
  onActivation: (name: LayerName, activation: tf.Tensor4D, info: TapInfo) => void | Promise<void>;
  /** In `stylize()`: call the taps every N iterations (and on the last). Default 10. */
  every?: number;
}

export function resolveTapPoints(taps: Taps | undefined): NetworkPoint[] {
  if (!taps) return [];
  if (typeof taps.onActivation !== 'function') throw new StyleTransferError('INVALID_OPTION', '`taps.onActivation` must be a function (name, tensor, info) => void.', { field: 'taps.onActivation' });
  if (taps.layers === 'all') return [...NETWORK_POINTS];
  if (!Array.isArray(taps.layers)) throw new StyleTransferError('INVALID_OPTION', '`taps.layers` must be an array of layer names or "all".', { field: 'taps.layers' });
  return taps.layers.map((l) => resolveLayer(l, 'taps.layers'));
}

function pool(x: tf.Tensor4D, pooling: Pooling): tf.Tensor4D {
  return pooling === 'avg' ? tf.avgPool(x, 2, 2, 'valid') : tf.maxPool(x, 2, 2, 'valid');
}

/**
 * Backward of ReLU followed by 2x2 max pooling, in one go: the gradient w.r.t. the pre-ReLU conv output, given
 * dy (w.r.t. the pool output), `reluOut` (the pool's input) and `pooled` (its output).
 *
 * On WASM, tfjs's MaxPoolGrad is a scalar loop (~86 ms at 256x256x64, ~10% of an evaluation). For 2x2/stride-2
 * pooling of an even-sized map the same gradient is: dy upsampled (nearest) where the input equals its window's
 * max, else 0 — all same-shape ops that run vectorised (~45 ms with the ReLU mask included). The ReLU mask is
 * folded in by raising all-zero windows' max to 1e-30 before the comparison, so zeros never match. (A window
 * with two equal positive maxima passes the gradient to both, where MaxPoolGrad picks one: a measure-zero
 * difference for real-valued activations.) Used only where {@link canFuseReluMaxPool} says so; elsewhere the
 * backward pass runs the MaxPoolGrad kernel and the ReLU mask as separate steps.
 */
function reluMaxPoolBackward(dy: tf.Tensor4D, reluOut: tf.Tensor4D, pooled: tf.Tensor4D): tf.Tensor4D {
  const [, h, w] = reluOut.shape;
  // Ordered so that at most three full-size temporaries are alive at once (this runs at the largest maps).
  const isMax = tf.tidy(() => tf.equal(reluOut, tf.image.resizeNearestNeighbor(tf.maximum(pooled, 1e-30) as tf.Tensor4D, [h, w])));
  const mask = tf.cast(isMax, 'float32');
  isMax.dispose();
  const up = tf.image.resizeNearestNeighbor(dy, [h, w]);
  const dx = tf.mul(up, mask) as tf.Tensor4D;
  tf.dispose([up, mask]);
  return dx;
}

/** WASM only (elsewhere MaxPoolGrad is not the bottleneck), and even sizes (so nearest upsampling matches). */
function canFuseReluMaxPool(reluOut: tf.Tensor4D): boolean {
  return tf.getBackend() === 'wasm' && reluOut.shape[1] % 2 === 0 && reluOut.shape[2] % 2 === 0;
}

/**
 * Runs the network on a preprocessed input up to the deepest of `keep` and `tapPoints`, returning the kept
 * activations (owned by the caller) and calling the taps as each point is computed. Intermediates are freed as
 * soon as the next one exists.
 */
export async function forward(
  model: Vgg19,
  input: tf.Tensor4D,
  keep: readonly NetworkPoint[],
  pooling: Pooling,
  taps?: { points: readonly NetworkPoint[]; onActivation: Taps['onActivation']; iteration?: number },
): Promise<Map<LayerName, tf.Tensor4D>> {
  const keepSet = new Set(keep.map((p) => p.index));
  const tapSet = new Set((taps?.points ?? []).map((p) => p.index));
  const last = Math.max(-1, ...keepSet, ...tapSet);
  if (last >= 0) assertFits(input.shape[1], input.shape[2], NETWORK_POINTS[last]);
  const out = new Map<LayerName, tf.Tensor4D>();
  let x = input;
  try {
    for (let i = 0; i <= last; i++) {
      const p = NETWORK_POINTS[i];
      let y: tf.Tensor4D;
      if (p.kind === 'conv') {
        const k = model.kernel(p.convIndex);
        const b = model.bias(p.convIndex);
        y = tf.tidy(() => tf.add(tf.conv2d(x, k, 1, 'same'), b) as tf.Tensor4D);
      } else if (p.kind === 'relu') y = tf.relu(x);
      else y = pool(x, pooling);
      if (x !== input && !out.has(NETWORK_POINTS[i - 1].name)) x.dispose();
      x = y;
      if (tapSet.has(i) && taps) await taps.onActivation(p.name, y, { point: p, shape: y.shape, iteration: taps.iteration });
      if (keepSet.has(i)) out.set(p.name, y);
    }
    if (x !== input && !out.has(NETWORK_POINTS[last]?.name)) x.dispose();
  } catch (e) {
    if (x !== input && !x.isDisposed && ![...out.values()].includes(x)) x.dispose();
    for (const t of out.values()) t.dispose();
    throw e;
  }
  return out;
}

/**
 * Each 2x2 pooling halves a side (rounding down), so reaching a point needs at least `stride` pixels on each
 * side; a smaller input would give an empty activation (on WASM an empty pooling output corrupts the heap).
 */
export function assertFits(height: number, width: number, deepest: NetworkPoint, field = 'image', larger = 'image'): void {
  const need = deepest.stride;
  if (height < need || width < need) {
    throw new StyleTransferError(
      'INVALID_IMAGE',
      `\`${field}\` is ${width}x${height} px, too small for layer ${deepest.name}, which needs at least ${need}x${need} px. Use a larger ${larger}, or layers from an earlier block.`,
      { field, width, height, layer: deepest.name },
    );
  }
}

/** A loss term attached to one network point: returns its value(s) and dLoss/dActivation. */
export type PointLoss = (activation: tf.Tensor4D) => { value: tf.Scalar; grad: tf.Tensor4D };

/**
 * One forward and one backward pass through the network with hand-written gradients: returns the point losses'
 * values (in forward order of their points) and the gradient of their sum with respect to the RGB input
 * (0–255 units). The caller owns the returned tensors.
 *
 * The backward pass is explicit rather than `tf.grad` because (a) it needs no gradient registry (tfjs-core's
 * Node bundle registers none), (b) each conv's input gradient is a forward conv with the pre-flipped kernel
 * (15x faster than Conv2DBackpropInput on WASM), and (c) memory: only what the backward pass needs is kept
 * (ReLU outputs for their masks, pool outputs; pre-ReLU conv outputs only where a loss reads them), and each
 * activation and gradient is freed as soon as the sweep has passed it.
 */
export function lossAndGradient(
  model: Vgg19,
  rgb: tf.Tensor4D,
  losses: ReadonlyMap<number, PointLoss>,
  pooling: Pooling,
): { values: tf.Scalar[]; grad: tf.Tensor4D } {
  const last = Math.max(...losses.keys());
  assertFits(rgb.shape[1], rgb.shape[2], NETWORK_POINTS[last]);
  const acts: (tf.Tensor4D | undefined)[] = new Array(last + 1);
  const input = preprocess(rgb);
  let x = input;
  try {
    for (let i = 0; i <= last; i++) {
      const p = NETWORK_POINTS[i];
      let y: tf.Tensor4D;
      if (p.kind === 'conv') {
        y = tf.tidy(() => tf.add(tf.conv2d(x, model.kernel(p.convIndex), 1, 'same'), model.bias(p.convIndex)) as tf.Tensor4D);
      } else if (p.kind === 'relu') {
        y = tf.relu(x);
        // The pre-ReLU output is needed later only if a loss reads it.
        if (!losses.has(i - 1)) {
          x.dispose();
          acts[i - 1] = undefined;
        }
      } else y = pool(x, pooling);
      acts[i] = y;
      x = y;
    }
    const values: tf.Scalar[] = [];
    let g: tf.Tensor4D | null = null;
    let skipRelu = -1;
    const replace = (next: tf.Tensor4D) => {
      g?.dispose();
      g = next;
    };
    for (let i = last; i >= 0; i--) {
      const loss = losses.get(i);
      const a = acts[i]; // undefined for a pre-ReLU conv output no loss reads
      if (loss) {
        const { value, grad } = loss(a!);
        values.push(value);
        if (g) {
          replace(tf.add(g, grad) as tf.Tensor4D);
          grad.dispose();
        } else g = grad;
      }
      const p = NETWORK_POINTS[i];
      const below = i > 0 ? acts[i - 1] : input;
      if (g) {
        const dy: tf.Tensor4D = g;
        if (p.kind === 'pool' && pooling === 'max' && NETWORK_POINTS[i - 1].kind === 'relu' && !losses.has(i - 1) && canFuseReluMaxPool(below!)) {
          // The ReLU below has no loss of its own: do both backward steps at once and skip the ReLU's.
          replace(reluMaxPoolBackward(dy, below!, a!));
          skipRelu = i - 1;
        } else if (p.kind === 'pool') {
          replace(pooling === 'avg'
            ? (tf.engine().runKernel('AvgPoolGrad', { dy, input: below! }, { filterSize: 2, strides: 2, pad: 'valid' }) as tf.Tensor4D)
            : (tf.engine().runKernel('MaxPoolGrad', { dy, input: below!, output: a! }, { filterSize: 2, strides: 2, pad: 'valid' }) as tf.Tensor4D));
        } else if (p.kind === 'relu' && skipRelu === i) {
          // Already applied together with the pool above.
        } else if (p.kind === 'relu') {
          replace(tf.tidy(() => tf.mul(dy, tf.step(a!)) as tf.Tensor4D));
        } else {
          replace(tf.conv2d(dy, model.flippedKernel(p.convIndex), 1, 'same'));
        }
      }
      a?.dispose();
      acts[i] = undefined;
    }
    // preprocess() reversed the channel axis and shifted: the RGB gradient is the BGR one reversed back.
    const grad = tf.reverse(g!, -1);
    (g as tf.Tensor4D | null)?.dispose();
    return { values: values.reverse(), grad };
  } finally {
    for (const a of acts) a?.dispose();
    input.dispose();
  }
}
