import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError } from '../errors.js';
import { CAFFE_INPUT, VGG19, type InputConvention, type NetworkArchitecture, type NetworkPoint } from './architecture.js';
import type { LayerName } from './vgg-names.js';
import { activeKernels, type Kernels } from '../kernels/index.js';
import type { LossNetwork } from './model.js';

/** Pooling between blocks: the network's own max pooling, or average pooling (Gatys et al. found it smoother). */
export type Pooling = 'max' | 'avg';

/** Caffe preprocessing mean, in B, G, R order. */
export const BGR_MEAN = [103.939, 116.779, 123.68] as const;

/**
 * RGB 0–255 `[1,H,W,3]` → the network's input as its {@link InputConvention} says; by default (VGG's Caffe
 * convention) BGR with the ImageNet mean subtracted. A model's own: `preprocess(rgb, model.architecture.input)`.
 */
export function preprocess(rgb: tf.Tensor4D, input: InputConvention = CAFFE_INPUT): tf.Tensor4D {
  return tf.tidy(() => {
    const ordered = input.order === 'bgr' ? tf.reverse(rgb, -1) : rgb;
    const centred: tf.Tensor4D = tf.sub(ordered, tf.tensor1d([...input.mean]));
    return input.std ? tf.div(centred, tf.tensor1d([...input.std])) : centred;
  });
}

/** The gradient with respect to RGB pixels from the gradient with respect to the network's input (the adjoint of {@link preprocess}). */
function unpreprocessGrad(g: tf.Tensor4D, input: InputConvention): tf.Tensor4D {
  return tf.tidy(() => {
    const scaled: tf.Tensor4D = input.std ? tf.div(g, tf.tensor1d([...input.std])) : g;
    return input.order === 'bgr' ? tf.reverse(scaled, -1) : tf.clone(scaled);
  });
}

/** What a tap callback is told about the activation it receives. */
export interface TapInfo<N extends string = LayerName> {
  /** The network point (name, kind conv/relu/pool, block, channels, stride). */
  point: NetworkPoint<N>;
  /** Activation shape `[1,H,W,C]`. */
  shape: number[];
  /** During `stylize()`: the iteration the activation belongs to. */
  iteration?: number;
}

/**
 * Observe activations as they are computed. The tensor passed to `onActivation` is valid only during the call
 * (clone it to keep it); an async callback is awaited before the tensor is freed.
 *
 * In `stylize()` the taps see the optimisation's own forward pass, at no extra pass: the activations of the image
 * being optimised at that iteration — the evaluation whose loss the iteration reports (for L-BFGS, the point its
 * line search accepted) — before the output's clipping to 0–255 (and, with `preserveColors: 'luminance'`, of the
 * grey image the loss sees).
 */
export interface Taps<N extends string = LayerName> {
  /** Points to observe (`conv3_1`, `relu3_1`, `pool3`, Keras `block3_conv1`; another network's own names), or `'all'`. */
  layers: readonly string[] | 'all';
  /** `name` is the point's canonical name (typed as VGG-19's by default; `Taps<string>` for another network). */
  // A method signature, so a callback typed for VGG-19's names is accepted where any network's are passed.
  onActivation(name: N, activation: tf.Tensor4D, info: TapInfo<N>): void | Promise<void>;
  /** In `stylize()`: call the taps every N iterations (and on the last). Default 10. */
  every?: number;
}

/** The points `taps` names, in `network`. */
export function resolveTapPoints(taps: Taps<string> | undefined, network: NetworkArchitecture): NetworkPoint[] {
  if (!taps) return [];
  if (typeof taps.onActivation !== 'function') throw new StyleTransferError('INVALID_OPTION', '`taps.onActivation` must be a function (name, tensor, info) => void.', { field: 'taps.onActivation' });
  if (taps.layers === 'all') return [...network.points];
  if (!Array.isArray(taps.layers)) throw new StyleTransferError('INVALID_OPTION', '`taps.layers` must be an array of layer names or "all".', { field: 'taps.layers' });
  return taps.layers.map((l) => network.resolve(l, 'taps.layers'));
}

/** The activation shape `[1, h, w, C]` at a point for an input of `height`x`width` ('valid' 2x2 pools floor each side). */
export function activationShape(p: NetworkPoint, height: number, width: number): [number, number, number, number] {
  const pools = Math.log2(p.stride); // every pool up to and including this point
  let h = height;
  let w = width;
  for (let k = 0; k < pools; k++) {
    h = Math.floor(h / 2);
    w = Math.floor(w / 2);
  }
  return [1, h, w, p.channels];
}

/**
 * What one pass through the network computes and keeps, decided before it runs ({@link planPass}); the run
 * plan (stylize/plan.ts) makes it once per run and memory estimates read the same object.
 */
export interface PassPlan {
  /** The network the pass runs through. */
  network: NetworkArchitecture;
  pooling: Pooling;
  /** Index of the deepest point computed. */
  last: number;
  /** Index of the deepest point with a loss (the backward pass starts there); -1 for a forward-only pass. */
  deepestLoss: number;
  /** Points with a loss. */
  lossPoints: ReadonlySet<number>;
  /**
   * Points whose activations stay alive after the next point is computed: those the caller asked to keep, the
   * loss points, and what the backward pass reads (each ReLU's output for its mask, each pool's input, each max
   * pool's output). Pre-ReLU conv outputs are kept only where a loss or a pool reads them: a conv's input gradient
   * needs no activation. Everything else is freed as soon as the next point exists.
   */
  retained: ReadonlySet<number>;
}

/** Plans a pass through `network` (default VGG-19): `losses` (backward pass from the deepest), `keep` (returned to the caller), `observe` (taps). */
export function planPass(spec: { network?: NetworkArchitecture; pooling: Pooling; losses?: readonly NetworkPoint[]; keep?: readonly NetworkPoint[]; observe?: readonly NetworkPoint[] }): PassPlan {
  const network = spec.network ?? VGG19;
  const points = network.points;
  const losses = spec.losses ?? [];
  const deepestLoss = Math.max(-1, ...losses.map((p) => p.index));
  const last = Math.max(deepestLoss, ...(spec.keep ?? []).map((p) => p.index), ...(spec.observe ?? []).map((p) => p.index));
  const retained = new Set<number>([...losses, ...(spec.keep ?? [])].map((p) => p.index));
  for (const p of points.slice(0, deepestLoss + 1)) {
    if (p.kind === 'relu' || (p.kind === 'pool' && spec.pooling === 'max')) retained.add(p.index);
    // A pool's backward step reads its input (in VGG a ReLU's output, retained above).
    if (p.kind === 'pool' && p.index > 0) retained.add(p.index - 1);
  }
  return { network, pooling: spec.pooling, last, deepestLoss, lossPoints: new Set(losses.map((p) => p.index)), retained };
}

function layer(model: LossNetwork, p: NetworkPoint, x: tf.Tensor4D, pooling: Pooling, kernels: Kernels): tf.Tensor4D {
  if (p.kind === 'conv') return kernels.conv(x, model, p.convIndex, 'forward');
  if (p.kind === 'relu') return tf.relu(x);
  return pooling === 'avg' ? tf.avgPool(x, 2, 2, 'valid') : tf.maxPool(x, 2, 2, 'valid');
}

/** One point of the forward sweep: valid until the sweep moves on, unless the plan retains it. */
interface Computed {
  point: NetworkPoint;
  activation: tf.Tensor4D;
}

/**
 * The network's forward sweep, the one walker every pass uses (features, taps, loss and gradient): computes
 * points 0…`plan.last` from a preprocessed input and yields each activation as it is made. An activation the plan
 * does not retain is freed once the next one exists; the retained ones are returned by point index (the caller
 * owns them). Stopped early (`return()` or a throw), it frees everything it made.
 */
function* sweep(model: LossNetwork, input: tf.Tensor4D, plan: PassPlan, kernels: Kernels): Generator<Computed, (tf.Tensor4D | undefined)[], void> {
  const kept: (tf.Tensor4D | undefined)[] = new Array(plan.last + 1);
  let transient: tf.Tensor4D | undefined; // the latest activation, when not retained
  let complete = false;
  try {
    let x = input;
    for (let i = 0; i <= plan.last; i++) {
      const point = plan.network.points[i];
      const y = layer(model, point, x, plan.pooling, kernels);
      transient?.dispose();
      transient = undefined;
      if (plan.retained.has(i)) kept[i] = y;
      else transient = y;
      x = y;
      yield { point, activation: y };
    }
    complete = true;
    return kept;
  } finally {
    transient?.dispose();
    if (!complete) for (const t of kept) t?.dispose();
  }
}

/**
 * Runs the network on a preprocessed input up to the deepest of `keep` and `taps.points`, returning the kept
 * activations (owned by the caller) and awaiting the taps as each point is computed. Intermediates are freed as
 * soon as the next one exists.
 */
export async function forward(
  model: LossNetwork,
  input: tf.Tensor4D,
  keep: readonly NetworkPoint[],
  pooling: Pooling,
  taps?: { points: readonly NetworkPoint[]; onActivation: Taps<string>['onActivation']; iteration?: number },
): Promise<Map<string, tf.Tensor4D>> {
  const plan = planPass({ network: model.architecture, pooling, keep, observe: taps?.points });
  const out = new Map<string, tf.Tensor4D>();
  if (plan.last < 0) return out;
  assertFits(input.shape[1], input.shape[2], plan.network.points[plan.last]);
  const tapped = new Set((taps?.points ?? []).map((p) => p.index));
  const walk = sweep(model, input, plan, activeKernels());
  try {
    let r = walk.next();
    while (!r.done) {
      const { point, activation } = r.value;
      if (taps && tapped.has(point.index)) await taps.onActivation(point.name, activation, { point, shape: activation.shape, iteration: taps.iteration });
      r = walk.next();
    }
    for (const p of keep) out.set(p.name, r.value[p.index]!);
  } finally {
    walk.return([]);
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

/** A loss term attached to one network point: returns its value and dLoss/dActivation. */
export type PointLoss = (activation: tf.Tensor4D) => { value: tf.Scalar; grad: tf.Tensor4D };

/** Loss terms by network point index; several terms at one point are summed. */
export type PointLosses = ReadonlyMap<number, readonly PointLoss[]>;

/** Sees activations during a pass, synchronously, each valid only during the call. */
export interface PassObserver {
  points: ReadonlySet<number>;
  onActivation(point: NetworkPoint, activation: tf.Tensor4D): void;
}

/** What {@link lossPass} returns; the caller owns every tensor. */
export interface LossPassResult {
  /** Each loss point's term values, by point index, in the order its terms were given. */
  values: Map<number, tf.Scalar[]>;
  /** Gradient of the sum of all terms with respect to the RGB input (0–255 units). */
  grad: tf.Tensor4D;
}

/**
 * One forward and one backward pass through the network with hand-written gradients, as `plan` says (compute up to
 * `plan.last`, keep `plan.retained`, backward from `plan.deepestLoss`); `observe` sees the points it names as they
 * are computed, in the same forward sweep. Returns each loss term's value keyed by point and the gradient of their
 * sum with respect to the RGB input.
 *
 * The backward pass is explicit rather than `tf.grad` because (a) it needs no gradient registry (tfjs-core's
 * Node bundle registers none), (b) each conv's input gradient is a forward conv with the pre-flipped kernel
 * (15x faster than Conv2DBackpropInput on WASM), and (c) memory: only what the backward pass reads is kept, and
 * each activation and gradient is freed as soon as the sweep has passed it. The backend-specific steps (pooling
 * backward, Grams in the style terms) are `kernels`'.
 */
export function lossPass(model: LossNetwork, rgb: tf.Tensor4D, plan: PassPlan, losses: PointLosses, kernels: Kernels, observe?: PassObserver): LossPassResult {
  if (plan.deepestLoss < 0 || [...losses.keys()].some((i) => !plan.lossPoints.has(i))) {
    throw new StyleTransferError('INVALID_OPTION', 'lossPass needs at least one loss, each at a point its plan has a loss for (planPass({ losses })).');
  }
  if (plan.network !== model.architecture) throw new StyleTransferError('INVALID_OPTION', `lossPass: the plan is for ${plan.network.name}, the model is ${model.architecture.name}.`);
  const points = plan.network.points;
  assertFits(rgb.shape[1], rgb.shape[2], points[plan.last]);
  const input = preprocess(rgb, model.architecture.input);
  const values = new Map<number, tf.Scalar[]>();
  let acts: (tf.Tensor4D | undefined)[] = [];
  let g: tf.Tensor4D | undefined;
  try {
    const walk = sweep(model, input, plan, kernels);
    try {
      let r = walk.next();
      while (!r.done) {
        if (observe?.points.has(r.value.point.index)) observe.onActivation(r.value.point, r.value.activation);
        r = walk.next();
      }
      acts = r.value;
    } finally {
      walk.return([]);
    }
    const replace = (next: tf.Tensor4D) => {
      g?.dispose();
      g = next;
    };
    let reluDone = -1; // a ReLU whose backward step was fused into its pool's
    for (let i = plan.deepestLoss; i >= 0; i--) {
      const a = acts[i]; // undefined where the backward pass reads nothing and no loss is attached
      for (const term of losses.get(i) ?? []) {
        const { value, grad } = term(a!);
        values.set(i, [...(values.get(i) ?? []), value]);
        if (g) {
          replace(tf.add(g, grad) as tf.Tensor4D);
          grad.dispose();
        } else g = grad;
      }
      if (!g) {
        // No term here or deeper yet (e.g. every region vanished at the deepest style layer): nothing flows back.
        a?.dispose();
        acts[i] = undefined;
        continue;
      }
      const p = points[i];
      const dy = g;
      if (p.kind === 'pool') {
        const below = i > 0 ? acts[i - 1]! : input;
        if (plan.pooling === 'avg') replace(kernels.avgPoolBackward(dy, below));
        else if (!losses.has(i - 1) && points[i - 1]?.kind === 'relu') {
          // The ReLU below has no loss of its own: both backward steps at once.
          replace(kernels.reluMaxPoolBackward(dy, below, a!));
          reluDone = i - 1;
        } else replace(kernels.maxPoolBackward(dy, below, a!));
      } else if (p.kind === 'relu') {
        if (reluDone !== i) replace(tf.tidy(() => tf.mul(dy, tf.step(a!)) as tf.Tensor4D));
      } else {
        replace(kernels.conv(dy, model, p.convIndex, 'backward'));
      }
      a?.dispose();
      acts[i] = undefined;
    }
    // preprocess() reordered, shifted and scaled the channels: its adjoint takes the gradient back to RGB.
    const grad = g ? unpreprocessGrad(g, model.architecture.input) : tf.zerosLike(rgb);
    return { values, grad };
  } catch (e) {
    for (const v of values.values()) tf.dispose(v);
    throw e;
  } finally {
    (g as tf.Tensor4D | undefined)?.dispose();
    for (const a of acts) a?.dispose();
    input.dispose();
  }
}

/**
 * One forward and one backward pass for a loss term per point: returns the terms' values (in forward order of
 * their points) and the gradient of their sum with respect to the RGB input (0–255 units). The caller owns the
 * returned tensors. `kernels`: the backend's fast paths (default: the active backend's). See {@link lossPass}.
 */
export function lossAndGradient(
  model: LossNetwork,
  rgb: tf.Tensor4D,
  losses: ReadonlyMap<number, PointLoss>,
  pooling: Pooling,
  kernels: Kernels = activeKernels(),
): { values: tf.Scalar[]; grad: tf.Tensor4D } {
  const points = [...losses.keys()].sort((a, b) => a - b);
  const plan = planPass({ network: model.architecture, pooling, losses: points.map((i) => model.architecture.points[i]) });
  const r = lossPass(model, rgb, plan, new Map(points.map((i) => [i, [losses.get(i)!]])), kernels);
  return { values: points.map((i) => r.values.get(i)![0]), grad: r.grad };
}
