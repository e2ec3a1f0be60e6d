/**
 * A colour-histogram distance in CIE L*a*b*: how far apart two images' palettes are, whatever their sizes.
 * @module
 */
import { StyleTransferError } from '../errors.js';
import { srgbToLab } from '../image/color.js';
import type { ImageInput } from '../image/input.js';
import { readRgb, type RgbFloat } from './pixels.js';

/** The binned range of each Lab axis: L 0–100; a and b −100…100 (values beyond fall in the end bins). */
const RANGES: readonly (readonly [number, number])[] = [
  [0, 100],
  [-100, 100],
  [-100, 100],
];

/** The joint L*a*b* histogram of an image, `bins`³ cells, normalised to sum 1. */
export function labHistogramOf(img: RgbFloat, bins = 8): Float64Array {
  if (!Number.isInteger(bins) || bins < 1 || bins > 64) throw new StyleTransferError('INVALID_OPTION', `\`bins\` must be an integer from 1 to 64; got ${bins}.`, { field: 'bins', got: bins });
  const hist = new Float64Array(bins ** 3);
  const n = img.width * img.height;
  const cell = (v: number, axis: number): number => {
    const [lo, hi] = RANGES[axis];
    return Math.min(bins - 1, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * bins)));
  };
  for (let i = 0; i < n; i++) {
    const lab = srgbToLab(img.data[3 * i], img.data[3 * i + 1], img.data[3 * i + 2]);
    hist[(cell(lab[0], 0) * bins + cell(lab[1], 1)) * bins + cell(lab[2], 2)] += 1;
  }
  for (let i = 0; i < hist.length; i++) hist[i] /= n;
  return hist;
}

/**
 * Hellinger distance √(1 − Σ√(p·q)) between two images' joint L*a*b* histograms ({@link labHistogram}, `bins`³
 * cells): 0 for the same palette, 1 when no cell is shared; symmetric. Sizes may differ.
 *
 * @example
 * ```ts
 * await labHistogramDistance(result, style); // 0.42
 * ```
 */
export async function labHistogramDistance(image: ImageInput, reference: ImageInput, bins = 8): Promise<number> {
  return labHistogramDistanceOf(await readRgb(image, 'image'), await readRgb(reference, 'reference'), bins);
}

/** {@link labHistogramDistance} on pixels already read. */
export function labHistogramDistanceOf(a: RgbFloat, b: RgbFloat, bins = 8): number {
  const p = labHistogramOf(a, bins);
  const q = labHistogramOf(b, bins);
  let overlap = 0;
  for (let i = 0; i < p.length; i++) overlap += Math.sqrt(p[i] * q[i]);
  return Math.sqrt(Math.max(0, 1 - overlap));
}
