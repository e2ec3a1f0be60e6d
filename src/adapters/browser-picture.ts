/**
 * One frame to encode, as the browser encoders (./browser-encode.ts) draw it: RGBA bytes (from pixels, ImageData,
 * a tensor read back, or a `stylizeFrames` result's `image`), or a picture a canvas can draw as it is (a canvas, an
 * ImageBitmap, an `<img>`, a `<video>`, a WebCodecs `VideoFrame`). Tensors are the caller's: they are read, not
 * disposed, and the copy made to read them is freed at once.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError } from '../errors.js';
import type { DomVideoFrame } from '../image/dom-types.js';
import { type ImageInput, toImageTensor, toRgba } from '../image/input.js';
import { toFrame } from '../video/frames.js';

/**
 * What the browser encoders take per frame: any image the library reads (a tensor of 0–255 values, `{ data,
 * width, height }` pixels, ImageData, a canvas, an ImageBitmap…), a WebCodecs `VideoFrame` (read, not closed), or
 * an object with such an `image` — so `stylizeFrames()` / `session.video()` results can be passed as they come.
 */
export type EncodableFrame = ImageInput | DomVideoFrame | { image: ImageInput };

/** The largest side of a frame the encoders take, px (larger: IMAGE_TOO_LARGE). */
export const MAX_ENCODE_SIZE = 4096;

/** A frame ready to draw: its bytes, or a source a canvas draws. */
export interface Picture {
  width: number;
  height: number;
  rgba?: ReturnType<typeof Uint8ClampedArray.of>;
  source?: CanvasImageSource;
}

const isA = (v: unknown, name: string): boolean => {
  const C = (globalThis as Record<string, unknown>)[name];
  return typeof C === 'function' && v instanceof (C as new () => unknown);
};

/** Width and height of a drawable source, or undefined when `v` is not one. */
function drawableSize(v: unknown): [number, number] | undefined {
  if (isA(v, 'VideoFrame')) return [(v as VideoFrame).displayWidth, (v as VideoFrame).displayHeight];
  if (isA(v, 'HTMLVideoElement')) return [(v as HTMLVideoElement).videoWidth, (v as HTMLVideoElement).videoHeight];
  if (isA(v, 'HTMLImageElement')) return [(v as HTMLImageElement).naturalWidth, (v as HTMLImageElement).naturalHeight];
  if (isA(v, 'HTMLCanvasElement') || isA(v, 'OffscreenCanvas') || isA(v, 'ImageBitmap')) return [(v as ImageBitmap).width, (v as ImageBitmap).height];
  return undefined;
}

/** `item` (frame `index`) as a {@link Picture}; INVALID_IMAGE / UNSUPPORTED_IMAGE / IMAGE_TOO_LARGE naming the frame. */
export async function pictureOf(item: EncodableFrame, index: number): Promise<Picture> {
  const name = `frame ${index}`;
  let image: unknown = item;
  // A stylizeFrames() result (or any { image }): its image. Pixels have `data`, so they are not mistaken for one.
  if (image !== null && typeof image === 'object' && !(image instanceof tf.Tensor) && 'image' in image && !('data' in image)) image = (image as { image: unknown }).image;
  const size = drawableSize(image);
  let picture: Picture;
  if (size) {
    if (!size[0] || !size[1]) throw new StyleTransferError('INVALID_IMAGE', `${name} has no picture (0x0: a closed VideoFrame, an image not loaded yet, a video with no frame).`, { path: name });
    picture = { width: size[0], height: size[1], source: image as CanvasImageSource };
  } else if (image instanceof tf.Tensor) {
    const t = toImageTensor(image as tf.Tensor3D, name);
    try {
      picture = rgbaPicture(await toRgba(t));
    } finally {
      t.dispose();
    }
  } else if (isA(image, 'ImageData')) {
    const d = image as ImageData;
    picture = { width: d.width, height: d.height, rgba: d.data as Picture['rgba'] };
  } else if (image !== null && typeof image === 'object' && 'data' in image && 'width' in image && 'height' in image) {
    picture = rgbaPicture(toFrame(image as Parameters<typeof toFrame>[0], name));
  } else {
    throw new StyleTransferError('UNSUPPORTED_IMAGE', `${name} is not a frame the encoder reads; pass pixels ({ data, width, height }), ImageData, a tensor of 0–255 values, a canvas, an ImageBitmap, a VideoFrame, or stylizeFrames() results.`, { path: name });
  }
  if (picture.width > MAX_ENCODE_SIZE || picture.height > MAX_ENCODE_SIZE) {
    throw new StyleTransferError('IMAGE_TOO_LARGE', `${name} is ${picture.width}x${picture.height}; video frames are encoded up to ${MAX_ENCODE_SIZE} px a side. Stylise at a smaller size, or scale the frames down first.`, { path: name, width: picture.width, height: picture.height, maxSize: MAX_ENCODE_SIZE });
  }
  return picture;
}

const rgbaPicture = (f: { data: Picture['rgba']; width: number; height: number }): Picture => ({ width: f.width, height: f.height, rgba: f.data });
