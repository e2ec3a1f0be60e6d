/**
 * The quality harness's measures (docs/quality.md): how close a stylisation is to its style and to its content,
 * in terms that do not depend on which style statistic or normalisation produced it.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LossNetwork } from '../core/model.js';
import { resizeImage, toImageTensor, type ImageInput } from '../image/input.js';
import { featureDistances, gramDistances } from '../insight/feature-distance.js';
import { labHistogramDistance } from '../insight/lab-histogram.js';
import { slicedWassersteinDistances, SLICED_WASSERSTEIN_DEFAULTS } from '../insight/sliced-wasserstein.js';

/** Layers the style measures are taken at: the default style layers. */
export const QUALITY_STYLE_LAYERS = ['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1'] as const;
/** The layer of the content measure: the default content layer. */
export const QUALITY_CONTENT_LAYER = 'relu4_2';

/** What {@link qualityMeasures} compares a result with. */
export interface QualityReference {
  /** The content image (resized to the result's size for the content distance). */
  content: ImageInput;
  /** The style image (compared at its own size). */
  style: ImageInput;
  model: LossNetwork;
  /** Sliced Wasserstein's direction seed (default 2021) and directions per layer (default 64). */
  seed?: number;
  directions?: number;
  /** Lab histogram cells per axis (default 8: 512 cells). */
  bins?: number;
}

/** A result's distances to its style and content; every one 0 for a perfect match, lower is better. */
export interface QualityMeasures {
  /** Per style layer, the relative Gram distance Σ(G − G_s)²/ΣG_s² (Grams normalised by C·H·W). */
  gram: Record<string, number>;
  /** Per style layer, the relative squared sliced Wasserstein distance to the style's activations. */
  slicedWasserstein: Record<string, number>;
  /** The relu4_2 activations' relative distance Σ(F − F_c)²/ΣF_c² to the content's. */
  content: number;
  /** Hellinger distance between the result's and the style's joint Lab histograms, 0…1. */
  labHistogram: number;
  /** Means of `gram` and `slicedWasserstein` over the layers. */
  gramMean: number;
  slicedWassersteinMean: number;
}

const mean = (r: Record<string, number>): number => Object.values(r).reduce((s, v) => s + v, 0) / Object.keys(r).length;

/**
 * Measures a stylisation against its inputs: per-layer Gram and sliced Wasserstein distances to the style
 * (relu1_1…relu5_1), the relu4_2 content distance and a Lab colour-histogram distance to the style. Leaves no
 * tensor behind; disposes nothing it was given.
 *
 * @example
 * ```ts
 * const m = await qualityMeasures(result.image, { content, style, model });
 * console.log(m.gramMean, m.slicedWassersteinMean, m.content, m.labHistogram);
 * ```
 */
export async function qualityMeasures(result: ImageInput, reference: QualityReference): Promise<QualityMeasures> {
  const { model, style } = reference;
  const out = tf.tidy(() => toImageTensor(result, 'result'));
  const content = tf.tidy(() => resizeImage(toImageTensor(reference.content, 'content'), out.shape[1], out.shape[2]));
  try {
    const grams = await gramDistances(model, out, style, QUALITY_STYLE_LAYERS);
    const gram = Object.fromEntries(Object.entries(grams).map(([l, d]) => [l, d.relative]));
    const slicedWasserstein = await slicedWassersteinDistances(model, out, style, QUALITY_STYLE_LAYERS, {
      seed: reference.seed ?? SLICED_WASSERSTEIN_DEFAULTS.seed,
      directions: reference.directions ?? SLICED_WASSERSTEIN_DEFAULTS.directions,
    });
    const contentDistance = (await featureDistances(model, out, content, [QUALITY_CONTENT_LAYER]))[QUALITY_CONTENT_LAYER].relative;
    const labHistogram = await labHistogramDistance(out, style, reference.bins ?? 8);
    return { gram, slicedWasserstein, content: contentDistance, labHistogram, gramMean: mean(gram), slicedWassersteinMean: mean(slicedWasserstein) };
  } finally {
    tf.dispose([out, content]);
  }
}
