/**
 * Frame I/O without ffmpeg (src/video/frames.ts, src/adapters/node/video/folder.ts, src/adapters/node/video/io.ts): frames from an
 * iterable (RGB to RGBA, one size), a folder of numbered images read in natural order (frame2 before frame10,
 * other files ignored), a folder written and read back, and the coded errors.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isStyleTransferError } from '../../src/errors.js';
import { writeImage } from '../../src/adapters/node/image-io.js';
import { framesFromIterable, type Frame } from '../../src/video/frames.js';
import { frameFileName, framesFromFolder, naturalCompare, writeFramesToFolder } from '../../src/adapters/node/video/folder.js';
import { readFrames, writeFrames } from '../../src/adapters/node/video/io.js';
import { codeOf, collect } from '../helpers/async.js';

const dir = mkdtempSync(join(tmpdir(), 'nst-frames-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A w x h RGBA frame filled with grey level `v` (and a marker pixel so frames differ in more than one value). */
const flat = (v: number, w = 6, h = 4): Frame => {
  const data = new Uint8ClampedArray(w * h * 4).fill(v);
  for (let i = 3; i < data.length; i += 4) data[i] = 255;
  return { data, width: w, height: h };
};

describe('frames from an iterable', () => {
  it('converts RGB to RGBA and keeps the order', async () => {
    const rgb = { data: new Uint8Array([1, 2, 3, 4, 5, 6]), width: 2, height: 1 };
    const frames = await collect(framesFromIterable([rgb, flat(9, 2, 1)]));
    expect(Array.from(frames[0].data)).toEqual([1, 2, 3, 255, 4, 5, 6, 255]);
    expect(frames[1].data[0]).toBe(9);
  });

  it('refuses a frame of another size, naming it', async () => {
    async function* gen() {
      yield flat(1);
      yield flat(2);
      yield flat(3, 7, 4);
    }
    const err = await collect(framesFromIterable(gen())).catch((e: unknown) => e);
    expect(isStyleTransferError(err, 'INVALID_IMAGE')).toBe(true);
    expect((err as Error).message).toMatch(/frame 2 is 7x4 but the first frame is 6x4/);
  });
});

describe('a folder of numbered images', () => {
  it('sorts names naturally', () => {
    expect(['f10.png', 'f2.png', 'f1.png', 'F3.jpg', 'f02b.png'].sort(naturalCompare)).toEqual(['f1.png', 'f2.png', 'f02b.png', 'F3.jpg', 'f10.png']);
    expect(frameFileName('frame_%05d.png', 12)).toBe('frame_00012.png');
    expect(frameFileName('f%d.jpg', 3)).toBe('f3.jpg');
  });

  it('reads PNG and JPEG frames in natural order, skipping other files', async () => {
    const folder = mkdtempSync(join(dir, 'in-'));
    for (const n of [1, 2, 10, 9]) await writeImage(join(folder, `frame${n}.png`), flat(n * 10));
    await writeImage(join(folder, 'frame11.jpg'), flat(200), { quality: 100 });
    writeFileSync(join(folder, 'notes.txt'), 'not a frame');
    writeFileSync(join(folder, '.frame0.png'), 'hidden');
    const frames = await collect(framesFromFolder(folder));
    expect(frames.map((f) => f.data[0])).toEqual([10, 20, 90, 100, expect.closeTo(200, -1)]);
    expect(frames.every((f) => f.width === 6 && f.height === 4 && f.data.length === 96)).toBe(true);
    const viaDispatch = await collect(readFrames(folder));
    expect(viaDispatch.length).toBe(5);
  });

  it('refuses an empty or missing folder and frames of mixed sizes', async () => {
    const empty = mkdtempSync(join(dir, 'empty-'));
    expect(await codeOf(collect(framesFromFolder(empty)))).toBe('INVALID_IMAGE');
    expect(await codeOf(collect(framesFromFolder(join(dir, 'missing'))))).toBe('INVALID_IMAGE');
    const mixed = mkdtempSync(join(dir, 'mixed-'));
    await writeImage(join(mixed, '1.png'), flat(1));
    await writeImage(join(mixed, '2.png'), flat(1, 8, 4));
    expect(await codeOf(collect(framesFromFolder(mixed)))).toBe('INVALID_IMAGE');
  });

  it('writes numbered frames that read back equal', async () => {
    const out = join(dir, 'out', 'nested');
    const frames = [flat(5), flat(50), flat(150)];
    expect(await writeFramesToFolder(frames, out)).toBe(3);
    expect(readdirSync(out).sort()).toEqual(['frame_00001.png', 'frame_00002.png', 'frame_00003.png']);
    const back = await collect(framesFromFolder(out));
    expect(back.map((f) => Array.from(f.data))).toEqual(frames.map((f) => Array.from(f.data)));
    const out2 = join(dir, 'out2');
    expect(await writeFrames(frames, out2, { pattern: 'f%03d.png', start: 0 })).toBe(3);
    expect(readdirSync(out2).sort()).toEqual(['f000.png', 'f001.png', 'f002.png']);
    expect(await codeOf(writeFramesToFolder(frames, out2, { pattern: 'frame.png' }))).toBe('INVALID_OPTION');
    expect(await codeOf(writeFramesToFolder(frames, out2, { pattern: 'f%d.bmp' }))).toBe('INVALID_OPTION');
  });
});
