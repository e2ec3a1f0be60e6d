/**
 * Hostile weights: a manifest is data from wherever the weights came from, so every field of it is checked before
 * anything is allocated or read. Each case asserts the error code, a message naming the field, that nothing else
 * was read, and that no tensor was left behind. Also: shard names that try to leave the weights folder or origin,
 * files that are not regular files, files too large to be weights, the integrity pin, and abort at every stage.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ready, loadVgg19, fileWeightsSource, StyleTransferError, type StyleTransferErrorCode, type WeightsSource } from '../src/adapters/node.js';
import { MAX_MANIFEST_BYTES, MAX_WEIGHTS_BYTES, validateManifest } from '../src/weights/manifest.js';

const REPO_WEIGHTS = fileURLToPath(new URL('../weights/', import.meta.url));
const manifestText = readFileSync(join(REPO_WEIGHTS, 'manifest.json'), 'utf8');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyManifest = any;
const manifest: AnyManifest = JSON.parse(manifestText);
const manifestSha256 = createHash('sha256').update(readFileSync(join(REPO_WEIGHTS, 'manifest.json'))).digest('hex');
const shardFiles = new Map<string, Uint8Array>(manifest.shards.map((s: { file: string }) => [s.file, new Uint8Array(readFileSync(join(REPO_WEIGHTS, s.file)))]));

let tmp: string;
let variants = 0;

beforeAll(async () => {
  await ready('wasm');
  tmp = mkdtempSync(join(tmpdir(), 'nst-hostile-'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Serves `manifest` (an object, or raw text/bytes) and the real shards from memory; records every file read. */
function memorySource(manifestBody: unknown, reads: string[] = []): WeightsSource {
  const body = manifestBody instanceof Uint8Array ? manifestBody : new TextEncoder().encode(typeof manifestBody === 'string' ? manifestBody : JSON.stringify(manifestBody));
  return {
    location: 'memory://weights/',
    async read(file) {
      reads.push(file);
      if (file === 'manifest.json') return body;
      const bytes = shardFiles.get(file);
      if (!bytes) throw new Error(`ENOENT ${file}`);
      return bytes;
    },
  };
}

/** A fetch serving the real weights under https://weights.example/vgg19/, `manifestBody` as the manifest; records URLs. */
function recordingFetch(manifestBody: string, requested: string[]): typeof fetch {
  return (async (input: RequestInfo | URL) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    requested.push(url);
    if (url === 'https://weights.example/vgg19/manifest.json') return new Response(manifestBody, { status: 200 });
    const bytes = url.startsWith('https://weights.example/vgg19/') ? shardFiles.get(url.slice('https://weights.example/vgg19/'.length)) : undefined;
    return bytes ? new Response(bytes as Uint8Array<ArrayBuffer>, { status: 200 }) : new Response('not found', { status: 404 });
  }) as typeof fetch;
}

/** Runs `load`, expecting a StyleTransferError with `code`; checks no tensor was left behind. */
async function expectError(load: () => Promise<unknown>, code: StyleTransferErrorCode): Promise<StyleTransferError> {
  const before = tf.memory().numTensors;
  let error: unknown;
  try {
    const m = (await load()) as { dispose?: () => void };
    m?.dispose?.();
  } catch (e) {
    error = e;
  }
  expect(tf.memory().numTensors).toBe(before);
  expect(error, `expected a StyleTransferError ${code}`).toBeInstanceOf(StyleTransferError);
  const e = error as StyleTransferError;
  expect(e.code, e.message).toBe(code);
  return e;
}

/** A copy of the package's weights in a fresh temp folder, changed by `mutate(dir)`. */
function copyWeights(mutate: (dir: string) => void): string {
  const dir = join(tmp, `set-${++variants}`);
  cpSync(REPO_WEIGHTS, dir, { recursive: true });
  mutate(dir);
  return dir;
}

const clone = (): AnyManifest => JSON.parse(manifestText);
const L3 = manifest.layers[3]; // conv2_2: [3,3,128,128]

interface HostileCase {
  name: string;
  /** Changes the manifest in place, or returns the manifest's whole text. */
  mutate: (m: AnyManifest) => void | string;
  code: StyleTransferErrorCode;
  /** The field the error must name (in the message and in `details.field`). */
  field: string;
  /** More the message must say. */
  says?: RegExp;
}

const hostileManifests: HostileCase[] = [
  { name: 'the manifest is an array', mutate: () => '[]', code: 'WEIGHTS_MANIFEST', field: '', says: /the manifest is \[\]; expected a JSON object/ },
  { name: 'the manifest is null', mutate: () => 'null', code: 'WEIGHTS_MANIFEST', field: '', says: /the manifest is null/ },
  { name: '1 MB of nested arrays', mutate: () => `${'['.repeat(500_000)}${']'.repeat(500_000)}`, code: 'WEIGHTS_MANIFEST', field: '', says: /the manifest is an array of length 1; expected a JSON object/ },
  { name: 'formatVersion 2', mutate: (m) => void (m.formatVersion = 2), code: 'WEIGHTS_MANIFEST', field: 'formatVersion', says: /formatVersion is 2; expected 1/ },
  { name: 'a null shard', mutate: (m) => void (m.shards[0] = null), code: 'WEIGHTS_MANIFEST', field: 'shards[0]', says: /shards\[0\] is null/ },
  { name: 'shards is an object', mutate: (m) => void (m.shards = { 0: m.shards[0] }), code: 'WEIGHTS_MANIFEST', field: 'shards', says: /an array of 1 to 1024/ },
  { name: 'no shards', mutate: (m) => void (m.shards = []), code: 'WEIGHTS_MANIFEST', field: 'shards' },
  { name: '5000 shards', mutate: (m) => void (m.shards = Array.from({ length: 5000 }, (_, i) => ({ ...m.shards[0], file: `s${i}.bin` }))), code: 'WEIGHTS_MANIFEST', field: 'shards' },
  { name: 'a shard without sha256', mutate: (m) => void delete m.shards[1].sha256, code: 'WEIGHTS_MANIFEST', field: 'shards[1].sha256', says: /is undefined; expected a sha256/ },
  { name: 'a shard sha256 that is not hex', mutate: (m) => void (m.shards[1].sha256 = 'G'.repeat(64)), code: 'WEIGHTS_MANIFEST', field: 'shards[1].sha256' },
  { name: 'a string byteLength', mutate: (m) => void (m.shards[0].byteLength = '4194304'), code: 'WEIGHTS_MANIFEST', field: 'shards[0].byteLength', says: /is "4194304"/ },
  { name: 'a negative byteLength', mutate: (m) => void (m.shards[0].byteLength = -5), code: 'WEIGHTS_MANIFEST', field: 'shards[0].byteLength', says: /is -5; expected a whole number of bytes from 1/ },
  { name: 'a fractional byteLength', mutate: (m) => void (m.shards[0].byteLength = 4194304.5), code: 'WEIGHTS_MANIFEST', field: 'shards[0].byteLength' },
  { name: 'a huge byteLength', mutate: (m) => void (m.shards[0].byteLength = 1e300), code: 'WEIGHTS_MANIFEST', field: 'shards[0].byteLength', says: /1e\+300/ },
  { name: 'a huge totalBytes', mutate: (m) => void (m.totalBytes = 2 ** 40), code: 'WEIGHTS_MANIFEST', field: 'totalBytes', says: new RegExp(`from 1 to ${MAX_WEIGHTS_BYTES}`) },
  { name: 'an infinite totalBytes (1e999)', mutate: () => manifestText.replace(/"totalBytes": \d+/, '"totalBytes": 1e999'), code: 'WEIGHTS_MANIFEST', field: 'totalBytes', says: /Infinity/ },
  { name: 'a totalBytes the shards do not add up to', mutate: (m) => void (m.totalBytes += 1), code: 'WEIGHTS_MANIFEST', field: 'totalBytes', says: /add up to 27001088/ },
  { name: 'shard sizes inflated in step with totalBytes', mutate: (m) => ((m.shards[6].byteLength += MAX_WEIGHTS_BYTES), void (m.totalBytes += MAX_WEIGHTS_BYTES)), code: 'WEIGHTS_MANIFEST', field: 'totalBytes' },
  { name: 'duplicate shard names', mutate: (m) => void (m.shards[3].file = m.shards[1].file), code: 'WEIGHTS_MANIFEST', field: 'shards[3].file', says: /repeats shards\[1\]\.file/ },
  { name: 'shard names differing only in case', mutate: (m) => void (m.shards[3].file = m.shards[1].file.toUpperCase()), code: 'WEIGHTS_MANIFEST', field: 'shards[3].file', says: /repeats/ },
  { name: 'a shard named manifest.json', mutate: (m) => void (m.shards[0].file = 'manifest.json'), code: 'WEIGHTS_MANIFEST', field: 'shards[0].file' },
  { name: 'a bad weightsSha256', mutate: (m) => void (m.weightsSha256 = 'abc'), code: 'WEIGHTS_MANIFEST', field: 'weightsSha256' },
  { name: 'layers is a string', mutate: (m) => void (m.layers = 'conv1_1'), code: 'WEIGHTS_MANIFEST', field: 'layers' },
  { name: 'a layer that is an array', mutate: (m) => void (m.layers[5] = []), code: 'WEIGHTS_MANIFEST', field: 'layers[5]', says: /layers\[5\] is \[\]; expected an object/ },
  { name: 'a layer without kernel', mutate: (m) => void delete m.layers[3].kernel, code: 'WEIGHTS_MANIFEST', field: 'layers[3].kernel', says: /is undefined/ },
  { name: 'a misnamed layer', mutate: (m) => void (m.layers[2].name = 'conv9_9'), code: 'WEIGHTS_ARCHITECTURE', field: 'layers[2].name', says: /"conv9_9"; expected "conv2_1"/ },
  { name: 'a kernel shape of another network', mutate: (m) => void (m.layers[3].kernel.shape = [3, 3, 128, 64]), code: 'WEIGHTS_ARCHITECTURE', field: 'layers[3].kernel.shape', says: /is \[3,3,128,64\]; expected \[3,3,128,128\]/ },
  { name: 'a kernel shape as a string', mutate: (m) => void (m.layers[3].kernel.shape = '3,3,128,128'), code: 'WEIGHTS_MANIFEST', field: 'layers[3].kernel.shape' },
  { name: 'a kernel shape with null in it', mutate: (m) => void (m.layers[3].kernel.shape = [3, 3, null, 128]), code: 'WEIGHTS_MANIFEST', field: 'layers[3].kernel.shape', says: /\[3,3,null,128\]/ },
  { name: 'a bias of the wrong length', mutate: (m) => void (m.layers[3].bias.shape = [64]), code: 'WEIGHTS_ARCHITECTURE', field: 'layers[3].bias.shape' },
  { name: 'an int32 dtype', mutate: (m) => void (m.layers[0].kernel.dtype = 'int32'), code: 'WEIGHTS_MANIFEST', field: 'layers[0].kernel.dtype' },
  { name: 'a tensor byteLength off by one', mutate: (m) => void (m.layers[0].kernel.byteLength += 1), code: 'WEIGHTS_MANIFEST', field: 'layers[0].kernel.byteLength', says: /expected 6912 \(1728 values × 4 bytes\)/ },
  { name: 'a negative offset', mutate: (m) => void (m.layers[3].kernel.offset = -1), code: 'WEIGHTS_MANIFEST', field: 'layers[3].kernel.offset' },
  { name: 'an offset as a string', mutate: (m) => void (m.layers[3].kernel.offset = String(L3.kernel.offset)), code: 'WEIGHTS_MANIFEST', field: 'layers[3].kernel.offset' },
  { name: 'an offset past the end', mutate: (m) => void (m.layers[15].bias.offset = m.totalBytes - 1), code: 'WEIGHTS_MANIFEST', field: 'layers[15].bias.offset', says: /lie within the shards/ },
  { name: 'overlapping tensors', mutate: (m) => void (m.layers[1].bias.offset = m.layers[1].kernel.offset), code: 'WEIGHTS_MANIFEST', field: 'layers[1].bias.offset', says: /overlap layers\[1\]\.kernel's/ },
  { name: 'an unknown quantization dtype', mutate: (m) => void (m.layers[12].kernel.quantization.dtype = 'int4'), code: 'WEIGHTS_MANIFEST', field: 'layers[12].kernel.quantization.dtype', says: /"int4"; expected "uint8" or "float16"/ },
  { name: 'quantization as an array', mutate: (m) => void (m.layers[12].kernel.quantization = []), code: 'WEIGHTS_MANIFEST', field: 'layers[12].kernel.quantization' },
  { name: 'a zero quantization scale', mutate: (m) => void (m.layers[12].kernel.quantization.scale = 0), code: 'WEIGHTS_MANIFEST', field: 'layers[12].kernel.quantization.scale' },
  { name: 'a string quantization scale', mutate: (m) => void (m.layers[12].kernel.quantization.scale = '0.1'), code: 'WEIGHTS_MANIFEST', field: 'layers[12].kernel.quantization.scale' },
  { name: 'a scale that overflows float32', mutate: (m) => void (m.layers[12].kernel.quantization.scale = 1e37), code: 'WEIGHTS_MANIFEST', field: 'layers[12].kernel.quantization.scale', says: /fit in float32/ },
  { name: 'a null quantization min', mutate: (m) => void (m.layers[12].bias.quantization.min = null), code: 'WEIGHTS_MANIFEST', field: 'layers[12].bias.quantization.min' },
];

describe('hostile manifests: each field checked, with a coded error naming it, before any shard is read', () => {
  it('has at least 25 cases', () => expect(hostileManifests.length).toBeGreaterThanOrEqual(25));

  it.each(hostileManifests)('$name → $code naming "$field"', async ({ mutate, code, field, says }) => {
    const m = clone();
    const text = mutate(m) ?? JSON.stringify(m);
    const reads: string[] = [];
    const e = await expectError(() => loadVgg19({ weights: memorySource(text, reads) }), code);
    if (field) expect(e.message).toContain(field);
    expect(e.details).toMatchObject({ field });
    if (says) expect(e.message).toMatch(says);
    expect(e.message).toContain('memory://weights/manifest.json');
    expect(reads).toEqual(['manifest.json']);
  });

  it('NaN (which JSON cannot carry) is refused by validateManifest too', () => {
    const m = clone();
    m.layers[4].bias.quantization = { dtype: 'uint8', scale: NaN, min: 0 };
    m.layers[4].bias.byteLength = 256;
    let e: unknown;
    try {
      validateManifest(m, 'test');
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(StyleTransferError);
    expect((e as StyleTransferError).message).toMatch(/layers\[4\]\.bias\.quantization\.scale is NaN/);
  });

  it('a manifest that is not UTF-8 → WEIGHTS_MANIFEST (not valid JSON)', async () => {
    const e = await expectError(() => loadVgg19({ weights: memorySource(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])) }), 'WEIGHTS_MANIFEST');
    expect(e.message).toMatch(/not valid JSON/);
  });

  it('weightsSha256 that disagrees with the shards → WEIGHTS_CHECKSUM naming weightsSha256', async () => {
    const m = clone();
    m.weightsSha256 = 'ab'.repeat(32);
    const e = await expectError(() => loadVgg19({ weights: memorySource(m) }), 'WEIGHTS_CHECKSUM');
    expect(e.message).toMatch(/weightsSha256 is abababababab…, but the shards \(each matching its own sha256\) hash to/);
    expect(e.details).toMatchObject({ field: 'weightsSha256', got: manifest.weightsSha256 });
  });
});

const TRAVERSAL_NAMES = ['../../x.bin', '/etc/passwd', 'https://evil.example/x.bin', '//evil.example/x.bin', 'file:///etc/passwd', 'C:\\x.bin', '%2e%2e/x', '', '.hidden', '..', 'sub/x.bin', 'x.bin?y=1', 'NUL', 'con.bin', 'a\u0000b'];

describe('shard names stay inside the weights folder or origin', () => {
  it.each(TRAVERSAL_NAMES)('%j is refused for a URL source: the only URL fetched is the manifest', async (name) => {
    const m = clone();
    m.shards[0].file = name;
    const requested: string[] = [];
    const e = await expectError(() => loadVgg19({ weights: 'https://weights.example/vgg19/', fetch: recordingFetch(JSON.stringify(m), requested) }), 'WEIGHTS_MANIFEST');
    expect(e.message).toContain('shards[0].file');
    expect(e.message).toMatch(/plain file name/);
    expect(requested).toEqual(['https://weights.example/vgg19/manifest.json']);
  });

  it.each(TRAVERSAL_NAMES)('%j is refused for a folder: nothing but the manifest is read', async (name) => {
    const m = clone();
    m.shards[0].file = name;
    const dir = join(tmp, `names-${++variants}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m));
    const inner = fileWeightsSource(dir);
    const reads: string[] = [];
    const recording: WeightsSource = { location: inner.location, read: (file, onBytes) => (reads.push(file), inner.read(file, onBytes)) };
    const e = await expectError(() => loadVgg19({ weights: recording }), 'WEIGHTS_MANIFEST');
    expect(e.details).toMatchObject({ field: 'shards[0].file' });
    expect(reads).toEqual(['manifest.json']);
  });

  it('fileWeightsSource.read itself refuses names that leave the folder (defence in depth)', async () => {
    const source = fileWeightsSource(REPO_WEIGHTS);
    for (const name of TRAVERSAL_NAMES) {
      const e = await source.read(name).then(() => undefined, (err: unknown) => err);
      expect(e, name).toBeInstanceOf(StyleTransferError);
      expect((e as StyleTransferError).code).toBe('WEIGHTS_UNSAFE_FILE');
    }
  });

  it('a shard that is a symlink to a file outside the folder → WEIGHTS_UNSAFE_FILE (even with the right bytes)', async () => {
    const shard = manifest.shards[2].file;
    const outside = join(tmp, `outside-${++variants}.bin`);
    const dir = copyWeights((d) => {
      renameSync(join(d, shard), outside);
      symlinkSync(outside, join(d, shard));
    });
    const e = await expectError(() => loadVgg19({ weights: dir }), 'WEIGHTS_UNSAFE_FILE');
    expect(e.message).toContain(shard);
    expect(e.message).toMatch(/outside the weights folder/);
  });

  it('a symlinked folder, and a shard linking to a file inside the folder, still load', async () => {
    const shard = manifest.shards[0].file;
    const real = copyWeights((d) => {
      mkdirSync(join(d, 'store'));
      renameSync(join(d, shard), join(d, 'store', shard));
      symlinkSync(join('store', shard), join(d, shard));
    });
    const link = join(tmp, `link-${++variants}`);
    symlinkSync(real, link);
    const before = tf.memory().numTensors;
    const model = await loadVgg19({ weights: link });
    expect(model.weightsSha256).toBe(manifest.weightsSha256);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('files that are not weights: never opened if not regular, never read past their cap', () => {
  it('a FIFO as a shard → WEIGHTS_UNSAFE_FILE, without hanging', { timeout: 20_000 }, async () => {
    const shard = manifest.shards[1].file;
    const dir = copyWeights((d) => {
      unlinkSync(join(d, shard));
      execFileSync('mkfifo', [join(d, shard)]);
    });
    const e = await expectError(() => loadVgg19({ weights: dir }), 'WEIGHTS_UNSAFE_FILE');
    expect(e.message).toMatch(/is a FIFO, not a regular file/);
  });

  it('a FIFO as the manifest → WEIGHTS_UNSAFE_FILE, without hanging', { timeout: 20_000 }, async () => {
    const dir = join(tmp, `fifo-${++variants}`);
    mkdirSync(dir);
    execFileSync('mkfifo', [join(dir, 'manifest.json')]);
    await expectError(() => loadVgg19({ weights: dir }), 'WEIGHTS_UNSAFE_FILE');
  });

  it('/dev/zero as a shard (symlink) or as the manifest → WEIGHTS_UNSAFE_FILE, without reading it', { timeout: 20_000 }, async () => {
    const shard = manifest.shards[0].file;
    const asShard = copyWeights((d) => {
      unlinkSync(join(d, shard));
      symlinkSync('/dev/zero', join(d, shard));
    });
    await expectError(() => loadVgg19({ weights: asShard }), 'WEIGHTS_UNSAFE_FILE');
    const asManifest = join(tmp, `zero-${++variants}`);
    mkdirSync(asManifest);
    symlinkSync('/dev/zero', join(asManifest, 'manifest.json'));
    const e = await expectError(() => loadVgg19({ weights: asManifest }), 'WEIGHTS_UNSAFE_FILE');
    expect(e.message).toMatch(/is a device/);
  });

  it('a folder named as a shard → WEIGHTS_UNSAFE_FILE', async () => {
    const shard = manifest.shards[0].file;
    const dir = copyWeights((d) => {
      unlinkSync(join(d, shard));
      mkdirSync(join(d, shard));
    });
    await expectError(() => loadVgg19({ weights: dir }), 'WEIGHTS_UNSAFE_FILE');
  });

  it('a 1 GB manifest → WEIGHTS_TOO_LARGE from its size, before reading it', async () => {
    const dir = join(tmp, `big-${++variants}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'manifest.json'), '{');
    truncateSync(join(dir, 'manifest.json'), 2 ** 30); // sparse: takes no disk space
    const rss = process.memoryUsage().rss;
    const e = await expectError(() => loadVgg19({ weights: dir }), 'WEIGHTS_TOO_LARGE');
    expect(e.message).toMatch(/1073741824 bytes, more than the 1048576 allowed/);
    expect(process.memoryUsage().rss - rss).toBeLessThan(200 * 2 ** 20);
  });

  it('a shard larger than its manifest entry (1 GB) → WEIGHTS_TOO_LARGE before reading it', async () => {
    const shard = manifest.shards[3];
    const dir = copyWeights((d) => truncateSync(join(d, shard.file), 2 ** 30));
    const e = await expectError(() => loadVgg19({ weights: dir }), 'WEIGHTS_TOO_LARGE');
    expect(e.details).toMatchObject({ file: shard.file, size: 2 ** 30, maxBytes: shard.byteLength });
  });

  it('over HTTP: a manifest declaring 1 GB, and an endless body without Content-Length → WEIGHTS_TOO_LARGE', async () => {
    const declared = (async () => new Response('{}', { status: 200, headers: { 'content-length': String(2 ** 30) } })) as typeof fetch;
    await expectError(() => loadVgg19({ weights: 'https://weights.example/vgg19/', fetch: declared }), 'WEIGHTS_TOO_LARGE');
    let pulled = 0;
    const endless = (async () =>
      new Response(
        new ReadableStream<Uint8Array>({
          pull(c) {
            pulled += 65536;
            c.enqueue(new Uint8Array(65536).fill(0x20));
          },
        }),
        { status: 200 },
      )) as typeof fetch;
    const e = await expectError(() => loadVgg19({ weights: 'https://weights.example/vgg19/', fetch: endless }), 'WEIGHTS_TOO_LARGE');
    expect(e.message).toMatch(new RegExp(`more than the ${MAX_MANIFEST_BYTES} allowed`));
    expect(pulled).toBeLessThan(MAX_MANIFEST_BYTES + 10 * 65536);
  });

  it('a custom source returning too much → WEIGHTS_TOO_LARGE', async () => {
    await expectError(() => loadVgg19({ weights: memorySource(new Uint8Array(MAX_MANIFEST_BYTES + 1).fill(0x20)) }), 'WEIGHTS_TOO_LARGE');
  });
});

describe('integrity: pinning the manifest pins every byte', () => {
  it('the right pin (hex or SRI) loads; the model reports the manifest sha256', async () => {
    const sri = `sha256-${Buffer.from(manifestSha256, 'hex').toString('base64')}`;
    for (const integrity of [manifestSha256.toUpperCase(), sri]) {
      const before = tf.memory().numTensors;
      const model = await loadVgg19({ integrity, signal: new AbortController().signal });
      expect(model.manifestSha256).toBe(manifestSha256);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('a substituted set (new shard and matching sha256s in its manifest) fails the pin before any shard is read', async () => {
    const m = clone();
    m.shards[0].sha256 = 'ef'.repeat(32); // what an attacker who replaced shard 1 would write
    const reads: string[] = [];
    const e = await expectError(() => loadVgg19({ weights: memorySource(m, reads), integrity: manifestSha256 }), 'WEIGHTS_CHECKSUM');
    expect(e.message).toContain(`pins ${manifestSha256}`);
    expect(e.details).toMatchObject({ expected: manifestSha256 });
    expect(reads).toEqual(['manifest.json']);
  });

  it('a malformed pin, or a pin with verify: false → INVALID_OPTION naming the option', async () => {
    for (const integrity of ['abc', 'sha384-xyz', 42]) {
      const e = await expectError(() => loadVgg19({ integrity: integrity as string }), 'INVALID_OPTION');
      expect(e.message).toMatch(/`integrity`/);
    }
    const e = await expectError(() => loadVgg19({ integrity: manifestSha256, verify: false }), 'INVALID_OPTION');
    expect(e.message).toMatch(/`verify`/);
  });
});

describe('load options are validated', () => {
  it.each([
    ['a path instead of an options object', 'weights/', /options object/],
    ['an unknown option', { weigths: REPO_WEIGHTS }, /Unknown option `weigths`/],
    ['verify as a string', { verify: 'yes' }, /`verify` is "yes"/],
    ['a signal that is not an AbortSignal', { signal: {} }, /`signal`/],
    ['a look-alike signal with the methods', { signal: { aborted: false, addEventListener() {}, removeEventListener() {} } }, /`signal`/],
    ['weights as a number', { weights: 42 }, /`weights` is 42/],
    ['an empty weights string', { weights: '' }, /`weights` is ""/],
  ])('%s → INVALID_OPTION', async (_, options, says) => {
    const e = await expectError(() => loadVgg19(options as never), 'INVALID_OPTION');
    expect(e.message).toMatch(says);
  });
});

describe('abort: loadVgg19({ signal }) stops at every stage and keeps nothing', () => {
  /** A source whose shard reads never finish (the manifest is served at once); records reads. */
  function stallingSource(reads: string[]): WeightsSource {
    return {
      location: 'memory://stalling/',
      read(file) {
        reads.push(file);
        return file === 'manifest.json' ? Promise.resolve(new TextEncoder().encode(manifestText)) : new Promise<Uint8Array>(() => {});
      },
    };
  }

  it('aborted before the start → ABORTED without reading anything', async () => {
    const controller = new AbortController();
    controller.abort(new Error('user cancelled'));
    const reads: string[] = [];
    const e = await expectError(() => loadVgg19({ weights: stallingSource(reads), signal: controller.signal }), 'ABORTED');
    expect(e.message).toMatch(/user cancelled/);
    expect(reads).toEqual([]);
  });

  it('aborted while shards are being read → ABORTED at once (the reads never finish)', async () => {
    const controller = new AbortController();
    const reads: string[] = [];
    const loading = loadVgg19({ weights: stallingSource(reads), signal: controller.signal });
    while (reads.length <= manifest.shards.length) await new Promise((r) => setTimeout(r, 5));
    expect(reads.slice(1).sort()).toEqual(manifest.shards.map((s: { file: string }) => s.file).sort());
    controller.abort();
    await expectError(() => loading, 'ABORTED');
  });

  it('aborted during a fetch → ABORTED, and the fetch itself is cancelled', async () => {
    const controller = new AbortController();
    const signals: AbortSignal[] = [];
    const hangingFetch = ((input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      if (url.endsWith('manifest.json')) return Promise.resolve(new Response(manifestText, { status: 200 }));
      signals.push(init!.signal!);
      return new Promise<Response>((_, reject) => init!.signal!.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    }) as typeof fetch;
    const loading = loadVgg19({ weights: 'https://weights.example/vgg19/', fetch: hangingFetch, signal: controller.signal });
    while (signals.length < manifest.shards.length) await new Promise((r) => setTimeout(r, 5));
    controller.abort();
    await expectError(() => loading, 'ABORTED');
    expect(signals.every((s) => s.aborted)).toBe(true);
  });

  it('aborted after the last byte arrived (in onProgress) → ABORTED, no tensor made', async () => {
    const controller = new AbortController();
    const e = await expectError(
      () =>
        loadVgg19({
          weights: memorySource(manifest),
          signal: controller.signal,
          onProgress: (p) => {
            if (p.loaded === p.total) controller.abort();
          },
        }),
      'ABORTED',
    );
    expect(e.code).toBe('ABORTED');
  });

  it('aborted while tensors are being made → ABORTED, and the tensors made so far are freed', async () => {
    const controller = new AbortController();
    const before = tf.memory().numTensors;
    let atAbort = before;
    const poll = setInterval(() => {
      const n = tf.memory().numTensors;
      if (n > before && !controller.signal.aborted) {
        atAbort = n;
        controller.abort();
      }
    }, 0);
    try {
      await expectError(() => loadVgg19({ weights: memorySource(manifest), signal: controller.signal }), 'ABORTED');
    } finally {
      clearInterval(poll);
    }
    expect(atAbort).toBeGreaterThan(before); // the abort really came mid-creation …
    expect(tf.memory().numTensors).toBe(before); // … and nothing survived it
  });

  it('a shard that fails stops the other reads (the first error is reported)', async () => {
    const signals: AbortSignal[] = [];
    const fetchOneBroken = ((input: RequestInfo | URL, init?: RequestInit) => {
      const url = String(input);
      if (url.endsWith('manifest.json')) return Promise.resolve(new Response(manifestText, { status: 200 }));
      if (url.endsWith(manifest.shards[0].file)) return Promise.resolve(new Response('gone', { status: 404 }));
      signals.push(init!.signal!);
      return new Promise<Response>(() => {});
    }) as typeof fetch;
    const e = await expectError(() => loadVgg19({ weights: 'https://weights.example/vgg19/', fetch: fetchOneBroken }), 'WEIGHTS_MISSING');
    expect(e.message).toContain(manifest.shards[0].file);
    expect(signals.length).toBe(manifest.shards.length - 1);
    expect(signals.every((s) => s.aborted)).toBe(true);
  });
});
