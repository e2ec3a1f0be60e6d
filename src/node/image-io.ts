/**
 * Reading and writing PNG and JPEG files in Node, in pure JavaScript: `pngjs` and `jpeg-js` have no native
 * binary, so nothing can fail to download or load at install time on any OS or CPU (sharp/libvips would be
 * faster, but the images here are small — a few hundred pixels — and decoding is not the bottleneck).
 * Writes are atomic: the bytes go to a temp file in the same folder, which is then renamed over the target, so a
 * crash or an error never leaves a half-written image.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { StyleTransferError } from '../errors.js';
import type { RgbaImage } from '../image.js';

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

/**
 * Decodes PNG or JPEG bytes (the format is read from the bytes, not a name) to RGBA. Throws UNSUPPORTED_IMAGE for
 * other formats and INVALID_IMAGE for damaged files; `name` is used in messages.
 */
export function decodeImage(bytes: Uint8Array, name = 'image'): RgbaImage {
  const format = sniffFormat(bytes);
  if (!format) {
    throw new StyleTransferError('UNSUPPORTED_IMAGE', `${name} is not a PNG or JPEG image (${describeBytes(bytes)}).`, { path: name });
  }
  let img: { data: Uint8Array; width: number; height: number };
  try {
    if (format === 'png') {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      img = { data: png.data, width: png.width, height: png.height };
    } else {
      img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 200, maxMemoryUsageInMB: 2048 });
    }
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0].replace(/\.$/, '');
    throw new StyleTransferError('INVALID_IMAGE', `${name} could not be decoded as ${format === 'png' ? 'PNG' : 'JPEG'} (${why}); the file may be truncated or damaged.`, { path: name }, { cause: e });
  }
  if (!(img.width > 0 && img.height > 0)) throw new StyleTransferError('INVALID_IMAGE', `${name} is ${img.width}x${img.height}: an image needs at least 1x1 pixels.`, { path: name });
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

function fileError(e: unknown, path: string, action: 'read' | 'write'): never {
  const code = (e as NodeJS.ErrnoException).code;
  const why: Record<string, string> = {
    ENOENT: action === 'read' ? 'no such file' : 'the folder does not exist',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EISDIR: 'it is a folder, not a file',
    ENOTDIR: 'a part of the path is not a folder',
    EROFS: 'the file system is read-only',
    ENOSPC: 'no space left on the device',
  };
  const reason = (code && why[code]) ?? ((e as Error).message ?? String(e)).split('\n')[0];
  throw new StyleTransferError(action === 'read' ? 'INVALID_IMAGE' : 'INVALID_OPTION', `Cannot ${action} ${path}: ${reason}.`, { path, errno: code }, { cause: e });
}

/**
 * Reads a PNG or JPEG file as RGBA bytes `{ data, width, height }` (pass it to `stylize()` as `content` or
 * `style`). The format is recognised from the file's bytes. Throws a StyleTransferError (INVALID_IMAGE for a
 * missing, unreadable or damaged file; UNSUPPORTED_IMAGE for another format) whose message names the path.
 */
export async function readImage(path: string): Promise<RgbaImage> {
  let bytes: Uint8Array;
  try {
    if ((await stat(path)).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    bytes = await readFile(path);
  } catch (e) {
    fileError(e, path, 'read');
  }
  return decodeImage(bytes, path);
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

/** Writes bytes or text to `path` through a temp file in the same folder and a rename. */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const target = resolve(path);
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, bytes, { flag: 'wx' });
    await rename(tmp, target);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    fileError(e, path, 'write');
  }
}
