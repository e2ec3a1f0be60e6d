/**
 * `--network` through the BUILT CLI (`dist/cli.js`, `npm run build` first): a seeded random VGG-16 the test writes
 * in the manifest layout (no VGG-16 weights ship) drives `features` and `stylize` with its own layer names
 * (`relu5_3`), as does a small non-VGG spec file with its weights; sweep and study records name the network and a replay with VGG-19 is refused; VGG-19-only names, a
 * missing `--weights`, an unknown word, a bad spec file and a spec without the default layers are exit 2 with a
 * message saying what to do. Images 32 px, 2 iterations.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineNetwork, VGG16, VGG16_SPEC, type NetworkSpec } from '../../src/adapters/node.js';
import { encodeImage } from '../../src/adapters/node/image-io.js';
import { readyTestBackend } from '../helpers/backend.js';
import { loadImage } from '../helpers/images.js';
import { randomWeights, writeNetwork } from '../helpers/random-network.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const events = (stdout: string): Record<string, unknown>[] => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

let dir: string;
let weights: string;
let sha16: string;

beforeAll(async () => {
  await readyTestBackend();
  dir = mkdtempSync(join(tmpdir(), 'nst-netcli-'));
  weights = join(dir, 'vgg16');
  mkdirSync(weights);
  sha16 = await writeNetwork(VGG16_SPEC, randomWeights(VGG16, 16), weights);
  writeFileSync(join(dir, 'c.png'), encodeImage(loadImage('tubingen', 32), 'png'));
  writeFileSync(join(dir, 's.png'), encodeImage(loadImage('starry_night', 32), 'png'));
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('--network vgg16 with --weights DIR', () => {
  it('features taps a VGG-16-only depth (relu5_3) and says which network loaded', async () => {
    const r = await cli(['features', 'c.png', '--network', 'vgg16', '--weights', weights, '--layer', 'relu5_3', '--size', '32', '--channels', '4', '-o', 'f.png', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(dir, 'f.png'))).toBe(true);
    expect(events(r.stdout).find((e) => e.event === 'loading')).toMatchObject({ network: 'VGG-16' });
    expect(events(r.stdout).find((e) => e.event === 'start')).toMatchObject({ layer: 'relu5_3', shape: [1, 1, 2, 512] });
  }, 120_000);

  it('stylize runs 2 iterations with VGG-16 layer names', async () => {
    const r = await cli(['stylize', 'c.png', 's.png', '-o', 'out.png', '--network', 'vgg16', '--weights', weights, '--style-layers', 'relu1_1,relu3_3,relu5_3', '--content-layers', 'relu4_3', '--size', '32', '-i', '2', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const start = events(r.stdout).find((e) => e.event === 'start')!;
    expect(start.weightsSha256).toBe(sha16);
    expect(events(r.stdout).find((e) => e.event === 'done')).toMatchObject({ iterations: 2 });
    expect(existsSync(join(dir, 'out.png'))).toBe(true);
  }, 120_000);

  it('reconstruct matches a VGG-16 layer set (2 iterations)', async () => {
    const r = await cli(['reconstruct', 'c.png', '--network', 'vgg16', '--weights', weights, '--layers', 'relu3_3,relu5_3', '-i', '2', '--size', '32', '-o', 'rec.png', '--quiet'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(dir, 'rec.png'))).toBe(true);
  }, 120_000);

  it('a sweep record names the network; replaying it with VGG-19 is refused', async () => {
    const r = await cli(['sweep', 'c.png', 's.png', '-o', 'sheet.png', '--network', 'vgg16', '--weights', weights, '--vary', 'style-layers=relu1_1;relu5_3', '--content-layers', 'relu4_3', '--size', '32', '-i', '2', '--quiet'], dir);
    expect(r.code, r.stderr).toBe(0);
    const record = JSON.parse(readFileSync(join(dir, 'sheet.json'), 'utf8')) as Record<string, unknown>;
    expect(record.network).toBe('VGG-16');
    expect(record.weightsSha256).toBe(sha16);
    const replay = await cli(['sweep', '--replay', 'sheet.json', '-o', 'again.png'], dir);
    expect(replay.code).toBe(2);
    expect(replay.stderr).toMatch(/VGG-16/);
    expect(replay.stderr).toMatch(/--network vgg16/);
    const again = await cli(['sweep', '--replay', 'sheet.json', '-o', 'again.png', '--network', 'vgg16', '--weights', weights, '--quiet'], dir);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(readFileSync(join(dir, 'again.json'), 'utf8')) as { cells: unknown[] }).cells).toHaveLength(2);
  }, 120_000);

  it('a layer study runs on VGG-16 layers; its record names the network and a replay with VGG-19 is refused', async () => {
    const r = await cli(['study', 'c.png', 's.png', '-o', 'study.html', '--network', 'vgg16', '--weights', weights, '--layers', 'conv5_3', '--reconstruct-layers', 'none', '--no-cumulative', '-i', '1', '--size', '32', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(events(r.stdout).find((e) => e.event === 'start')).toMatchObject({ network: 'VGG-16', weightsSha256: sha16 });
    const record = JSON.parse(readFileSync(join(dir, 'study.json'), 'utf8')) as Record<string, unknown>;
    expect(record).toMatchObject({ network: 'VGG-16', weightsSha256: sha16, options: { styleLayers: ['conv5_3'] } });
    const replay = await cli(['study', '--replay', 'study.json', '-o', 'study2.html'], dir);
    expect(replay.code).toBe(2);
    expect(replay.stderr).toMatch(/study\.json was made with VGG-16 .* this run loads VGG-19: pass --network vgg16 --weights DIR/);
  }, 120_000);

  it('a network spec file (a small non-VGG conv stack) stylizes with its own layer names', async () => {
    const spec = { name: 'Tiny', id: 'tiny-conv', input: { order: 'rgb', mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] }, layers: [{ conv: 'c1', filters: 16 }, { relu: 'r1' }, { pool: 'p1' }, { conv: 'c2', filters: 32 }, { relu: 'r2' }] } as const;
    writeFileSync(join(dir, 'tiny-ok.json'), JSON.stringify(spec));
    const tinyWeights = join(dir, 'tiny');
    mkdirSync(tinyWeights);
    const sha = await writeNetwork(spec as unknown as NetworkSpec, randomWeights(defineNetwork(spec as unknown as NetworkSpec), 5), tinyWeights);
    const r = await cli(['stylize', 'c.png', 's.png', '-o', 'tiny.png', '--network', 'tiny-ok.json', '--weights', tinyWeights, '--style-layers', 'r1,r2', '--content-layers', 'r2', '--size', '32', '-i', '2', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(events(r.stdout).find((e) => e.event === 'start')).toMatchObject({ network: 'Tiny', weightsSha256: sha });
    expect(existsSync(join(dir, 'tiny.png'))).toBe(true);
  }, 120_000);
});

describe('--network mistakes are exit 2 before anything loads', () => {
  const refused = async (args: string[], ...patterns: RegExp[]) => {
    const r = await cli(args, dir);
    expect(r.code, r.stderr).toBe(2);
    for (const p of patterns) expect(r.stderr).toMatch(p);
    expect(existsSync(join(dir, 'never.png'))).toBe(false);
  };
  const base = ['stylize', 'c.png', 's.png', '-o', 'never.png', '--size', '32', '-i', '1'];

  it('a VGG-19-only layer names VGG-16', () => refused([...base, '--network', 'vgg16', '--weights', weights, '--style-layers', 'relu5_4'], /unknown VGG-16 layer "relu5_4"/, /relu5_3/));
  it('VGG-16 without --weights', () => refused([...base, '--network', 'vgg16'], /needs --weights DIR/, /ships VGG-19's weights only/));
  it('an unknown network word', () => refused([...base, '--network', 'resnet'], /--network is "resnet"; use vgg19 or vgg16, or a network spec file/));
  it('a spec file that is not a spec', async () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ name: 'Tiny', layers: [{ relu: 'r1' }] }));
    await refused([...base, '--network', 'bad.json', '--weights', weights], /--network bad\.json: Network spec: `layers\[0\]`/);
  });
  it('a spec without the default layers asks for the layer flags', async () => {
    writeFileSync(join(dir, 'tiny.json'), JSON.stringify({ name: 'Tiny', layers: [{ conv: 'c1', filters: 8 }, { relu: 'r1' }, { pool: 'p1' }, { conv: 'c2', filters: 8 }, { relu: 'r2' }] }));
    await refused([...base, '--network', 'tiny.json', '--weights', weights], /Tiny has no relu1_1, .*default --style-layers.*pass --style-layers with its own layer names \(r1, r2/);
  });
});
