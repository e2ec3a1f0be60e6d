/**
 * The regions API: styles by region (Gatys et al. 2017, "Controlling Perceptual Factors in Neural Style Transfer").
 * @module
 */
import type { MaskInput } from './mask.js';
import type { PropagationOptions } from './propagate.js';

/** One style a region takes its statistics from: a style image of the call, optionally only a region of it. */
export interface RegionStyle {
  /** Index into the call's style images. */
  style: number;
  /** The part of that style image to take statistics from (a mask over the style image). Default: all of it. */
  mask?: MaskInput;
  /** Relative weight among the region's styles (normalised to sum 1). Default: equal. */
  weight?: number;
}

/**
 * A region of the output and the style(s) it is painted with. Its statistics are Gram matrices of the features
 * weighted by the region's mask at each style layer, normalised by the mask's own energy, so a region's statistics
 * do not grow with its area; each is matched to the same statistics of its style(s).
 */
export interface StyleRegion {
  /** Where in the output the region applies: a mask in [0, 1] over the content image (soft edges allowed). */
  mask: MaskInput;
  /**
   * Its styles: style image indexes, or {@link RegionStyle}s (a region of a style image, a blend weight). Default:
   * every style image, blended with `styleBlendWeights`.
   */
  styles?: readonly (number | RegionStyle)[];
  /** Multiplies the style weight in this region. Default 1. */
  weight?: number;
  /** A name for warnings and results. Default `regions[i]`. */
  name?: string;
}

/** Region options of a call, beside `regions`. */
export interface RegionSettings {
  /** How each region's mask reaches the style layers. Default `{ mode: 'inside' }`. */
  regionMasks?: PropagationOptions;
  /**
   * Where no region's mask covers the output: `'content'` (default: no style loss there; the content and TV losses
   * apply as everywhere) or the index of a style image that styles the rest.
   */
  uncovered?: 'content' | number;
}
