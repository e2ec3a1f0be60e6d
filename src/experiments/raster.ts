/**
 * Pixel helpers for RGBA pictures (contact sheets, feature-map grids): new image, rectangles, copy, resize.
 * @module
 */
import type { RgbaImage } from '../image/input.js';

/** An RGB or RGBA colour, 0–255 per channel. */
export type Color = readonly [number, number, number] | readonly [number, number, number, number];

/** A new image filled with one colour. */
export function createImage(width: number, height: number, color: Color = [255, 255, 255]): RgbaImage {
  const data = new Uint8ClampedArray(new ArrayBuffer(width * height * 4));
  const a = color[3] ?? 255;
  for (let i = 0; i < data.length; i += 4) {
    data[i] = color[0];
    data[i + 1] = color[1];
    data[i + 2] = color[2];
    data[i + 3] = a;
  }
  return { data, width, height };
}

/** Fills a rectangle (clipped to the image). */
export function fillRect(img: RgbaImage, x: number, y: number, w: number, h: number, color: Color): void {
  const x0 = Math.max(0, Math.floor(x));
  const y0 = Math.max(0, Math.floor(y));
  const x1 = Math.min(img.width, Math.floor(x + w));
  const y1 = Math.min(img.height, Math.floor(y + h));
  const a = color[3] ?? 255;
  for (let yy = y0; yy < y1; yy++) {
    for (let xx = x0; xx < x1; xx++) {
      const i = (yy * img.width + xx) * 4;
      img.data[i] = color[0];
      img.data[i + 1] = color[1];
      img.data[i + 2] = color[2];
      img.data[i + 3] = a;
    }
  }
}

/** Copies `src` into `dst` with its top-left corner at (x, y), clipped. */
export function blit(dst: RgbaImage, src: RgbaImage, x: number, y: number): void {
  for (let sy = 0; sy < src.height; sy++) {
    const dy = y + sy;
    if (dy < 0 || dy >= dst.height) continue;
    const sx0 = Math.max(0, -x);
    const sx1 = Math.min(src.width, dst.width - x);
    if (sx1 <= sx0) continue;
    const from = (sy * src.width + sx0) * 4;
    dst.data.set(src.data.subarray(from, from + (sx1 - sx0) * 4), (dy * dst.width + x + sx0) * 4);
  }
}

/**
 * Resizes an RGBA image: area averaging when shrinking, nearest neighbour when enlarging (so small feature maps
 * and Gram cells stay crisp).
 */
export function resizeRgba(src: RgbaImage, width: number, height: number): RgbaImage {
  if (src.width === width && src.height === height) return { data: new Uint8ClampedArray(src.data), width, height };
  const out = createImage(width, height, [0, 0, 0, 0]);
  const sx = src.width / width;
  const sy = src.height / height;
  for (let y = 0; y < height; y++) {
    const y0 = y * sy;
    const y1 = Math.max(y0 + 1e-9, (y + 1) * sy);
    for (let x = 0; x < width; x++) {
      const x0 = x * sx;
      const x1 = Math.max(x0 + 1e-9, (x + 1) * sx);
      const o = (y * width + x) * 4;
      if (sx <= 1 && sy <= 1) {
        const i = (Math.min(src.height - 1, Math.floor(y0)) * src.width + Math.min(src.width - 1, Math.floor(x0))) * 4;
        for (let c = 0; c < 4; c++) out.data[o + c] = src.data[i + c];
        continue;
      }
      const acc = [0, 0, 0, 0];
      let wsum = 0;
      for (let yy = Math.floor(y0); yy < Math.min(src.height, Math.ceil(y1)); yy++) {
        const wy = Math.min(y1, yy + 1) - Math.max(y0, yy);
        for (let xx = Math.floor(x0); xx < Math.min(src.width, Math.ceil(x1)); xx++) {
          const w = wy * (Math.min(x1, xx + 1) - Math.max(x0, xx));
          const i = (yy * src.width + xx) * 4;
          for (let c = 0; c < 4; c++) acc[c] += src.data[i + c] * w;
          wsum += w;
        }
      }
      for (let c = 0; c < 4; c++) out.data[o + c] = Math.round(acc[c] / wsum);
    }
  }
  return out;
}
