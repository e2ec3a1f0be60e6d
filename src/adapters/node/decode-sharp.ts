/**
 * The native decoder: sharp (libvips), an optional peer dependency loaded with a dynamic import when installed and
 * never required. Its prebuilt binary comes inside its npm packages (`@img/sharp-<os>-<cpu>`), so nothing is
 * downloaded at install. It brings EXIF orientation, WebP/AVIF/GIF/TIFF input, a pixel limit enforced inside
 * libvips (`limitInputPixels`) and refusal of damaged or truncated files (`failOn: 'warning'`), and it decodes
 * off the JavaScript thread (libuv's pool), so a server's event loop keeps answering while a large upload
 * decodes. Only the formats listed in {@link SHARP_FORMATS} are read: never SVG, PDF or other formats libvips
 * may have loaders for, whose parsers are a larger surface than an upload needs.
 * @module
 */
import type SharpFactory from 'sharp';
import { StyleTransferError } from '../../errors.js';
import type { RgbaImage } from '../../image/input.js';
import { jpegHasEnd } from './decode-jpeg.js';
import { readPngChunks } from './decode-png.js';
import { describeBytes, readImageHeader } from './image-header.js';

type Sharp = typeof SharpFactory;

/** Formats read through sharp, by their signature. */
export const SHARP_FORMATS = ['png', 'jpeg', 'webp', 'gif', 'tiff', 'avif', 'heif'] as const;
export type SharpFormat = (typeof SHARP_FORMATS)[number];

const ascii = (b: Uint8Array, at: number, s: string): boolean => [...s].every((c, k) => b[at + k] === c.charCodeAt(0));

/** The format of encoded bytes among {@link SHARP_FORMATS}, from their signature, or undefined. */
export function sniffSharpFormat(b: Uint8Array): SharpFormat | undefined {
  if (b.length >= 8 && b[0] === 0x89 && ascii(b, 1, 'PNG')) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 12 && ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) return 'webp';
  if (b.length >= 6 && (ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a'))) return 'gif';
  if (b.length >= 4 && (ascii(b, 0, 'II*\0') || ascii(b, 0, 'MM\0*'))) return 'tiff';
  if (b.length >= 12 && ascii(b, 4, 'ftyp')) {
    const brand = String.fromCharCode(...b.subarray(8, 12));
    if (brand === 'avif' || brand === 'avis') return 'avif';
    if (['heic', 'heix', 'mif1', 'msf1'].includes(brand)) return 'heif';
  }
  return undefined;
}

let loading: Promise<Sharp | undefined> | undefined;

/**
 * sharp when it is installed and loads, else undefined (once per process). A sharp that is installed but fails to
 * load (a missing binary for this platform) is said once on stderr, and the pure-JS decoders are used.
 */
export function loadSharp(): Promise<Sharp | undefined> {
  loading ??= import('sharp').then(
    (m) => ((m as { default?: Sharp }).default ?? (m as unknown as Sharp)),
    (e: unknown) => {
      const code = (e as { code?: string }).code;
      if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') {
        console.warn(`neural-style-tfjs: sharp is installed but failed to load (${String((e as Error).message ?? e).split('\n')[0]}); decoding images in JavaScript.`);
      }
      return undefined;
    },
  );
  return loading;
}

const megapixels = (n: number): string => `${Number((n / 1e6).toPrecision(3))} MP`;

function tooLarge(name: string, width: number, height: number, maxPixels: number): StyleTransferError {
  return new StyleTransferError('IMAGE_TOO_LARGE', `${name} is ${width}x${height} pixels (${megapixels(width * height)}), more than the limit of ${megapixels(maxPixels)}; raise the maxPixels option (now ${maxPixels}) to read it.`, { path: name, width, height, maxPixels });
}

/** A sharp/libvips error as a StyleTransferError: a damaged or truncated file is INVALID_IMAGE. */
function coded(e: unknown, name: string, format: string): StyleTransferError {
  if (e instanceof StyleTransferError) return e;
  const why = (e instanceof Error ? e.message : String(e)).split('\n')[0].replace(/\.$/, '');
  if (/exceeds pixel limit/i.test(why)) return new StyleTransferError('IMAGE_TOO_LARGE', `${name} has more pixels than the limit (${why}).`, { path: name, format });
  if (/unsupported image format/i.test(why)) return new StyleTransferError('UNSUPPORTED_IMAGE', `${name} is not an image format this library reads (${why}).`, { path: name, format });
  return new StyleTransferError('INVALID_IMAGE', `${name} could not be decoded as ${format.toUpperCase()} (${why}); the file may be truncated or damaged.`, { path: name, format }, { cause: e });
}

/**
 * Decodes image bytes to RGBA with sharp: the format is sniffed (UNSUPPORTED_IMAGE outside {@link SHARP_FORMATS}),
 * PNG and JPEG headers are checked by the same parser as the pure-JS path, the size from the header is checked
 * against `maxPixels` (IMAGE_TOO_LARGE) before any pixel is decoded, and libvips enforces the same limit itself.
 * The EXIF orientation is applied by libvips (`autoOrient`; it reads the tag from JPEG, PNG, WebP, TIFF and HEIF).
 */
export async function decodeWithSharp(sharp: Sharp, bytes: Uint8Array, name: string, maxPixels: number): Promise<RgbaImage> {
  const format = sniffSharpFormat(bytes);
  if (!format) throw new StyleTransferError('UNSUPPORTED_IMAGE', `${name} is not a PNG, JPEG, WebP, GIF, TIFF, AVIF or HEIF image (${describeBytes(bytes)}).`, { path: name });
  // The same header checks as the JS path, and the same refusal of a file cut short, which libpng and libjpeg
  // accept when only the end is missing (a PNG without IEND, a JPEG without EOI).
  if (format === 'png' || format === 'jpeg') {
    const { width, height } = readImageHeader(bytes, name);
    if (width * height > maxPixels) throw tooLarge(name, width, height, maxPixels);
  }
  if (format === 'png') readPngChunks(bytes, name);
  if (format === 'jpeg' && !jpegHasEnd(bytes)) throw new StyleTransferError('INVALID_IMAGE', `${name} is not a valid JPEG: its image data has no end marker (EOI); the file is truncated.`, { path: name });
  const limit = Number.isFinite(maxPixels) ? Math.floor(maxPixels) : false;
  const input = { failOn: 'warning' as const, limitInputPixels: limit, sequentialRead: true, autoOrient: true };
  try {
    const meta = await sharp(bytes, { ...input, limitInputPixels: false }).metadata(); // reads the header only
    const width = meta.width ?? 0;
    const height = meta.height ?? 0;
    if (width < 1 || height < 1) throw new StyleTransferError('INVALID_IMAGE', `${name} says it is ${width}x${height}: an image needs at least 1x1 pixels.`, { path: name, width, height });
    if (width * height > maxPixels) throw tooLarge(name, width, height, maxPixels);
    const { data, info } = await sharp(bytes, input).toColourspace('srgb').ensureAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 4 || data.length !== info.width * info.height * 4) {
      throw new StyleTransferError('INVALID_IMAGE', `${name} decoded to ${data.length} bytes for ${info.width}x${info.height}x${info.channels}; the file is damaged.`, { path: name });
    }
    const out = new Uint8ClampedArray(new ArrayBuffer(data.length));
    out.set(data);
    return { data: out, width: info.width, height: info.height };
  } catch (e) {
    throw coded(e, name, format);
  }
}
