/**
 * Gram distances by region: how close the statistics of a part of an image are to a style's — the leakage measure
 * of docs/regions.md (does region A's style reach into region B?).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { extractFeatures } from '../core/features.js';
import { gramMatrix } from '../core/gram.js';
import type { LossNetwork } from '../core/model.js';
import { toImageTensor, type ImageInput } from '../image/input.js';
import { readMask, type MaskInput } from '../regions/mask.js';
import type { PropagationOptions } from '../regions/propagate.js';
import { guidesAt, guidedGram } from '../regions/targets.js';
import type { DistanceOptions, LayerDistance } from './feature-distance.js';

/** Options of {@link regionGramDistances}. */
export interface RegionDistanceOptions extends DistanceOptions {
  /** How the mask reaches each layer. Default `{ mode: 'area' }`: each unit counts by its share of the mask. */
  propagation?: PropagationOptions;
  /** Only this part of the style image (a mask over it). Default: all of it. */
  styleMask?: MaskInput;
}

/** The guided Grams (G = (F∘T)ᵀ(F∘T)/(C·ΣT²)) of `image` at `layers` inside `mask` (or plain Grams without one). */
async function gramsIn(model: LossNetwork, image: ImageInput, mask: MaskInput | undefined, layers: readonly string[], o: RegionDistanceOptions): Promise<Map<string, tf.Tensor2D | undefined>> {
  const points = layers.map((l) => model.architecture.resolve(l, 'layers'));
  const size = toImageTensor(image);
  const [, height, width] = size.shape;
  size.dispose();
  const guides = mask === undefined ? undefined : guidesAt(await readMask(mask, 'mask'), height, width, points, { ...(o.propagation ?? { mode: 'area' }), network: model.architecture });
  const acts = await extractFeatures(model, image, layers, { pooling: o.pooling });
  const gram = (x: tf.Tensor2D) => tf.matMul(x, x, true, false) as tf.Tensor2D;
  try {
    return new Map(layers.map((l, i) => {
      if (!guides) return [l, gramMatrix(acts[l])];
      const g = guides.get(points[i].index);
      return [l, g ? guidedGram(acts[l], g, gram) : undefined];
    }));
  } finally {
    tf.dispose(Object.values(acts));
    if (guides) tf.dispose([...guides.values()]);
  }
}

/**
 * Each layer's distance between the statistics of `image` inside `mask` (a region's guided Gram, normalised by
 * the mask's energy as the regions' style loss is) and those of `style` (all of it, or inside `styleMask`): `mse`
 * over the C² entries and `relative` = Σ(difference²)/Σ(style Gram²). `NaN` at a layer the mask does not reach.
 * Masks are resized to their image (area averaging). With an all-ones mask and `mode: 'area'` it is
 * {@link gramDistances} up to the Gram normalisation (the guided Gram divides by C·N, as `'mean'` does).
 *
 * @example
 * ```ts
 * // How much of style A is in a band of region B along the border?
 * const d = await regionGramDistances(vgg, result, band, styleA, ['relu2_1', 'relu3_1']);
 * ```
 */
export async function regionGramDistances(model: LossNetwork, image: ImageInput, mask: MaskInput, style: ImageInput, layers: readonly string[], options: RegionDistanceOptions = {}): Promise<Record<string, LayerDistance>> {
  const a = await gramsIn(model, image, mask, layers, options);
  try {
    const b = await gramsIn(model, style, options.styleMask, layers, options);
    try {
      const out: Record<string, LayerDistance> = {};
      for (const l of layers) {
        const [x, y] = [a.get(l), b.get(l)];
        if (!x || !y) {
          out[l] = { mse: NaN, relative: NaN };
          continue;
        }
        const sums = tf.tidy(() => tf.stack([tf.sum(tf.square(tf.sub(x, y))), tf.sum(tf.square(y))]));
        const [se, ref] = await sums.data().finally(() => sums.dispose());
        out[l] = { mse: se / y.size, relative: ref > 0 ? se / ref : se > 0 ? Infinity : 0 };
      }
      return out;
    } finally {
      tf.dispose([...b.values()].filter((t): t is tf.Tensor2D => t !== undefined));
    }
  } finally {
    tf.dispose([...a.values()].filter((t): t is tf.Tensor2D => t !== undefined));
  }
}
