/**
 * A sliced Wasserstein distance between an image's VGG-19 activations and a style's: the whole distribution of
 * feature vectors compared along fixed random directions, not only its second moments (the Gram).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError } from '../errors.js';
import { extractFeatures } from '../core/features.js';
import type { LossNetwork } from '../core/model.js';
import { resampleQuantiles, sliceDirections } from '../core/style-statistics.js';
import type { ImageInput } from '../image/input.js';
import type { DistanceOptions } from './feature-distance.js';

/** Options of {@link slicedWassersteinDistances}. */
export interface SlicedWassersteinOptions extends DistanceOptions {
  /** Seed of the directions (the same seed gives the same directions at every call). Default 2021. */
  seed?: number;
  /** Directions per layer, at most the layer's channel count (64 at relu1_1). Default 64. */
  directions?: number;
}

/** The measure's defaults (docs/quality.md). */
export const SLICED_WASSERSTEIN_DEFAULTS = { seed: 2021, directions: 64 } as const;

/** Each row of `[N,C]` projected on `d` (`[C,K]`), sorted descending: `[K,N]`. */
function sortedProjections(act: tf.Tensor4D, d: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const c = act.shape[3];
    const rows = tf.transpose(tf.matMul(tf.reshape(act, [-1, c]), d)) as tf.Tensor2D;
    return tf.topk(rows, rows.shape[1], true).values as tf.Tensor2D;
  });
}

/**
 * Per layer, Σ(a − b)² / Σb² between the sorted projections of `image`'s activations (a) and `style`'s (b,
 * resampled to the image's position count) on `directions` unit directions drawn from `seed`: the squared sliced
 * W2 distance relative to the style's projected energy. 0 for an image against itself, 1 for all-zero activations.
 * Sizes may differ. Keyed by the layer names as given.
 */
export async function slicedWassersteinDistances(model: LossNetwork, image: ImageInput, style: ImageInput, layers: readonly string[], options: SlicedWassersteinOptions = {}): Promise<Record<string, number>> {
  const seed = options.seed ?? SLICED_WASSERSTEIN_DEFAULTS.seed;
  const k = options.directions ?? SLICED_WASSERSTEIN_DEFAULTS.directions;
  if (!Number.isInteger(k) || k < 1) throw new StyleTransferError('INVALID_OPTION', `\`directions\` must be a positive integer; got ${k}.`, { field: 'directions', got: k });
  const a = await extractFeatures(model, image, layers, options);
  try {
    const b = await extractFeatures(model, style, layers, options);
    try {
      const out: Record<string, number> = {};
      for (const l of layers) {
        const c = a[l].shape[3];
        if (k > c) throw new StyleTransferError('INVALID_OPTION', `\`directions\` (${k}) exceeds ${l}'s ${c} channels; use at most ${c}.`, { field: 'directions', got: k });
        const sums = tf.tidy(() => {
          const d = tf.slice(tf.tensor2d(sliceDirections(seed, c), [c, c]), [0, 0], [c, k]);
          const pa = sortedProjections(a[l], d);
          const pb = resampleQuantiles(sortedProjections(b[l], d), pa.shape[1]);
          return tf.stack([tf.sum(tf.square(tf.sub(pa, pb))), tf.sum(tf.square(pb))]);
        });
        const [se, ref] = await sums.data();
        sums.dispose();
        out[l] = ref > 0 ? se / ref : se > 0 ? Infinity : 0;
      }
      return out;
    } finally {
      tf.dispose(Object.values(b));
    }
  } finally {
    tf.dispose(Object.values(a));
  }
}
