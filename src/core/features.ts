import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError } from '../errors.js';
import { toImageTensor, type ImageInput } from '../image/input.js';
import { deepestPoint } from './layers.js';
import type { LayerName } from './vgg-names.js';
import type { LossNetwork } from './model.js';
import { forward, preprocess, resolveTapPoints, type Pooling, type Taps } from './network.js';

export interface ExtractOptions<N extends string = LayerName> {
  /** Pooling between blocks. Default `'max'` (the network's own). */
  pooling?: Pooling;
  /**
   * Observe activations as they are computed (they need not be among the returned layers: a named tap deeper
   * than every returned layer extends the computation to it). `layers: 'all'` taps every point that is computed,
   * i.e. up to the deepest returned layer (the whole network only when `layers` is empty).
   */
  taps?: Taps<N>;
}

/**
 * Runs the model (VGG-19, or any {@link LossNetwork}) on an image (RGB, 0–255; the network's preprocessing is
 * applied here) and returns the named activations `[1,H,W,C]`, computing the network only up to the deepest layer
 * asked for (or tapped). Layer names are the model's: for VGG canonical (`conv3_1` before ReLU, `relu3_1` after,
 * `pool3`) or Keras (`block3_conv1` = `relu3_1`); the returned object is keyed by the names as given. The caller
 * owns (disposes) the returned tensors.
 *
 * @example
 * ```ts
 * const { relu1_1, relu3_1 } = await extractFeatures(vgg, { data, width, height }, ['relu1_1', 'relu3_1']);
 * console.log(relu3_1.shape); // [1, H/4, W/4, 256]
 * tf.dispose([relu1_1, relu3_1]);
 * ```
 */
export async function extractFeatures<L extends string, N extends string = LayerName>(
  model: LossNetwork<N>,
  image: ImageInput,
  layers: readonly L[],
  options: ExtractOptions<N> = {},
): Promise<Record<L, tf.Tensor4D>> {
  if (!Array.isArray(layers)) throw new StyleTransferError('INVALID_OPTION', '`layers` must be an array of layer names, e.g. ["relu1_1", "relu4_2"].', { field: 'layers' });
  const points = layers.map((l) => model.architecture.resolve(l, 'layers'));
  const pooling = options.pooling ?? 'max';
  if (pooling !== 'max' && pooling !== 'avg') throw new StyleTransferError('INVALID_OPTION', `\`pooling\` is ${JSON.stringify(pooling)}; expected "max" or "avg".`, { field: 'pooling' });
  let tapPoints = resolveTapPoints(options.taps, model.architecture);
  // 'all' observes what is computed anyway; it does not make the network run past the deepest returned layer.
  const deepest = deepestPoint(points);
  if (options.taps?.layers === 'all' && deepest) tapPoints = tapPoints.filter((p) => p.index <= deepest.index);
  const rgb = toImageTensor(image);
  const input = preprocess(rgb, model.architecture.input);
  rgb.dispose();
  let acts: Map<string, tf.Tensor4D>;
  try {
    acts = await forward(model, input, points, pooling, options.taps ? { points: tapPoints, onActivation: options.taps.onActivation } : undefined);
  } finally {
    input.dispose();
  }
  const result = {} as Record<L, tf.Tensor4D>;
  const used = new Set<tf.Tensor>();
  layers.forEach((name: L, i) => {
    const t = acts.get(points[i].name)!;
    // The same point asked for twice (e.g. relu3_1 and block3_conv1) gets its own tensor each time.
    result[name] = used.has(t) ? tf.clone(t) : t;
    used.add(t);
  });
  return result;
}
