/**
 * The scale of an image's texture, in pixels: from its radially averaged power spectrum (luma, mean removed,
 * Hann-windowed), the wavelength of the frequency band holding the most energy (peak) and the wavelength at the spectrum's mean
 * frequency (centroid). Pure host code (no tensors but the one read-back).
 * @module
 */
import { StyleTransferError } from '../errors.js';
import type { ImageInput } from '../image/input.js';
import { assertSameSize, luma, readRgb, type RgbFloat } from './pixels.js';

/** Options of {@link radialPowerSpectrum} and {@link textureScale}. */
export interface SpectrumOptions {
  /**
   * Subtract this image first (same size), e.g. the content image, to measure only what a style run added.
   * Default: none.
   */
  reference?: ImageInput;
  /** Multiply by a 2-D Hann window first, so the image's borders add no spurious frequencies. Default true. */
  window?: boolean;
}

/** A radially averaged power spectrum: bin k holds frequencies with |f|·N rounded to k, N the longer side. */
export interface RadialSpectrum {
  /** Frequency of each bin in cycles per pixel (bin k: k/N); bins 0 … N/2 (Nyquist). */
  frequency: number[];
  /** Mean power |F|² of the 2-D DFT coefficients in each bin. */
  power: number[];
  /** How many coefficients fell in each bin. */
  count: number[];
}

/** The texture scale of an image (see {@link textureScale}). */
export interface TextureScale {
  /**
   * Wavelength in pixels (1 / frequency) of the ring of frequencies holding the most energy (mean power × ring
   * size), refined between rings by a parabola through the peak's log-energy and its neighbours'. Stripes of period p give p; a checkerboard of
   * square side c gives √2·c (its fundamental runs along the diagonals).
   */
  peakPeriod: number;
  /** 1 / (power-weighted mean frequency of every DFT coefficient up to Nyquist, DC excluded), in pixels. */
  centroidPeriod: number;
  /** The spectrum the two were read from. */
  spectrum: RadialSpectrum;
}

/** |DFT|² of a real `[h, w]` array (direct separable DFT: any size, O(h·w·(h + w))). */
function powerSpectrum2d(x: Float64Array, w: number, h: number): Float64Array {
  const re = new Float64Array(h * w);
  const im = new Float64Array(h * w);
  const cw = Array.from({ length: w }, (_, k) => Math.cos((2 * Math.PI * k) / w));
  const sw = Array.from({ length: w }, (_, k) => Math.sin((2 * Math.PI * k) / w));
  for (let y = 0; y < h; y++) {
    for (let k = 0; k < w; k++) {
      let sr = 0;
      let si = 0;
      for (let n = 0; n < w; n++) {
        const t = (k * n) % w;
        sr += x[y * w + n] * cw[t];
        si -= x[y * w + n] * sw[t];
      }
      re[y * w + k] = sr;
      im[y * w + k] = si;
    }
  }
  const ch = Array.from({ length: h }, (_, k) => Math.cos((2 * Math.PI * k) / h));
  const sh = Array.from({ length: h }, (_, k) => Math.sin((2 * Math.PI * k) / h));
  const out = new Float64Array(h * w);
  const colRe = new Float64Array(h);
  const colIm = new Float64Array(h);
  for (let k = 0; k < w; k++) {
    for (let n = 0; n < h; n++) {
      colRe[n] = re[n * w + k];
      colIm[n] = im[n * w + k];
    }
    for (let q = 0; q < h; q++) {
      let sr = 0;
      let si = 0;
      for (let n = 0; n < h; n++) {
        const t = (q * n) % h;
        // (a + ib)(cos − i sin)
        sr += colRe[n] * ch[t] + colIm[n] * sh[t];
        si += colIm[n] * ch[t] - colRe[n] * sh[t];
      }
      out[q * w + k] = sr * sr + si * si;
    }
  }
  return out;
}

/** The luma the spectrum is taken of: minus the reference's, mean removed, windowed. */
function prepare(img: RgbFloat, ref: RgbFloat | undefined, window: boolean): Float64Array {
  const y = luma(img);
  if (ref) {
    assertSameSize(img, ref, 'textureScale reference');
    const r = luma(ref);
    for (let i = 0; i < y.length; i++) y[i] -= r[i];
  }
  const mean = y.reduce((a, b) => a + b, 0) / y.length;
  const { width: w, height: h } = img;
  const hann = (i: number, n: number) => (n > 1 ? 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1)) : 1);
  for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) y[r * w + c] = (y[r * w + c] - mean) * (window ? hann(r, h) * hann(c, w) : 1);
  return y;
}

/** The radial spectrum of pixels already read (see {@link radialPowerSpectrum}). */
export function radialSpectrumOf(img: RgbFloat, options: { reference?: RgbFloat; window?: boolean } = {}): RadialSpectrum {
  const { width: w, height: h } = img;
  if (w < 4 || h < 4) throw new StyleTransferError('INVALID_IMAGE', `A texture scale needs an image of at least 4x4 px; got ${w}x${h}.`, { width: w, height: h });
  const p = powerSpectrum2d(prepare(img, options.reference, options.window ?? true), w, h);
  const n = Math.max(w, h);
  const bins = Math.floor(n / 2);
  const power = new Array<number>(bins + 1).fill(0);
  const count = new Array<number>(bins + 1).fill(0);
  for (let q = 0; q < h; q++) {
    const fy = (q <= h / 2 ? q : q - h) / h;
    for (let k = 0; k < w; k++) {
      const fx = (k <= w / 2 ? k : k - w) / w;
      const bin = Math.round(Math.hypot(fx, fy) * n);
      if (bin > bins) continue; // the corners beyond Nyquist: incomplete rings
      power[bin] += p[q * w + k];
      count[bin]++;
    }
  }
  return { frequency: power.map((_, k) => k / n), power: power.map((s, k) => (count[k] ? s / count[k] : 0)), count };
}

/**
 * The radially averaged power spectrum of an image's luma (BT.601), mean removed and (by default) Hann-windowed.
 */
export async function radialPowerSpectrum(image: ImageInput, options: SpectrumOptions = {}): Promise<RadialSpectrum> {
  return radialSpectrumOf(await readRgb(image), { reference: options.reference ? await readRgb(options.reference, 'reference') : undefined, window: options.window });
}

/** Peak and centroid wavelengths of a radial spectrum (DC excluded); NaN for a flat (constant) image. */
export function scaleOfSpectrum(s: RadialSpectrum): Omit<TextureScale, 'spectrum'> {
  // The peak is that of the energy per ring (mean power × coefficients): the band holding the most energy. (The
  // mean alone favours the inner rings, which hold fewer coefficients, and skews the interpolation below.)
  const energy = s.power.map((p, k) => p * s.count[k]);
  let best = -1;
  for (let k = 1; k < energy.length; k++) if (s.count[k] && (best < 0 || energy[k] > energy[best])) best = k;
  let num = 0;
  let den = 0;
  for (let k = 1; k < s.power.length; k++) {
    num += s.frequency[k] * s.power[k] * s.count[k];
    den += s.power[k] * s.count[k];
  }
  if (best < 0 || den === 0) return { peakPeriod: NaN, centroidPeriod: NaN };
  let k = best;
  if (best > 1 && best < energy.length - 1 && energy[best - 1] > 0 && energy[best + 1] > 0) {
    const [a, b, c] = [energy[best - 1], energy[best], energy[best + 1]].map(Math.log);
    const d = a - 2 * b + c;
    if (d < 0) k += Math.max(-0.5, Math.min(0.5, (0.5 * (a - c)) / d));
  }
  const n = 1 / s.frequency[1];
  return { peakPeriod: n / k, centroidPeriod: 1 / (num / den) };
}

/**
 * The scale of an image's texture in pixels: the wavelength of the peak of its radially averaged power spectrum
 * and the wavelength at the spectrum's mean frequency. With `reference` (e.g. the content image), the scale of
 * what was added to it.
 *
 * @example
 * ```ts
 * const { peakPeriod } = await textureScale(stripes8px); // 8
 * const added = await textureScale(result, { reference: content }); // the structures the style put in
 * ```
 */
export async function textureScale(image: ImageInput, options: SpectrumOptions = {}): Promise<TextureScale> {
  const spectrum = await radialPowerSpectrum(image, options);
  return { ...scaleOfSpectrum(spectrum), spectrum };
}
