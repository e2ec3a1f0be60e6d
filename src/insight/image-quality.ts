/**
 * How much of an image survives: PSNR and SSIM of a result against a reference (the content image), on the host.
 * @module
 */
import { StyleTransferError } from '../errors.js';
import type { ImageInput } from '../image/input.js';
import { assertSameSize, luma, readRgb, type RgbFloat } from './pixels.js';

/**
 * Peak signal-to-noise ratio in dB: `10·log10(255² / MSE)`, the MSE taken over every R, G and B value (0–255).
 * `Infinity` for identical images. Both images must have the same size.
 *
 * @example
 * ```ts
 * await psnr(result, content); // 28.1 when every value is off by exactly 10
 * ```
 */
export async function psnr(image: ImageInput, reference: ImageInput): Promise<number> {
  return psnrOf(await readRgb(image, 'image'), await readRgb(reference, 'reference'));
}

/** {@link psnr} on pixels already read. */
export function psnrOf(a: RgbFloat, b: RgbFloat): number {
  assertSameSize(a, b, 'psnr');
  let se = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = a.data[i] - b.data[i];
    se += d * d;
  }
  const mse = se / a.data.length;
  return mse === 0 ? Infinity : 10 * Math.log10((255 * 255) / mse);
}

/** The SSIM window: an 11-tap Gaussian with σ = 1.5, normalised to sum 1 (Wang et al. 2004). */
const WINDOW = (() => {
  const w = Array.from({ length: 11 }, (_, i) => Math.exp(-((i - 5) ** 2) / (2 * 1.5 * 1.5)));
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / s);
})();

/** Separable 11x11 Gaussian filter, 'valid' region only: `[(H−10)·(W−10)]`. */
function blurValid(x: Float64Array, width: number, height: number): Float64Array {
  const w2 = width - 10;
  const h2 = height - 10;
  const rows = new Float64Array(height * w2);
  for (let y = 0; y < height; y++) {
    for (let x0 = 0; x0 < w2; x0++) {
      let s = 0;
      for (let k = 0; k < 11; k++) s += WINDOW[k] * x[y * width + x0 + k];
      rows[y * w2 + x0] = s;
    }
  }
  const out = new Float64Array(h2 * w2);
  for (let y0 = 0; y0 < h2; y0++) {
    for (let x0 = 0; x0 < w2; x0++) {
      let s = 0;
      for (let k = 0; k < 11; k++) s += WINDOW[k] * rows[(y0 + k) * w2 + x0];
      out[y0 * w2 + x0] = s;
    }
  }
  return out;
}

/**
 * Structural similarity (Wang et al. 2004) of the images' luma (BT.601, 0–255): the mean over every position of
 * an 11x11 Gaussian window (σ 1.5) that lies inside the image, with K1 = 0.01, K2 = 0.03, L = 255 and population
 * (not sample) variances — the reference implementation's settings (scikit-image's `structural_similarity` with
 * `gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255` on the same luma, up to its
 * border handling). 1 for identical images; ≤ 1 otherwise. Both images must be the same size, at least 11x11.
 */
export async function ssim(image: ImageInput, reference: ImageInput): Promise<number> {
  return ssimOf(await readRgb(image, 'image'), await readRgb(reference, 'reference'));
}

/** {@link ssim} on pixels already read. */
export function ssimOf(a: RgbFloat, b: RgbFloat): number {
  assertSameSize(a, b, 'ssim');
  const { width, height } = a;
  if (width < 11 || height < 11) throw new StyleTransferError('INVALID_IMAGE', `ssim needs images of at least 11x11 px (its window); got ${width}x${height}.`, { width, height });
  const x = luma(a);
  const y = luma(b);
  const n = x.length;
  const xx = new Float64Array(n);
  const yy = new Float64Array(n);
  const xy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    xx[i] = x[i] * x[i];
    yy[i] = y[i] * y[i];
    xy[i] = x[i] * y[i];
  }
  const [mx, my, sxx, syy, sxy] = [x, y, xx, yy, xy].map((v) => blurValid(v, width, height));
  const c1 = (0.01 * 255) ** 2;
  const c2 = (0.03 * 255) ** 2;
  let sum = 0;
  for (let i = 0; i < mx.length; i++) {
    const vx = sxx[i] - mx[i] * mx[i];
    const vy = syy[i] - my[i] * my[i];
    const cov = sxy[i] - mx[i] * my[i];
    sum += ((2 * mx[i] * my[i] + c1) * (2 * cov + c2)) / ((mx[i] * mx[i] + my[i] * my[i] + c1) * (vx + vy + c2));
  }
  return sum / mx.length;
}
