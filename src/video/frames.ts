/**
 * Frames as the video code sees them: RGBA images of one size, in order. Host-neutral; the Node readers and
 * writers (folders of numbered images, video files through ffmpeg) are in src/adapters/node/video/.
 * @module
 */
import { StyleTransferError } from '../errors.js';
import type { PixelData, RgbaImage } from '../image/input.js';

/** One frame: RGBA bytes, row-major, top row first. */
export type Frame = RgbaImage;

/** Anything frames can be taken from in order: an array, a generator, an async generator. */
export type FrameIterable<T = PixelData> = AsyncIterable<T> | Iterable<T>;

/** A {@link PixelData} (RGB or RGBA, bytes or 0–255 floats) as an RGBA {@link Frame}; INVALID_IMAGE when the sizes disagree. */
export function toFrame(image: PixelData, name = 'frame'): Frame {
  const { width, height, data } = image;
  const n = width * height;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new StyleTransferError('INVALID_IMAGE', `${name} is ${width}x${height}; a frame needs at least 1x1 pixels.`, { path: name, width, height });
  }
  const channels = image.channels ?? (data.length === n * 4 ? 4 : data.length === n * 3 ? 3 : 0);
  if (channels === 0 || data.length !== n * channels) {
    throw new StyleTransferError('INVALID_IMAGE', `${name} has ${data.length} values for ${width}x${height} pixels (expected ${n * 4} RGBA or ${n * 3} RGB).`, { path: name, width, height, values: data.length });
  }
  if (channels === 4 && data instanceof Uint8ClampedArray && data.buffer instanceof ArrayBuffer) return { data: data as Frame['data'], width, height };
  const out = new Uint8ClampedArray(new ArrayBuffer(n * 4));
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) out[i * 4 + c] = data[i * channels + c];
    out[i * 4 + 3] = channels === 4 ? data[i * 4 + 3] : 255;
  }
  return { data: out, width, height };
}

/**
 * Frames from any (async) iterable of images, converted to RGBA one at a time (nothing is read ahead). Every
 * frame must have the first one's size (INVALID_IMAGE naming the frame otherwise).
 */
export async function* framesFromIterable(images: FrameIterable): AsyncGenerator<Frame> {
  let first: { width: number; height: number } | undefined;
  let index = 0;
  for await (const image of images as AsyncIterable<PixelData>) {
    const frame = toFrame(image, `frame ${index}`);
    checkSameSize(frame, first, `frame ${index}`);
    first ??= frame;
    index++;
    yield frame;
  }
}

/** Throws INVALID_IMAGE when `frame`'s size differs from `first`'s (no check when `first` is undefined). */
export function checkSameSize(frame: { width: number; height: number }, first: { width: number; height: number } | undefined, name: string): void {
  if (first && (frame.width !== first.width || frame.height !== first.height)) {
    throw new StyleTransferError('INVALID_IMAGE', `${name} is ${frame.width}x${frame.height} but the first frame is ${first.width}x${first.height}; all frames of a clip must have one size.`, { path: name, width: frame.width, height: frame.height, expected: [first.width, first.height] });
  }
}
