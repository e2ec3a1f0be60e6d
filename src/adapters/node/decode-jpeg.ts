/**
 * The pure-JS JPEG path: jpeg-js, fenced. jpeg-js caps its own allocations only through `maxResolutionInMP` and
 * `maxMemoryUsageInMB` (both set from the caller's pixel limit), and on a file cut short it may decode the scans
 * it has and leave the rest grey; so a file whose image data (after SOS) has no end-of-image marker (EOI) is
 * refused as truncated before jpeg-js sees it. The EXIF orientation is applied (exif.ts).
 * @module
 */
import jpeg from 'jpeg-js';
import { StyleTransferError } from '../../errors.js';
import type { RgbaImage } from '../../image/input.js';
import { applyOrientation, jpegOrientation } from './exif.js';

/**
 * The offset of the first SOS (start of scan) marker, found by walking the segments by their lengths, or -1.
 * Fill bytes (0xFF runs) and markers without a length (RSTn, TEM) are stepped over.
 */
function firstScan(b: Uint8Array): number {
  let i = 2;
  while (i + 1 < b.length) {
    if (b[i] !== 0xff) {
      i++; // stray byte between segments (libjpeg skips them too)
      continue;
    }
    const m = b[i + 1];
    if (m === 0xff || m === 0x00 || m === 0x01 || (m >= 0xd0 && m <= 0xd8)) {
      i++;
      continue;
    }
    if (m === 0xda) return i;
    if (m === 0xd9 || i + 4 > b.length) return -1;
    i += 2 + ((b[i + 2] << 8) | b[i + 3]);
  }
  return -1;
}

/**
 * True when the image data ends with an EOI marker. Inside entropy-coded data a 0xFF byte is always followed by
 * 0x00 or a RSTn marker, so the first FF D9 after the first scan is the end of the image (trailing bytes after it
 * are allowed, as every viewer allows them; progressive files' later scans come before it).
 */
export function jpegHasEnd(b: Uint8Array): boolean {
  const sos = firstScan(b);
  if (sos < 0) return false;
  for (let i = sos + 2; i + 1 < b.length; i++) if (b[i] === 0xff && b[i + 1] === 0xd9) return true;
  return false;
}

/**
 * Decodes JPEG bytes to RGBA with the EXIF orientation applied. `maxPixels` is the caller's limit (already
 * checked against the header; jpeg-js checks it again while decoding). Throws INVALID_IMAGE naming `name`.
 */
export function decodeJpeg(bytes: Uint8Array, name: string, maxPixels: number): RgbaImage {
  if (!jpegHasEnd(bytes)) {
    throw new StyleTransferError('INVALID_IMAGE', `${name} is not a valid JPEG: its image data has no end marker (EOI); the file is truncated.`, { path: name });
  }
  let img: { data: Uint8Array; width: number; height: number };
  try {
    // About 28 bytes a pixel at most: 4 components of 8x8 blocks of int32, their sample lines, the RGBA output.
    const mp = Number.isFinite(maxPixels) ? maxPixels / 1e6 : 1e6;
    img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: mp, maxMemoryUsageInMB: Math.ceil(mp * 28) + 64 });
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0].replace(/\.$/, '');
    throw new StyleTransferError('INVALID_IMAGE', `${name} could not be decoded as JPEG (${why}); the file may be truncated or damaged.`, { path: name }, { cause: e });
  }
  // jpeg-js allocates its output zero-filled and writes every pixel of the frame; copied to a buffer of our own.
  const data = new Uint8ClampedArray(new ArrayBuffer(img.width * img.height * 4));
  if (img.data.length < data.length) throw new StyleTransferError('INVALID_IMAGE', `${name} decoded to fewer pixels than its ${img.width}x${img.height} frame.`, { path: name });
  data.set(img.data.subarray(0, data.length));
  return applyOrientation({ data, width: img.width, height: img.height }, jpegOrientation(bytes));
}
