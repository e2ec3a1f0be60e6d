/**
 * The `neural-style-tfjs` command as a user runs it: the BUILT `dist/cli.js` in a child `node` process, in a temp
 * folder with small PNG/JPEG inputs (≤ 48 px, a few iterations). Bad input must exit with code 2, print exactly
 * one line on stderr and leave no output file; good runs must write valid images and, for sweeps, a JSON record
 * that reproduces the sheet. Needs `dist/` (`npm run build`).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeImage } from '../src/node/image-io.js';
import { loadImage } from './helpers/images.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');
let dir: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: dir, env: { ...process.env, ...env }, maxBuffer: 64 << 20, timeout: 240_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const png = (file: string): PNG => PNG.sync.read(readFileSync(join(dir, file)));
const files = (): string[] => readdirSync(dir).sort();
const INPUTS = ['content.png', 'notimage.jpg', 'style.jpg'];

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`cli.test: ${CLI} is missing: run "npm run build" first.`);
  dir = mkdtempSync(join(tmpdir(), 'nst-cli-'));
  const c = loadImage('tubingen', 48); // 48x36
  const s = loadImage('starry_night', 48);
  writeFileSync(join(dir, 'content.png'), encodeImage(c, 'png'));
  writeFileSync(join(dir, 'style.jpg'), encodeImage(s, 'jpeg', { quality: 95 }));
  writeFileSync(join(dir, 'notimage.jpg'), 'This is a text file with a .jpg name.\n');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('help', () => {
  it('prints help for the program and every command', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/Usage: neural-style-tfjs <command>/);
    for (const cmd of ['stylize', 'sweep', 'features', 'reconstruct']) {
      const r = await cli([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: neural-style-tfjs ${cmd}`);
      expect(r.stdout).toContain('--json');
    }
    const st = await cli(['stylize', '-h']);
    for (const flag of ['--size', '--iterations', '--style-layers', '--content-layers', '--style-weight', '--content-weight', '--tv-weight', '--optimizer', '--learning-rate', '--preserve-colors', '--pooling', '--init', '--seed', '--style-scale', '--style-blend-weights', '--scales', '--save-every']) {
      expect(st.stdout).toContain(flag);
    }
  });
});

describe('bad input: exit code 2, one line on stderr, no output left behind', () => {
  const cases: [string, string[], RegExp][] = [
    ['missing content file', ['stylize', 'missing.jpg', 'style.jpg', '-o', 'out.png'], /missing\.jpg: no such file/],
    ['a text file named .jpg', ['stylize', 'notimage.jpg', 'style.jpg', '-o', 'out.png'], /notimage\.jpg is not a PNG or JPEG image/],
    ['unknown style layer', ['stylize', 'content.png', 'style.jpg', '-o', 'out.png', '--style-layers', 'conv1_1,conv9_1'], /unknown VGG-19 layer "conv9_1"/],
    ['size 0', ['stylize', 'content.png', 'style.jpg', '-o', 'out.png', '--size', '0'], /--size is 0/],
    ['unsupported output type', ['stylize', 'content.png', 'style.jpg', '-o', 'out.gif'], /unknown image type "\.gif"/],
    ['output folder missing', ['stylize', 'content.png', 'style.jpg', '-o', 'nope/out.png'], /does not exist/],
    ['no output', ['stylize', 'content.png', 'style.jpg'], /--output is required/],
    ['unknown flag', ['stylize', 'content.png', 'style.jpg', '-o', 'out.png', '--iteratons', '5'], /did you mean --iterations/],
    ['non-numeric value', ['stylize', 'content.png', 'style.jpg', '-o', 'out.png', '--style-weight', 'lots'], /--style-weight needs a number/],
    ['features: unknown layer', ['features', 'content.png', '--layer', 'conv6_1', '-o', 'maps.png'], /unknown VGG-19 layer "conv6_1"/],
    ['features: text file', ['features', 'notimage.jpg', '--layer', 'conv1_1', '-o', 'maps.png'], /not a PNG or JPEG/],
    ['sweep: missing style', ['sweep', 'content.png', 'missing.png', '--vary', 'style-layers=single', '-o', 'sheet.png'], /missing\.png: no such file/],
    ['sweep: unknown vary', ['sweep', 'content.png', 'style.jpg', '--vary', 'colour=red', '-o', 'sheet.png'], /unknown setting "colour"/],
    ['sweep: unknown layer', ['sweep', 'content.png', 'style.jpg', '--vary', 'style-layers=conv1_1,relu9_9', '-o', 'sheet.png'], /unknown VGG-19 layer "relu9_9"/],
    ['reconstruct: size 0', ['reconstruct', 'content.png', '--layer', 'conv4_2', '--size', '0', '-o', 'rec.png'], /--size is 0/],
    ['reconstruct: bad kind', ['reconstruct', 'content.png', '--layer', 'conv4_2', '--kind', 'texture', '-o', 'rec.png'], /--kind is "texture"/],
    ['unknown command', ['paint', 'content.png'], /unknown command "paint"/],
  ];
  for (const [name, args, message] of cases) {
    it(name, async () => {
      const r = await cli(args);
      expect(r.code).toBe(2);
      const lines = r.stderr.split('\n').filter((l) => l.length > 0);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^neural-style-tfjs: /);
      expect(lines[0]).toMatch(message);
      expect(r.stdout).toBe('');
      expect(files()).toEqual(INPUTS);
    });
  }
});

describe('stylize', () => {
  it('writes a valid PNG, numbered snapshots with --save-every, and JSON lines with --json', async () => {
    const r = await cli(['stylize', 'content.png', 'style.jpg', '-o', 'out.png', '--size', '32', '--iterations', '2', '--save-every', '1', '--json', '--style-layers', 'relu1_1:1,relu2_1:0.5', '--seed', '3']);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const img = png('out.png');
    expect([img.width, img.height]).toEqual([32, 24]);
    expect(png('out-0001.png').width).toBe(32);
    expect(png('out-0002.png').width).toBe(32);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; [k: string]: unknown });
    expect(events[0]).toMatchObject({ event: 'start', command: 'stylize', output: 'out.png', iterations: 2, size: 32 });
    expect(events.filter((e) => e.event === 'iteration')).toHaveLength(2);
    expect(events.filter((e) => e.event === 'saved').map((e) => e.path)).toEqual(['out-0001.png', 'out-0002.png']);
    const done = events[events.length - 1];
    expect(done).toMatchObject({ event: 'done', output: 'out.png', width: 32, height: 24, iterations: 2 });
    expect(Object.keys((done.loss as { styleLayers: object }).styleLayers)).toEqual(['relu1_1', 'relu2_1']);
    expect(files().filter((f) => f.includes('.tmp'))).toEqual([]);
    for (const f of ['out.png', 'out-0001.png', 'out-0002.png']) rmSync(join(dir, f));
  });
});

describe('sweep', () => {
  it('writes a contact sheet with the requested grid and a JSON record that reproduces it', async () => {
    const r = await cli(['sweep', 'content.png', 'style.jpg', '--vary', 'style-layers=conv1_1,conv2_1,conv3_1', '--iterations', '1,2', '--size', '32', '-o', 'sheet.png', '-q']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const sheet = png('sheet.png');
    const rec = JSON.parse(readFileSync(join(dir, 'sheet.json'), 'utf8'));
    expect(rec.format).toBe('neural-style-tfjs/sweep@1');
    expect(rec.rows.labels).toEqual(['conv1_1', 'conv2_1', 'conv3_1']);
    expect(rec.columns.labels).toEqual(['1 it', '2 it']);
    expect(rec.cells).toHaveLength(6);
    expect(rec.inputs.content.path).toBe('content.png');
    expect(rec.weightsSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(rec.command).toMatch(/^neural-style-tfjs sweep content\.png style\.jpg/);
    // 3 rows of 24 px tiles (+ captions) below a title and a header; 2 columns of 32 px right of the row labels.
    expect(sheet.width).toBeGreaterThan(2 * 32 + 40);
    expect(sheet.height).toBeGreaterThan(3 * 24 + 20);
    expect(rec.sheet).toMatchObject({ gap: 4, captions: true });

    const again = await cli(['sweep', '--replay', 'sheet.json', '-o', 'again.png', '--json']);
    expect(again.code).toBe(0);
    const rec2 = JSON.parse(readFileSync(join(dir, 'again.json'), 'utf8'));
    expect(rec2.cells.map((c: { loss: unknown }) => c.loss)).toEqual(rec.cells.map((c: { loss: unknown }) => c.loss));
    const done = JSON.parse(again.stdout.trim().split('\n').pop()!);
    expect(done).toMatchObject({ event: 'done', rows: 3, columns: 2 });
    const sheet2 = png('again.png');
    expect([sheet2.width, sheet2.height]).toEqual([sheet.width, sheet.height]);
    for (const f of ['sheet.png', 'sheet.json', 'again.png', 'again.json']) rmSync(join(dir, f));
  });
});

describe('features and reconstruct', () => {
  it('features writes a grid (and a Gram) for layers of every kind', async () => {
    for (const layer of ['conv1_1', 'relu3_2', 'pool4', 'block5_conv4']) {
      const r = await cli(['features', 'content.png', '--layer', layer, '--size', '48', '--channels', '9', '-o', 'maps.png', '--gram', 'gram.png', '--json']);
      expect(r.code).toBe(0);
      const saved = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.event === 'saved');
      expect(saved.map((e) => e.kind)).toEqual(['features', 'gram']);
      expect(saved[0]).toMatchObject({ rows: 3, columns: 3 });
      expect(saved[0].channels).toHaveLength(9);
      const maps = png('maps.png');
      expect([maps.width, maps.height]).toEqual([saved[0].width, saved[0].height]);
      expect(png('gram.png').width).toBe(saved[1].width);
    }
    rmSync(join(dir, 'maps.png'));
    rmSync(join(dir, 'gram.png'));
  });

  it('reconstruct writes the image rebuilt from noise', async () => {
    const r = await cli(['reconstruct', 'content.png', '--layer', 'conv2_2', '--kind', 'content', '--size', '32', '--iterations', '2', '-o', 'rec.jpg']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/wrote rec\.jpg \(content reconstruction from conv2_2, 32x24/);
    expect(readFileSync(join(dir, 'rec.jpg')).subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    rmSync(join(dir, 'rec.jpg'));
  });
});
