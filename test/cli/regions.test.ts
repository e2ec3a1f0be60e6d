/**
 * The region flags of `stylize` (src/cli/region-flags.ts), through `main()` in this process: the spec grammar, the
 * exit-2 refusals (each before anything loads: stdout holds the error event alone, nothing is written), and real
 * runs at 32 px — two regions with two styles and `rest:`, and regions from colour-coded maps.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeImage } from '../../src/adapters/node/image-io.js';
import { UsageError } from '../../src/cli/args.js';
import { parsePalette, parseRegionSpec } from '../../src/cli/region-flags.js';
import { loadImage, type RgbPixels } from '../helpers/images.js';

const dirs: string[] = [];
let dir: string;

const rgba = (img: RgbPixels) => {
  const data = new Uint8Array(img.width * img.height * 4);
  for (let i = 0; i < img.width * img.height; i++) {
    data.set(img.data.subarray(3 * i, 3 * i + 3), 4 * i);
    data[4 * i + 3] = 255;
  }
  return { data, width: img.width, height: img.height };
};

/** A `width`x`height` PNG painted by `colour(x, y)` (RGB 0–255). */
function png(width: number, height: number, colour: (x: number, y: number) => [number, number, number]): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([...colour(x, y), 255], 4 * (y * width + x));
  return encodeImage({ data, width, height }, 'png');
}

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { main } = await import('../../src/cli/main.js');
  const home = process.cwd();
  const { stdout: out, stderr: err } = process;
  const write = { out: out.write, err: err.write };
  let stdout = '';
  let stderr = '';
  out.write = ((c: string | Uint8Array) => ((stdout += String(c)), true)) as typeof out.write;
  err.write = ((c: string | Uint8Array) => ((stderr += String(c)), true)) as typeof err.write;
  process.chdir(dir);
  try {
    return { code: await main([...args, '--json']), stdout, stderr };
  } finally {
    out.write = write.out;
    err.write = write.err;
    process.chdir(home);
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nst-regions-cli-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'content.png'), encodeImage(rgba(loadImage('tubingen', 48)), 'png')); // 48x36
  writeFileSync(join(dir, 'starry.jpg'), encodeImage(rgba(loadImage('starry_night', 40)), 'jpeg'));
  writeFileSync(join(dir, 'scream.jpg'), encodeImage(rgba(loadImage('the_scream', 40)), 'jpeg'));
  writeFileSync(join(dir, 'top.png'), png(48, 36, (_, y) => (y < 16 ? [255, 255, 255] : [0, 0, 0])));
  writeFileSync(join(dir, 'top-half-size.png'), png(24, 18, (_, y) => (y < 8 ? [255, 255, 255] : [0, 0, 0])));
  writeFileSync(join(dir, 'square.png'), png(36, 36, () => [255, 255, 255]));
  writeFileSync(join(dir, 'map.png'), png(48, 36, (_, y) => (y < 16 ? [0, 0, 255] : [0, 255, 0])));
});

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('--region MASK:STYLE[#SMASK][,STYLE…][@WEIGHT]', () => {
  it('reads masks, styles, style masks, weights and rest:', () => {
    expect(parseRegionSpec('sky.png:starry.jpg')).toEqual({ text: 'sky.png:starry.jpg', mask: 'sky.png', styles: [{ file: 'starry.jpg' }] });
    expect(parseRegionSpec('a.png:s.jpg#smask.png,t.jpg@0.5')).toEqual({ text: 'a.png:s.jpg#smask.png,t.jpg@0.5', mask: 'a.png', styles: [{ file: 's.jpg', mask: 'smask.png' }, { file: 't.jpg' }], weight: 0.5 });
    expect(parseRegionSpec('rest:scream.jpg')).toEqual({ rest: 'scream.jpg' });
    expect(parsePalette('sky=0000ff,00ff00')).toEqual([{ name: 'sky', rgb: [0, 0, 255] }, { name: '00ff00', rgb: [0, 255, 0] }]);
  });

  it('refuses malformed specs with a usage error that shows the form', () => {
    for (const bad of ['sky.png', 'sky.png:', ':s.jpg', 'a.png:s.jpg#', 'a.png:s.jpg#m.png#n.png', 'a.png:s.jpg,', 'rest:a.jpg,b.jpg', 'rest:a.jpg@2']) {
      expect(() => parseRegionSpec(bad), bad).toThrow(UsageError);
    }
    expect(() => parseRegionSpec('a.png:s.jpg@heavy')).toThrow(/needs a number, got "heavy"/);
    expect(() => parseRegionSpec('a.png:s.jpg@-1')).toThrow(/use a weight ≥ 0/);
    expect(() => parsePalette('sky=blue')).toThrow(/NAME=RRGGBB/);
  });
});

describe('bad region flags: exit 2 before anything loads, nothing written', () => {
  const cases: [string, string[], RegExp][] = [
    ['a missing mask', ['content.png', '--region', 'nosuch.png:starry.jpg'], /--region "nosuch\.png:starry\.jpg": the mask nosuch\.png does not exist/],
    ['a missing style mask', ['content.png', '--region', 'top.png:starry.jpg#nosuch.png'], /the mask nosuch\.png does not exist/],
    ['a bad weight', ['content.png', '--region', 'top.png:starry.jpg@x'], /needs a number, got "x"/],
    ['a mask of another shape', ['content.png', '--region', 'square.png:starry.jpg'], /--region "square\.png:starry\.jpg": the mask square\.png is 36x36 but the content image is 48x36/],
    ['a content weight map of another shape', ['content.png', 'starry.jpg', '--content-weight-map', 'square.png'], /--content-weight-map: the mask square\.png is 36x36/],
    ['rest alone', ['content.png', '--region', 'rest:starry.jpg'], /give at least one --region MASK:STYLE too/],
    ['no style at all', ['content.png'], /stylize needs a style image/],
    ['--region and --content-map', ['content.png', 'starry.jpg', '--region', 'top.png:starry.jpg', '--content-map', 'map.png'], /not both/],
    ['--style-map without --content-map', ['content.png', 'starry.jpg', '--style-map', 'map.png'], /--style-map needs --content-map/],
    ['more style maps than styles', ['content.png', 'starry.jpg', '--content-map', 'map.png', '--style-map', 'map.png', '--style-map', 'map.png'], /--style-map is given 2 times for 1 style image/],
    ['a bad propagation', ['content.png', '--region', 'top.png:starry.jpg', '--propagation', 'inward'], /--propagation is "inward"; expected one of "inside", "all", "area", "nearest"/],
    ['a bad erosion', ['content.png', '--region', 'top.png:starry.jpg', '--region-erode', '100'], /--region-erode/],
  ];
  for (const [name, args, message] of cases) {
    it(name, async () => {
      const before = readdirSync(dir).sort();
      const r = await run(['stylize', ...args, '-o', 'out.png', '--size', '32', '--iterations', '1']);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l).event)).toEqual(['error']);
      expect(readdirSync(dir).sort()).toEqual(before);
    });
  }
});

describe('stylize with regions', () => {
  it('two regions, two styles (one a positional, one named by --region only), rest:, a weight map', async () => {
    const r = await run(['stylize', 'content.png', 'starry.jpg', '--region', 'top.png:starry.jpg@2', '--region', 'rest:scream.jpg', '--content-weight-map', 'top-half-size.png', '--propagation', 'all', '--region-erode', '1', '--size', '32', '--iterations', '2', '--style-layers', 'relu1_1,relu2_1', '-o', 'two.png']);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, 'two.png'))).toBe(true);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; style?: string[]; loss?: { style: number } });
    expect(events[0].event).toBe('loading');
    expect(events.find((e) => e.event === 'start')!.style).toEqual(['starry.jpg', 'scream.jpg']);
    expect(events.at(-1)!.event).toBe('done');
    expect(events.at(-1)!.loss!.style).toBeGreaterThan(0);
  });

  it('regions from a colour-coded content map and style map', async () => {
    const r = await run(['stylize', 'content.png', 'starry.jpg', '--content-map', 'map.png', '--style-map', 'none', '--palette', 'sky=0000ff,ground=00ff00', '--size', '32', '--iterations', '1', '--style-layers', 'relu1_1', '-o', 'seg.png']);
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, 'seg.png'))).toBe(true);
  });
});
