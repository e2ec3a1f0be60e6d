/**
 * The `neural-style-tfjs` command as a user runs it: the BUILT `dist/cli.js` in a child `node` process, in a temp
 * folder with small PNG/JPEG inputs (≤ 48 px, a few iterations). Needs `dist/` (`npx tsup`).
 *
 * The bad-input table runs every case in a fresh folder, with --json (through `main()` in-process, a dozen of
 * them also through the built CLI), and checks: exit code 2, exactly one line on
 * stderr naming the problem, stdout holding only the `{"event":"error"}` line (so nothing was loaded or run),
 * and the folder unchanged afterwards — no output, no temp file, every input byte-identical (hashed before and
 * after). Ctrl-C tests send SIGINT mid-run and check exit 130 and that nothing was written.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSweepRecord } from '../src/experiments/sweep/record-validate.js';
import { encodeImage } from '../src/adapters/node/image-io.js';
import { loadImage } from './helpers/images.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');
const TIME = '/usr/bin/time';
const dirs: string[] = [];

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface RunOptions {
  cwd: string;
  timeoutMs?: number;
  /** Called with each stdout line as it arrives (and the child), e.g. to send SIGINT at a chosen event. */
  onLine?: (line: string, child: ReturnType<typeof spawn>) => void;
  /** Run under /usr/bin/time -v (peak RSS in stderr). */
  timed?: boolean;
}

function cli(args: string[], opts: RunOptions): Promise<Run> {
  return new Promise((resolve) => {
    const cmd = opts.timed ? TIME : process.execPath;
    const argv = opts.timed ? ['-v', process.execPath, CLI, ...args] : [CLI, ...args];
    const child = spawn(cmd, argv, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      pending += d;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        opts.onLine?.(line, child);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 240_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const sha = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

/** Every entry of a folder (recursively) → a hash of its bytes (or what it is, for links, FIFOs, folders). */
function snapshot(dir: string, prefix = ''): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = lstatSync(p);
    const key = prefix + name;
    if (st.isSymbolicLink()) out[key] = `-> ${readlinkSync(p)}`;
    else if (st.isDirectory()) Object.assign(out, { [key]: 'dir' }, snapshot(p, `${key}/`));
    else if (st.isFile()) out[key] = sha(readFileSync(p));
    else out[key] = 'special';
  }
  return out;
}

// Inputs, made once: 48x36 photo (PNG), 48x48 painting (JPEG), and hostile files.
let CONTENT: Uint8Array;
let STYLE: Uint8Array;
let NOISE: Uint8Array;
/** A 1x1 PNG whose header claims 20000x20000 (68 bytes, valid CRCs), and a JPEG whose frame header claims 14000x14000. */
let HUGE_PNG: Buffer;
let HUGE_JPEG: Buffer;

/** A sweep record with every field well-formed (its image hashes are made up: a replay would stop at them). */
const RECORD = {
  format: 'neural-style-tfjs/sweep@1',
  library: { name: 'neural-style-tfjs', version: '0.1.0' },
  created: '2026-01-01T00:00:00.000Z',
  backend: 'wasm',
  weightsSha256: 'a'.repeat(64),
  seed: 0,
  options: { size: 32, seed: 0, vary: { styleLayers: ['conv1_1', 'conv2_1'] }, iterations: [1, 2] },
  inputs: {
    content: { width: 48, height: 36, sha256: 'b'.repeat(64), path: 'content.png' },
    style: [{ width: 48, height: 48, sha256: 'c'.repeat(64), path: 'style.jpg' }],
  },
  rows: { parameter: 'styleLayers', labels: ['conv1_1', 'conv2_1'], values: [['conv1_1'], ['conv2_1']] },
  columns: { parameter: 'iterations', labels: ['1 it', '2 it'], values: [1, 2] },
  cells: [
    { row: 0, column: 0 },
    { row: 0, column: 1 },
    { row: 1, column: 0 },
    { row: 1, column: 1 },
  ],
  timings: { totalMs: 10, runs: 2 },
  sheet: { gap: 4, fontScale: 1, captions: true },
};

/** RECORD with the field at `path` (dots and [i]) set to `value`, or removed for `undefined`. */
function recordWith(path: string, value: unknown): string {
  const r = JSON.parse(JSON.stringify(RECORD)) as Record<string, unknown>;
  const keys = path.replace(/\[(\d+)\]/g, '.$1').split('.');
  let o = r as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) o = o[k] as Record<string, unknown>;
  if (value === undefined) delete o[keys[keys.length - 1]];
  else o[keys[keys.length - 1]] = value;
  return JSON.stringify(r);
}

/** A fresh folder with content.png, style.jpg and notimage.jpg. */
function fixture(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nst-cli-'));
  dirs.push(dir);
  writeFileSync(join(dir, 'content.png'), CONTENT);
  writeFileSync(join(dir, 'style.jpg'), STYLE);
  writeFileSync(join(dir, 'notimage.jpg'), 'This is a text file with a .jpg name.\n');
  return dir;
}

const put = (name: string, bytes: Uint8Array | string) => (dir: string) => writeFileSync(join(dir, name), bytes);
const mkfifo = (name: string) => (dir: string) => execFileSync('mkfifo', [join(dir, name)]);
const replay = (text: string) => put('rec.json', text);
const SWEEP = ['--vary', 'style-layers=conv1_1,conv2_1', '--size', '32', '--iterations', '1'];

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`cli.test: ${CLI} is missing: run "npx tsup" first.`);
  CONTENT = encodeImage(loadImage('tubingen', 48), 'png'); // 48x36
  STYLE = encodeImage(loadImage('starry_night', 48), 'jpeg', { quality: 95 });
  NOISE = encodeImage({ data: randomBytes(128 * 128 * 4), width: 128, height: 128 }, 'png'); // ~64 KB: over --max-file-mb 0.02
  HUGE_PNG = Buffer.from(encodeImage({ data: new Uint8Array(4), width: 1, height: 1 }, 'png'));
  HUGE_PNG.writeUInt32BE(20000, 16);
  HUGE_PNG.writeUInt32BE(20000, 20);
  HUGE_PNG.writeUInt32BE(crc32(HUGE_PNG.subarray(12, 29)), 29); // a valid IHDR: pngjs would allocate 1.6 GB
  HUGE_JPEG = Buffer.from(encodeImage({ data: new Uint8Array(8 * 8 * 4), width: 8, height: 8 }, 'jpeg'));
  const sof = HUGE_JPEG.indexOf(Buffer.from([0xff, 0xc0]));
  HUGE_JPEG.writeUInt16BE(14000, sof + 5);
  HUGE_JPEG.writeUInt16BE(14000, sof + 7);
});

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('help', () => {
  it('prints help for the program and every command', async () => {
    const dir = fixture();
    const top = await cli(['--help'], { cwd: dir });
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/Usage: neural-style-tfjs <command>/);
    for (const cmd of ['stylize', 'sweep', 'features', 'reconstruct']) {
      const r = await cli([cmd, '--help'], { cwd: dir });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: neural-style-tfjs ${cmd}`);
      for (const flag of ['--json', '--max-megapixels', '--max-file-mb']) expect(r.stdout).toContain(flag);
    }
    const st = await cli(['stylize', '-h'], { cwd: dir });
    for (const flag of ['--size', '--iterations', '--style-layers', '--content-layers', '--style-weight', '--content-weight', '--tv-weight', '--optimizer', '--learning-rate', '--preserve-colors', '--pooling', '--init', '--seed', '--style-scale', '--style-blend-weights', '--scales', '--save-every']) {
      expect(st.stdout).toContain(flag);
    }
  });
});

interface BadCase {
  name: string;
  args: string[];
  message: RegExp;
  /** The `code` of the --json error event. */
  code: string;
  setup?: (dir: string) => void;
}

const ST = ['stylize', 'content.png', 'style.jpg'];

const BAD: BadCase[] = [
  // Outputs that are inputs: refused, whatever path names them.
  { name: '-o is the content image', args: [...ST, '-o', 'content.png'], code: 'OUTPUT_IS_INPUT', message: /-o content\.png is the same file as the content image content\.png; refusing to overwrite an input/ },
  { name: '-o is the style image by another relative path', args: [...ST, '-o', './sub/../style.jpg'], setup: (d) => mkdirSync(join(d, 'sub')), code: 'OUTPUT_IS_INPUT', message: /-o \.\/sub\/\.\.\/style\.jpg is the same file as the style image style\.jpg/ },
  { name: '-o is a symlink to the style image', args: [...ST, '-o', 'link.jpg'], setup: (d) => symlinkSync('style.jpg', join(d, 'link.jpg')), code: 'OUTPUT_IS_INPUT', message: /-o link\.jpg is the same file as the style image/ },
  { name: '-o is a hard link to the style image', args: [...ST, '-o', 'hard.jpg'], setup: (d) => linkSync(join(d, 'style.jpg'), join(d, 'hard.jpg')), code: 'OUTPUT_IS_INPUT', message: /-o hard\.jpg is the same file as the style image style\.jpg/ },
  { name: '-o is the content image by its absolute path', args: [...ST, '-o', '@/content.png'], code: 'OUTPUT_IS_INPUT', message: /is the same file as the content image/ },
  { name: '-o is the --init image', args: [...ST, '--init', 'start.png', '-o', 'start.png'], setup: put('start.png', new Uint8Array(0)), code: 'OUTPUT_IS_INPUT', message: /-o start\.png is the same file as the --init image/ },
  { name: 'a --save-every snapshot would replace the content image', args: ['stylize', 'out-0002.png', 'style.jpg', '-o', 'out.png', '--save-every', '2', '--iterations', '4'], setup: put('out-0002.png', new Uint8Array(0)), code: 'OUTPUT_IS_INPUT', message: /--save-every .*out-0002\.png is the same file as the content image/ },
  { name: 'features: -o is the image', args: ['features', 'content.png', '--layer', 'conv1_1', '-o', 'content.png'], code: 'OUTPUT_IS_INPUT', message: /-o content\.png is the same file as the image/ },
  { name: 'features: --gram is a symlink to the image', args: ['features', 'content.png', '--layer', 'conv1_1', '--gram', 'g.png'], setup: (d) => symlinkSync(join(d, 'content.png'), join(d, 'g.png')), code: 'OUTPUT_IS_INPUT', message: /--gram g\.png is the same file as the image/ },
  { name: 'features: -o and --gram are one file', args: ['features', 'content.png', '--layer', 'conv1_1', '-o', 'maps.png', '--gram', 'maps.png'], code: 'OUTPUT_IS_INPUT', message: /--gram maps\.png and -o maps\.png are the same file/ },
  { name: 'reconstruct: -o is the image', args: ['reconstruct', 'content.png', '--layer', 'conv4_2', '-o', 'content.png'], code: 'OUTPUT_IS_INPUT', message: /-o content\.png is the same file as the image/ },
  { name: 'sweep: -o is the style image', args: ['sweep', 'content.png', 'style.jpg', ...SWEEP, '-o', 'style.jpg'], code: 'OUTPUT_IS_INPUT', message: /-o style\.jpg is the same file as the style image/ },
  { name: 'sweep: the default record would replace the --replay record', args: ['sweep', '--replay', 'rec.json', '-o', 'rec.png'], setup: replay(JSON.stringify(RECORD)), code: 'OUTPUT_IS_INPUT', message: /--record rec\.json is the same file as the --replay record rec\.json/ },
  { name: 'sweep: the record would replace the --weights manifest', args: ['sweep', 'content.png', 'style.jpg', ...SWEEP, '--weights', 'w', '-o', 'w/manifest.png'], setup: (d) => (mkdirSync(join(d, 'w')), writeFileSync(join(d, 'w', 'manifest.json'), '{}')), code: 'OUTPUT_IS_INPUT', message: /--record w\/manifest\.json is the same file as the --weights manifest/ },
  // Outputs that cannot be written.
  { name: 'unsupported output type', args: [...ST, '-o', 'out.gif'], code: 'USAGE', message: /unknown image type "\.gif"/ },
  { name: 'output without an extension', args: [...ST, '-o', 'out'], code: 'USAGE', message: /unknown image type "\(none\)"/ },
  { name: 'output folder missing', args: [...ST, '-o', 'nope/out.png'], code: 'USAGE', message: /the folder .*nope does not exist/ },
  { name: 'output is a folder', args: [...ST, '-o', 'out.png'], setup: (d) => mkdirSync(join(d, 'out.png')), code: 'USAGE', message: /-o out\.png is a folder/ },
  { name: 'output is a FIFO', args: [...ST, '-o', 'out.png'], setup: mkfifo('out.png'), code: 'OUTPUT_NOT_FILE', message: /-o out\.png is a named pipe \(FIFO\); outputs replace regular files only/ },
  { name: 'no output', args: ST, code: 'USAGE', message: /--output is required/ },
  { name: 'sweep: a record that is not .json', args: ['sweep', 'content.png', 'style.jpg', ...SWEEP, '-o', 's.png', '--record', 's.txt'], code: 'USAGE', message: /--record s\.txt: the record is JSON/ },
  // Options, all checked before any file is read or the model loads.
  { name: '--quality 0', args: [...ST, '-o', 'out.jpg', '--quality', '0'], code: 'USAGE', message: /--quality is 0; give a whole number 1–100/ },
  { name: '--quality 101', args: [...ST, '-o', 'out.jpg', '--quality', '101'], code: 'USAGE', message: /--quality is 101; give a whole number 1–100/ },
  { name: '--quality abc', args: [...ST, '-o', 'out.jpg', '--quality', 'abc'], code: 'USAGE', message: /--quality needs a whole number, got "abc"/ },
  { name: 'reconstruct --quality 0', args: ['reconstruct', 'content.png', '--layer', 'conv4_2', '-o', 'r.jpg', '--quality', '0'], code: 'USAGE', message: /--quality is 0/ },
  { name: '--save-every 0', args: [...ST, '-o', 'out.png', '--save-every', '0'], code: 'USAGE', message: /--save-every is 0; give a whole number ≥ 1/ },
  { name: 'size 0', args: [...ST, '-o', 'out.png', '--size', '0'], code: 'INVALID_OPTION', message: /--size is 0/ },
  { name: '--iterations 0', args: [...ST, '-o', 'out.png', '--iterations', '0'], code: 'INVALID_OPTION', message: /--iterations is 0/ },
  { name: '--style-scale 100', args: [...ST, '-o', 'out.png', '--style-scale', '100'], code: 'INVALID_OPTION', message: /--style-scale is 100/ },
  { name: '--scales not ending in 1', args: [...ST, '-o', 'out.png', '--scales', '0.5'], code: 'INVALID_OPTION', message: /--scales .*ends? in 1|last entry is 1/ },
  // "auto" (what --help prints as the default) is accepted: the next check to fail is the iteration count.
  { name: '--scales auto', args: [...ST, '-o', 'out.png', '--scales', 'auto', '--iterations', '0'], code: 'INVALID_OPTION', message: /--iterations is 0/ },
  { name: 'a blend weight per style image', args: [...ST, '-o', 'out.png', '--style-blend-weights', '1,2'], code: 'INVALID_OPTION', message: /--style-blend-weights is an array of length 2; expected one weight per style image \(1\)/ },
  // Impossible sizes: refused from the images' sizes before the model loads, with the smallest size that works.
  // (the smallest size that works depends on the style image's aspect too: it is resized with the output)
  { name: '--size 16 on a 48x36 image (relu5_1 needs 16 px a side)', args: [...ST, '-o', 'out.png', '--size', '16'], code: 'INVALID_OPTION', message: /--size is 16; expected (2[1-9]) or more for these images \(at 16, the 48x36 image becomes 16x12 px, and relu5_1 needs 16 px on each side\)/ },
  { name: '--size 16, the content as the style too (conv5_1)', args: ['stylize', 'content.png', 'content.png', '-o', 'out.png', '--size', '16', '--style-layers', 'conv1_1,conv5_1'], code: 'INVALID_OPTION', message: /--size is 16; expected 21 or more for these images \(at 16, the 48x36 image becomes 16x12 px, and conv5_1 needs 16 px on each side\)/ },
  { name: 'features: --size 16 for pool5 (32 px a side)', args: ['features', 'content.png', '--layer', 'pool5', '--size', '16', '-o', 'maps.png'], code: 'INVALID_OPTION', message: /--size is 16; expected 42 or more for these images/ },
  { name: 'reconstruct: --size 16 for conv5_1', args: ['reconstruct', 'content.png', '--layer', 'conv5_1', '--size', '16', '-o', 'rec.png'], code: 'INVALID_OPTION', message: /--size is 16; expected 21 or more/ },
  { name: 'sweep: --size 16 with the single-layer preset', args: ['sweep', 'content.png', 'style.jpg', '--vary', 'style-layers=single', '--size', '16', '--iterations', '1,2', '-o', 's.png'], code: 'INVALID_OPTION', message: /--size is 16; expected 2[1-9] or more/ },
  { name: 'unknown style layer', args: [...ST, '-o', 'out.png', '--style-layers', 'conv1_1,conv9_1'], code: 'UNKNOWN_LAYER', message: /unknown VGG-19 layer "conv9_1"/ },
  { name: 'unknown backend', args: [...ST, '-o', 'out.png', '--backend', 'gpu'], code: 'USAGE', message: /--backend is "gpu"; use tensorflow or wasm or cpu/ },
  { name: '--max-megapixels 0', args: [...ST, '-o', 'out.png', '--max-megapixels', '0'], code: 'USAGE', message: /--max-megapixels is 0/ },
  { name: 'unknown flag', args: [...ST, '-o', 'out.png', '--iteratons', '5'], code: 'USAGE', message: /did you mean --iterations/ },
  { name: 'non-numeric value', args: [...ST, '-o', 'out.png', '--style-weight', 'lots'], code: 'USAGE', message: /--style-weight needs a number/ },
  { name: 'features: unknown layer', args: ['features', 'content.png', '--layer', 'conv6_1', '-o', 'maps.png'], code: 'UNKNOWN_LAYER', message: /unknown VGG-19 layer "conv6_1"/ },
  { name: 'features: a channel the layer lacks', args: ['features', 'content.png', '--layer', 'conv1_1', '--channels', '0,64', '-o', 'maps.png'], code: 'USAGE', message: /--channels names channel 64, but conv1_1 has channels 0–63/ },
  { name: 'features: --scale 0', args: ['features', 'content.png', '--layer', 'conv1_1', '--scale', '0', '-o', 'maps.png'], code: 'USAGE', message: /--scale is 0; give a whole number 1–64/ },
  { name: 'features: --columns 0', args: ['features', 'content.png', '--layer', 'conv1_1', '--columns', '0', '-o', 'maps.png'], code: 'USAGE', message: /--columns is 0/ },
  { name: 'reconstruct: size 0', args: ['reconstruct', 'content.png', '--layer', 'conv4_2', '--size', '0', '-o', 'rec.png'], code: 'INVALID_OPTION', message: /--size is 0/ },
  { name: 'reconstruct: bad kind', args: ['reconstruct', 'content.png', '--layer', 'conv4_2', '--kind', 'texture', '-o', 'rec.png'], code: 'USAGE', message: /--kind is "texture"/ },
  { name: 'sweep: --tile-size 4', args: ['sweep', 'content.png', 'style.jpg', ...SWEEP, '-o', 's.png', '--tile-size', '4'], code: 'USAGE', message: /--tile-size is 4; give a whole number 8–4096/ },
  { name: 'sweep: --font-scale 9', args: ['sweep', 'content.png', 'style.jpg', ...SWEEP, '-o', 's.png', '--font-scale', '9'], code: 'USAGE', message: /--font-scale is 9/ },
  { name: 'sweep: an iteration count of 0', args: ['sweep', 'content.png', 'style.jpg', '--vary', 'iterations=0,5', '-o', 's.png'], code: 'INVALID_OPTION', message: /vary\.iterations\[0\]` is 0; expected a whole number 1–100000/ },
  { name: 'sweep: a repeated iteration count', args: ['sweep', 'content.png', 'style.jpg', '--vary', 'pooling=max,avg', '--iterations', '5,5', '-o', 's.png'], code: 'INVALID_OPTION', message: /without repeats/ },
  { name: 'sweep: a negative weight ratio', args: ['sweep', 'content.png', 'style.jpg', '--vary', 'weight-ratio=-1,1', '-o', 's.png'], code: 'INVALID_OPTION', message: /weightRatio\[0\]` is -1; expected a ratio ≥ 0/ },
  { name: 'sweep: three settings varied', args: ['sweep', 'content.png', 'style.jpg', '--vary', 'pooling=max,avg', '--vary', 'init=content,noise', '--iterations', '1,2', '-o', 's.png'], code: 'INVALID_OPTION', message: /one or two settings to vary \(got 3\)/ },
  { name: 'sweep: unknown vary', args: ['sweep', 'content.png', 'style.jpg', '--vary', 'colour=red', '-o', 'sheet.png'], code: 'USAGE', message: /unknown setting "colour"/ },
  { name: 'sweep: unknown layer', args: ['sweep', 'content.png', 'style.jpg', '--vary', 'style-layers=conv1_1,relu9_9', '-o', 'sheet.png'], code: 'UNKNOWN_LAYER', message: /unknown VGG-19 layer "relu9_9"/ },
  { name: 'unknown command', args: ['paint', 'content.png'], code: 'USAGE', message: /unknown command "paint"/ },
  // Input files.
  { name: 'missing content file', args: ['stylize', 'missing.jpg', 'style.jpg', '-o', 'out.png'], code: 'INVALID_IMAGE', message: /missing\.jpg: no such file/ },
  { name: 'a text file named .jpg', args: ['stylize', 'notimage.jpg', 'style.jpg', '-o', 'out.png'], code: 'UNSUPPORTED_IMAGE', message: /notimage\.jpg is not a PNG(,| or) JPEG.* image/ },
  { name: 'an empty file', args: ['stylize', 'empty.png', 'style.jpg', '-o', 'out.png'], setup: put('empty.png', ''), code: 'UNSUPPORTED_IMAGE', message: /empty\.png is not a PNG(,| or) JPEG.* image \(it is empty\)/ },
  // sharp (a devDependency, so installed here) reads GIFs: a header alone is a damaged GIF. Without sharp the file
  // is UNSUPPORTED_IMAGE ("looks like a GIF file"; test/adapters/node/decode-hostile.test.ts runs both decoders).
  { name: 'a GIF', args: ['stylize', 'a.gif', 'style.jpg', '-o', 'out.png'], setup: put('a.gif', Uint8Array.from([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1, 0, 1, 0, 0x80, 0])), code: 'INVALID_IMAGE', message: /could not be decoded as GIF/ },
  { name: 'a truncated PNG', args: ['stylize', 'cut.png', 'style.jpg', '-o', 'out.png'], setup: (d) => writeFileSync(join(d, 'cut.png'), CONTENT.subarray(0, CONTENT.length >> 1)), code: 'INVALID_IMAGE', message: /cut\.png is not a valid PNG: .*the file is truncated/ },
  { name: 'a folder as content', args: ['stylize', 'sub', 'style.jpg', '-o', 'out.png'], setup: (d) => mkdirSync(join(d, 'sub')), code: 'INVALID_IMAGE', message: /Cannot read sub: it is a folder/ },
  { name: 'a FIFO as content (no hang)', args: ['stylize', 'pipe.png', 'style.jpg', '-o', 'out.png'], setup: mkfifo('pipe.png'), code: 'INVALID_IMAGE', message: /pipe\.png: it is a named pipe \(FIFO\), not a regular file/ },
  { name: '/dev/zero as content (no unbounded read)', args: ['stylize', '/dev/zero', 'style.jpg', '-o', 'out.png'], code: 'INVALID_IMAGE', message: /\/dev\/zero: it is a character device, not a regular file/ },
  { name: 'a PNG claiming 20000x20000', args: ['stylize', 'huge.png', 'style.jpg', '-o', 'out.png'], setup: (d) => writeFileSync(join(d, 'huge.png'), HUGE_PNG), code: 'IMAGE_TOO_LARGE', message: /huge\.png is 20000x20000 pixels \(400 MP\), more than the limit of 50 MP; raise --max-megapixels/ },
  { name: 'a JPEG claiming 14000x14000 as style', args: ['stylize', 'content.png', 'huge.jpg', '-o', 'out.png'], setup: (d) => writeFileSync(join(d, 'huge.jpg'), HUGE_JPEG), code: 'IMAGE_TOO_LARGE', message: /huge\.jpg is 14000x14000 pixels/ },
  { name: 'over --max-megapixels', args: ['stylize', 'noise.png', 'style.jpg', '-o', 'out.png', '--max-megapixels', '0.01'], setup: (d) => writeFileSync(join(d, 'noise.png'), NOISE), code: 'IMAGE_TOO_LARGE', message: /noise\.png is 128x128 pixels \(0\.0164 MP\), more than the limit of 0\.01 MP; raise --max-megapixels \(now 0\.01\)/ },
  { name: 'over --max-file-mb', args: ['stylize', 'noise.png', 'style.jpg', '-o', 'out.png', '--max-file-mb', '0.02'], setup: (d) => writeFileSync(join(d, 'noise.png'), NOISE), code: 'IMAGE_TOO_LARGE', message: /noise\.png is \d+ bytes, more than the limit of 20972 bytes; raise --max-file-mb \(now 0\.02\)/ },
  { name: '--init file missing', args: [...ST, '-o', 'out.png', '--init', 'nope.png'], code: 'INVALID_IMAGE', message: /nope\.png: no such file/ },
  { name: 'features: a text file', args: ['features', 'notimage.jpg', '--layer', 'conv1_1', '-o', 'maps.png'], code: 'UNSUPPORTED_IMAGE', message: /not a PNG(,| or) JPEG/ },
  { name: 'sweep: missing style', args: ['sweep', 'content.png', 'missing.png', ...SWEEP, '-o', 'sheet.png'], code: 'INVALID_IMAGE', message: /missing\.png: no such file/ },
  // sweep --replay records, one wrong field at a time.
  { name: 'replay: not JSON', args: ['sweep', '--replay', 'rec.json', '-o', 'again.png'], setup: replay('{"format": '), code: 'INVALID_RECORD', message: /--replay rec\.json is not JSON/ },
  { name: 'replay: a JSON array', args: ['sweep', '--replay', 'rec.json', '-o', 'again.png'], setup: replay('[]'), code: 'INVALID_OPTION', message: /rec\.json is not a sweep record: it is an array/ },
  { name: 'replay: the record is a folder', args: ['sweep', '--replay', 'rec.json', '-o', 'again.png'], setup: (d) => mkdirSync(join(d, 'rec.json')), code: 'INVALID_OPTION', message: /Cannot read rec\.json: it is a folder/ },
  { name: 'replay: the record is a FIFO', args: ['sweep', '--replay', 'rec.json', '-o', 'again.png'], setup: mkfifo('rec.json'), code: 'INVALID_OPTION', message: /rec\.json: it is a named pipe/ },
  ...(
    [
      ['format', 'neural-style-tfjs/sweep@2', /`format` is "neural-style-tfjs\/sweep@2"/],
      ['library', undefined, /`library` is undefined; expected an object/],
      ['weightsSha256', 'abc', /`weightsSha256` is "abc"; expected 64 lowercase hex digits/],
      ['seed', -1, /`seed` is -1/],
      ['inputs.content.width', 0, /`inputs\.content\.width` is 0/],
      ['inputs.style', [], /`inputs\.style` is an array of length 0/],
      ['inputs.style[0].sha256', 7, /`inputs\.style\[0\]\.sha256` is 7/],
      ['inputs.content.path', '', /`inputs\.content\.path` is ""/],
      ['options', null, /`options` is null; expected an object/],
      ['options.vary', 'styleLayers', /`options\.vary` is "styleLayers"; expected an object/],
      ['options.vary.styleLayers', 'bogus', /`options\.vary\.styleLayers` is "bogus"; expected one of "single", "cumulative", "all"/],
      ['options.vary.contentLayers', ['conv4_2'], /one or two settings to vary \(got 3\)/],
      ['options.vary.pooling', ['max'], /got 3/],
      ['options.iterations', [1, 1], /`options\.iterations` .*without repeats/],
      ['options.iterations', [0, 2], /`options\.iterations\[0\]` is 0/],
      ['options.size', 'big', /`options\.size` is "big"/],
      ['options.styleWeight', -1, /`options\.styleWeight` is -1/],
      ['options.colour', 'red', /Unknown field `options\.colour` for stylize\(\)/],
      ['options.content', 'x.png', /`options\.content` is "x\.png"; expected nothing/],
      ['options.presetKind', 'pool', /`options\.presetKind` is "pool"/],
      ['rows.parameter', 'colour', /`rows\.parameter` is "colour"/],
      ['columns.labels', 'x', /`columns\.labels` is "x"; expected a list/],
      ['columns.values', [1], /`columns\.values` is an array of length 1; expected a list of 2 values/],
      ['cells', 'x', /`cells` is "x"/],
      ['cells[1].row', -1, /`cells\[1\]\.row` is -1/],
      ['timings.runs', 1.5, /`timings\.runs` is 1\.5/],
      ['sheet.tileSize', 3, /`sheet\.tileSize` is 3; expected a whole number 8–4096/],
      ['sheet.background', [300, 0, 0], /`sheet\.background\[0\]` is 300/],
      ['sheet.shadow', true, /Unknown field `sheet\.shadow` in `sheet`/],
    ] as [string, unknown, RegExp][]
  ).map(([field, value, message]): BadCase => ({ name: `replay: ${field} = ${JSON.stringify(value)}`, args: ['sweep', '--replay', 'rec.json', '-o', 'again.png'], setup: replay(recordWith(field, value)), code: 'INVALID_OPTION', message })),
  { name: 'replay: an unknown layer', args: ['sweep', '--replay', 'rec.json', '-o', 'again.png'], setup: replay(recordWith('options.vary.styleLayers', [['conv1_1'], ['conv9_1']])), code: 'UNKNOWN_LAYER', message: /`options\.vary\.styleLayers\[1\]\[0\]`: unknown VGG-19 layer "conv9_1"/ },
  { name: 'replay: a record started from an image', args: ['sweep', '--replay', 'rec.json', '-o', 'again.png'], setup: replay(recordWith('options.init', 'image')), code: 'INVALID_RECORD', message: /started from an image/ },
  { name: 'replay: fewer images than recorded', args: ['sweep', 'content.png', '--replay', 'rec.json', '-o', 'again.png'], setup: replay(JSON.stringify(RECORD)), code: 'USAGE', message: /was run on 1 content and 1 style image; got 1 file/ },
];

/** Runs `main()` in this process (in `cwd`), capturing what it writes: the same code as the built CLI, without
 * a second or so of Node start-up and TF.js import per case. */
async function inProcess(args: string[], opts: RunOptions): Promise<Run> {
  const { main } = await import('../src/cli/main.js');
  const home = process.cwd();
  const { stdout: out, stderr: err } = process;
  const write = { out: out.write, err: err.write };
  let stdout = '';
  let stderr = '';
  out.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof out.write;
  err.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof err.write;
  process.chdir(opts.cwd);
  try {
    return { code: await main(args), signal: null, stdout, stderr };
  } finally {
    out.write = write.out;
    err.write = write.err;
    process.chdir(home);
  }
}

/** Cases also run through the built dist/cli.js in a child process (the others run main() in-process). */
const SPAWNED = new Set([
  '-o is a symlink to the style image',
  '-o is a hard link to the style image',
  'features: -o and --gram are one file',
  'output is a FIFO',
  '--quality 0',
  'a FIFO as content (no hang)',
  '/dev/zero as content (no unbounded read)',
  'a PNG claiming 20000x20000',
  'a JPEG claiming 14000x14000 as style',
  'replay: not JSON',
  'replay: options.size = "big"',
  'unknown command',
]);

async function checkBadCase(c: BadCase, run: typeof cli): Promise<void> {
  const dir = fixture();
  c.setup?.(dir);
  const before = snapshot(dir);
  const args = [...c.args.map((a) => a.replace(/^@\//, `${dir}/`)), '--json'];
  const r = await run(args, { cwd: dir, timeoutMs: 60_000 });
  expect(r.signal).toBe(null); // not killed by the timeout: nothing hangs
  expect(r.code).toBe(2);
  const lines = r.stderr.split('\n').filter((l) => l.length > 0);
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^neural-style-tfjs: /);
  expect(lines[0]).toMatch(c.message);
  // stdout holds the error event alone: no `loading` event, so the model was never loaded.
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(events).toEqual([{ event: 'error', code: c.code, message: lines[0].replace(/^neural-style-tfjs: /, ''), exitCode: 2 }]);
  expect(snapshot(dir)).toEqual(before);
}

describe('bad input: exit 2, one line, an error event, nothing written, inputs unchanged', () => {
  it('has enough cases', () => {
    expect(BAD.length).toBeGreaterThanOrEqual(60);
    expect(BAD.filter((c) => SPAWNED.has(c.name))).toHaveLength(SPAWNED.size);
  });
  for (const c of BAD) it(c.name, () => checkBadCase(c, inProcess), 30_000);
});

describe.concurrent('bad input through the built CLI', () => {
  for (const c of BAD.filter((b) => SPAWNED.has(b.name))) it(c.name, () => checkBadCase(c, cli));
});

describe('limits cost nothing', () => {
  it.runIf(existsSync(TIME))('a 68-byte PNG claiming 20000x20000 and a JPEG claiming 14000x14000 fail with a small peak RSS', async () => {
    const dir = fixture();
    writeFileSync(join(dir, 'huge.png'), HUGE_PNG);
    writeFileSync(join(dir, 'huge.jpg'), HUGE_JPEG);
    for (const bomb of ['huge.png', 'huge.jpg']) {
      const r = await cli(['stylize', bomb, 'style.jpg', '-o', 'out.png'], { cwd: dir, timed: true });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/IMAGE_TOO_LARGE|more than the limit of 50 MP/);
      const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1]);
      console.log(`cli.test: stylize ${bomb}: peak RSS ${(kb / 1024).toFixed(0)} MB`);
      // Node + the TF.js backends take ~80 MB; decoding 20000x20000 would take gigabytes.
      expect(kb).toBeLessThan(400 * 1024);
      expect(existsSync(join(dir, 'out.png'))).toBe(false);
    }
  });
});

describe('Ctrl-C: exit 130, nothing written, no temp file', () => {
  /** Runs `args`, sends SIGINT (`times` times) when a stdout event named `at` arrives. */
  async function interrupt(dir: string, args: string[], at: string, times = 1): Promise<Run> {
    let sent = false;
    return cli([...args, '--json'], {
      cwd: dir,
      onLine: (line, child) => {
        if (sent || !line.includes(`"event":"${at}"`)) return;
        sent = true;
        child.kill('SIGINT');
        for (let i = 1; i < times; i++) setTimeout(() => child.kill('SIGINT'), 20 * i);
      },
    });
  }
  const tmpFiles = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.tmp'));

  it('features, while it loads: an existing output is left as it was', async () => {
    const dir = fixture();
    writeFileSync(join(dir, 'maps.png'), 'the old maps');
    const before = snapshot(dir);
    const r = await interrupt(dir, ['features', 'content.png', '--layer', 'relu5_1', '--size', '48', '-o', 'maps.png', '--gram', 'gram.png'], 'loading');
    expect(r.code).toBe(130);
    expect(r.stderr.trim()).toBe('neural-style-tfjs: interrupted; no output written');
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toMatchObject({ event: 'error', code: 'ABORTED', exitCode: 130 });
    expect(snapshot(dir)).toEqual(before);
  });

  it('stylize, mid-run', async () => {
    const dir = fixture();
    const before = snapshot(dir);
    const r = await interrupt(dir, [...ST, '-o', 'out.png', '--size', '32', '--iterations', '300'], 'iteration');
    expect(r.code).toBe(130);
    expect(r.stdout).toContain('"event":"iteration"');
    expect(r.stdout).not.toContain('"event":"done"');
    expect(snapshot(dir)).toEqual(before);
  });

  it('sweep, mid-run: neither the sheet nor the record', async () => {
    const dir = fixture();
    const before = snapshot(dir);
    const r = await interrupt(dir, ['sweep', 'content.png', 'style.jpg', '--vary', 'style-layers=conv1_1,conv2_1', '--iterations', '200', '--size', '32', '-o', 'sheet.png'], 'iteration');
    expect(r.code).toBe(130);
    expect(snapshot(dir)).toEqual(before);
  });

  it('a second Ctrl-C exits at once, still without temp files', async () => {
    const dir = fixture();
    const r = await interrupt(dir, [...ST, '-o', 'out.png', '--size', '32', '--iterations', '300'], 'iteration', 2);
    expect(r.code).toBe(130);
    expect(existsSync(join(dir, 'out.png'))).toBe(false);
    expect(tmpFiles(dir)).toEqual([]);
  });
});

describe('stylize', () => {
  it('writes a valid PNG, numbered snapshots with --save-every, and JSON lines with --json', async () => {
    const dir = fixture();
    const r = await cli([...ST, '-o', 'out.png', '--size', '32', '--iterations', '2', '--save-every', '1', '--json', '--style-layers', 'relu1_1:1,relu2_1:0.5', '--seed', '3'], { cwd: dir });
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const png = (f: string) => PNG.sync.read(readFileSync(join(dir, f)));
    expect([png('out.png').width, png('out.png').height]).toEqual([32, 24]);
    expect(png('out-0001.png').width).toBe(32);
    expect(png('out-0002.png').width).toBe(32);
    const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; [k: string]: unknown });
    expect(events[0]).toEqual({ event: 'loading', network: 'VGG-19' });
    expect(events[1]).toMatchObject({ event: 'start', command: 'stylize', output: 'out.png', iterations: 2, size: 32 });
    expect(events.filter((e) => e.event === 'iteration')).toHaveLength(2);
    expect(events.filter((e) => e.event === 'saved').map((e) => e.path)).toEqual(['out-0001.png', 'out-0002.png']);
    const done = events[events.length - 1];
    expect(done).toMatchObject({ event: 'done', output: 'out.png', width: 32, height: 24, iterations: 2 });
    expect(Object.keys((done.loss as { styleLayers: object }).styleLayers)).toEqual(['relu1_1', 'relu2_1']);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);

    // An existing output that is not an input is replaced (atomically); --quality on a PNG is noted.
    const again = await cli([...ST, '-o', 'out.png', '--size', '32', '--iterations', '1', '--quality', '80'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/note: --quality applies to JPEG outputs; out\.png is written as PNG/);
    // Without --json or --quiet, a status line says what happens while the model loads.
    expect(again.stderr).toMatch(/^loading VGG-19 on (wasm|tensorflow|cpu)…$/m);
    expect(r.stderr).not.toMatch(/loading VGG-19/);
    expect(png('out.png').width).toBe(32);
  });
});

describe('sweep', () => {
  it('writes a contact sheet with the requested grid and a JSON record that reproduces it', async () => {
    const dir = fixture();
    const r = await cli(['sweep', 'content.png', 'style.jpg', '--vary', 'style-layers=conv1_1,conv2_1,conv3_1', '--iterations', '1,2', '--size', '32', '-o', 'sheet.png', '-q'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const png = (f: string) => PNG.sync.read(readFileSync(join(dir, f)));
    const sheet = png('sheet.png');
    const rec = JSON.parse(readFileSync(join(dir, 'sheet.json'), 'utf8'));
    expect(() => validateSweepRecord(rec, 'sheet.json')).not.toThrow();
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

    const again = await cli(['sweep', '--replay', 'sheet.json', '-o', 'again.png', '--json'], { cwd: dir });
    expect(again.code).toBe(0);
    const rec2 = JSON.parse(readFileSync(join(dir, 'again.json'), 'utf8'));
    expect(rec2.cells.map((c: { loss: unknown }) => c.loss)).toEqual(rec.cells.map((c: { loss: unknown }) => c.loss));
    const done = JSON.parse(again.stdout.trim().split('\n').pop()!);
    expect(done).toMatchObject({ event: 'done', rows: 3, columns: 2 });
    const sheet2 = png('again.png');
    expect([sheet2.width, sheet2.height]).toEqual([sheet.width, sheet.height]);

    // A record whose images differ from the files: refused before any run (after the model loaded), nothing written.
    writeFileSync(join(dir, 'other.json'), JSON.stringify({ ...rec, inputs: { ...rec.inputs, content: { ...rec.inputs.content, sha256: '0'.repeat(64) } } }));
    const before = snapshot(dir);
    const mismatch = await cli(['sweep', '--replay', 'other.json', '-o', 'mismatch.png'], { cwd: dir });
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toMatch(/content differs from the recorded one/);
    expect(snapshot(dir)).toEqual(before);
  });
});

describe('features and reconstruct', () => {
  it('features writes a grid (and a Gram) for layers of every kind', async () => {
    const dir = fixture();
    for (const layer of ['conv1_1', 'relu3_2', 'pool4', 'block5_conv4']) {
      const r = await cli(['features', 'content.png', '--layer', layer, '--size', '48', '--channels', '9', '-o', 'maps.png', '--gram', 'gram.png', '--json'], { cwd: dir });
      expect(r.code).toBe(0);
      const saved = r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.event === 'saved');
      expect(saved.map((e) => e.kind)).toEqual(['features', 'gram']);
      expect(saved[0]).toMatchObject({ rows: 3, columns: 3 });
      expect(saved[0].channels).toHaveLength(9);
      const maps = PNG.sync.read(readFileSync(join(dir, 'maps.png')));
      expect([maps.width, maps.height]).toEqual([saved[0].width, saved[0].height]);
      expect(PNG.sync.read(readFileSync(join(dir, 'gram.png'))).width).toBe(saved[1].width);
    }
  });

  it('reconstruct writes the image rebuilt from noise', async () => {
    const dir = fixture();
    const r = await cli(['reconstruct', 'content.png', '--layer', 'conv2_2', '--kind', 'content', '--size', '32', '--iterations', '2', '-o', 'rec.jpg'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/wrote rec\.jpg \(content reconstruction from conv2_2, 32x24/);
    expect(readFileSync(join(dir, 'rec.jpg')).subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
  });
});

describe('bad weights exit 2, whatever the WEIGHTS_* code', () => {
  const cases: [string, (dir: string) => void, string][] = [
    ['a FIFO as the manifest', (d) => (mkdirSync(join(d, 'w')), execFileSync('mkfifo', [join(d, 'w', 'manifest.json')])), 'WEIGHTS_UNSAFE_FILE'],
    ['a 2 MiB manifest', (d) => (mkdirSync(join(d, 'w')), writeFileSync(join(d, 'w', 'manifest.json'), `[${' '.repeat(2 * 2 ** 20)}]`)), 'WEIGHTS_TOO_LARGE'],
    ['no manifest', (d) => mkdirSync(join(d, 'w')), 'WEIGHTS_MISSING'],
  ];
  for (const [name, setup, code] of cases) {
    it(name, async () => {
      const dir = fixture();
      setup(dir);
      const r = await inProcess(['features', 'content.png', '--layer', 'conv1_1', '--size', '32', '--weights', 'w', '-o', 'maps.png', '--json'], { cwd: dir });
      expect(r.code, r.stderr).toBe(2);
      expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toMatchObject({ event: 'error', code, exitCode: 2 });
      expect(existsSync(join(dir, 'maps.png'))).toBe(false);
    }, 60_000);
  }
});

describe('a reader that stops early (EPIPE on stdout)', () => {
  it('features … --json | head -1: the run ends as it would have, its files written, no temp file left', async () => {
    const dir = fixture();
    for (let i = 0; i < 4; i++) {
      const out = `maps${i}.png`;
      const r = await new Promise<{ code: number | null; stderr: string; first: string }>((resolve) => {
        const child = spawn(process.execPath, [CLI, 'features', 'content.png', '--layer', 'conv2_1', '--size', '48', '-o', out, '--gram', `gram${i}.png`, '--json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
        let first = '';
        let stderr = '';
        // Like `head -1`: read up to the first newline, then close the pipe.
        child.stdout.on('data', (d: Buffer) => {
          if (first.includes('\n')) return;
          first += d;
          if (first.includes('\n')) child.stdout.destroy();
        });
        child.stderr.on('data', (d: Buffer) => (stderr += d));
        child.on('close', (code) => resolve({ code, stderr, first: first.split('\n')[0] }));
      });
      expect(JSON.parse(r.first)).toEqual({ event: 'loading', network: 'VGG-19' });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toMatch(/EPIPE|Error/);
      expect(existsSync(join(dir, out))).toBe(true);
      expect(existsSync(join(dir, `gram${i}.png`))).toBe(true);
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    }
  }, 240_000);
});
