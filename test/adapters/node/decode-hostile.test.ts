/**
 * Hostile and unusual image files through both Node decoders (the pure-JS path and sharp), one suite run on each:
 * every PNG kind (colour types, bit depths 1–16, palette, tRNS, Adam7) decodes to the pixels written, progressive,
 * 4:2:0 and greyscale JPEGs to libjpeg's pixels; truncated,
 * short and over-long data is INVALID_IMAGE and never returns memory the decoder did not write; header bombs and
 * an interlaced inflation bomb are refused fast and without the memory they claim; EXIF orientations 1–8 are
 * applied; and decodeImage refuses what is not bytes with a coded error.
 */
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { isStyleTransferError } from '../../../src/errors.js';
import type { RgbaImage } from '../../../src/image/input.js';
import { decodeImage, decodeImageAsync, encodeImage, imageDecoder, type ImageDecoder } from '../../../src/adapters/node/image-io.js';
import { chunk, ihdr, makePng, PNG_SIGNATURE, pngRows, withExifOrientation, type PngSpec } from '../../helpers/image-bytes.js';
import { codeOf } from '../../helpers/async.js';

/** RGBA of a 8-bit test pattern pixel: distinct in every channel and position. */
const pattern = (x: number, y: number): number[] => [(x * 37 + y * 11) & 255, (x * 5 + y * 53) & 255, (x * y + 90) & 255, 255 - ((x + y * 3) & 127)];
const W = 37;
const H = 23;

/** Expected RGBA for a spec, from its samples, scaled to 8 bits as PNG says (16-bit: high byte). */
function expectedRgba(s: PngSpec): Uint8Array {
  const out = new Uint8Array(s.width * s.height * 4);
  const max = 2 ** s.depth - 1;
  const to8 = (v: number) => (s.depth === 16 ? v >> 8 : Math.round((v * 255) / max));
  for (let y = 0; y < s.height; y++) {
    for (let x = 0; x < s.width; x++) {
      const v = s.sample(x, y);
      const o = (y * s.width + x) * 4;
      let px: number[];
      if (s.colorType === 3) px = [...s.palette![v[0]], s.trns?.[v[0]] ?? 255];
      else if (s.colorType === 0) px = [to8(v[0]), to8(v[0]), to8(v[0]), 255];
      else if (s.colorType === 4) px = [to8(v[0]), to8(v[0]), to8(v[0]), to8(v[1])];
      else if (s.colorType === 2) px = [to8(v[0]), to8(v[1]), to8(v[2]), 255];
      else px = v.map(to8);
      out.set(px, o);
    }
  }
  return out;
}

const palette = Array.from({ length: 16 }, (_, i) => [i * 16, 255 - i * 9, (i * 77) & 255]);
const KINDS: [string, PngSpec][] = [];
for (const interlace of [false, true]) {
  const il = interlace ? ', Adam7' : '';
  KINDS.push(
    [`RGBA 8-bit${il}`, { width: W, height: H, colorType: 6, depth: 8, interlace, sample: pattern, filter: 4 }],
    [`RGB 8-bit${il}`, { width: W, height: H, colorType: 2, depth: 8, interlace, sample: (x, y) => pattern(x, y).slice(0, 3), filter: 1 }],
    [`RGBA 16-bit${il}`, { width: W, height: H, colorType: 6, depth: 16, interlace, sample: (x, y) => pattern(x, y).map((v, c) => Math.min(65535, v * 257 + c)), filter: 3 }],
    [`RGB 16-bit${il}`, { width: W, height: H, colorType: 2, depth: 16, interlace, sample: (x, y) => pattern(x, y).slice(0, 3).map((v) => v * 256 + 255), filter: 2 }],
    [`grey+alpha 8-bit${il}`, { width: W, height: H, colorType: 4, depth: 8, interlace, sample: (x, y) => [pattern(x, y)[0], pattern(x, y)[3]], filter: 4 }],
    [`grey+alpha 16-bit${il}`, { width: W, height: H, colorType: 4, depth: 16, interlace, sample: (x, y) => [pattern(x, y)[0] * 257, pattern(x, y)[3] * 257] }],
    [`grey 16-bit${il}`, { width: W, height: H, colorType: 0, depth: 16, interlace, sample: (x, y) => [pattern(x, y)[1] * 257] }],
    ...([1, 2, 4, 8] as const).map((depth): [string, PngSpec] => [`grey ${depth}-bit${il}`, { width: W, height: H, colorType: 0, depth, interlace, sample: (x, y) => [(x + y * 3) % 2 ** depth], filter: depth === 8 ? 4 : 0 }]),
    ...([1, 2, 4, 8] as const).map((depth): [string, PngSpec] => [`palette ${depth}-bit${il}`, { width: W, height: H, colorType: 3, depth, interlace, sample: (x, y) => [(x * 3 + y) % Math.min(16, 2 ** depth)], palette, filter: 2 }]),
    [`palette + tRNS${il}`, { width: W, height: H, colorType: 3, depth: 4, interlace, sample: (x, y) => [(x + y) % 16], palette, trns: [0, 64, 128, 200], filter: 1 }],
  );
}

const JPEG_SRC: RgbaImage = (() => {
  // Four flat quadrants (red, green, blue, white) on 8x8 blocks: JPEG keeps them within a few levels.
  const w = 32;
  const h = 16;
  const data = new Uint8ClampedArray(w * h * 4);
  const colours = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([...colours[(y < h / 2 ? 0 : 2) + (x < w / 2 ? 0 : 1)], 255], (y * w + x) * 4);
  return { data, width: w, height: h };
})();
const JPEG = encodeImage(JPEG_SRC, 'jpeg', { quality: 100 });
const [R, G, B, WHITE] = ['R', 'G', 'B', 'W'];
/** Corner colours (top-left, top-right, bottom-left, bottom-right) after each EXIF orientation of R G / B W. */
const ORIENTED: Record<number, string[]> = {
  1: [R, G, B, WHITE], 2: [G, R, WHITE, B], 3: [WHITE, B, G, R], 4: [B, WHITE, R, G],
  5: [R, B, G, WHITE], 6: [B, R, WHITE, G], 7: [WHITE, G, B, R], 8: [G, WHITE, R, B],
};
function colourAt(img: RgbaImage, x: number, y: number): string {
  const o = (y * img.width + x) * 4;
  const [r, g, b] = [img.data[o], img.data[o + 1], img.data[o + 2]];
  if (r > 200 && g > 200 && b > 200) return WHITE;
  if (r > 200 && g < 60 && b < 60) return R;
  if (g > 200 && r < 60 && b < 60) return G;
  if (b > 200 && r < 60 && g < 60) return B;
  return `?${r},${g},${b}`;
}

/** JPEG kinds other than jpeg-js's baseline 4:4:4 RGB, written by libjpeg (through sharp) from the quadrants at 64x32. */
const JPEG_KINDS = ['progressive', 'chroma 4:2:0', 'grey'] as const;
async function jpegKind(kind: (typeof JPEG_KINDS)[number]): Promise<Buffer> {
  let img = sharp(Buffer.from(JPEG_SRC.data), { raw: { width: JPEG_SRC.width, height: JPEG_SRC.height, channels: 4 } }).removeAlpha().resize(64, 32, { kernel: 'nearest' });
  if (kind === 'grey') img = img.greyscale();
  return img.jpeg({ quality: 95, progressive: kind === 'progressive', chromaSubsampling: kind === 'chroma 4:2:0' ? '4:2:0' : '4:4:4' }).toBuffer();
}
/** A valid 64x64 RGB PNG holding noise, and a copy whose IDAT holds only its first row (a complete zlib stream). */
const NOISE: PngSpec = { width: 64, height: 64, colorType: 2, depth: 8, sample: (x, y) => [(x * 97 + y * 31) & 255, (x * 13 + y * 7 + 99) & 255, (x ^ y) * 3 & 255] };
const ONE_ROW = makePng(NOISE, { idat: deflateSync(pngRows(NOISE).subarray(0, 1 + 64 * 3)) });

const DECODERS: ImageDecoder[] = ['js', 'sharp'];

it('sharp is installed for the tests (a devDependency), so both paths run', async () => {
  expect(await imageDecoder()).toBe('sharp');
});

describe.each(DECODERS)('decoder %s', (decoder) => {
  const decode = (bytes: Uint8Array, maxPixels?: number) => decodeImageAsync(bytes, 'upload', { decoder, ...(maxPixels && { maxPixels }) });

  it.each(KINDS)('PNG %s decodes to the pixels written', async (_, spec) => {
    const img = await decode(makePng(spec));
    expect([img.width, img.height]).toEqual([spec.width, spec.height]);
    const want = expectedRgba(spec);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(img.data[i] - want[i]));
    // sharp rounds 16-bit to 8-bit (v/257); the JS path keeps the high byte: at most 1 apart.
    expect(worst).toBeLessThanOrEqual(spec.depth === 16 ? 1 : 0);
  });

  it('PNG: a one-row image under a 64x64 header is refused every time, never filled from old memory', async () => {
    await decode(makePng(NOISE)); // pixels of another image in the allocator first
    for (let k = 0; k < 20; k++) expect(await codeOf(decode(ONE_ROW))).toBe('INVALID_IMAGE');
  });

  it('PNG: truncated anywhere after the header is INVALID_IMAGE', async () => {
    const full = makePng(NOISE);
    for (const cut of [33, 41, 60, Math.floor(full.length / 2), full.length - 30, full.length - 12, full.length - 1]) {
      expect(await codeOf(decode(full.subarray(0, cut))), `cut at ${cut} of ${full.length}`).toBe('INVALID_IMAGE');
    }
  });

  it('PNG: a damaged CRC, a missing palette, a palette index past the end and a bad filter byte are INVALID_IMAGE', async () => {
    const crc = Buffer.from(makePng(NOISE));
    crc[crc.length - 20] ^= 0xff; // inside IDAT's data
    expect(await codeOf(decode(crc))).toBe('INVALID_IMAGE');
    const pal: PngSpec = { width: 8, height: 8, colorType: 3, depth: 8, sample: (x) => [x], palette: palette.slice(0, 4) };
    expect(await codeOf(decode(makePng({ ...pal, palette: undefined })))).toBe('INVALID_IMAGE');
    // Indices 4–7 have no entry: the JS path refuses; libpng (sharp) shows them black. Never unwritten memory.
    const outOfRange = decode(makePng(pal));
    if (decoder === 'js') expect(await codeOf(outOfRange)).toBe('INVALID_IMAGE');
    else expect(Array.from((await outOfRange).data.subarray(4 * 4, 8 * 4))).toEqual([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]);
    const rows = pngRows(NOISE);
    rows[0] = 9;
    expect(await codeOf(decode(makePng(NOISE, { idat: deflateSync(rows) })))).toBe('INVALID_IMAGE');
  });

  it('PNG: a 69-byte file claiming 7000x7000 is refused at once, without the memory it claims', async () => {
    const bomb = Buffer.concat([PNG_SIGNATURE, ihdr(7000, 7000, 8, 2), chunk('IDAT', deflateSync(Buffer.alloc(0))), chunk('IEND')]);
    expect(bomb.length).toBeLessThan(80);
    const rss = process.memoryUsage().rss;
    const t = performance.now();
    expect(await codeOf(decode(bomb))).toBe('INVALID_IMAGE');
    expect(performance.now() - t).toBeLessThan(1000);
    expect(process.memoryUsage().rss - rss).toBeLessThan(100 * 2 ** 20); // 7000x7000 RGBA would be 196 MB
  });

  it('PNG: an interlaced stream inflating far past its size stops at the size (inflation bomb)', async () => {
    // 512x512 interlaced RGB needs 787 968 bytes; this data inflates to 64 MB.
    const bomb = makePng({ width: 512, height: 512, colorType: 2, depth: 8, interlace: true, sample: () => [0, 0, 0] }, { idat: deflateSync(Buffer.alloc(64 * 2 ** 20)) });
    const rss = process.memoryUsage().rss;
    const t = performance.now();
    // The JS path refuses data past the size; libpng (sharp) stops reading once the rows are complete and
    // ignores the rest. Either way the work and memory are those of a 512x512 image.
    const result = decode(bomb);
    if (decoder === 'js') expect(await codeOf(result)).toBe('INVALID_IMAGE');
    else expect((await result).data.every((v, i) => v === (i % 4 === 3 ? 255 : 0))).toBe(true);
    expect(performance.now() - t).toBeLessThan(2000);
    expect(process.memoryUsage().rss - rss).toBeLessThan(48 * 2 ** 20);
  });

  it('PNG: over maxPixels is IMAGE_TOO_LARGE from the header', async () => {
    expect(await codeOf(decode(makePng(NOISE), 4000))).toBe('IMAGE_TOO_LARGE');
  });

  it('JPEG: decodes; truncated anywhere is INVALID_IMAGE; a frame claiming 7000x7000 with no data is refused', async () => {
    const img = await decode(JPEG);
    expect([img.width, img.height]).toEqual([32, 16]);
    for (const cut of [Math.floor(JPEG.length * 0.4), Math.floor(JPEG.length * 0.8), JPEG.length - 2]) {
      expect(await codeOf(decode(JPEG.subarray(0, cut))), `cut at ${cut}`).toBe('INVALID_IMAGE');
    }
    const bomb = Buffer.from(JPEG);
    const sof = bomb.indexOf(Buffer.from([0xff, 0xc0]));
    bomb.writeUInt16BE(7000, sof + 5);
    bomb.writeUInt16BE(7000, sof + 7);
    const t = performance.now();
    expect(await codeOf(decode(bomb.subarray(0, bomb.indexOf(Buffer.from([0xff, 0xda])) + 20)))).toBe('INVALID_IMAGE');
    expect(performance.now() - t).toBeLessThan(1000);
  });

  it.each(JPEG_KINDS)('JPEG %s: decodes to libjpeg\'s pixels; cut short it is INVALID_IMAGE', async (kind) => {
    const bytes = await jpegKind(kind);
    const img = await decode(bytes);
    expect([img.width, img.height]).toEqual([64, 32]);
    const want = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    // The quadrants' inner corners (away from the edges where upsampling methods differ), within 4 levels.
    for (const [x, y] of [[1, 1], [62, 1], [1, 30], [62, 30], [20, 10], [44, 22]]) {
      const got = Array.from(img.data.subarray((y * 64 + x) * 4, (y * 64 + x) * 4 + 3));
      const ref = Array.from(want.data.subarray((y * 64 + x) * want.info.channels, (y * 64 + x) * want.info.channels + 3));
      got.forEach((v, c) => expect(Math.abs(v - (ref[c] ?? ref[0])), `${kind} at ${x},${y}: ${got} vs ${ref}`).toBeLessThanOrEqual(4));
    }
    if (kind === 'grey') expect(img.data[0]).toBe(img.data[1]);
    for (const cut of [0.5, 0.9]) expect(await codeOf(decode(bytes.subarray(0, Math.floor(bytes.length * cut)))), `cut at ${cut}`).toBe('INVALID_IMAGE');
  });

  it('JPEG CMYK: decodes, to the colours docs/serving.md states for this path (no colour profile in the JS path)', async () => {
    const bytes = await sharp(Buffer.from(JPEG_SRC.data), { raw: { width: JPEG_SRC.width, height: JPEG_SRC.height, channels: 4 } })
      .removeAlpha().resize(64, 32, { kernel: 'nearest' }).toColourspace('cmyk').jpeg({ quality: 95, chromaSubsampling: '4:4:4' }).toBuffer();
    const img = await decode(bytes);
    const corners = [[1, 1], [62, 1], [1, 30]].map(([x, y]) => Array.from(img.data.subarray((y * 64 + x) * 4, (y * 64 + x) * 4 + 3)));
    const stated = decoder === 'js' ? [[255, 0, 0], [195, 255, 0], [17, 60, 255]] : [[232, 0, 21], [191, 207, 0], [27, 60, 140]];
    corners.flat().forEach((v, i) => expect(Math.abs(v - stated.flat()[i]), `${corners} vs ${stated}`).toBeLessThanOrEqual(4));
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('JPEG: EXIF orientation %i is applied', async (orientation) => {
    const img = await decode(withExifOrientation(JPEG, orientation));
    expect([img.width, img.height]).toEqual(orientation >= 5 ? [16, 32] : [32, 16]);
    const corners = [colourAt(img, 2, 2), colourAt(img, img.width - 3, 2), colourAt(img, 2, img.height - 3), colourAt(img, img.width - 3, img.height - 3)];
    expect(corners).toEqual(ORIENTED[orientation]);
  });

  it('PNG: an eXIf orientation is applied too', async () => {
    const spec: PngSpec = { width: 4, height: 2, colorType: 2, depth: 8, sample: (x, y) => [x * 60, y * 200, 7] };
    const exif = chunk('eXIf', (await import('../../helpers/image-bytes.js')).exifTiff(6));
    const img = await decode(makePng(spec, { extra: [exif] }));
    expect([img.width, img.height]).toEqual([2, 4]);
    // Turned clockwise: the top row is the source's left column, bottom to top.
    expect(Array.from(img.data.subarray(0, 8))).toEqual([0, 200, 7, 255, 0, 0, 7, 255]);
  });
});

describe('what is not encoded bytes', () => {
  it('accepts an ArrayBuffer and a DataView of a PNG', () => {
    const png = makePng(NOISE);
    const ab = new Uint8Array(png).buffer;
    expect(decodeImage(ab).width).toBe(64);
    expect(decodeImage(new DataView(ab)).height).toBe(64);
  });

  it.each([['a string', 'photo.png'], ['a number', 42], ['null', null], ['an object', { data: [] }]])('%s is UNSUPPORTED_IMAGE with details', (_, v) => {
    try {
      decodeImage(v as never);
      expect.unreachable();
    } catch (e) {
      expect(isStyleTransferError(e, 'UNSUPPORTED_IMAGE')).toBe(true);
      expect((e as { details: { got: string } }).details.got).toBeTruthy();
    }
  });
});

it('sharp reads WebP and GIF; the JS path says UNSUPPORTED_IMAGE for them', async () => {
  const raw = { raw: { width: 8, height: 8, channels: 4 as const } };
  const px = Buffer.alloc(8 * 8 * 4, 200);
  for (const format of ['webp', 'gif'] as const) {
    const bytes = await sharp(px, raw).toFormat(format).toBuffer();
    expect((await decodeImageAsync(bytes, 'x', { decoder: 'sharp' })).width).toBe(8);
    expect(await codeOf(decodeImageAsync(bytes, 'x', { decoder: 'js' }))).toBe('UNSUPPORTED_IMAGE');
  }
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>');
  expect(await codeOf(decodeImageAsync(svg, 'x', { decoder: 'sharp' }))).toBe('UNSUPPORTED_IMAGE');
});
