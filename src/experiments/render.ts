/**
 * Pictures of what a layer sees: a tile grid of an activation's channels and a heat map of a Gram matrix. Pure
 * tensor/RGBA work (no canvas, no Node APIs): the results are `{ data, width, height }` RGBA images for a canvas
 * (`new ImageData(data, width, height)`) or `writeImage()` from `neural-style-tfjs/node`.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError } from '../errors.js';
import type { RgbaImage } from '../image/input.js';
import { blit, createImage, type Color } from './raster.js';

/**
 * Colour maps for single-channel pictures. `viridis`/`magma`/`inferno` are perceptually uniform; `coolwarm` is
 * diverging (blue < 0 < red, white at the middle) for values of both signs.
 */
export type ColorMap = 'gray' | 'viridis' | 'magma' | 'inferno' | 'coolwarm';

// Degree-6 polynomial fits of matplotlib's colour maps (Matt Zucker's, max error < 1/255 per channel).
const POLY: Record<Exclude<ColorMap, 'gray' | 'coolwarm'>, number[][]> = {
  viridis: [
    [0.2777273272234177, 0.005407344544966578, 0.3340998053353061],
    [0.1050930431085774, 1.404613529898575, 1.384590162594685],
    [-0.3308618287255563, 0.214847559468213, 0.09509516302823659],
    [-4.634230498983486, -5.799100973351585, -19.33244095627987],
    [6.228269936347081, 14.17993336680509, 56.69055260068105],
    [4.776384997670288, -13.74514537774601, -65.35303263337234],
    [-5.435455855934631, 4.645852612178535, 26.3124352495832],
  ],
  magma: [
    [-0.002136485053939582, -0.000749655052795221, -0.005386127855323933],
    [0.2516605407371642, 0.6775232436837668, 2.494026599312351],
    [8.353717279216625, -3.577719514958484, 0.3144679030132573],
    [-27.66873308576866, 14.26473078096533, -13.64921318813922],
    [52.17613981234068, -27.94360607168351, 12.94416944238394],
    [-50.76852536473588, 29.04658282127291, 4.23415299384598],
    [18.65570506591883, -11.48977351997711, -5.601961508734096],
  ],
  inferno: [
    [0.0002189403691192265, 0.001651004631001012, -0.01948089843709184],
    [0.1065134194856116, 0.5639564367884091, 3.932712388889277],
    [11.60249308247187, -3.972853965665698, -15.9423941062914],
    [-41.70399613139459, 17.43639888205313, 44.35414519872813],
    [77.162935699427, -33.40235894210092, -81.80730925738993],
    [-71.31942824499214, 32.62606426397723, 73.20951985803202],
    [25.13112622477341, -12.24266895238567, -23.07032500287172],
  ],
};

const LUTS = new Map<ColorMap, Uint8Array>();

/** 256-entry RGB lookup table of a colour map. */
export function colorMapLut(name: ColorMap): Uint8Array {
  let lut = LUTS.get(name);
  if (lut) return lut;
  if (name !== 'gray' && name !== 'coolwarm' && !POLY[name]) {
    throw new StyleTransferError('INVALID_OPTION', `Unknown colour map ${JSON.stringify(name)}; expected "gray", "viridis", "magma", "inferno" or "coolwarm".`, { field: 'colorMap' });
  }
  lut = new Uint8Array(256 * 3);
  // coolwarm: Moreland's end points, through light grey.
  const cw = [[59, 76, 192], [221, 221, 221], [180, 4, 38]];
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    for (let c = 0; c < 3; c++) {
      let v = t;
      if (name === 'coolwarm') {
        const [a, b, u] = t < 0.5 ? [cw[0], cw[1], t * 2] : [cw[1], cw[2], t * 2 - 1];
        v = (a[c] + (b[c] - a[c]) * u) / 255;
      } else if (name !== 'gray') {
        const k = POLY[name];
        v = k[6][c];
        for (let j = 5; j >= 0; j--) v = k[j][c] + t * v;
      }
      lut[i * 3 + c] = Math.max(0, Math.min(255, Math.round(v * 255)));
    }
  }
  LUTS.set(name, lut);
  return lut;
}

/** Maps values to colours: `(v − lo)/(hi − lo)` through the colour map (a constant tile maps to the middle). */
function paint(values: ArrayLike<number>, lo: number, hi: number, lut: Uint8Array, out: Uint8ClampedArray, offset = 0): void {
  const span = hi - lo;
  for (let i = 0; i < values.length; i++) {
    const t = span > 0 ? (values[i] - lo) / span : 0.5;
    const k = Math.max(0, Math.min(255, Math.round(t * 255))) * 3;
    const o = offset + i * 4;
    out[o] = lut[k];
    out[o + 1] = lut[k + 1];
    out[o + 2] = lut[k + 2];
    out[o + 3] = 255;
  }
}

function minMax(v: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return [lo, hi];
}

function toHwc(t: tf.Tensor, field: string): { h: number; w: number; c: number } {
  if (!(t instanceof tf.Tensor) || t.isDisposed) throw new StyleTransferError('INVALID_OPTION', `\`${field}\` must be a live tensor.`, { field });
  const s = t.shape as number[];
  if (t.rank === 3) return { h: s[0], w: s[1], c: s[2] };
  if (t.rank === 4 && s[0] === 1) return { h: s[1], w: s[2], c: s[3] };
  throw new StyleTransferError('INVALID_OPTION', `\`${field}\` has shape [${t.shape}]; expected an activation [1,H,W,C] or [H,W,C].`, { field });
}

export interface FeatureMapOptions {
  /**
   * Which channels: a count (the first N in `sort` order) or explicit channel indices (shown in that order).
   * Default 64 (or all, when fewer).
   */
  channels?: number | readonly number[];
  /**
   * Order when `channels` is a count: `'energy'` (default: the channels with the largest mean squared activation
   * first — the ones that respond most to this image) or `'index'` (channel order).
   */
  sort?: 'energy' | 'index';
  /** Tiles per row. Default ⌈√n⌉. */
  columns?: number;
  /** Enlarge each tile by this integer factor (nearest neighbour), e.g. 4 for pool4's 1/16-size maps. Default 1. */
  scale?: number;
  /** Pixels between tiles. Default 1. */
  gap?: number;
  /** Colour of the gaps. Default dark grey. */
  background?: Color;
  /** Default `'gray'` (black = the tile's minimum, white = its maximum). */
  colorMap?: ColorMap;
}

/** A rendered grid of feature maps; `channels[i]` is the channel in tile i (row-major). */
export interface FeatureMapImage extends RgbaImage {
  channels: number[];
  columns: number;
  rows: number;
  /** Mean squared activation of each shown channel. */
  energy: number[];
}

/**
 * Renders channels of an activation `[1,H,W,C]` as a grid of tiles, each normalised to its own min…max (so a
 * channel's pattern shows whatever its scale). The activation is read, not disposed.
 *
 * @example
 * ```ts
 * const { relu3_1 } = await extractFeatures(vgg, image, ['relu3_1']);
 * const grid = await renderFeatureMaps(relu3_1, { channels: 16, sort: 'energy', columns: 4 });
 * relu3_1.dispose();
 * await writeImage('maps.png', grid); // 4×4 tiles, the 16 most active channels
 * ```
 */
export async function renderFeatureMaps(activation: tf.Tensor, options: FeatureMapOptions = {}): Promise<FeatureMapImage> {
  const { h, w, c } = toHwc(activation, 'activation');
  const sort = options.sort ?? 'energy';
  if (sort !== 'energy' && sort !== 'index') throw new StyleTransferError('INVALID_OPTION', `\`sort\` is ${JSON.stringify(sort)}; expected "energy" or "index".`, { field: 'sort' });
  const values = await activation.data();
  const energy = new Float64Array(c);
  for (let i = 0; i < values.length; i++) energy[i % c] += values[i] * values[i];
  for (let k = 0; k < c; k++) energy[k] /= h * w;
  let chosen: number[];
  if (Array.isArray(options.channels)) {
    chosen = [...(options.channels as number[])];
    if (chosen.length === 0) throw new StyleTransferError('INVALID_OPTION', '`channels` is an empty list.', { field: 'channels' });
    for (const k of chosen) {
      if (!Number.isInteger(k) || k < 0 || k >= c) throw new StyleTransferError('INVALID_OPTION', `\`channels\` names channel ${k}, but the activation has channels 0–${c - 1}.`, { field: 'channels' });
    }
  } else {
    const n = options.channels ?? Math.min(64, c);
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new StyleTransferError('INVALID_OPTION', `\`channels\` is ${String(n)}; expected a count ≥ 1 or a list of channel indices.`, { field: 'channels' });
    const order = Array.from({ length: c }, (_, k) => k);
    if (sort === 'energy') order.sort((a, b) => energy[b] - energy[a] || a - b);
    chosen = order.slice(0, Math.min(n, c));
  }
  const n = chosen.length;
  const columns = options.columns ?? Math.ceil(Math.sqrt(n));
  if (!Number.isInteger(columns) || columns < 1) throw new StyleTransferError('INVALID_OPTION', `\`columns\` is ${columns}; expected an integer ≥ 1.`, { field: 'columns' });
  const scale = options.scale ?? 1;
  if (!Number.isInteger(scale) || scale < 1 || scale > 64) throw new StyleTransferError('INVALID_OPTION', `\`scale\` is ${scale}; expected an integer 1–64.`, { field: 'scale' });
  const gap = options.gap ?? 1;
  if (!Number.isInteger(gap) || gap < 0) throw new StyleTransferError('INVALID_OPTION', `\`gap\` is ${gap}; expected an integer ≥ 0.`, { field: 'gap' });
  const lut = colorMapLut(options.colorMap ?? 'gray');
  const rows = Math.ceil(n / columns);
  const tw = w * scale;
  const th = h * scale;
  const out = createImage(columns * tw + (columns + 1) * gap, rows * th + (rows + 1) * gap, options.background ?? [32, 32, 32]);
  const plane = new Float32Array(h * w);
  const small: RgbaImage = createImage(w, h);
  chosen.forEach((ch, i) => {
    for (let p = 0; p < h * w; p++) plane[p] = values[p * c + ch];
    const [lo, hi] = minMax(plane);
    paint(plane, lo, hi, lut, small.data);
    const tile = scale === 1 ? small : upscale(small, scale);
    blit(out, tile, gap + (i % columns) * (tw + gap), gap + Math.floor(i / columns) * (th + gap));
  });
  return { ...out, channels: chosen, columns, rows, energy: chosen.map((k) => energy[k]) };
}

function upscale(src: RgbaImage, s: number): RgbaImage {
  const out = createImage(src.width * s, src.height * s);
  for (let y = 0; y < out.height; y++) {
    for (let x = 0; x < out.width; x++) {
      const i = (Math.floor(y / s) * src.width + Math.floor(x / s)) * 4;
      const o = (y * out.width + x) * 4;
      out.data[o] = src.data[i];
      out.data[o + 1] = src.data[i + 1];
      out.data[o + 2] = src.data[i + 2];
      out.data[o + 3] = src.data[i + 3];
    }
  }
  return out;
}

export interface GramImageOptions {
  /** Pixels per Gram entry. Default: as many as keep the picture near 256 px (1 for 256+ channels). */
  cellSize?: number;
  /**
   * Default `'viridis'` for a Gram with no negative entries (post-ReLU layers), `'coolwarm'` with a range
   * symmetric about 0 when there are (pre-ReLU conv layers).
   */
  colorMap?: ColorMap;
  /**
   * Channel order: `'index'` (default, the network's order) or `'energy'` (by the diagonal, largest first, which
   * gathers the strongly correlated channels in the top-left corner).
   */
  sort?: 'index' | 'energy';
  /**
   * Value transform before colouring: `'linear'`, `'sqrt'` (default: signed square root, which shows the
   * structure of Grams whose few large entries would otherwise wash everything else out) or `'log'` (signed log1p
   * of values scaled by the median magnitude).
   */
  transform?: 'linear' | 'sqrt' | 'log';
  /**
   * Quantile of the (transformed) magnitudes that maps to the end of the colour map; larger values saturate. A
   * few very large entries would otherwise leave everything else one colour. Default 0.99; 1 = the full range.
   */
  clip?: number;
  /** Show only the first N channels (in `sort` order). Default all. */
  channels?: number;
}

/** A rendered Gram matrix, its value range (before the transform) and the channel shown in each row/column. */
export interface GramImage extends RgbaImage {
  min: number;
  max: number;
  channels: number;
  order: number[];
}

/**
 * Renders a Gram matrix `[C,C]` (e.g. from {@link gramMatrix}) as a heat map: row i, column j is the correlation
 * of channels i and j over the image. The tensor is read, not disposed.
 *
 * @example
 * ```ts
 * const g = gramMatrix(relu2_1);
 * const heat = await renderGram(g, { colorMap: 'magma' }); // 128 channels → 256×256 px
 * g.dispose();
 * ```
 */
export async function renderGram(gram: tf.Tensor, options: GramImageOptions = {}): Promise<GramImage> {
  if (!(gram instanceof tf.Tensor) || gram.isDisposed) throw new StyleTransferError('INVALID_OPTION', '`gram` must be a live [C,C] tensor.', { field: 'gram' });
  if (gram.rank !== 2 || gram.shape[0] !== gram.shape[1]) throw new StyleTransferError('INVALID_OPTION', `\`gram\` has shape [${gram.shape}]; expected a square [C,C] Gram matrix.`, { field: 'gram' });
  const full = gram.shape[0];
  const c = options.channels ?? full;
  if (!Number.isInteger(c) || c < 1 || c > full) throw new StyleTransferError('INVALID_OPTION', `\`channels\` is ${c}; expected 1–${full}.`, { field: 'channels' });
  const cell = options.cellSize ?? Math.max(1, Math.floor(256 / c));
  if (!Number.isInteger(cell) || cell < 1 || cell > 256) throw new StyleTransferError('INVALID_OPTION', `\`cellSize\` is ${cell}; expected an integer 1–256.`, { field: 'cellSize' });
  const transform = options.transform ?? 'sqrt';
  if (!['linear', 'sqrt', 'log'].includes(transform)) throw new StyleTransferError('INVALID_OPTION', `\`transform\` is ${JSON.stringify(transform)}; expected "linear", "sqrt" or "log".`, { field: 'transform' });
  const sort = options.sort ?? 'index';
  if (sort !== 'index' && sort !== 'energy') throw new StyleTransferError('INVALID_OPTION', `\`sort\` is ${JSON.stringify(sort)}; expected "index" or "energy".`, { field: 'sort' });
  const all = await gram.data();
  const order = Array.from({ length: full }, (_, k) => k);
  if (sort === 'energy') order.sort((a, b) => all[b * full + b] - all[a * full + a] || a - b);
  const v = new Float64Array(c * c);
  for (let i = 0; i < c; i++) for (let j = 0; j < c; j++) v[i * c + j] = all[order[i] * full + order[j]];
  const [min, max] = minMax(v);
  let f: (x: number) => number = (x) => x;
  if (transform === 'sqrt') f = (x) => Math.sign(x) * Math.sqrt(Math.abs(x));
  else if (transform === 'log') {
    const mags = Array.from(v, Math.abs).sort((a, b) => a - b);
    const med = mags[mags.length >> 1] || 1;
    f = (x) => Math.sign(x) * Math.log1p(Math.abs(x) / med);
  }
  const clip = options.clip ?? 0.99;
  if (typeof clip !== 'number' || !(clip > 0 && clip <= 1)) throw new StyleTransferError('INVALID_OPTION', `\`clip\` is ${clip}; expected a quantile in (0, 1].`, { field: 'clip' });
  const t = v.map(f);
  let [lo, hi] = minMax(t);
  const signed = lo < 0;
  if (clip < 1) {
    const sorted = Float64Array.from(t).sort();
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(p * (sorted.length - 1))))];
    [lo, hi] = signed ? [q(1 - clip), q(clip)] : [lo, q(clip)];
  }
  if (signed) {
    const m = Math.max(-lo, hi);
    [lo, hi] = [-m, m];
  }
  const small = createImage(c, c);
  paint(t, lo, hi, colorMapLut(options.colorMap ?? (signed ? 'coolwarm' : 'viridis')), small.data);
  const out = cell === 1 ? small : upscale(small, cell);
  return { ...out, min, max, channels: c, order: order.slice(0, c) };
}
