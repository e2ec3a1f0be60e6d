/**
 * Hand-made image files for the hostile-input suites: PNGs of any colour type, bit depth and interlacing written
 * chunk by chunk (so a test can lie in the header, cut the data short or inflate it past the size), and JPEG EXIF
 * segments. Nothing here decodes: the decoders under test do.
 */
import { crc32, deflateSync } from 'node:zlib';

/** A PNG chunk: length, type, data, CRC. */
export function chunk(type: string, data: Uint8Array = new Uint8Array(0)): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function ihdr(width: number, height: number, depth: number, colorType: number, interlace = 0): Buffer {
  const d = Buffer.alloc(13);
  d.writeUInt32BE(width, 0);
  d.writeUInt32BE(height, 4);
  d[8] = depth;
  d[9] = colorType;
  d[12] = interlace;
  return chunk('IHDR', d);
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

export interface PngSpec {
  width: number;
  height: number;
  colorType: 0 | 2 | 3 | 4 | 6;
  depth: 1 | 2 | 4 | 8 | 16;
  interlace?: boolean;
  /** The samples of pixel (x, y) at the file's depth (a palette index for colour type 3). */
  sample: (x: number, y: number) => number[];
  /** PLTE entries (RGB) for colour type 3; tRNS bytes. */
  palette?: number[][];
  trns?: number[];
  /** A filter type (0–4) to write on every row; the data is filtered accordingly. Default 0. */
  filter?: number;
}

/** The raw (unfiltered, filter-byte-prefixed) scanlines of a PNG, per pass when interlaced. */
export function pngRows(s: PngSpec): Buffer {
  const ch = CHANNELS[s.colorType];
  const passes = s.interlace ? ADAM7 : [[0, 0, 1, 1]];
  const bpp = Math.max(1, (ch * s.depth) >> 3);
  const parts: Buffer[] = [];
  for (const [x0, y0, dx, dy] of passes) {
    const w = s.width > x0 ? Math.ceil((s.width - x0) / dx) : 0;
    const h = s.height > y0 ? Math.ceil((s.height - y0) / dy) : 0;
    if (!w || !h) continue;
    const stride = Math.ceil((w * ch * s.depth) / 8);
    let prev = Buffer.alloc(stride);
    for (let y = 0; y < h; y++) {
      const row = Buffer.alloc(stride);
      for (let x = 0; x < w; x++) {
        const v = s.sample(x0 + x * dx, y0 + y * dy);
        for (let c = 0; c < ch; c++) {
          const bit = (x * ch + c) * s.depth;
          if (s.depth === 16) row.writeUInt16BE(v[c], bit >> 3);
          else if (s.depth === 8) row[bit >> 3] = v[c];
          else row[bit >> 3] |= v[c] << (8 - s.depth - (bit & 7));
        }
      }
      const f = s.filter ?? 0;
      const out = Buffer.alloc(stride + 1);
      out[0] = f;
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? row[i - bpp] : 0;
        const b = y > 0 ? prev[i] : 0;
        const c = y > 0 && i >= bpp ? prev[i - bpp] : 0;
        const p = a + b - c;
        const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
        const pred = [0, a, b, (a + b) >> 1, paeth][f];
        out[i + 1] = (row[i] - pred) & 0xff;
      }
      parts.push(out);
      prev = row;
    }
  }
  return Buffer.concat(parts);
}

/** A whole PNG file from a spec; `idat` replaces the compressed data, `extra` chunks go before IDAT. */
export function makePng(s: PngSpec, opts: { idat?: Buffer; extra?: Buffer[] } = {}): Buffer {
  return Buffer.concat([
    PNG_SIGNATURE,
    ihdr(s.width, s.height, s.depth, s.colorType, s.interlace ? 1 : 0),
    ...(s.palette ? [chunk('PLTE', Uint8Array.from(s.palette.flat()))] : []),
    ...(s.trns ? [chunk('tRNS', Uint8Array.from(s.trns))] : []),
    ...(opts.extra ?? []),
    chunk('IDAT', opts.idat ?? deflateSync(pngRows(s))),
    chunk('IEND'),
  ]);
}

/** A TIFF block (big-endian) whose first IFD holds only the Orientation tag. */
export function exifTiff(orientation: number): Buffer {
  const t = Buffer.alloc(8 + 2 + 12 + 4);
  t.write('MM', 0, 'latin1');
  t.writeUInt16BE(42, 2);
  t.writeUInt32BE(8, 4);
  t.writeUInt16BE(1, 8);
  t.writeUInt16BE(0x0112, 10);
  t.writeUInt16BE(3, 12);
  t.writeUInt32BE(1, 14);
  t.writeUInt16BE(orientation, 18);
  return t;
}

/** JPEG bytes with an APP1 EXIF segment (orientation) inserted after SOI. */
export function withExifOrientation(jpegBytes: Uint8Array, orientation: number): Buffer {
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), exifTiff(orientation)]);
  const seg = Buffer.alloc(4);
  seg[0] = 0xff;
  seg[1] = 0xe1;
  seg.writeUInt16BE(payload.length + 2, 2);
  return Buffer.concat([Buffer.from(jpegBytes.subarray(0, 2)), seg, payload, Buffer.from(jpegBytes.subarray(2))]);
}
