/**
 * Distances between two images as the network sees them: per layer, of the activations (content) and of their
 * Gram matrices (style).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError } from '../errors.js';
import { extractFeatures } from '../core/features.js';
import { gramMatrix } from '../core/gram.js';
import type { ImageInput } from '../image/input.js';
import type { LossNetwork } from '../core/model.js';
import type { Pooling } from '../core/network.js';

/** One layer's distance between an image and a reference. */
export interface LayerDistance {
  /** Mean squared difference over the compared values (activations, or C² Gram entries). */
  mse: number;
  /** Σ(difference²) / Σ(reference²): 0 for a match, 1 for an all-zero image; comparable across layers. */
  relative: number;
}

/** Options of {@link featureDistances} and {@link gramDistances}. */
export interface DistanceOptions {
  /** Pooling between blocks. Default `'max'`. */
  pooling?: Pooling;
}

/** Layers {@link featureDistances} compares by default: the first two blocks' first ReLUs. */
export const DEFAULT_FEATURE_LAYERS = ['relu1_1', 'relu2_1'] as const;

function checkLayers(model: LossNetwork, layers: readonly string[], field: string): void {
  if (!Array.isArray(layers) || layers.length === 0) throw new StyleTransferError('INVALID_OPTION', `\`${field}\` must be a non-empty list of layer names.`, { field });
  layers.forEach((l) => model.architecture.resolve(l, field));
}

/** Σ(a − b)², Σb² and the count, read back as numbers; frees what it makes. */
async function compare(a: tf.Tensor, b: tf.Tensor): Promise<LayerDistance> {
  const sums = tf.tidy(() => tf.stack([tf.sum(tf.square(tf.sub(a, b))), tf.sum(tf.square(b))]));
  try {
    const [se, ref] = await sums.data();
    return { mse: se / b.size, relative: ref > 0 ? se / ref : se > 0 ? Infinity : 0 };
  } finally {
    sums.dispose();
  }
}

/**
 * How far `image`'s activations are from `reference`'s at each layer (default relu1_1 and relu2_1): what of the
 * reference's pixels-level content survives. Both images must be the same size. 0 for identical images.
 *
 * @example
 * ```ts
 * const d = await featureDistances(vgg, reconstruction, content); // { relu1_1: { mse, relative }, relu2_1: … }
 * ```
 */
export async function featureDistances(model: LossNetwork, image: ImageInput, reference: ImageInput, layers: readonly string[] = DEFAULT_FEATURE_LAYERS, options: DistanceOptions = {}): Promise<Record<string, LayerDistance>> {
  checkLayers(model, layers, 'layers');
  const a = await extractFeatures(model, image, layers, options);
  try {
    const b = await extractFeatures(model, reference, layers, options);
    try {
      const out: Record<string, LayerDistance> = {};
      for (const l of layers) {
        if (a[l].shape.join() !== b[l].shape.join()) throw new StyleTransferError('INVALID_IMAGE', `featureDistances: the images differ in size (${l} is [${a[l].shape}] and [${b[l].shape}]); resize one to the other.`, { layer: l });
        out[l] = await compare(a[l], b[l]);
      }
      return out;
    } finally {
      tf.dispose(Object.values(b));
    }
  } finally {
    tf.dispose(Object.values(a));
  }
}

/**
 * The Gram matrices of `image` at `layers` (default: the model's conv layers), keyed by canonical name (e.g. a style's targets, to compare many images
 * with by {@link compareGrams}). Each Gram is made as its activation passes (a tap), so only one layer's activation
 * is alive at a time. The caller disposes the returned tensors.
 */
export async function styleGrams(model: LossNetwork, image: ImageInput, layers: readonly string[] = model.convLayers, options: DistanceOptions = {}): Promise<Map<string, tf.Tensor2D>> {
  checkLayers(model, layers, 'layers');
  const names = [...new Set(layers.map((l) => model.architecture.resolve(l, 'layers').name))];
  const byName = new Map<string, tf.Tensor2D>();
  try {
    await extractFeatures(model, image, [], { ...options, taps: { layers: names, onActivation: (name, act) => void byName.set(name, gramMatrix(act)) } });
    return byName;
  } catch (e) {
    tf.dispose([...byName.values()]);
    throw e;
  }
}

/** Each layer's Gram distance between `image` and target Grams (from {@link styleGrams}); see {@link gramDistances}. */
export async function compareGrams(model: LossNetwork, image: ImageInput, targets: ReadonlyMap<string, tf.Tensor2D>, options: DistanceOptions = {}): Promise<Record<string, LayerDistance>> {
  const grams = await styleGrams(model, image, [...targets.keys()], options);
  try {
    const out: Record<string, LayerDistance> = {};
    for (const [name, target] of targets) out[name] = await compare(grams.get(name)!, target);
    return out;
  } finally {
    tf.dispose([...grams.values()]);
  }
}

/**
 * Each layer's Gram-matrix distance between `image` and `style` (default: all the model's conv layers, VGG-19's 16): `mse` is the
 * style loss of that layer with weight 1 and `'mean'` normalisation (Grams normalised by C·H·W), `relative`
 * divides by the style Gram's energy, so layers compare. Sizes may differ (a Gram is C x C). 0 for an image
 * against itself. A run that optimised only some layers shows here what it did not match in the others. Keyed by
 * the names as given.
 *
 * @example
 * ```ts
 * const d = await gramDistances(vgg, result, style); // { conv1_1: { mse, relative }, …, conv5_4: … }
 * ```
 */
export async function gramDistances(model: LossNetwork, image: ImageInput, style: ImageInput, layers: readonly string[] = model.convLayers, options: DistanceOptions = {}): Promise<Record<string, LayerDistance>> {
  const targets = await styleGrams(model, style, layers, options);
  try {
    const byName = await compareGrams(model, image, targets, options);
    return Object.fromEntries(layers.map((l) => [l, byName[model.architecture.resolve(l, 'layers').name]]));
  } finally {
    tf.dispose([...targets.values()]);
  }
}
