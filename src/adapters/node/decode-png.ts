/**
 * A PNG decoder that never returns memory it did not write and never inflates past the image's size. The chunks
 * are parsed here (CRCs checked), the IDAT stream is inflated with `node:zlib` capped at the exact number of bytes
 * the header implies (rows with their filter bytes, per Adam7 pass when interlaced), output short of that size is
 * refused, and the rows are unfiltered and converted to RGBA here. Every colour type (grey, RGB, palette,
 * grey+alpha, RGBA), every bit depth (1, 2, 4, 8, 16), `tRNS` transparency and Adam7 interlacing are read.
 *
 * Why not pngjs: its sync inflate does not stop at the expected size and leaves rows it never received as
 * whatever the allocator held (another image's pixels, in a server), and its interlaced path has no cap at all.
 * pngjs still encodes (image-io.ts).
 * @module
 */
import { constants as bufferConstants } from 'node:buffer';
import { crc32, inflateSync } from 'node:zlib';
import { StyleTransferError } from '../../errors.js';
import type { RgbaImage } from '../../image/input.js';
import { applyOrientation, tiffOrientation, type Orientation } from './exif.js';

const be32 = (b: Uint8Array, i: number): number => ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
const type = (s: string): number => be32(Uint8Array.from(s, (c) => c.charCodeAt(0)), 0);
const IHDR = type('IHDR');
const PLTE = type('PLTE');
const TRNS = type('tRNS');
const IDAT = type('IDAT');
const IEND = type('IEND');
const EXIF = type('eXIf');

/** Channels per colour type: 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA. */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

/** Adam7 passes: first column, first row, column step, row step. */
const ADAM7: [number, number, number, number][] = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

interface Pass {
  x0: number;
  y0: number;
  dx: number;
  dy: number;
  /** Pixels per row and rows in this pass (0 when the image is too small to have it). */
  w: number;
  h: number;
  /** Bytes per row, without the filter byte. */
  stride: number;
}

interface Header {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  channels: number;
  passes: Pass[];
}

function header(ihdr: Uint8Array, bad: (why: string) => never): Header {
  const width = be32(ihdr, 0);
  const height = be32(ihdr, 4);
  const [depth, colorType, compression, filter, interlace] = ihdr.subarray(8, 13);
  if (!DEPTHS[colorType]) bad(`its colour type is ${colorType}`);
  if (!DEPTHS[colorType].includes(depth)) bad(`bit depth ${depth} is not allowed for colour type ${colorType}`);
  if (compression !== 0 || filter !== 0) bad('it uses an unknown compression or filter method');
  if (interlace > 1) bad(`its interlace method is ${interlace}`);
  const channels = CHANNELS[colorType];
  const layout = interlace === 1 ? ADAM7 : [[0, 0, 1, 1] as [number, number, number, number]];
  const passes = layout.map(([x0, y0, dx, dy]) => {
    const w = width > x0 ? Math.ceil((width - x0) / dx) : 0;
    const h = height > y0 ? Math.ceil((height - y0) / dy) : 0;
    return { x0, y0, dx, dy, w, h, stride: Math.ceil((w * channels * depth) / 8) };
  });
  return { width, height, depth, colorType, channels, passes };
}

/** The inflated size the header implies: each row of each pass, with its filter byte. */
function expectedBytes(h: Header): number {
  return h.passes.reduce((n, p) => n + (p.w > 0 && p.h > 0 ? p.h * (p.stride + 1) : 0), 0);
}

/** Undoes the PNG row filters in place (`rows` holds filter byte + `stride` bytes per row). */
function unfilter(rows: Uint8Array, offset: number, p: Pass, bpp: number, bad: (why: string) => never): void {
  const line = p.stride + 1;
  for (let y = 0; y < p.h; y++) {
    const at = offset + y * line;
    const f = rows[at];
    const cur = at + 1;
    const prev = y > 0 ? cur - line : -1;
    if (f === 0) continue;
    if (f > 4) bad(`row ${y} has filter type ${f}`);
    for (let i = 0; i < p.stride; i++) {
      const a = i >= bpp ? rows[cur + i - bpp] : 0;
      const b = prev >= 0 ? rows[prev + i] : 0;
      let v: number;
      if (f === 1) v = a;
      else if (f === 2) v = b;
      else if (f === 3) v = (a + b) >> 1;
      else {
        const c = prev >= 0 && i >= bpp ? rows[prev + i - bpp] : 0;
        const pa = Math.abs(b - c);
        const pb = Math.abs(a - c);
        const pc = Math.abs(a + b - 2 * c);
        v = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      rows[cur + i] = (rows[cur + i] + v) & 0xff;
    }
  }
}

/** The chunks a decoder needs, from {@link readPngChunks}. */
export interface PngChunks {
  ihdr?: Uint8Array;
  palette?: Uint8Array;
  trns?: Uint8Array;
  idat: Uint8Array[];
  exif?: Uint8Array;
}

/**
 * Walks every chunk of a PNG to its IEND, checking each CRC: a file cut short anywhere (even just its IEND), a
 * chunk running past the end, a damaged chunk or an unknown critical chunk is INVALID_IMAGE. Cheap (no
 * inflating); the sharp path runs it too, as libpng accepts a file without IEND.
 */
export function readPngChunks(bytes: Uint8Array, name: string): PngChunks {
  const bad = (why: string): never => {
    throw new StyleTransferError('INVALID_IMAGE', `${name} is not a valid PNG: ${why}.`, { path: name });
  };
  const found: PngChunks = { idat: [] };
  for (let i = 8, ended = false; !ended; ) {
    if (i + 12 > bytes.length) bad(`it ends at byte ${bytes.length}, before its IEND chunk (the file is truncated)`);
    const length = be32(bytes, i);
    const t = be32(bytes, i + 4);
    if (length > bytes.length - i - 12) bad(`the chunk at byte ${i} says it has ${length} bytes, past the end of the file (the file is truncated)`);
    const data = bytes.subarray(i + 8, i + 8 + length);
    if (crc32(bytes.subarray(i + 4, i + 8 + length)) !== be32(bytes, i + 8 + length)) bad(`the chunk at byte ${i} fails its CRC check`);
    if (t === IHDR) found.ihdr = data;
    else if (t === PLTE) found.palette = data;
    else if (t === TRNS) found.trns = data;
    else if (t === IDAT) found.idat.push(data);
    else if (t === EXIF) found.exif = data;
    else if (t === IEND) ended = true;
    else if (!(bytes[i + 4] & 0x20)) bad(`it has an unknown critical chunk ${JSON.stringify(Buffer.from(bytes.subarray(i + 4, i + 8)).toString('latin1'))}`);
    i += 12 + length;
  }
  return found;
}

/**
 * Decodes PNG bytes to RGBA (8 bits a channel; 16-bit samples keep their high byte), turned as an `eXIf` chunk's
 * orientation says. The caller has checked the
 * header's size against its pixel limit. Throws INVALID_IMAGE for anything damaged, truncated or inconsistent,
 * naming `name`.
 */
export function decodePng(bytes: Uint8Array, name: string): RgbaImage {
  const bad = (why: string): never => {
    throw new StyleTransferError('INVALID_IMAGE', `${name} is not a valid PNG: ${why}.`, { path: name });
  };
  const { ihdr, palette, trns, idat, exif } = readPngChunks(bytes, name);
  const orientation: Orientation = exif ? tiffOrientation(exif) : 1;
  if (!ihdr || ihdr.length !== 13) return bad('its IHDR header is missing or damaged');
  const h = header(ihdr, bad);
  if (idat.length === 0) bad('it has no image data (IDAT)');
  if (h.colorType === 3 && (!palette || palette.length % 3 !== 0 || palette.length === 0)) bad('it is a palette image without a valid palette (PLTE)');
  const expected = expectedBytes(h);
  let raw: Buffer;
  try {
    // Stops at `expected` bytes: a stream that inflates to more is refused (RangeError), never buffered.
    raw = inflateSync(Buffer.concat(idat), { maxOutputLength: Math.min(expected, bufferConstants.MAX_LENGTH) });
  } catch (e) {
    const why = e instanceof RangeError ? `its image data inflates to more than the ${expected} bytes a ${h.width}x${h.height} image has` : `its image data does not inflate (${(e as Error).message}; the file is truncated or damaged)`;
    return bad(why);
  }
  if (raw.length !== expected) bad(`its image data inflates to ${raw.length} bytes, not the ${expected} a ${h.width}x${h.height} image needs (the file is truncated)`);
  return applyOrientation(toRgba(raw, h, palette, trns, bad), orientation);
}

function toRgba(raw: Uint8Array, h: Header, palette: Uint8Array | undefined, trns: Uint8Array | undefined, bad: (why: string) => never): RgbaImage {
  const { width, depth, colorType, channels } = h;
  const out = new Uint8ClampedArray(new ArrayBuffer(width * h.height * 4));
  const bpp = Math.max(1, (channels * depth) >> 3);
  const maxSample = (1 << depth) - 1;
  const entries = palette ? palette.length / 3 : 0;
  // Colour-key transparency for grey and RGB (samples compared at their own depth).
  const key = trns && (colorType === 0 || colorType === 2) ? Array.from({ length: trns.length >> 1 }, (_, k) => (trns[2 * k] << 8) | trns[2 * k + 1]) : undefined;
  let offset = 0;
  for (const p of h.passes) {
    if (p.w === 0 || p.h === 0) continue;
    unfilter(raw, offset, p, bpp, bad);
    for (let y = 0; y < p.h; y++) {
      const row = offset + y * (p.stride + 1) + 1;
      /** Sample `s` of pixel `x` in this row, at the file's depth. */
      const sample = (x: number, s: number): number => {
        if (depth === 8) return raw[row + x * channels + s];
        if (depth === 16) return (raw[row + 2 * (x * channels + s)] << 8) | raw[row + 2 * (x * channels + s) + 1];
        const bit = (x * channels + s) * depth;
        return (raw[row + (bit >> 3)] >> (8 - depth - (bit & 7))) & maxSample;
      };
      const to8 = (v: number): number => (depth === 16 ? v >> 8 : depth === 8 ? v : Math.round((v * 255) / maxSample));
      const oy = p.y0 + y * p.dy;
      for (let x = 0; x < p.w; x++) {
        const o = (oy * width + p.x0 + x * p.dx) * 4;
        if (colorType === 3) {
          const idx = sample(x, 0);
          if (idx >= entries) bad(`a pixel uses palette entry ${idx}, but the palette has ${entries}`);
          out[o] = palette![idx * 3];
          out[o + 1] = palette![idx * 3 + 1];
          out[o + 2] = palette![idx * 3 + 2];
          out[o + 3] = trns && idx < trns.length ? trns[idx] : 255;
        } else if (colorType === 0 || colorType === 4) {
          const g = sample(x, 0);
          out[o] = out[o + 1] = out[o + 2] = to8(g);
          out[o + 3] = colorType === 4 ? to8(sample(x, 1)) : key && key[0] === g ? 0 : 255;
        } else {
          const r = sample(x, 0);
          const g = sample(x, 1);
          const b = sample(x, 2);
          out[o] = to8(r);
          out[o + 1] = to8(g);
          out[o + 2] = to8(b);
          out[o + 3] = colorType === 6 ? to8(sample(x, 3)) : key && key.length >= 3 && key[0] === r && key[1] === g && key[2] === b ? 0 : 255;
        }
      }
    }
    offset += p.h * (p.stride + 1);
  }
  return { data: out, width, height: h.height };
}
