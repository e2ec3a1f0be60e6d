/**
 * Reading and writing PNG and JPEG files in Node, in pure JavaScript: `pngjs` and `jpeg-js` have no native
 * binary, so nothing can fail to download or load at install time on any OS or CPU (sharp/libvips would be
 * faster, but the images here are small — a few hundred pixels — and decoding is not the bottleneck).
 * Writes are atomic: the bytes go to a temp file in the same folder, which is then renamed over the target, so a
 * crash or an error never leaves a half-written image.
 *
 * Reads are bounded, because images often come from strangers: only regular files are read (never a FIFO, a
 * device or a socket, which could block or never end), at most `maxBytes` of them, and the width and height are
 * read from the PNG or JPEG header and checked against `maxPixels` before a decoder allocates anything (pngjs
 * allocates the whole bitmap from the header; a 69-byte PNG can claim 20000x20000).
 * @module
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, type Stats } from 'node:fs';
import { open, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { StyleTransferError, invalidOption } from '../../errors.js';
import { DEFAULT_MAX_INPUT_PIXELS, type RgbaImage } from '../../image/input.js';

/** Image file formats read and written. */
export type ImageFormat = 'png' | 'jpeg';

/** Pixels to write: RGBA (or RGB) bytes, row-major, top row first. */
export interface WritablePixels {
  data: Uint8Array | Uint8ClampedArray | number[];
  width: number;
  height: number;
}

export interface WriteImageOptions {
  /** Format; default from the file extension (`.png`, `.jpg`, `.jpeg`). */
  format?: ImageFormat;
  /** JPEG quality 1–100. Default 92. */
  quality?: number;
}

/** Default {@link ReadImageOptions.maxBytes}: 256 MiB. */
export const DEFAULT_MAX_BYTES = 256 * 2 ** 20;

export interface DecodeImageOptions {
  /**
   * The most pixels (width × height) an image may have; larger ones are refused with IMAGE_TOO_LARGE from their
   * header, before decoding. Default {@link DEFAULT_MAX_INPUT_PIXELS} (50 000 000, the same cap the stylizer
   * applies to its inputs); `Infinity` for no limit.
   */
  maxPixels?: number;
}

export interface ReadImageOptions extends DecodeImageOptions {
  /** The largest file read, in bytes; larger files are refused with IMAGE_TOO_LARGE. Default {@link DEFAULT_MAX_BYTES} (256 MiB). */
  maxBytes?: number;
}

/** Width and height as an image file's header states them. */
export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
}

/** The format named by a file extension, or undefined. */
export function formatFromPath(path: string): ImageFormat | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === '.png') return 'png';
  if (ext === '.jpg' || ext === '.jpeg') return 'jpeg';
  return undefined;
}

/** The format of encoded bytes from their signature, or undefined. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

function describeBytes(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'it is empty';
  const head = bytes.subarray(0, 16);
  const text = head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127));
  if (text) return `it starts with the text ${JSON.stringify(Buffer.from(head).toString('latin1').replace(/\s+/g, ' ').trim())}`;
  const magic: [number[], string][] = [
    [[0x47, 0x49, 0x46], 'a GIF'],
    [[0x52, 0x49, 0x46, 0x46], 'a RIFF/WebP'],
    [[0x42, 0x4d], 'a BMP'],
    [[0x49, 0x49, 0x2a], 'a TIFF'],
    [[0x4d, 0x4d, 0x00, 0x2a], 'a TIFF'],
    [[0x25, 0x50, 0x44, 0x46], 'a PDF'],
  ];
  for (const [sig, name] of magic) if (sig.every((b, i) => bytes[i] === b)) return `it looks like ${name} file`;
  return `its first bytes are ${Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ')}`;
}

const be16 = (b: Uint8Array, i: number): number => (b[i] << 8) | b[i + 1];
const be32 = (b: Uint8Array, i: number): number => ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const IHDR = 0x49484452;
const IEND = 0x49454e44;

/**
 * Width and height from PNG bytes: the IHDR chunk, which must come first. Every chunk header is walked (not the
 * data), because pngjs takes the size from the last IHDR it sees: a second one is refused.
 */
function pngHeader(b: Uint8Array, name: string): ImageHeader {
  const bad = (why: string): never => {
    throw new StyleTransferError('INVALID_IMAGE', `${name} is not a valid PNG: ${why}.`, { path: name });
  };
  if (!PNG_SIGNATURE.every((v, i) => b[i] === v)) bad('its 8-byte signature is damaged');
  if (b.length < 8 + 8 + 13) bad(`it ends after ${b.length} bytes, inside the IHDR header`);
  if (be32(b, 12) !== IHDR) bad('the first chunk is not IHDR');
  if (be32(b, 8) !== 13) bad(`the IHDR chunk is ${be32(b, 8)} bytes long, not 13`);
  const width = be32(b, 16);
  const height = be32(b, 20);
  for (let i = 8 + 8 + 13 + 4; i + 8 <= b.length; ) {
    const length = be32(b, i);
    const type = be32(b, i + 4);
    if (type === IHDR) bad('it has a second IHDR header');
    if (type === IEND) break;
    i += 12 + length; // length, type, data, CRC; a length past the end just ends the walk (the decoder reports it)
  }
  return { format: 'png', width, height };
}

/** True for the JPEG start-of-frame markers (SOF0–SOF15 but DHT C4, JPG C8 and DAC CC). */
const isSof = (m: number): boolean => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
const SOF_NAMES: Record<number, string> = { 0xc3: 'lossless', 0xc5: 'differential', 0xc6: 'differential progressive', 0xc7: 'differential lossless', 0xc9: 'arithmetic-coded', 0xca: 'arithmetic-coded progressive', 0xcb: 'arithmetic-coded lossless', 0xcd: 'arithmetic-coded differential', 0xce: 'arithmetic-coded differential progressive', 0xcf: 'arithmetic-coded differential lossless' };

/**
 * Width and height from JPEG bytes: the markers are scanned to the first start-of-frame (SOFn) header, skipping
 * fill bytes (0xFF runs), APPn/COM/DQT/DHT segments by their length, and stray bytes between segments (as libjpeg
 * does). A segment whose length runs past the end, image data (SOS) or EOI before a frame header are errors.
 */
function jpegHeader(b: Uint8Array, name: string): ImageHeader {
  const bad = (why: string): never => {
    throw new StyleTransferError('INVALID_IMAGE', `${name} is not a valid JPEG: ${why}.`, { path: name });
  };
  if (!(b[0] === 0xff && b[1] === 0xd8)) bad('it does not start with the SOI marker');
  let i = 2;
  for (;;) {
    while (i < b.length && b[i] !== 0xff) i++; // stray bytes before a marker
    while (i < b.length && b[i] === 0xff) i++; // fill bytes
    if (i >= b.length) return bad('it ends before its frame header (SOF)');
    const m = b[i++];
    if (m === 0x00 || m === 0x01 || m === 0xd8 || (m >= 0xd0 && m <= 0xd7)) continue; // stuffed byte, TEM, SOI, RSTn: no length
    if (m === 0xd9) return bad(`it ends (EOI at byte ${i - 2}) before any frame header (SOF)`);
    if (m === 0xda) return bad('its image data (SOS) comes before any frame header (SOF)');
    if (i + 2 > b.length) return bad(`it ends inside the length of the segment at byte ${i - 2}`);
    const length = be16(b, i);
    if (length < 2) return bad(`the segment at byte ${i - 2} has length ${length}`);
    if (isSof(m)) {
      if (length < 8) return bad(`its frame header is ${length} bytes long (at least 8 needed)`);
      if (i + 7 > b.length) return bad('it ends inside its frame header (SOF)');
      if (SOF_NAMES[m]) {
        throw new StyleTransferError('UNSUPPORTED_IMAGE', `${name} is a ${SOF_NAMES[m]} JPEG (SOF${m - 0xc0}), which is not supported; save it as a baseline or progressive JPEG, or as PNG.`, { path: name });
      }
      return { format: 'jpeg', height: be16(b, i + 3), width: be16(b, i + 5) };
    }
    if (i + length > b.length) return bad(`the segment at byte ${i - 2} is ${length} bytes long, past the end of the file (${b.length} bytes)`);
    i += length;
  }
}

/**
 * Reads the width and height an image's header states, without decoding: PNG (IHDR) or JPEG (the SOFn frame
 * header). Throws UNSUPPORTED_IMAGE for other formats and INVALID_IMAGE for a damaged or truncated header or a
 * zero width or height. Cheap: it reads a few dozen bytes (a JPEG's segment lengths, a PNG's chunk headers).
 */
export function readImageHeader(bytes: Uint8Array, name = 'image'): ImageHeader {
  const format = sniffFormat(bytes);
  if (!format) {
    throw new StyleTransferError('UNSUPPORTED_IMAGE', `${name} is not a PNG or JPEG image (${describeBytes(bytes)}).`, { path: name });
  }
  const header = format === 'png' ? pngHeader(bytes, name) : jpegHeader(bytes, name);
  if (header.width === 0 || header.height === 0) {
    throw new StyleTransferError('INVALID_IMAGE', `${name} says it is ${header.width}x${header.height}: an image needs at least 1x1 pixels.`, { path: name, width: header.width, height: header.height });
  }
  return header;
}

/** `limit` if it is a number ≥ 1 (or Infinity), else INVALID_OPTION naming `field`. */
function limitOption(field: string, limit: number | undefined, fallback: number): number {
  if (limit === undefined) return fallback;
  if (typeof limit !== 'number' || !(limit >= 1)) invalidOption(field, limit, 'a number ≥ 1 (or Infinity for no limit)');
  return limit;
}

const megapixels = (n: number): string => `${Number((n / 1e6).toPrecision(3))} MP`;

/**
 * Decodes PNG or JPEG bytes (the format is read from the bytes, not a name) to RGBA. The size is read from the
 * header first ({@link readImageHeader}) and an image over `options.maxPixels` is refused (IMAGE_TOO_LARGE)
 * before the decoder allocates anything. Throws UNSUPPORTED_IMAGE for other formats and INVALID_IMAGE for
 * damaged files; `name` is used in messages.
 */
export function decodeImage(bytes: Uint8Array, name = 'image', options: DecodeImageOptions = {}): RgbaImage {
  const maxPixels = limitOption('maxPixels', options.maxPixels, DEFAULT_MAX_INPUT_PIXELS);
  const { format, width, height } = readImageHeader(bytes, name);
  if (width * height > maxPixels) {
    throw new StyleTransferError(
      'IMAGE_TOO_LARGE',
      `${name} is ${width}x${height} pixels (${megapixels(width * height)}), more than the limit of ${megapixels(maxPixels)}; raise the maxPixels option (now ${maxPixels}) to read it.`,
      { path: name, width, height, maxPixels },
    );
  }
  let img: { data: Uint8Array; width: number; height: number };
  try {
    if (format === 'png') {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      img = { data: png.data, width: png.width, height: png.height };
    } else {
      // jpeg-js checks the same pixel limit itself, and counts its allocations: about 28 bytes a pixel at most
      // (4 components of 8x8 blocks of int32, their sample lines, the RGBA output).
      const mp = maxPixels / 1e6;
      img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: mp, maxMemoryUsageInMB: Math.ceil(mp * 28) + 64 });
    }
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0].replace(/\.$/, '');
    throw new StyleTransferError('INVALID_IMAGE', `${name} could not be decoded as ${format === 'png' ? 'PNG' : 'JPEG'} (${why}); the file may be truncated or damaged.`, { path: name }, { cause: e });
  }
  if (img.width !== width || img.height !== height) {
    throw new StyleTransferError('INVALID_IMAGE', `${name} decoded to ${img.width}x${img.height} but its header says ${width}x${height}; the file is damaged.`, { path: name });
  }
  const data = new Uint8ClampedArray(new ArrayBuffer(img.width * img.height * 4));
  data.set(img.data.subarray(0, data.length));
  return { data, width: img.width, height: img.height };
}

function toRgbaBytes(px: WritablePixels, name: string): Uint8Array {
  const { width, height, data } = px;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new StyleTransferError('INVALID_IMAGE', `Cannot write ${name}: the image is ${width}x${height}.`, { path: name });
  }
  const n = width * height;
  if (data.length === n * 4) return data instanceof Uint8Array ? data : Uint8Array.from(data as ArrayLike<number>, (v) => Math.max(0, Math.min(255, Math.round(v))));
  if (data.length === n * 3) {
    const out = new Uint8Array(n * 4);
    for (let i = 0; i < n; i++) {
      out[i * 4] = data[i * 3];
      out[i * 4 + 1] = data[i * 3 + 1];
      out[i * 4 + 2] = data[i * 3 + 2];
      out[i * 4 + 3] = 255;
    }
    return out;
  }
  throw new StyleTransferError('INVALID_IMAGE', `Cannot write ${name}: ${data.length} values for a ${width}x${height} image (expected ${n * 4} RGBA or ${n * 3} RGB).`, { path: name });
}

/** Encodes RGBA (or RGB) pixels as PNG or JPEG bytes. */
export function encodeImage(px: WritablePixels, format: ImageFormat, options: { quality?: number } = {}): Uint8Array {
  const rgba = toRgbaBytes(px, `a ${format.toUpperCase()}`);
  if (format === 'png') {
    const png = new PNG({ width: px.width, height: px.height });
    png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
    return PNG.sync.write(png);
  }
  const quality = options.quality ?? 92;
  if (!(quality >= 1 && quality <= 100)) throw new StyleTransferError('INVALID_OPTION', `JPEG quality is ${quality}; expected 1–100.`, { field: 'quality' });
  return jpeg.encode({ data: rgba, width: px.width, height: px.height }, quality).data;
}

const FILE_ERRORS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a folder, not a file',
  ENOTDIR: 'a part of the path is not a folder',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'the name is too long',
  ENXIO: 'it is a socket or a device with nothing behind it, not a regular file',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device',
};

function fileError(e: unknown, path: string, action: 'read' | 'write', code: 'INVALID_IMAGE' | 'INVALID_OPTION' = action === 'read' ? 'INVALID_IMAGE' : 'INVALID_OPTION'): never {
  const errno = (e as NodeJS.ErrnoException).code;
  const missing = action === 'read' ? 'no such file' : 'the folder does not exist';
  const reason = errno === 'ENOENT' ? missing : ((errno && FILE_ERRORS[errno]) ?? ((e as Error).message ?? String(e)).split('\n')[0]);
  throw new StyleTransferError(code, `Cannot ${action} ${path}: ${reason}.`, { path, errno }, { cause: e });
}

/** What a file that is not a regular file is, for messages: `a folder`, `a named pipe (FIFO)`, `a socket`, … */
export function fileKind(st: Pick<Stats, 'isDirectory' | 'isFIFO' | 'isCharacterDevice' | 'isBlockDevice' | 'isSocket'>): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Reads a whole regular file, at most `maxBytes` of it. Anything else (a folder, a FIFO, a device such as
 * /dev/zero, a socket) is refused without reading: opening is non-blocking, so a FIFO with no writer cannot hang,
 * and the kind is checked on the opened descriptor. Errors are StyleTransferErrors naming `path`: `code` for
 * unreadable files (default INVALID_IMAGE), IMAGE_TOO_LARGE over the cap.
 */
export async function readRegularFile(path: string, maxBytes: number, code: 'INVALID_IMAGE' | 'INVALID_OPTION' = 'INVALID_IMAGE'): Promise<Uint8Array> {
  let fh;
  try {
    fh = await open(path, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  } catch (e) {
    return fileError(e, path, 'read', code);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) {
      throw new StyleTransferError(code, `Cannot read ${path}: it is ${fileKind(st)}, not a regular file.`, { path });
    }
    const tooLarge = (size: string): never => {
      throw new StyleTransferError('IMAGE_TOO_LARGE', `${path} is ${size}, more than the limit of ${maxBytes} bytes; raise the maxBytes option to read it.`, { path, maxBytes });
    };
    if (st.size > maxBytes) tooLarge(`${st.size} bytes`);
    // Read to the end (stat's size can be stale or 0, as in /proc), never more than maxBytes + 1.
    let buf = Buffer.allocUnsafe(Math.min(Math.max(st.size + 1, 64 * 1024), maxBytes + 1));
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        if (n > maxBytes) tooLarge(`more than ${maxBytes} bytes`);
        const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, maxBytes + 1));
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
    }
    if (n > maxBytes) tooLarge(`more than ${maxBytes} bytes`);
    return buf.subarray(0, n);
  } catch (e) {
    if (e instanceof StyleTransferError) throw e;
    return fileError(e, path, 'read', code);
  } finally {
    await fh.close();
  }
}

/**
 * Reads a PNG or JPEG file as RGBA bytes `{ data, width, height }` (pass it to `stylize()` as `content` or
 * `style`). The format is recognised from the file's bytes. Only regular files are read, at most
 * `options.maxBytes` (default 256 MiB), and the image's size is checked from its header against
 * `options.maxPixels` (default 50 000 000) before decoding. Throws a StyleTransferError whose message names the
 * path: INVALID_IMAGE for a missing, unreadable, non-regular or damaged file, UNSUPPORTED_IMAGE for another
 * format, IMAGE_TOO_LARGE over either limit.
 */
export async function readImage(path: string, options: ReadImageOptions = {}): Promise<RgbaImage> {
  const maxBytes = limitOption('maxBytes', options.maxBytes, DEFAULT_MAX_BYTES);
  limitOption('maxPixels', options.maxPixels, DEFAULT_MAX_INPUT_PIXELS);
  const bytes = await readRegularFile(path, maxBytes);
  return decodeImage(bytes, path, { maxPixels: options.maxPixels });
}

/**
 * Writes RGBA (or RGB) pixels to a PNG or JPEG file, the format chosen by the extension (or `options.format`).
 * Atomic: written to a temp file in the same folder, then renamed, so the target is either the old file or the
 * complete new one. Throws UNSUPPORTED_IMAGE for another extension, INVALID_OPTION when the folder is missing or
 * not writable.
 */
export async function writeImage(path: string, pixels: WritablePixels, options: WriteImageOptions = {}): Promise<void> {
  const format = options.format ?? formatFromPath(path);
  if (!format) {
    throw new StyleTransferError('UNSUPPORTED_IMAGE', `Cannot write ${path}: unknown image type "${extname(path) || '(no extension)'}"; use .png, .jpg or .jpeg.`, { path });
  }
  const bytes = encodeImage(pixels, format, options);
  await writeFileAtomic(path, bytes);
}

/** A fresh temp file name in `path`'s folder: `.<name>.<pid>.<random>.tmp`. */
export function tempPathBeside(path: string): string {
  const target = resolve(path);
  return join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Writes bytes or text to a new temp file in `path`'s folder (`tmp`, default {@link tempPathBeside}; created exclusively)
 * and resolves to the temp file's path; renaming it over `path` publishes the bytes at once. On failure nothing
 * is left behind.
 */
export async function writeTempBeside(path: string, bytes: Uint8Array | string, tmp = tempPathBeside(path)): Promise<string> {
  try {
    await writeFile(tmp, bytes, { flag: 'wx' });
    return tmp;
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    return fileError(e, path, 'write');
  }
}

/** Writes bytes or text to `path` through a temp file in the same folder and a rename. */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = await writeTempBeside(path, bytes);
  try {
    await rename(tmp, resolve(path));
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    fileError(e, path, 'write');
  }
}
