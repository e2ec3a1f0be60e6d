import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError, describe } from './errors.js';

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
  | ImageData
  | HTMLImageElement
  | HTMLCanvasElement
  | HTMLVideoElement
  | OffscreenCanvas
  | ImageBitmap;

/** RGBA bytes of an image, as a canvas wants them. */
export interface RgbaImage {
  data: Uint8ClampedArray<ArrayBuffer>;
  width: number;
  height: number;
}

const has = (name: string): boolean => typeof (globalThis as Record<string, unknown>)[name] === 'function';
const isA = (v: unknown, name: string): boolean => has(name) && v instanceof ((globalThis as Record<string, unknown>)[name] as new () => unknown);

/**
 * Converts any {@link ImageInput} to a new float32 tensor `[1,H,W,3]` of RGB values in 0–255 (alpha dropped).
 * The caller owns (disposes) the result. Throws INVALID_IMAGE / UNSUPPORTED_IMAGE with what to change.
 */
export function toImageTensor(input: ImageInput, field = 'image'): tf.Tensor4D {
  if (input instanceof tf.Tensor) return fromTensor(input, field);
  if (input === null || input === undefined || typeof input !== 'object') {
    const hint = typeof input === 'string' ? ' Pass pixels, not a path: in Node use readImage(path) from "neural-style-tfjs/node".' : '';
    throw new StyleTransferError('UNSUPPORTED_IMAGE', `\`${field}\` is ${describe(input)}; expected a tensor, {data, width, height} pixels, ImageData or an image element/bitmap.${hint}`, { field });
  }
  if (isA(input, 'OffscreenCanvas')) {
    const c = input as OffscreenCanvas;
    checkSize(c.width, c.height, field);
    const ctx = c.getContext('2d') as OffscreenCanvasRenderingContext2D | null;
    if (!ctx) throw new StyleTransferError('UNSUPPORTED_IMAGE', `\`${field}\`: cannot read a WebGL OffscreenCanvas; draw it to a 2D canvas first.`, { field });
    return fromPixels(ctx.getImageData(0, 0, c.width, c.height), field);
  }
  if (isA(input, 'HTMLImageElement') || isA(input, 'HTMLCanvasElement') || isA(input, 'HTMLVideoElement') || isA(input, 'ImageBitmap')) {
    const el = input as HTMLImageElement;
    const w = (el as HTMLImageElement).naturalWidth ?? el.width;
    const h = (el as HTMLImageElement).naturalHeight ?? el.height;
    checkSize(w, h, field, isA(input, 'HTMLImageElement') ? ' (has the image finished loading? await img.decode() first)' : '');
    return tf.tidy(() => tf.expandDims(tf.cast(tf.browser.fromPixels(input as HTMLImageElement, 3), 'float32'), 0) as tf.Tensor4D);
  }
  if ('data' in input && 'width' in input && 'height' in input) return fromPixels(input as PixelData, field);
  throw new StyleTransferError('UNSUPPORTED_IMAGE', `\`${field}\` is ${describe(input)}, which is not an image this library reads; pass a tensor, {data, width, height} pixels, ImageData, or an image/canvas/bitmap.`, { field });
}

function checkSize(width: number, height: number, field: string, hint = ''): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new StyleTransferError('INVALID_IMAGE', `\`${field}\` is ${width}x${height}: an image needs at least 1x1 pixels${hint}.`, { field, width, height });
  }
}

function fromPixels(p: PixelData, field: string): tf.Tensor4D {
  const { width, height, data } = p;
  checkSize(width, height, field);
  if (!data || typeof data.length !== 'number') throw new StyleTransferError('INVALID_IMAGE', `\`${field}.data\` must be an array of pixel values.`, { field });
  const px = width * height;
  const channels = p.channels ?? (data.length === px * 4 ? 4 : data.length === px * 3 ? 3 : 0);
  if ((channels !== 3 && channels !== 4) || data.length !== px * channels) {
    throw new StyleTransferError('INVALID_IMAGE', `\`${field}.data\` has ${data.length} values for a ${width}x${height} image; expected ${px * 3} (RGB) or ${px * 4} (RGBA).`, { field, length: data.length });
  }
  const rgb = new Float32Array(px * 3);
  for (let i = 0, j = 0; i < px; i++, j += channels) {
    rgb[i * 3] = data[j];
    rgb[i * 3 + 1] = data[j + 1];
    rgb[i * 3 + 2] = data[j + 2];
  }
  return tf.tensor4d(rgb, [1, height, width, 3]);
}

function fromTensor(t: tf.Tensor, field: string): tf.Tensor4D {
  if (t.isDisposed) throw new StyleTransferError('INVALID_IMAGE', `\`${field}\` is a disposed tensor.`, { field });
  const shape = t.rank === 3 ? [1, ...t.shape] : t.shape;
  if (shape.length !== 4 || shape[0] !== 1 || (shape[3] !== 3 && shape[3] !== 4)) {
    throw new StyleTransferError('INVALID_IMAGE', `\`${field}\` has shape [${t.shape}]; expected [H,W,3], [H,W,4] or [1,H,W,3|4] with values 0–255.`, { field, shape: t.shape });
  }
  checkSize(shape[2], shape[1], field);
  return tf.tidy(() => {
    let x = tf.reshape(tf.cast(t, 'float32'), shape as [number, number, number, number]) as tf.Tensor4D;
    if (shape[3] === 4) x = tf.slice(x, [0, 0, 0, 0], [1, shape[1], shape[2], 3]);
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
  const values = await x.data();
  const data = new Uint8ClampedArray(new ArrayBuffer(h * w * 4));
  for (let i = 0; i < h * w; i++) {
    data[i * 4] = Math.round(values[i * 3]);
    data[i * 4 + 1] = Math.round(values[i * 3 + 1]);
    data[i * 4 + 2] = Math.round(values[i * 3 + 2]);
    data[i * 4 + 3] = 255;
  }
  return { data, width: w, height: h };
}

/** Reads an image back as ImageData (browsers and workers). */
export async function toImageData(x: tf.Tensor): Promise<ImageData> {
  if (!has('ImageData')) throw new StyleTransferError('UNSUPPORTED_IMAGE', 'ImageData does not exist in this environment; use toPixels() for RGBA bytes.');
  const { data, width, height } = await toRgba(x);
  return new ImageData(data, width, height);
}
