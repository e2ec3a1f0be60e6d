import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError, describe } from '../errors.js';
import type { DomImageData, DomImageSource } from './dom-types.js';

/** Raw pixels: RGB or RGBA bytes (or floats in 0–255), row-major, top row first. */
export interface PixelData {
  data: Uint8Array | Uint8ClampedArray | Float32Array | number[];
  width: number;
  height: number;
  /** 3 (RGB) or 4 (RGBA). Default: inferred from `data.length`. */
  channels?: 3 | 4;
}

/**
 * Everything accepted as an image: tensors with values 0–255 (`[H,W,3|4]` or `[1,H,W,3|4]`), {@link PixelData},
 * and in browsers ImageData, HTMLImageElement, HTMLCanvasElement, HTMLVideoElement, OffscreenCanvas, ImageBitmap.
 */
export type ImageInput =
  | tf.Tensor3D
  | tf.Tensor4D
  | PixelData
  | DomImageData
  | DomImageSource;

/** RGBA bytes of an image, as a canvas wants them. */
export interface RgbaImage {
  /**
   * `Uint8ClampedArray<ArrayBuffer>` on TypeScript 5.7+ (what `new ImageData(data, …)` accepts there), plain
   * `Uint8ClampedArray` on 5.0–5.6, which have no type parameter on typed arrays (spelled through `of`'s return
   * type so the declaration compiles on both).
   */
  data: ReturnType<typeof Uint8ClampedArray.of>;
  width: number;
  height: number;
}

const has = (name: string): boolean => typeof (globalThis as Record<string, unknown>)[name] === 'function';
const isA = (v: unknown, name: string): boolean => has(name) && v instanceof ((globalThis as Record<string, unknown>)[name] as new () => unknown);

/** How pixel values are scaled: `'0-255'` (default: bytes, or floats in 0–255) or `'0-1'` (floats in 0–1). */
export type PixelRange = '0-255' | '0-1';

/** Limits and scaling applied to an image input (see {@link readImageInput}). */
export interface ImageInputOptions {
  /** Largest accepted width·height. Default {@link DEFAULT_MAX_INPUT_PIXELS}. */
  maxPixels?: number;
  /** The range the values are in. Default `'0-255'`. */
  pixelRange?: PixelRange;
}

/**
 * Default cap on an input image's width·height (50 megapixels: an 8660x5773 photo). A decoded RGB float tensor of
 * that size takes 600 MB, so larger inputs are refused before anything is allocated; raise it with `maxPixels`.
 */
export const DEFAULT_MAX_INPUT_PIXELS = 50_000_000;

/**
 * Converts any {@link ImageInput} to a new float32 tensor `[1,H,W,3]` of RGB values in 0–255 (alpha dropped).
 * The caller owns (disposes) the result. Throws INVALID_IMAGE / UNSUPPORTED_IMAGE / IMAGE_TOO_LARGE with what to
 * change. Checks the size and, for plain arrays, every value; tensors' values are checked by
 * {@link readImageInput}, which needs a read-back.
 */
export function toImageTensor(input: ImageInput, field = 'image', options: ImageInputOptions = {}): tf.Tensor4D {
  const limits = { maxPixels: options.maxPixels ?? DEFAULT_MAX_INPUT_PIXELS, scale: options.pixelRange === '0-1' ? 255 : 1 };
  if (input instanceof tf.Tensor) return fromTensor(input, field, limits);
  if (input === null || input === undefined || typeof input !== 'object') {
    const hint = typeof input === 'string' ? ' Pass pixels, not a path: in Node use readImage(path) from "neural-style-tfjs/node".' : '';
    throw new StyleTransferError('UNSUPPORTED_IMAGE', `\`${field}\` is ${describe(input)}; expected a tensor, {data, width, height} pixels, ImageData or an image element/bitmap.${hint}`, { field });
  }
  if (isA(input, 'OffscreenCanvas')) {
    const c = input as OffscreenCanvas;
    checkImageSize(c.width, c.height, field, limits.maxPixels);
    const ctx = c.getContext('2d') as OffscreenCanvasRenderingContext2D | null;
    if (!ctx) throw new StyleTransferError('UNSUPPORTED_IMAGE', `\`${field}\`: cannot read a WebGL OffscreenCanvas; draw it to a 2D canvas first.`, { field });
    return fromPixels(ctx.getImageData(0, 0, c.width, c.height), field, { ...limits, scale: 1 });
  }
  if (isA(input, 'HTMLImageElement') || isA(input, 'HTMLCanvasElement') || isA(input, 'HTMLVideoElement') || isA(input, 'ImageBitmap')) {
    const el = input as HTMLImageElement;
    const w = (el as HTMLImageElement).naturalWidth ?? el.width;
    const h = (el as HTMLImageElement).naturalHeight ?? el.height;
    checkImageSize(w, h, field, limits.maxPixels, isA(input, 'HTMLImageElement') ? ' (has the image finished loading? await img.decode() first)' : '');
    return tf.tidy(() => tf.expandDims(tf.cast(tf.browser.fromPixels(input as HTMLImageElement, 3), 'float32'), 0) as tf.Tensor4D);
  }
  // ImageData holds bytes (0–255) whatever pixelRange says.
  if (isA(input, 'ImageData')) return fromPixels(input as ImageData, field, { ...limits, scale: 1 });
  if ('data' in input && 'width' in input && 'height' in input) return fromPixels(input as PixelData, field, limits);
  throw new StyleTransferError('UNSUPPORTED_IMAGE', `\`${field}\` is ${describe(input)}, which is not an image this library reads; pass a tensor, {data, width, height} pixels, ImageData, or an image/canvas/bitmap.`, { field });
}

/**
 * {@link toImageTensor} plus a check of a tensor input's values (one small read-back): non-finite values and
 * values outside the declared range are refused with a message saying the expected range, and so are float
 * values that all lie in 0–1 while 0–255 is expected (the most common mistake: it would give a black image).
 */
export async function readImageInput(input: ImageInput, field = 'image', options: ImageInputOptions = {}): Promise<tf.Tensor4D> {
  const t = toImageTensor(input, field, options);
  if (!(input instanceof tf.Tensor)) return t;
  try {
    const stats = tf.tidy(() => {
      const finite = tf.logicalNot(tf.logicalOr(tf.isNaN(t), tf.isInf(t)));
      const safe = tf.where(finite, t, tf.zerosLike(t));
      return tf.stack([tf.min(safe), tf.max(safe), tf.sub(tf.scalar(t.size), tf.sum(tf.cast(finite, 'float32')))]);
    });
    const [min, max, nonFinite] = await stats.data();
    stats.dispose();
    checkValues(field, { min, max, nonFinite, float: input.dtype === 'float32' }, options.pixelRange === '0-1' ? 255 : 1);
    return t;
  } catch (e) {
    t.dispose();
    throw e;
  }
}

interface ValueStats {
  min: number;
  max: number;
  nonFinite: number;
  float: boolean;
}

/** Values arrive already multiplied by `scale` (255 for pixelRange '0-1'); what the user gave is value/scale. */
function checkValues(field: string, s: ValueStats, scale: number): void {
  const range = scale === 1 ? '0–255' : '0–1';
  if (s.nonFinite > 0) {
    throw new StyleTransferError('INVALID_IMAGE', `\`${field}\` has ${s.nonFinite} NaN or infinite value${s.nonFinite === 1 ? '' : 's'}; pixel values must be finite numbers in ${range}.`, { field, nonFinite: s.nonFinite });
  }
  const tol = 1e-3 * scale;
  if (s.min < -tol || s.max > 255 + tol) {
    const fix = scale === 1
      ? s.min >= 0 && s.max <= 65535 ? 'Scale them into 0–255 (16-bit images: divide by 257).' : 'Scale them into 0–255.'
      : "Scale them into 0–1, or drop pixelRange: '0-1' for 0–255 values.";
    throw new StyleTransferError(
      'INVALID_IMAGE',
      `\`${field}\` has values from ${+(s.min / scale).toPrecision(6)} to ${+(s.max / scale).toPrecision(6)}; expected ${range}. ${fix}`,
      { field, min: s.min / scale, max: s.max / scale },
    );
  }
  if (scale === 1 && s.float && s.max > 0 && s.max <= 1) {
    throw new StyleTransferError(
      'INVALID_IMAGE',
      `\`${field}\` holds float values in 0–${+s.max.toPrecision(4)}, which as 0–255 pixels is a black image. If they are in 0–1, pass pixelRange: '0-1' (or multiply by 255).`,
      { field, min: s.min, max: s.max },
    );
  }
}

/** INVALID_IMAGE unless `width`x`height` is at least 1x1 whole pixels; IMAGE_TOO_LARGE past `maxPixels`. */
export function checkImageSize(width: number, height: number, field: string, maxPixels = DEFAULT_MAX_INPUT_PIXELS, hint = ''): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new StyleTransferError('INVALID_IMAGE', `\`${field}\` is ${width}x${height}: an image needs at least 1x1 pixels${hint}.`, { field, width, height });
  }
  if (width * height > maxPixels) {
    throw new StyleTransferError(
      'IMAGE_TOO_LARGE',
      `\`${field}\` is ${width}x${height} (${(width * height / 1e6).toFixed(1)} MP), more than the ${(maxPixels / 1e6).toFixed(1)} MP allowed. Downscale it first, or raise the limit with \`maxPixels\`.`,
      { field, width, height, maxPixels },
    );
  }
}

const isByteArray = (d: unknown): boolean => d instanceof Uint8Array || d instanceof Uint8ClampedArray;

function fromPixels(p: PixelData | ImageData, field: string, limits: { maxPixels: number; scale: number }): tf.Tensor4D {
  const { width, height } = p;
  const data = p.data as PixelData['data'] | string;
  checkImageSize(width, height, field, limits.maxPixels);
  const numeric = Array.isArray(data) || (ArrayBuffer.isView(data) && !(data instanceof DataView) && !(typeof BigInt64Array !== 'undefined' && (data instanceof BigInt64Array || data instanceof BigUint64Array)));
  if (!numeric) {
    throw new StyleTransferError('INVALID_IMAGE', `\`${field}.data\` is ${describe(data)}; expected a Uint8Array, Uint8ClampedArray, Float32Array or number[] of pixel values.`, { field });
  }
  const px = width * height;
  const channels = (p as PixelData).channels ?? (data.length === px * 4 ? 4 : data.length === px * 3 ? 3 : 0);
  if ((channels !== 3 && channels !== 4) || data.length !== px * channels) {
    throw new StyleTransferError('INVALID_IMAGE', `\`${field}.data\` has ${data.length} values for a ${width}x${height} image; expected ${px * 3} (RGB) or ${px * 4} (RGBA).`, { field, length: data.length });
  }
  const bytes = isByteArray(data);
  const { scale } = bytes ? { scale: 1 } : limits;
  const values = data as ArrayLike<number>;
  const rgb = new Float32Array(px * 3);
  let min = Infinity;
  let max = -Infinity;
  let nonFinite = 0;
  for (let i = 0, j = 0; i < px; i++, j += channels) {
    for (let c = 0; c < 3; c++) {
      const v = values[j + c] * scale;
      rgb[i * 3 + c] = v;
      if (bytes) continue;
      if (!Number.isFinite(v)) nonFinite++;
      else if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (!bytes) checkValues(field, { min, max: Number.isFinite(max) ? max : 0, nonFinite, float: true }, scale);
  return tf.tensor4d(rgb, [1, height, width, 3]);
}

const IMAGE_DTYPES = new Set(['float32', 'int32']);

function fromTensor(t: tf.Tensor, field: string, limits: { maxPixels: number; scale: number }): tf.Tensor4D {
  if (t.isDisposed) throw new StyleTransferError('INVALID_IMAGE', `\`${field}\` is a disposed tensor.`, { field });
  if (!IMAGE_DTYPES.has(t.dtype)) {
    throw new StyleTransferError('INVALID_IMAGE', `\`${field}\` is a ${t.dtype} tensor; expected float32 or int32 pixel values in 0–255.`, { field, dtype: t.dtype });
  }
  const shape = t.rank === 3 ? [1, ...t.shape] : t.shape;
  if (shape.length !== 4 || shape[0] !== 1 || (shape[3] !== 3 && shape[3] !== 4)) {
    throw new StyleTransferError('INVALID_IMAGE', `\`${field}\` has shape [${t.shape}]; expected [H,W,3], [H,W,4] or [1,H,W,3|4] with values 0–255.`, { field, shape: t.shape });
  }
  checkImageSize(shape[2], shape[1], field, limits.maxPixels);
  return tf.tidy(() => {
    let x = tf.reshape(tf.cast(t, 'float32'), shape as [number, number, number, number]) as tf.Tensor4D;
    if (shape[3] === 4) x = tf.slice(x, [0, 0, 0, 0], [1, shape[1], shape[2], 3]);
    if (limits.scale !== 1) x = tf.mul(x, limits.scale);
    return x === t ? tf.clone(x) : x;
  });
}

/** Output size for `longest` pixels on the longer side, aspect kept (each side at least 1). */
export function fitSize(height: number, width: number, longest: number): [number, number] {
  const s = longest / Math.max(height, width);
  return [Math.max(1, Math.round(height * s)), Math.max(1, Math.round(width * s))];
}

/**
 * Resizes `[1,H,W,3]` to `[1,h,w,3]`. Downscaling by 2x or more first averages whole blocks of pixels, so the
 * result is not aliased the way plain bilinear sampling of a large photo is.
 */
export function resizeImage(x: tf.Tensor4D, height: number, width: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    if (h === height && w === width) return tf.clone(x);
    let y = x;
    const f = Math.floor(Math.min(h / height, w / width));
    if (f >= 2) y = tf.avgPool(y, [f, f], [f, f], 'valid');
    return tf.image.resizeBilinear(y, [height, width], true);
  });
}

/** Reads `[1,H,W,3]` or `[H,W,3]` (0–255) back as RGBA bytes, clamped and rounded. */
export async function toRgba(x: tf.Tensor): Promise<RgbaImage> {
  const [h, w] = x.rank === 4 ? x.shape.slice(1, 3) : x.shape.slice(0, 2);
  return rgbToRgba(await x.data(), w, h);
}

/** Float RGB values (0–255, row-major) as RGBA bytes, clamped and rounded: what `toRgba` gives for their tensor. */
export function rgbToRgba(values: ArrayLike<number>, width: number, height: number): RgbaImage {
  const data = new Uint8ClampedArray(new ArrayBuffer(width * height * 4));
  for (let i = 0; i < width * height; i++) {
    data[i * 4] = Math.round(values[i * 3]);
    data[i * 4 + 1] = Math.round(values[i * 3 + 1]);
    data[i * 4 + 2] = Math.round(values[i * 3 + 2]);
    data[i * 4 + 3] = 255;
  }
  return { data, width, height };
}

function assertImageData(): void {
  if (!has('ImageData')) throw new StyleTransferError('UNSUPPORTED_IMAGE', 'ImageData does not exist in this environment; use toPixels() for RGBA bytes.');
}

/** RGBA bytes as ImageData (browsers and workers; UNSUPPORTED_IMAGE where the host has no ImageData). */
export function imageDataOf({ data, width, height }: RgbaImage): DomImageData {
  assertImageData();
  return new ImageData(data, width, height) as DomImageData;
}

/** Reads an image back as ImageData (browsers and workers). */
export async function toImageData(x: tf.Tensor): Promise<DomImageData> {
  assertImageData();
  return imageDataOf(await toRgba(x));
}
