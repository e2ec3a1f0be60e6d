/**
 * What a run with regions needs at each scale: each region's guide (its mask carried to each style layer) and its
 * target Grams (each of its styles' Grams — of the whole style image, or guided by a region of it — blended).
 * The masks are read once per call ({@link readRegions}), at the content image's size.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NetworkPoint } from '../core/layers.js';
import { maskSum, maxCoverage, readMask, resizeMask, uncovered, type Mask } from './mask.js';
import { propagateMask, type PropagationOptions } from './propagate.js';
import type { ResolvedRegions } from './options.js';

/** A region with its masks read: the output mask at the content's size, each style's mask at its image's size. */
export interface ReadRegion {
  name: string;
  weight: number;
  mask: Mask;
  styles: { style: number; mask?: Mask; weight: number }[];
}

/** A call's regions, read: the regions (the implicit `uncovered` one last, when a style paints the rest). */
export interface ReadRegions {
  regions: ReadRegion[];
  propagation: PropagationOptions;
  /** Said once per call: masks overlapping beyond 1. */
  warnings: string[];
}

/**
 * Reads every mask of `r` (images need a read-back) and resizes each output mask to the content's size. Adds the
 * `uncovered` region (1 − Σ masks) when a style paints where no region does. `styleSizes`: each style image's size.
 */
export async function readRegions(r: ResolvedRegions, content: { height: number; width: number }, styleSizes: readonly { height: number; width: number }[], maxPixels: number): Promise<ReadRegions> {
  const warnings: string[] = [];
  const regions: ReadRegion[] = [];
  for (const [i, region] of r.regions.entries()) {
    const mask = resizeMask(await readMask(region.mask, `regions[${i}].mask`, maxPixels), content.height, content.width);
    const styles = [];
    for (const [k, s] of region.styles.entries()) {
      const size = styleSizes[s.style];
      const m = s.mask === undefined ? undefined : resizeMask(await readMask(s.mask, `regions[${i}].styles[${k}].mask`, maxPixels), size.height, size.width);
      styles.push({ style: s.style, weight: s.weight, ...(m ? { mask: m } : {}) });
    }
    regions.push({ name: region.name, weight: region.weight, mask, styles });
  }
  const cover = maxCoverage(regions.map((g) => g.mask));
  if (cover.value > 1 + 1e-3) {
    const y = Math.floor(cover.at / content.width);
    warnings.push(`Region masks overlap: they add up to ${cover.value.toFixed(2)} at pixel (${cover.at - y * content.width}, ${y}) of the content image; where they overlap, each region's style pulls on the same pixels.`);
  }
  if (r.uncovered !== 'content') {
    regions.push({ name: 'uncovered', weight: 1, mask: uncovered(regions.map((g) => g.mask), content.height, content.width), styles: [{ style: r.uncovered, weight: 1 }] });
  }
  return { regions, propagation: r.propagation, warnings };
}

/** A mask at one layer as a tensor `[1,h,w,1]` (owned by the caller). */
function guideTensor(m: Mask): tf.Tensor4D {
  return tf.tensor4d(m.data, [1, m.height, m.width, 1]);
}

/**
 * The guides of `mask` (at the network input's size `height`x`width`) at `points`, as tensors keyed by point index,
 * leaving out the layers where nothing of the mask is left (those are reported through `vanished`).
 */
export function guidesAt(mask: Mask, height: number, width: number, points: readonly NetworkPoint[], propagation: PropagationOptions, vanished?: (p: NetworkPoint) => void): Map<number, tf.Tensor4D> {
  const layers = propagateMask(resizeMask(mask, height, width), points, propagation);
  const out = new Map<number, tf.Tensor4D>();
  for (const p of points) {
    const m = layers.get(p.index)!;
    if (maskSum(m) <= 1e-6) vanished?.(p);
    else out.set(p.index, guideTensor(m));
  }
  return out;
}

/** One region at one scale: its guide and target Gram per style layer (only the layers it reaches). */
export interface RegionScaleTargets {
  name: string;
  weight: number;
  guides: Map<number, tf.Tensor4D>;
  grams: Map<number, tf.Tensor2D>;
}

/** Frees a scale's region targets. */
export function disposeRegionTargets(list: readonly RegionScaleTargets[]): void {
  for (const r of list) tf.dispose([...r.guides.values(), ...r.grams.values()]);
}

/**
 * The Gram of an activation guided by `guide` (`[1,h,w,1]`): (F∘T)ᵀ(F∘T)/(C·ΣT²), as the style term computes it for
 * the image being optimised (`core/losses.ts` `styleTerm`). A new tensor.
 */
export function guidedGram(activation: tf.Tensor4D, guide: tf.Tensor4D, gram: (x: tf.Tensor2D) => tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const c = activation.shape[3];
    const weighted = tf.reshape(tf.mul(activation, guide), [-1, c]) as tf.Tensor2D;
    return tf.div(gram(weighted), tf.mul(tf.sum(tf.square(guide)), c)) as tf.Tensor2D;
  });
}
