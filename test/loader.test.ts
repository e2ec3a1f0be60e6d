/**
 * Weight loading: every way a weight set can be broken gives a StyleTransferError whose `code` says which, with
 * a message naming the file; loading over a custom fetch reports progress; a model frees all its tensors.
 * Broken sets are copies of the package's weights/ in a temp folder, each with one thing wrong.
 */
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ready,
  loadVgg19,
  extractFeatures,
  packagedWeightsDir,
  StyleTransferError,
  isStyleTransferError,
  type LoadProgress,
  type StyleTransferErrorCode,
  type Vgg19,
} from '../src/adapters/node.js';
import { urlWeightsSource } from '../src/core.js';
import { gramMatrix } from '../src/core/gram.js';
import { styleLoss } from '../src/core/losses.js';
import { lossAndGradient, type PointLoss } from '../src/core/network.js';
import { resolveLayer } from '../src/core/layers.js';

const REPO_WEIGHTS = fileURLToPath(new URL('../weights/', import.meta.url));
const TFJS_MODEL_JSON = fileURLToPath(new URL('../../shared/vgg19/keras-uint8/model.json', import.meta.url));

interface Manifest {
  architecture: string;
  weightsSha256: string;
  totalBytes: number;
  layers: { name: string; kernel: { shape: number[] } }[];
  shards: { file: string; byteLength: number; sha256: string }[];
}
const manifest = JSON.parse(readFileSync(join(REPO_WEIGHTS, 'manifest.json'), 'utf8')) as Manifest;

let tmp: string;
let variantCount = 0;
const seenCodes = new Set<StyleTransferErrorCode>();

/** A copy of the package's weights in a fresh temp folder, changed by `mutate(dir)`. */
function brokenCopy(mutate: (dir: string) => void): string {
  const dir = join(tmp, `variant-${++variantCount}`);
  cpSync(REPO_WEIGHTS, dir, { recursive: true });
  mutate(dir);
  return dir;
}

/** Loads `weights`, expecting a StyleTransferError with `code`; returns it. Checks no tensor was left behind. */
async function expectLoadError(weights: Parameters<typeof loadVgg19>[0], code: StyleTransferErrorCode): Promise<StyleTransferError> {
  const before = tf.memory().numTensors;
  let error: unknown;
  try {
    const m = await loadVgg19(weights);
    m.dispose();
  } catch (e) {
    error = e;
  }
  expect(tf.memory().numTensors).toBe(before);
  expect(error, `expected loadVgg19 to fail with ${code}`).toBeInstanceOf(StyleTransferError);
  const e = error as StyleTransferError;
  expect(e.code, e.message).toBe(code);
  seenCodes.add(e.code);
  expect(e.name).toBe('StyleTransferError');
  expect(isStyleTransferError(e, code)).toBe(true);
  return e;
}

beforeAll(async () => {
  await ready('wasm');
  tmp = mkdtempSync(join(tmpdir(), 'nst-loader-'));
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('loading the package weights', () => {
  it('loadVgg19() with no options reads the weights shipped in the package', async () => {
    const before = tf.memory().numTensors;
    const model = await loadVgg19();
    expect(packagedWeightsDir()).toBe(REPO_WEIGHTS);
    expect(model.location).toBe(REPO_WEIGHTS);
    expect(model.weightsSha256).toBe(manifest.weightsSha256);
    // At least 16 kernels + 16 biases (the model may hold derived tensors too, e.g. flipped kernels).
    expect(tf.memory().numTensors - before).toBeGreaterThanOrEqual(32);
    const params = manifest.layers.reduce((a, l) => {
      const [kh, kw, cin, cout] = l.kernel.shape;
      return a + kh * kw * cin * cout + cout;
    }, 0);
    expect(params).toBe(20_024_384); // VGG-19's conv parameters
    expect(model.bytes).toBeGreaterThanOrEqual(params * 4);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('accepts the folder, its manifest.json path and a file: URL', async () => {
    for (const weights of [REPO_WEIGHTS, join(REPO_WEIGHTS, 'manifest.json'), new URL('../weights/', import.meta.url).toString()]) {
      const model = await loadVgg19({ weights, verify: false });
      expect(model.weightsSha256).toBe(manifest.weightsSha256);
      model.dispose();
    }
  });
});

describe('loader errors: each broken weight set has its own code', () => {
  it('a missing shard → WEIGHTS_MISSING naming the shard', async () => {
    const shard = manifest.shards[2].file;
    const dir = brokenCopy((d) => unlinkSync(join(d, shard)));
    const e = await expectLoadError({ weights: dir }, 'WEIGHTS_MISSING');
    expect(e.message).toContain(shard);
    expect(e.details).toMatchObject({ file: shard });
  });

  it('a truncated shard → WEIGHTS_TRUNCATED with both sizes', async () => {
    const shard = manifest.shards[manifest.shards.length - 1];
    const dir = brokenCopy((d) => truncateSync(join(d, shard.file), Math.floor(shard.byteLength / 2)));
    const e = await expectLoadError({ weights: dir }, 'WEIGHTS_TRUNCATED');
    expect(e.message).toContain(shard.file);
    expect(e.details).toMatchObject({ file: shard.file, got: Math.floor(shard.byteLength / 2), expected: shard.byteLength });
  });

  it('one flipped byte → WEIGHTS_CHECKSUM (and loads with verify: false)', async () => {
    const shard = manifest.shards[1].file;
    const dir = brokenCopy((d) => {
      const p = join(d, shard);
      const bytes = readFileSync(p);
      bytes[123_457] ^= 0x01;
      writeFileSync(p, bytes);
    });
    const e = await expectLoadError({ weights: dir }, 'WEIGHTS_CHECKSUM');
    expect(e.message).toContain(shard);
    expect(e.message).toMatch(/sha256/);
    // Verification off: the same bytes load (the library cannot tell then).
    const model = await loadVgg19({ weights: dir, verify: false });
    model.dispose();
  });

  it('a manifest for another architecture → WEIGHTS_ARCHITECTURE', async () => {
    const other = brokenCopy((d) => writeFileSync(join(d, 'manifest.json'), JSON.stringify({ ...manifest, architecture: 'resnet50' })));
    const e = await expectLoadError({ weights: other }, 'WEIGHTS_ARCHITECTURE');
    expect(e.message).toContain('resnet50');
    // VGG-16 has 13 conv layers: same format, wrong network.
    const vgg16 = brokenCopy((d) => writeFileSync(join(d, 'manifest.json'), JSON.stringify({ ...manifest, layers: manifest.layers.slice(0, 13) })));
    expect((await expectLoadError({ weights: vgg16 }, 'WEIGHTS_ARCHITECTURE')).message).toMatch(/16 VGG-19 conv layers, found 13/);
  });

  it('a TF.js model.json passed instead → WEIGHTS_MANIFEST saying what it is', async () => {
    // The path of the TF.js model.json itself …
    const e = await expectLoadError({ weights: TFJS_MODEL_JSON }, 'WEIGHTS_MANIFEST');
    expect(e.message).toMatch(/TensorFlow\.js model\.json/);
    expect(e.message).toMatch(/npm run weights/);
    // … and a model.json sitting where the manifest should be.
    const dir = brokenCopy((d) => cpSync(TFJS_MODEL_JSON, join(d, 'manifest.json')));
    expect((await expectLoadError({ weights: dir }, 'WEIGHTS_MANIFEST')).message).toMatch(/TensorFlow\.js model\.json/);
  });

  it('a manifest that is not JSON → WEIGHTS_MANIFEST', async () => {
    const dir = brokenCopy((d) => writeFileSync(join(d, 'manifest.json'), '{ "format": "neural-style-tfjs/weights", '));
    const e = await expectLoadError({ weights: dir }, 'WEIGHTS_MANIFEST');
    expect(e.message).toMatch(/not valid JSON/);
    expect(e.message).toContain(dir);
  });

  it('a folder that does not exist → WEIGHTS_MISSING pointing at "npm run weights"', async () => {
    const missing = join(tmp, 'no-such-folder');
    const e = await expectLoadError({ weights: missing }, 'WEIGHTS_MISSING');
    expect(e.message).toContain(missing);
    expect(e.message).toMatch(/npm run weights/);
  });

  it('the kinds of damage are told apart by code', () => {
    // Codes seen by the tests above (missing folder and missing shard are both "missing").
    expect([...seenCodes].sort()).toEqual(['WEIGHTS_ARCHITECTURE', 'WEIGHTS_CHECKSUM', 'WEIGHTS_MANIFEST', 'WEIGHTS_MISSING', 'WEIGHTS_TRUNCATED']);
  });
});

describe('urlWeightsSource with a custom fetch', () => {
  /** Serves the weight files from memory; records the URLs asked for. */
  function memoryFetch(files: Map<string, Uint8Array>, requested: string[] = []): typeof fetch {
    return (async (input: RequestInfo | URL) => {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      requested.push(url);
      const name = url.slice(url.lastIndexOf('/') + 1);
      const body = files.get(name);
      if (!body) return new Response('not found', { status: 404 });
      return new Response(body as Uint8Array<ArrayBuffer>, { status: 200, headers: { 'content-length': String(body.length) } });
    }) as typeof fetch;
  }

  function weightFiles(): Map<string, Uint8Array> {
    const files = new Map<string, Uint8Array>();
    for (const f of readdirSync(REPO_WEIGHTS)) if (f === 'manifest.json' || f.endsWith('.bin')) files.set(f, new Uint8Array(readFileSync(join(REPO_WEIGHTS, f))));
    return files;
  }

  it('loads over fetch, reporting progress up to the total', async () => {
    const requested: string[] = [];
    const progress: LoadProgress[] = [];
    const before = tf.memory().numTensors;
    const model = await loadVgg19({
      weights: urlWeightsSource('https://weights.example/vgg19/', memoryFetch(weightFiles(), requested)),
      onProgress: (p) => progress.push({ ...p }),
    });
    expect(model.weightsSha256).toBe(manifest.weightsSha256);
    expect(model.location).toBe('https://weights.example/vgg19/');
    expect(requested).toContain('https://weights.example/vgg19/manifest.json');
    for (const s of manifest.shards) expect(requested).toContain(`https://weights.example/vgg19/${s.file}`);
    expect(progress.length).toBeGreaterThanOrEqual(manifest.shards.length);
    for (const p of progress) {
      expect(p.total).toBe(manifest.totalBytes);
      expect(p.loaded).toBeLessThanOrEqual(p.total);
    }
    expect(progress.at(-1)!.loaded).toBe(manifest.totalBytes);
    expect(Math.max(...progress.map((p) => p.loaded))).toBe(manifest.totalBytes);
    expect(tf.memory().numTensors - before).toBeGreaterThanOrEqual(32);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a URL string with `fetch` in the options works the same', async () => {
    const model = await loadVgg19({ weights: 'https://weights.example/vgg19/manifest.json', fetch: memoryFetch(weightFiles()) });
    expect(model.weightsSha256).toBe(manifest.weightsSha256);
    model.dispose();
  });

  it('HTTP 404 → WEIGHTS_MISSING, HTTP 500 or a network error → WEIGHTS_FETCH', async () => {
    const files = weightFiles();
    files.delete(manifest.shards[0].file);
    const e404 = await expectLoadError({ weights: urlWeightsSource('https://weights.example/', memoryFetch(files)) }, 'WEIGHTS_MISSING');
    expect(e404.message).toContain(manifest.shards[0].file);

    const e500 = await expectLoadError(
      { weights: urlWeightsSource('https://weights.example/', (async () => new Response('oops', { status: 500 })) as typeof fetch) },
      'WEIGHTS_FETCH',
    );
    expect(e500.message).toMatch(/HTTP 500/);

    const offline = (async () => {
      throw new TypeError('getaddrinfo ENOTFOUND weights.example');
    }) as typeof fetch;
    const eNet = await expectLoadError({ weights: 'https://weights.example/', fetch: offline }, 'WEIGHTS_FETCH');
    expect(eNet.message).toMatch(/ENOTFOUND/);
  });

  it('a TF.js model.json URL → WEIGHTS_MANIFEST', async () => {
    const files = new Map([['model.json', new Uint8Array(readFileSync(TFJS_MODEL_JSON))]]);
    const e = await expectLoadError({ weights: 'https://models.example/vgg19/model.json', fetch: memoryFetch(files) }, 'WEIGHTS_MANIFEST');
    expect(e.message).toMatch(/TensorFlow\.js model\.json/);
  });
});

describe('model lifetime', () => {
  const image = { data: new Uint8Array(32 * 32 * 3).fill(128), width: 32, height: 32 };

  it('dispose() frees every tensor, and using the model does not change its tensor count', async () => {
    const start = tf.memory().numTensors;
    const model = await loadVgg19();
    const loaded = tf.memory().numTensors;
    expect(loaded - start).toBeGreaterThanOrEqual(32);
    // Use the model: features, and a gradient (which uses the model's flipped kernels).
    tf.dispose(Object.values(await extractFeatures(model, image, ['relu2_1', 'pool3'])));
    const rgb = tf.tidy(() => tf.mul(tf.randomUniform([1, 32, 32, 3], 0, 1, 'float32', 1), 255) as tf.Tensor4D);
    const target = tf.tidy(() => gramMatrix(tf.ones([1, 16, 16, 128])));
    for (let i = 0; i < 2; i++) {
      tf.tidy(() => {
        const losses = new Map<number, PointLoss>([[resolveLayer('relu2_1').index, (a) => styleLoss(a, target, 1)]]);
        lossAndGradient(model, rgb, losses, 'max').grad.dataSync();
      });
      expect(tf.memory().numTensors).toBe(loaded + 2);
    }
    tf.dispose([rgb, target]);
    expect(tf.memory().numTensors).toBe(loaded);
    model.dispose();
    expect(model.disposed).toBe(true);
    expect(tf.memory().numTensors).toBe(start);
    model.dispose(); // twice is harmless
    expect(tf.memory().numTensors).toBe(start);
  });

  it('a disposed model → MODEL_DISPOSED, without leaking', async () => {
    const model: Vgg19 = await loadVgg19();
    model.dispose();
    const before = tf.memory().numTensors;
    const err = await extractFeatures(model, image, ['relu1_1']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StyleTransferError);
    expect((err as StyleTransferError).code).toBe('MODEL_DISPOSED');
    expect((err as StyleTransferError).message).toMatch(/loadVgg19/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('layer names', () => {
  let model: Vgg19;
  const image = { data: new Uint8Array(16 * 16 * 3).fill(90), width: 16, height: 16 };
  beforeAll(async () => {
    model = await loadVgg19();
  });
  afterAll(() => model?.dispose());

  it('an unknown layer → UNKNOWN_LAYER listing the valid forms, before any work', async () => {
    const before = tf.memory().numTensors;
    const err = (await extractFeatures(model, image, ['relu1_1', 'relu6_1']).catch((e: unknown) => e)) as StyleTransferError;
    expect(err).toBeInstanceOf(StyleTransferError);
    expect(err.code).toBe('UNKNOWN_LAYER');
    expect(err.message).toContain('"relu6_1"');
    expect(err.message).toMatch(/convN_M.*reluN_M.*poolN/);
    expect(err.details).toMatchObject({ field: 'layers', layer: 'relu6_1' });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a near miss gets a suggestion', async () => {
    const err = (await extractFeatures(model, image, ['rel4_2']).catch((e: unknown) => e)) as StyleTransferError;
    expect(err.code).toBe('UNKNOWN_LAYER');
    expect(err.message).toMatch(/did you mean .*relu4_2/);
  });

  it('an unknown tap layer → UNKNOWN_LAYER naming taps.layers', async () => {
    const err = (await extractFeatures(model, image, ['relu1_1'], { taps: { layers: ['block6_conv1'], onActivation: () => {} } }).catch((e: unknown) => e)) as StyleTransferError;
    expect(err.code).toBe('UNKNOWN_LAYER');
    expect(err.message).toMatch(/^taps\.layers: /);
  });
});
