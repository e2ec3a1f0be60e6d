/**
 * What an image file says about itself before decoding: the format from its signature and the width and height
 * from its header (PNG IHDR, JPEG SOFn), read from a few dozen bytes so limits are checked before a decoder
 * allocates anything (a 69-byte PNG can claim 20000x20000).
 * @module
 */
import { StyleTransferError } from '../../errors.js';

/** Image file formats read and written by the pure-JS path. */
export type ImageFormat = 'png' | 'jpeg';

/** Width and height as an image file's header states them. */
export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
}

/** The format of encoded bytes from their signature, or undefined. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

export function describeBytes(bytes: Uint8Array): string {
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
