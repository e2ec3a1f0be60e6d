/**
 * Masks: where a region applies, as one value in [0, 1] per pixel (soft edges allowed), in JS memory. A mask is
 * given as an image (its grey level: white = 1), as RGBA/ImageData, or as a single-channel Float32Array; it is
 * resized to each scale's size by area averaging, so a soft edge stays soft and a mask's mean is kept.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { OPTIONS, type Checker } from '../options/check.js';
import { readImageInput, type ImageInput } from '../image/input.js';

/** A mask in JS memory: `data[y · width + x]` in [0, 1]. */
export interface Mask {
  data: Float32Array;
  width: number;
  height: number;
}

/**
 * What a region's mask may be: an image (its grey level, 0–255 → 0–1: white is inside; alpha is ignored), or a
 * {@link Mask} (one float per pixel in [0, 1]).
 */
export type MaskInput = ImageInput | Mask;

/** True for a single-channel float mask (one value per pixel), as opposed to an image. */
export function isMask(v: unknown): v is Mask {
  const m = v as Mask;
  return typeof v === 'object' && v !== null && m.data instanceof Float32Array && Number.isInteger(m.width) && Number.isInteger(m.height) && m.width > 0 && m.height > 0 && m.data.length === m.width * m.height;
}

/** Checks a float mask's values (finite, in [0, 1]) and returns it. */
export function checkMask(m: Mask, field: string, check: Checker = OPTIONS): Mask {
  for (let i = 0; i < m.data.length; i++) {
    const v = m.data[i];
    if (!(v >= 0 && v <= 1)) check.fail(`${field}.data[${i}]`, v, 'a mask value in [0, 1] (NaN, Infinity and values outside are refused)');
  }
  return m;
}

/** Reads a {@link MaskInput} into a {@link Mask} (an image's grey level, scaled to [0, 1]). */
export async function readMask(input: MaskInput, field: string, maxPixels?: number, check: Checker = OPTIONS): Promise<Mask> {
  if (isMask(input)) return checkMask(input, field, check);
  if (input === null || typeof input !== 'object') return check.fail(field, input, 'a mask: an image (white = inside) or { data: Float32Array, width, height } with values in [0, 1]');
  const rgb = await readImageInput(input as ImageInput, field, { maxPixels });
  const [, height, width] = rgb.shape;
  const grey = tf.tidy(() => tf.div(tf.mean(rgb, 3), 255));
  rgb.dispose();
  const data = (await grey.data().finally(() => grey.dispose())) as Float32Array;
  return { data, width, height };
}

/**
 * Resizes a mask to `height`x`width` by area averaging: each output pixel is the mean of the input area it covers
 * (exact fractional overlaps), so shrinking keeps soft edges and enlarging is piecewise constant.
 */
export function resizeMask(m: Mask, height: number, width: number): Mask {
  if (m.height === height && m.width === width) return m;
  const rows = overlaps(m.height, height);
  const cols = overlaps(m.width, width);
  const out = new Float32Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      let area = 0;
      for (const [sy, wy] of rows[y]) {
        for (const [sx, wx] of cols[x]) {
          sum += m.data[sy * m.width + sx] * wy * wx;
          area += wy * wx;
        }
      }
      out[y * width + x] = sum / area;
    }
  }
  return { data: out, width, height };
}

/** For each of `n` output cells over `from` input cells: the input cells it overlaps and by how much. */
function overlaps(from: number, n: number): [number, number][][] {
  const scale = from / n;
  return Array.from({ length: n }, (_, i) => {
    const a = i * scale;
    const b = (i + 1) * scale;
    const cells: [number, number][] = [];
    for (let s = Math.floor(a); s < Math.min(from, Math.ceil(b)); s++) {
      const w = Math.min(b, s + 1) - Math.max(a, s);
      if (w > 1e-9) cells.push([s, w]);
    }
    return cells;
  });
}

/** The sum of a mask's values (its "energy" in pixels). */
export function maskSum(m: Mask): number {
  let s = 0;
  for (let i = 0; i < m.data.length; i++) s += m.data[i];
  return s;
}

/** A mask of ones (a region that covers everything). */
export function fullMask(height: number, width: number): Mask {
  return { data: new Float32Array(height * width).fill(1), width, height };
}

/** 1 − Σ masks, clamped to [0, 1]: where no region applies. */
export function uncovered(masks: readonly Mask[], height: number, width: number): Mask {
  const out = new Float32Array(height * width).fill(1);
  for (const m of masks) for (let i = 0; i < out.length; i++) out[i] -= m.data[i];
  for (let i = 0; i < out.length; i++) out[i] = Math.min(1, Math.max(0, out[i]));
  return { data: out, width, height };
}

/** The largest Σ masks over the pixels (> 1 means the masks overlap beyond 1 somewhere), and where. */
export function maxCoverage(masks: readonly Mask[]): { value: number; at: number } {
  if (masks.length === 0) return { value: 0, at: -1 };
  const n = masks[0].data.length;
  let value = -Infinity;
  let at = -1;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (const m of masks) s += m.data[i];
    if (s > value) {
      value = s;
      at = i;
    }
  }
  return { value, at };
}
