import * as tf from '@tensorflow/tfjs-core';
import { luminanceImage, matchColorHistogram, matchLuminance } from '../image/color.js';
import { throwIfAborted } from '../util/checks.js';
import { gramMatrix } from '../core/gram.js';
import { resizeImage } from '../image/input.js';
import type { Kernels } from '../kernels/index.js';
import type { LossNetwork } from '../core/model.js';
import type { NetworkPoint } from '../core/layers.js';
import { forward, preprocess } from '../core/network.js';
import type { ResolvedOptions } from './options.js';
import type { ScalePlan } from './plan.js';
import { tiledFeatures, tiledStatisticTargets } from './tiling/forward.js';
import { resampleQuantiles, sliceSeed, styleTargetOf } from '../core/style-statistics.js';
import type { TileLayout } from './tiling/layout.js';
import type { TemporalTarget } from '../core/losses.js';
import { disposeRegionTargets, type RegionScaleTargets } from '../regions/targets.js';

/** The content side of one scale: the images and content-layer activations. Owns its tensors. */
export interface ContentTargets {
  height: number;
  width: number;
  /** The content image at this size (as optimised: grey when preserving luminance). */
  content: tf.Tensor4D;
  /** The content image at this size in full colour (for recombining luminance). */
  contentColor: tf.Tensor4D;
  /** Content activation per content-layer point index. */
  contentFeatures: Map<number, tf.Tensor4D>;
}

/** Everything one scale's objective needs. Owns its tensors. */
export interface Targets extends ContentTargets {
  /** Blended target Gram per style-layer point index (empty with regions: each region has its own). */
  styleGrams: Map<number, tf.Tensor2D>;
  /** With `regions`: each region's guides and target Grams. */
  regions?: RegionScaleTargets[];
  /** With `contentWeightMap`: the map at each content layer, per point index. */
  contentWeights?: Map<number, tf.Tensor4D>;
  /** With `temporal`: the temporal term's targets at this size. */
  temporal?: TemporalTarget[];
}

export function disposeTargets(t: ContentTargets | Targets): void {
  tf.dispose([t.content, t.contentColor, ...t.contentFeatures.values()]);
  if (!('styleGrams' in t)) return;
  tf.dispose([...t.styleGrams.values(), ...(t.contentWeights?.values() ?? []), ...(t.temporal?.flatMap((x) => [x.warped, x.weights]) ?? [])]);
  if (t.regions) disposeRegionTargets(t.regions);
}

export { throwIfAborted };

/**
 * Resizes the content to the scale's size, makes its grey version when preserving luminance, and runs the network
 * once for the content activations. (The run's plan checked that the size reaches every loss layer.)
 */
export async function computeContentTargets(model: LossNetwork, contentFull: tf.Tensor4D, scale: ScalePlan, o: ResolvedOptions): Promise<ContentTargets> {
  const { height, width } = scale;
  const contentColor = resizeImage(contentFull, height, width);
  const content = o.preserveColors === 'luminance' ? luminanceImage(contentColor) : tf.clone(contentColor);
  try {
    const input = preprocess(content, model.architecture.input);
    const points = o.contentLayers.map((l) => l.point);
    // A tiled scale does not fit whole: its content activations are made a tile at a time too.
    const acts = await (scale.tiling ? tiledFeatures(model, content, points, o.pooling, scale.tiling) : forward(model, input, points, o.pooling)).finally(() => input.dispose());
    const contentFeatures = new Map<number, tf.Tensor4D>();
    for (const l of o.contentLayers) contentFeatures.set(l.point.index, acts.get(l.point.name)!);
    return { height, width, content, contentColor, contentFeatures };
  } catch (e) {
    tf.dispose([content, contentColor]);
    throw e;
  }
}

/**
 * One style image as the network sees it at a scale: resized to its planned size (`ScalePlan.styleShapes`), with
 * the colour handling of `preserveColors` (which makes it depend on the content). Caller owns the result.
 */
export async function prepareStyleImage(styleFull: tf.Tensor4D, shape: { height: number; width: number }, o: ResolvedOptions, content: ContentTargets): Promise<tf.Tensor4D> {
  const style = resizeImage(styleFull, shape.height, shape.width);
  if (o.preserveColors === 'histogram') {
    try {
      return await matchColorHistogram(style, content.contentColor);
    } finally {
      style.dispose();
    }
  }
  if (o.preserveColors === 'luminance') {
    const grey = luminanceImage(style);
    style.dispose();
    const matched = matchLuminance(grey, content.content);
    grey.dispose();
    return matched;
  }
  return style;
}

/**
 * The style targets of one (prepared) style image at the given points, keyed by point index: Gram matrices, or the
 * targets of `o.styleStatistic` (`styleTargetOf`; sliced Wasserstein's directions seeded for a scale of output height
 * `scaleHeight`). Caller owns them.
 */
export async function styleGramsOf(model: LossNetwork, style: tf.Tensor4D, points: readonly NetworkPoint[], o: ResolvedOptions, kernels: Kernels, tiling?: TileLayout, scaleHeight = 0): Promise<Map<number, tf.Tensor2D>> {
  const stat = o.styleStatistic;
  // With a tiled scale, the style image is taken in tiles of the same size (exact: the statistics are sums; the
  // sorting statistics refuse tiled scales in the plan).
  if (tiling && Math.max(style.shape[1], style.shape[2]) > tiling.tileSize) {
    const tiles = { tileSize: tiling.tileSize, halo: tiling.halo };
    return tiledStatisticTargets(model, style, points, o.pooling, kernels, tiles, stat);
  }
  const input = preprocess(style, model.architecture.input);
  const acts = await forward(model, input, points, o.pooling).finally(() => input.dispose());
  const grams = new Map<number, tf.Tensor2D>();
  for (const p of points) {
    const a = acts.get(p.name)!;
    grams.set(p.index, stat === 'gram' ? gramMatrix(a, kernels) : styleTargetOf(stat, a, kernels, sliceSeed(o.seed, p.index, scaleHeight)));
  }
  tf.dispose([...acts.values()]);
  return grams;
}

/**
 * Σᵢ blend[i]·Gᵢ per layer: new tensors, owned by the caller; the inputs are left alone. Sorted targets of styles of
 * different sizes (histogram, sliced Wasserstein) are first resampled to the longest (their quantile functions
 * blend: the 1-D Wasserstein barycentre).
 */
export function blendGrams(perImage: readonly Map<number, tf.Tensor2D>[], blend: readonly number[], points: readonly NetworkPoint[]): Map<number, tf.Tensor2D> {
  const out = new Map<number, tf.Tensor2D>();
  for (const p of points) {
    const targets = perImage.map((g) => g.get(p.index)!);
    const cols = Math.max(...targets.map((t) => t.shape[1]));
    out.set(p.index, tf.tidy(() => tf.addN(targets.map((g, i) => tf.mul(resampleQuantiles(g, cols), blend[i]))) as tf.Tensor2D));
  }
  return out;
}
