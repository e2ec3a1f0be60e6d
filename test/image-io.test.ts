/**
 * Image file limits (src/adapters/node/image-io.ts): the PNG and JPEG header parsers on crafted bytes, the pixel limit
 * checked before decoding, and reads confined to regular files under a size cap (FIFOs, devices, sockets and
 * folders are refused without blocking or reading).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { crc32 } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStyleTransferError, type StyleTransferErrorCode } from '../src/errors.js';
import { DEFAULT_MAX_INPUT_PIXELS } from '../src/image/input.js';
import { decodeImage, encodeImage, readImage, readImageHeader, readRegularFile } from '../src/adapters/node/image-io.js';

const gray = (w: number, h: number) => ({ data: new Uint8Array(w * h * 4).fill(128), width: w, height: h });
const PNG_40x30 = encodeImage(gray(40, 30), 'png');
const JPEG_24x16 = encodeImage(gray(24, 16), 'jpeg');

/** A 1x1 PNG whose IHDR says `w`x`h`, with a valid CRC: as a decoder would take it. */
function pngClaiming(w: number, h: number): Buffer {
  const b = Buffer.from(encodeImage(gray(1, 1), 'png'));
  b.writeUInt32BE(w, 16);
  b.writeUInt32BE(h, 20);
  b.writeUInt32BE(crc32(b.subarray(12, 29)), 29);
  return b;
}

const u16 = (n: number): number[] => [n >> 8, n & 255];
/** A JPEG segment: marker, then the 2-byte length (which counts itself) and the payload. */
const segment = (marker: number, payload: number[]): number[] => [0xff, marker, ...u16(payload.length + 2), ...payload];
/** An SOFn frame header for a 3-component `w`x`h` image. */
const sof = (w: number, h: number, marker = 0xc0): number[] => segment(marker, [8, ...u16(h), ...u16(w), 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
const SOI = [0xff, 0xd8];
const APP0 = segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
const COM = segment(0xfe, [...Buffer.from('made by hand')]);
const jpegBytes = (...parts: number[][]): Uint8Array => Uint8Array.from(parts.flat());

function codeOf(fn: () => unknown): StyleTransferErrorCode | string {
  try {
    fn();
  } catch (e) {
    return isStyleTransferError(e) ? e.code : `not coded: ${String(e)}`;
  }
  return 'no error';
}

async function rejection(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    return { code: isStyleTransferError(e) ? e.code : `not coded: ${String(e)}`, message: (e as Error).message };
  }
  return { code: 'no error', message: '' };
}

describe('readImageHeader: PNG', () => {
  it('reads IHDR of a real PNG', () => {
    expect(readImageHeader(PNG_40x30)).toEqual({ format: 'png', width: 40, height: 30 });
  });

  const bad: [string, () => Uint8Array, StyleTransferErrorCode, RegExp][] = [
    ['zero width', () => pngClaiming(0, 10), 'INVALID_IMAGE', /0x10: an image needs at least 1x1/],
    ['zero height', () => pngClaiming(10, 0), 'INVALID_IMAGE', /10x0/],
    ['truncated inside IHDR', () => PNG_40x30.subarray(0, 20), 'INVALID_IMAGE', /ends after 20 bytes, inside the IHDR/],
    ['only the signature', () => PNG_40x30.subarray(0, 8), 'INVALID_IMAGE', /inside the IHDR/],
    ['damaged signature', () => Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0, ...PNG_40x30.subarray(8)]), 'INVALID_IMAGE', /signature is damaged/],
    [
      'first chunk not IHDR',
      () => {
        const b = Buffer.from(PNG_40x30);
        b.write('tEXt', 12, 'latin1');
        return b;
      },
      'INVALID_IMAGE',
      /first chunk is not IHDR/,
    ],
    [
      'IHDR of the wrong length',
      () => {
        const b = Buffer.from(PNG_40x30);
        b.writeUInt32BE(14, 8);
        return b;
      },
      'INVALID_IMAGE',
      /IHDR chunk is 14 bytes long/,
    ],
    [
      'a second IHDR (pngjs would take its size)',
      () => {
        const b = Buffer.from(PNG_40x30);
        const ihdr = b.subarray(8, 33); // length, type, 13 bytes, CRC
        return Buffer.concat([b.subarray(0, 33), ihdr, b.subarray(33)]);
      },
      'INVALID_IMAGE',
      /second IHDR/,
    ],
  ];
  for (const [name, bytes, code, message] of bad) {
    it(name, () => {
      expect(codeOf(() => readImageHeader(bytes(), 'x.png'))).toBe(code);
      expect(() => readImageHeader(bytes(), 'x.png')).toThrow(message);
    });
  }
});

describe('readImageHeader: JPEG', () => {
  it('reads the frame header of a real JPEG', () => {
    expect(readImageHeader(JPEG_24x16)).toEqual({ format: 'jpeg', width: 24, height: 16 });
  });
  it('skips APPn and COM segments, fill bytes and stray bytes before a marker', () => {
    expect(readImageHeader(jpegBytes(SOI, APP0, COM, sof(640, 480)))).toMatchObject({ width: 640, height: 480 });
    expect(readImageHeader(jpegBytes(SOI, [0xff, 0xff, 0xff], APP0, [0xff, 0xff], sof(7, 5)))).toMatchObject({ width: 7, height: 5 });
    expect(readImageHeader(jpegBytes(SOI, APP0, [0x00, 0x12, 0x34], COM, sof(9, 3)))).toMatchObject({ width: 9, height: 3 });
  });
  it('reads progressive (SOF2) and extended (SOF1) frame headers', () => {
    expect(readImageHeader(jpegBytes(SOI, sof(300, 200, 0xc2)))).toMatchObject({ width: 300, height: 200 });
    expect(readImageHeader(jpegBytes(SOI, sof(30, 20, 0xc1)))).toMatchObject({ width: 30, height: 20 });
  });
  it('does not mistake DHT (C4) or DAC (CC) segments for frame headers', () => {
    expect(readImageHeader(jpegBytes(SOI, segment(0xc4, [0, ...new Array(16).fill(0)]), segment(0xcc, [0, 0]), sof(11, 13)))).toMatchObject({ width: 11, height: 13 });
  });

  const bad: [string, Uint8Array, StyleTransferErrorCode, RegExp][] = [
    ['a segment length past the end', jpegBytes(SOI, APP0.slice(0, 10)), 'INVALID_IMAGE', /past the end of the file/],
    ['ends inside a segment length', jpegBytes(SOI, [0xff, 0xe0, 0x00]), 'INVALID_IMAGE', /ends inside the length/],
    ['ends inside the frame header', jpegBytes(SOI, sof(10, 10).slice(0, 7)), 'INVALID_IMAGE', /ends inside its frame header/],
    ['ends before any frame header', jpegBytes(SOI, APP0), 'INVALID_IMAGE', /ends before its frame header/],
    ['only the SOI marker', jpegBytes(SOI, [0xff]), 'INVALID_IMAGE', /ends before its frame header/],
    ['EOI before a frame header', jpegBytes(SOI, APP0, [0xff, 0xd9]), 'INVALID_IMAGE', /EOI/],
    ['image data before a frame header', jpegBytes(SOI, segment(0xda, [1, 1, 0, 0, 63, 0])), 'INVALID_IMAGE', /SOS/],
    ['a segment length under 2', jpegBytes(SOI, [0xff, 0xe1, 0x00, 0x01], sof(4, 4)), 'INVALID_IMAGE', /has length 1/],
    ['a frame header too short', jpegBytes(SOI, [0xff, 0xc0, 0x00, 0x05, 8, 0, 4]), 'INVALID_IMAGE', /frame header is 5 bytes/],
    ['zero height (DNL)', jpegBytes(SOI, sof(100, 0)), 'INVALID_IMAGE', /100x0/],
    ['zero width', jpegBytes(SOI, sof(0, 100)), 'INVALID_IMAGE', /0x100/],
    ['lossless (SOF3)', jpegBytes(SOI, sof(10, 10, 0xc3)), 'UNSUPPORTED_IMAGE', /lossless JPEG \(SOF3\)/],
    ['arithmetic-coded (SOF9)', jpegBytes(SOI, sof(10, 10, 0xc9)), 'UNSUPPORTED_IMAGE', /arithmetic-coded JPEG/],
  ];
  for (const [name, bytes, code, message] of bad) {
    it(name, () => {
      expect(codeOf(() => readImageHeader(bytes, 'x.jpg'))).toBe(code);
      expect(() => readImageHeader(bytes, 'x.jpg')).toThrow(message);
    });
  }

  it('other formats are UNSUPPORTED_IMAGE, saying what they look like', () => {
    expect(() => readImageHeader(Uint8Array.from([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 0, 1, 0, 0x80, 0]), 'a.gif')).toThrow(/looks like a GIF/);
    expect(codeOf(() => readImageHeader(new Uint8Array(0), 'e.png'))).toBe('UNSUPPORTED_IMAGE');
    expect(() => readImageHeader(new Uint8Array(0), 'e.png')).toThrow(/it is empty/);
  });
});

describe('decodeImage: the pixel limit comes before decoding', () => {
  it('refuses a 1x1 PNG (valid CRCs) claiming 20000x20000 with IMAGE_TOO_LARGE, naming the size, the limit and the option', () => {
    const bytes = pngClaiming(20000, 20000);
    expect(bytes.length).toBeLessThan(70);
    let error: unknown;
    try {
      decodeImage(bytes, 'bomb.png');
    } catch (e) {
      error = e;
    }
    expect(isStyleTransferError(error, 'IMAGE_TOO_LARGE')).toBe(true);
    expect((error as Error).message).toMatch(/bomb\.png is 20000x20000 pixels \(400 MP\), more than the limit of 50 MP; raise the maxPixels option/);
    expect((error as { details: object }).details).toMatchObject({ width: 20000, height: 20000, maxPixels: DEFAULT_MAX_INPUT_PIXELS });
  });

  it('refuses a tiny JPEG claiming 14000x14000 (jpeg-js alone would allow up to its own 200 MP cap)', () => {
    const bytes = jpegBytes(SOI, APP0, sof(14000, 14000), [0xff, 0xd9]);
    expect(codeOf(() => decodeImage(bytes, 'bomb.jpg'))).toBe('IMAGE_TOO_LARGE');
  });

  it('maxPixels lowers or raises the limit, inclusive', () => {
    expect(codeOf(() => decodeImage(PNG_40x30, 'a.png', { maxPixels: 1199 }))).toBe('IMAGE_TOO_LARGE');
    expect(decodeImage(PNG_40x30, 'a.png', { maxPixels: 1200 })).toMatchObject({ width: 40, height: 30 });
    expect(codeOf(() => decodeImage(JPEG_24x16, 'a.jpg', { maxPixels: 383 }))).toBe('IMAGE_TOO_LARGE');
    expect(decodeImage(JPEG_24x16, 'a.jpg', { maxPixels: 384 })).toMatchObject({ width: 24, height: 16 });
    expect(decodeImage(pngClaiming(1, 1), 'ok.png', { maxPixels: Infinity }).width).toBe(1);
  });

  it('checks its options', () => {
    for (const maxPixels of [0, -5, Number.NaN, '100' as unknown as number]) {
      expect(codeOf(() => decodeImage(PNG_40x30, 'a.png', { maxPixels }))).toBe('INVALID_OPTION');
    }
  });

  it('damaged data after a sane header is INVALID_IMAGE', () => {
    expect(codeOf(() => decodeImage(PNG_40x30.subarray(0, PNG_40x30.length - 30), 'cut.png'))).toBe('INVALID_IMAGE');
    expect(codeOf(() => decodeImage(JPEG_24x16.subarray(0, 200), 'cut.jpg'))).toBe('INVALID_IMAGE');
  });
});

describe('readImage / readRegularFile: regular files only, within maxBytes', () => {
  let dir: string;
  let server: Server | undefined;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nst-imageio-'));
    writeFileSync(join(dir, 'a.png'), PNG_40x30);
    writeFileSync(join(dir, 'bomb.png'), pngClaiming(20000, 20000));
  });
  afterAll(() => {
    server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads a PNG, also through a symlink', async () => {
    symlinkSync(join(dir, 'a.png'), join(dir, 'link.png'));
    expect(await readImage(join(dir, 'link.png'))).toMatchObject({ width: 40, height: 30 });
  });

  it('refuses the 20000x20000 PNG file before decoding', async () => {
    expect((await rejection(readImage(join(dir, 'bomb.png')))).code).toBe('IMAGE_TOO_LARGE');
  });

  it('a missing file, a folder', async () => {
    expect(await rejection(readImage(join(dir, 'nope.png')))).toMatchObject({ code: 'INVALID_IMAGE', message: expect.stringMatching(/nope\.png: no such file/) });
    expect(await rejection(readImage(dir))).toMatchObject({ code: 'INVALID_IMAGE', message: expect.stringMatching(/folder/) });
  });

  it('a FIFO with no writer is refused at once (the open does not block)', async () => {
    const fifo = join(dir, 'pipe.png');
    execFileSync('mkfifo', [fifo]);
    expect(await rejection(readImage(fifo))).toMatchObject({ code: 'INVALID_IMAGE', message: expect.stringMatching(/named pipe \(FIFO\), not a regular file/) });
  });

  it('/dev/zero, and a symlink to it, are refused without reading', async () => {
    expect(await rejection(readImage('/dev/zero'))).toMatchObject({ code: 'INVALID_IMAGE', message: expect.stringMatching(/character device/) });
    symlinkSync('/dev/zero', join(dir, 'zero.png'));
    expect((await rejection(readImage(join(dir, 'zero.png')))).code).toBe('INVALID_IMAGE');
  });

  it('a socket is refused', async () => {
    const sock = join(dir, 'sock.png');
    server = createServer();
    await new Promise<void>((resolve) => server!.listen(sock, resolve));
    const r = await rejection(readImage(sock));
    expect(r).toMatchObject({ code: 'INVALID_IMAGE' });
    expect(r.message).toMatch(/socket/);
  });

  it('maxBytes caps the file size (inclusive)', async () => {
    const p = join(dir, 'a.png');
    const r = await rejection(readImage(p, { maxBytes: PNG_40x30.length - 1 }));
    expect(r.code).toBe('IMAGE_TOO_LARGE');
    expect(r.message).toMatch(new RegExp(`is ${PNG_40x30.length} bytes, more than the limit of ${PNG_40x30.length - 1} bytes; raise the maxBytes option`));
    expect(await readImage(p, { maxBytes: PNG_40x30.length })).toMatchObject({ width: 40 });
    expect((await rejection(readImage(p, { maxBytes: 0 }))).code).toBe('INVALID_OPTION');
  });

  it('reads files whose stat size is 0 to their end (as in /proc), still within the cap', async () => {
    const status = await readRegularFile('/proc/self/status', 1 << 20);
    expect(Buffer.from(status).toString('latin1')).toMatch(/^Name:/);
    expect((await rejection(readRegularFile('/proc/self/status', 16))).code).toBe('IMAGE_TOO_LARGE');
  });
});
