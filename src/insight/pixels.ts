import { StyleTransferError } from '../errors.js';
import { toImageTensor, type ImageInput } from '../image/input.js';

/** An image as float RGB values 0–255, row-major `[H, W, 3]`, for measurements done on the host. */
export interface RgbFloat {
  data: Float32Array;
  width: number;
  height: number;
}

/** Reads any {@link ImageInput} back as float RGB (alpha dropped). Makes and frees one tensor. */
export async function readRgb(image: ImageInput, field = 'image'): Promise<RgbFloat> {
  const t = toImageTensor(image, field);
  try {
    const data = (await t.data()) as Float32Array;
    return { data: Float32Array.from(data), width: t.shape[2], height: t.shape[1] };
  } finally {
    t.dispose();
  }
}

/** Luma Y = 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601), one value per pixel. */
export function luma(img: RgbFloat): Float64Array {
  const n = img.width * img.height;
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) y[i] = 0.299 * img.data[3 * i] + 0.587 * img.data[3 * i + 1] + 0.114 * img.data[3 * i + 2];
  return y;
}

/** Throws INVALID_IMAGE unless two images have the same size. */
export function assertSameSize(a: RgbFloat, b: RgbFloat, what: string): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new StyleTransferError('INVALID_IMAGE', `${what}: the images differ in size (${a.width}x${a.height} and ${b.width}x${b.height}); resize one to the other first.`, { width: a.width, height: a.height });
  }
}
