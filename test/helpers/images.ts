/**
 * Test images: the JPEGs in ../shared/images (never copied into the repo), decoded with jpeg-js and scaled down on
 * the host, so the tests feed small {data, width, height} RGB pixels to the library.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';

/** ../shared relative to the repo root. */
export const SHARED_DIR = fileURLToPath(new URL('../../../shared/', import.meta.url));
export const SHARED_IMAGES = `${SHARED_DIR}images/`;

export interface RgbPixels {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
}

/** Decodes a JPEG file to RGB bytes. */
export function decodeJpeg(path: string): RgbPixels {
  const { data, width, height } = jpeg.decode(readFileSync(path), { useTArray: true, formatAsRGBA: false });
  return { data: new Uint8Array(data.buffer, data.byteOffset, width * height * 3), width, height, channels: 3 };
}

/**
 * Area-averaging resize (each output pixel is the mean of the input pixels its box covers, partial pixels
 * weighted) — no aliasing when shrinking a photo by a large factor.
 */
export function downscale(img: RgbPixels, width: number, height: number): RgbPixels {
  const out = new Uint8Array(width * height * 3);
  const sx = img.width / width;
  const sy = img.height / height;
  for (let y = 0; y < height; y++) {
    const y0 = y * sy, y1 = y0 + sy;
    for (let x = 0; x < width; x++) {
      const x0 = x * sx, x1 = x0 + sx;
      const acc = [0, 0, 0];
      let wsum = 0;
      for (let yy = Math.floor(y0); yy < Math.min(img.height, Math.ceil(y1)); yy++) {
        const wy = Math.min(y1, yy + 1) - Math.max(y0, yy);
        for (let xx = Math.floor(x0); xx < Math.min(img.width, Math.ceil(x1)); xx++) {
          const w = wy * (Math.min(x1, xx + 1) - Math.max(x0, xx));
          const i = (yy * img.width + xx) * 3;
          acc[0] += w * img.data[i];
          acc[1] += w * img.data[i + 1];
          acc[2] += w * img.data[i + 2];
          wsum += w;
        }
      }
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) out[o + c] = Math.round(acc[c] / wsum);
    }
  }
  return { data: out, width, height, channels: 3 };
}

/** Centre crop to a square of side min(w, h). */
export function centerCropSquare(img: RgbPixels): RgbPixels {
  const s = Math.min(img.width, img.height);
  const left = Math.floor((img.width - s) / 2);
  const top = Math.floor((img.height - s) / 2);
  const out = new Uint8Array(s * s * 3);
  for (let y = 0; y < s; y++) {
    const from = ((top + y) * img.width + left) * 3;
    out.set(img.data.subarray(from, from + s * 3), y * s * 3);
  }
  return { data: out, width: s, height: s, channels: 3 };
}

const cache = new Map<string, RgbPixels>();

/**
 * A shared image (`tubingen`, `starry_night`, `the_scream`, …) scaled so its longest side is `size` pixels
 * (aspect kept), or centre-cropped to a `size`×`size` square with `square: true`.
 */
export function loadImage(name: string, size: number, opts: { square?: boolean } = {}): RgbPixels {
  const key = `${name}:${size}:${opts.square ? 1 : 0}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let img = decodeJpeg(`${SHARED_IMAGES}${name}.jpg`);
  if (opts.square) img = centerCropSquare(img);
  const s = size / Math.max(img.width, img.height);
  const out = downscale(img, Math.max(1, Math.round(img.width * s)), Math.max(1, Math.round(img.height * s)));
  cache.set(key, out);
  return out;
}

/** Mean I and Q (YIQ chroma) of RGB values (3 per pixel, or 4 with `stride: 4` for RGBA). */
export function meanChroma(data: ArrayLike<number>, stride: 3 | 4 = 3): { i: number; q: number } {
  let i = 0, q = 0;
  const n = data.length / stride;
  for (let p = 0; p < data.length; p += stride) {
    const r = data[p], g = data[p + 1], b = data[p + 2];
    i += 0.595716 * r - 0.274453 * g - 0.321263 * b;
    q += 0.211456 * r - 0.522591 * g + 0.311135 * b;
  }
  return { i: i / n, q: q / n };
}
