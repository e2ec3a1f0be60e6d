/**
 * EXIF orientation for the pure-JS decoders: the Orientation tag (0x0112) read from a JPEG's APP1 `Exif` segment,
 * and the turn or flip it asks for applied to RGBA pixels. Phones store photos as the sensor saw them and say
 * in this tag how to show them; ignoring it shows a portrait photo on its side. Only the TIFF header and the first
 * IFD are read, every offset bounds-checked; anything malformed means "no orientation" (1), never an error, as
 * viewers do.
 * @module
 */
import type { RgbaImage } from '../../image/input.js';

/** EXIF orientation 1–8 (1: as stored; 2: mirrored; 3: turned 180°; 4: flipped; 5–8: the same with x and y swapped). */
export type Orientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

const EXIF_ID = [0x45, 0x78, 0x69, 0x66, 0, 0]; // "Exif\0\0"

/** The Orientation tag of a TIFF/EXIF block (`tiff` starts at its byte-order mark), or 1. */
export function tiffOrientation(tiff: Uint8Array): Orientation {
  if (tiff.length < 8) return 1;
  const little = tiff[0] === 0x49 && tiff[1] === 0x49;
  if (!little && !(tiff[0] === 0x4d && tiff[1] === 0x4d)) return 1;
  const u16 = (i: number): number => (little ? tiff[i] | (tiff[i + 1] << 8) : (tiff[i] << 8) | tiff[i + 1]);
  const u32 = (i: number): number => (little ? (tiff[i] | (tiff[i + 1] << 8) | (tiff[i + 2] << 16) | (tiff[i + 3] << 24)) >>> 0 : ((tiff[i] << 24) | (tiff[i + 1] << 16) | (tiff[i + 2] << 8) | tiff[i + 3]) >>> 0);
  if (u16(2) !== 42) return 1;
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return 1;
  const count = u16(ifd);
  for (let k = 0; k < count; k++) {
    const e = ifd + 2 + k * 12;
    if (e + 12 > tiff.length) return 1;
    if (u16(e) !== 0x0112) continue;
    if (u16(e + 2) !== 3 || u32(e + 4) < 1) return 1; // must be one SHORT, stored in the entry itself
    const v = u16(e + 8);
    return v >= 1 && v <= 8 ? (v as Orientation) : 1;
  }
  return 1;
}

/**
 * The EXIF orientation of JPEG bytes: the first APP1 segment starting `Exif\0\0` before the image data, or 1.
 * Walks the segments by their lengths (the header was validated by the caller's header parser).
 */
export function jpegOrientation(b: Uint8Array): Orientation {
  let i = 2;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) return 1;
    const m = b[i + 1];
    if (m === 0xff) {
      i++;
      continue;
    }
    if (m === 0xda || m === 0xd9) return 1; // image data or the end: no EXIF before it
    const length = (b[i + 2] << 8) | b[i + 3];
    if (length < 2 || i + 2 + length > b.length) return 1;
    if (m === 0xe1 && length >= 8 && EXIF_ID.every((v, k) => b[i + 4 + k] === v)) return tiffOrientation(b.subarray(i + 10, i + 2 + length));
    i += 2 + length;
  }
  return 1;
}

/** The size an image of `width`x`height` has once `orientation` is applied. */
export function orientedSize(width: number, height: number, orientation: Orientation): { width: number; height: number } {
  return orientation >= 5 ? { width: height, height: width } : { width, height };
}

/**
 * Applies an EXIF orientation to RGBA pixels, returning new pixels (the input when `orientation` is 1). For each
 * output pixel (x, y) the source pixel is found by the inverse of the tag's transform.
 */
export function applyOrientation(img: RgbaImage, orientation: Orientation): RgbaImage {
  if (orientation === 1) return img;
  const { width: W, height: H, data } = img;
  const { width: w, height: h } = orientedSize(W, H, orientation);
  const out = new Uint8ClampedArray(new ArrayBuffer(w * h * 4));
  const src = data.byteOffset % 4 === 0 ? data : data.slice(); // a 4-byte aligned view, to move whole pixels
  const src32 = new Uint32Array(src.buffer, src.byteOffset, W * H);
  const dst32 = new Uint32Array(out.buffer, 0, w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sx: number;
      let sy: number;
      switch (orientation) {
        case 2: sx = W - 1 - x; sy = y; break; // mirrored left-right
        case 3: sx = W - 1 - x; sy = H - 1 - y; break; // turned 180°
        case 4: sx = x; sy = H - 1 - y; break; // mirrored top-bottom
        case 5: sx = y; sy = x; break; // transposed
        case 6: sx = y; sy = H - 1 - x; break; // stored turned 90° anticlockwise: show turned clockwise
        case 7: sx = W - 1 - y; sy = H - 1 - x; break; // transversed
        default: sx = W - 1 - y; sy = x; break; // 8: stored turned 90° clockwise
      }
      dst32[y * w + x] = src32[sy * W + sx];
    }
  }
  return { data: out, width: w, height: h };
}
