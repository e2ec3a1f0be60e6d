/**
 * Reading and writing images in Node. Decoding uses sharp (libvips, decode-sharp.ts) when that optional peer
 * dependency is installed, else pure-JS decoders with no native binary (decode-png.ts, decode-jpeg.ts), so
 * nothing can fail to load on any OS or CPU; both refuse truncated files, bound their memory by the pixel limit
 * and apply the EXIF orientation (docs/serving.md says why). Writing uses pngjs and jpeg-js. Writes are atomic:
 * the bytes go to a temp file in the same folder, which is then renamed over the target, so a crash or an error
 * never leaves a half-written image.
 *
 * Reads are bounded, because images often come from strangers: only regular files are read (never a FIFO, a
 * device or a socket, which could block or never end), at most `maxBytes` of them, and the width and height are
 * read from the header and checked against `maxPixels` before a decoder allocates anything (a 69-byte PNG can
 * claim 20000x20000).
 * @module
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants, type Stats } from 'node:fs';
import { open, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { StyleTransferError, describe, invalidOption } from '../../errors.js';
import { DEFAULT_MAX_INPUT_PIXELS, type RgbaImage } from '../../image/input.js';
import { decodeJpeg } from './decode-jpeg.js';
import { decodePng } from './decode-png.js';
import { decodeWithSharp, loadSharp } from './decode-sharp.js';
import { readImageHeader, type ImageFormat } from './image-header.js';

export { readImageHeader, sniffFormat, type ImageFormat, type ImageHeader } from './image-header.js';

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

export interface ReadImageOptions extends DecodeImageAsyncOptions {
  /** The largest file read, in bytes; larger files are refused with IMAGE_TOO_LARGE. Default {@link DEFAULT_MAX_BYTES} (256 MiB). */
  maxBytes?: number;
}

/** The format named by a file extension, or undefined. */
export function formatFromPath(path: string): ImageFormat | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === '.png') return 'png';
  if (ext === '.jpg' || ext === '.jpeg') return 'jpeg';
  return undefined;
}

/** `limit` if it is a number ≥ 1 (or Infinity), else INVALID_OPTION naming `field`. */
function limitOption(field: string, limit: number | undefined, fallback: number): number {
  if (limit === undefined) return fallback;
  if (typeof limit !== 'number' || !(limit >= 1)) invalidOption(field, limit, 'a number ≥ 1 (or Infinity for no limit)');
  return limit;
}

const megapixels = (n: number): string => `${Number((n / 1e6).toPrecision(3))} MP`;

/** Which decoder reads image bytes: sharp (libvips) when installed, else the pure-JS decoders. */
export type ImageDecoder = 'sharp' | 'js';

/** Options of {@link decodeImageAsync} and {@link readImage}. */
export interface DecodeImageAsyncOptions extends DecodeImageOptions {
  /**
   * `'auto'` (default): sharp when it is installed (an optional peer dependency), else the pure-JS decoders;
   * `'sharp'`: sharp or UNSUPPORTED_IMAGE when it is not installed; `'js'`: the pure-JS decoders (PNG and JPEG).
   */
  decoder?: 'auto' | ImageDecoder;
}

/** The decoder `decoder: 'auto'` uses here: `'sharp'` when sharp is installed and loads, else `'js'`. */
export async function imageDecoder(): Promise<ImageDecoder> {
  return (await loadSharp()) ? 'sharp' : 'js';
}

/** Encoded bytes as a Uint8Array view (Buffer, any typed array, DataView, ArrayBuffer); a coded error for anything else. */
function asBytes(bytes: unknown, name: string): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (ArrayBuffer.isView(bytes)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && bytes instanceof SharedArrayBuffer)) return new Uint8Array(bytes);
  const hint = typeof bytes === 'string' ? ' To read a file, use readImage(path).' : '';
  throw new StyleTransferError('UNSUPPORTED_IMAGE', `${name} is ${describe(bytes)}; decodeImage() takes the encoded file's bytes (a Uint8Array, Buffer, ArrayBuffer or DataView).${hint}`, { path: name, got: describe(bytes) });
}

function decodeOptions(options: unknown): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) invalidOption('options', options, 'an object');
  return options as Record<string, unknown>;
}

function checkPixels(width: number, height: number, maxPixels: number, name: string): void {
  if (width * height > maxPixels) {
    throw new StyleTransferError(
      'IMAGE_TOO_LARGE',
      `${name} is ${width}x${height} pixels (${megapixels(width * height)}), more than the limit of ${megapixels(maxPixels)}; raise the maxPixels option (now ${maxPixels}) to read it.`,
      { path: name, width, height, maxPixels },
    );
  }
}

/**
 * Decodes PNG or JPEG bytes (the format is read from the bytes, not a name) to RGBA with the pure-JS decoders,
 * synchronously; the EXIF orientation is applied. The size is read from the header first
 * ({@link readImageHeader}) and an image over `options.maxPixels` is refused (IMAGE_TOO_LARGE) before anything is
 * allocated; a PNG's data is inflated no further than the size its header implies, and a truncated file of
 * either kind is refused (INVALID_IMAGE), never padded. Throws UNSUPPORTED_IMAGE for other formats or when
 * `bytes` is not bytes; `name` is used in messages. {@link decodeImageAsync} uses sharp when installed.
 */
export function decodeImage(bytes: Uint8Array | ArrayBuffer | DataView, name = 'image', options: DecodeImageOptions = {}): RgbaImage {
  const o = decodeOptions(options);
  const maxPixels = limitOption('maxPixels', o.maxPixels as number | undefined, DEFAULT_MAX_INPUT_PIXELS);
  const b = asBytes(bytes, name);
  const { format, width, height } = readImageHeader(b, name);
  checkPixels(width, height, maxPixels, name);
  return format === 'png' ? decodePng(b, name) : decodeJpeg(b, name, maxPixels);
}

/**
 * Decodes image bytes to RGBA off the JavaScript thread when sharp is installed (PNG, JPEG, WebP, GIF, TIFF,
 * AVIF, HEIF; see `options.decoder`), else as {@link decodeImage} does. Both paths check the size from the header
 * before decoding, refuse truncated files, and apply the EXIF orientation.
 */
export async function decodeImageAsync(bytes: Uint8Array | ArrayBuffer | DataView, name = 'image', options: DecodeImageAsyncOptions = {}): Promise<RgbaImage> {
  const o = decodeOptions(options);
  const decoder = o.decoder ?? 'auto';
  if (decoder !== 'auto' && decoder !== 'sharp' && decoder !== 'js') invalidOption('decoder', decoder, "'auto', 'sharp' or 'js'");
  const maxPixels = limitOption('maxPixels', o.maxPixels as number | undefined, DEFAULT_MAX_INPUT_PIXELS);
  const b = asBytes(bytes, name);
  const sharp = decoder === 'js' ? undefined : await loadSharp();
  if (decoder === 'sharp' && !sharp) throw new StyleTransferError('UNSUPPORTED_IMAGE', 'decoder: \'sharp\' was asked for, but sharp is not installed (npm install sharp).', { path: name });
  return sharp ? decodeWithSharp(sharp, b, name, maxPixels) : decodeImage(b, name, { maxPixels });
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
  return decodeImageAsync(bytes, path, { maxPixels: options.maxPixels, decoder: options.decoder });
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
