import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError } from '../errors.js';
import { getPlatform } from '../platform.js';
import { validateManifest, type TensorEntry, type WeightsManifest } from './manifest.js';
import { sha256Hex } from './sha256.js';
import { urlWeightsSource, type LoadProgress, type WeightsSource } from './source.js';

export interface LoadWeightsOptions {
  /**
   * Where the weights are: a folder or `manifest.json` path (Node), a URL (any host), or a custom
   * {@link WeightsSource}. Default: the weights shipped in the package (Node adapter), or the `weights/` folder
   * beside the package's files as a CDN serving the npm package lays them out (browser).
   */
  weights?: string | URL | WeightsSource;
  /** `fetch` to use for URLs (e.g. one that adds headers or uses a cache). Default: `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Called as bytes arrive. */
  onProgress?: (p: LoadProgress) => void;
  /** Check each shard's size and sha256 against the manifest. Default `true`. */
  verify?: boolean;
}

/**
 * A verified weight set as raw bytes (all shards, in order) plus its manifest. Decoding to float32 happens one
 * tensor at a time in {@link weightsToTensors}, so the host never holds all ~80 MB of float32 copies at once
 * (they are garbage as soon as each tensor is made, which keeps Node's peak RSS down).
 */
export interface LoadedWeights {
  manifest: WeightsManifest;
  bytes: Uint8Array;
  location: string;
}

export function resolveSource(opts: LoadWeightsOptions): WeightsSource {
  const w = opts.weights;
  const platform = getPlatform();
  if (w && typeof w === 'object' && 'read' in w) return w;
  if (w !== undefined) {
    const loc = String(w);
    if (/^(https?|blob|data):/i.test(loc) || !platform.weightsFromLocation) return urlWeightsSource(loc, opts.fetch);
    return platform.weightsFromLocation(loc, opts.fetch);
  }
  if (platform.defaultWeights) return platform.defaultWeights();
  return urlWeightsSource(defaultWeightsUrl(), opts.fetch);
}

/** `weights/` beside the package's `dist/` folder (as unpkg/jsDelivr lay out the npm package). */
function defaultWeightsUrl(): string {
  // A non-literal argument keeps bundlers from trying to inline the folder as an asset.
  const rel = ['..', 'weights', ''].join('/');
  try {
    return new URL(rel, import.meta.url).toString();
  } catch {
    throw new StyleTransferError('WEIGHTS_MISSING', 'Cannot locate the bundled weights from here: pass `weights` (a URL) to loadVgg19().');
  }
}

/** Downloads (or reads), verifies and decodes a weight set. */
export async function loadWeights(opts: LoadWeightsOptions = {}): Promise<LoadedWeights> {
  const source = resolveSource(opts);
  let manifestBytes: Uint8Array;
  try {
    manifestBytes = await source.read('manifest.json');
  } catch (e) {
    if (e instanceof StyleTransferError) throw e;
    throw new StyleTransferError('WEIGHTS_MISSING', `No weights manifest at ${source.location} (${(e as Error).message}). Build them with "npm run weights" or pass \`weights\`.`, { location: source.location }, { cause: e });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(manifestBytes));
  } catch (e) {
    throw new StyleTransferError('WEIGHTS_MANIFEST', `${source.location}manifest.json is not valid JSON: ${(e as Error).message}.`, { location: source.location }, { cause: e });
  }
  const manifest = validateManifest(parsed, `${source.location}manifest.json`);
  const verify = opts.verify ?? true;
  const total = manifest.shards.reduce((a, s) => a + s.byteLength, 0);
  const all = new Uint8Array(total);
  // Shards are read in parallel (they are independent); progress sums bytes over all of them.
  const progress = new Array<number>(manifest.shards.length).fill(0);
  let offset = 0;
  const offsets = manifest.shards.map((s) => ((offset += s.byteLength), offset - s.byteLength));
  await Promise.all(
    manifest.shards.map(async (shard, i) => {
      let bytes: Uint8Array;
      try {
        bytes = await source.read(shard.file, (n) => {
          progress[i] = n;
          opts.onProgress?.({ loaded: progress.reduce((a, b) => a + b, 0), total, file: shard.file });
        });
      } catch (e) {
        if (e instanceof StyleTransferError) throw e;
        throw new StyleTransferError('WEIGHTS_MISSING', `Weight shard ${shard.file} is missing at ${source.location} (${(e as Error).message}). Rebuild with "npm run weights" or reinstall the package.`, { file: shard.file }, { cause: e });
      }
      if (verify && bytes.length !== shard.byteLength) {
        throw new StyleTransferError('WEIGHTS_TRUNCATED', `Weight shard ${shard.file} has ${bytes.length} bytes, the manifest says ${shard.byteLength}: the file is truncated or from another build. Rebuild with "npm run weights" or reinstall the package.`, { file: shard.file, got: bytes.length, expected: shard.byteLength });
      }
      if (verify) {
        const hash = await sha256Hex(bytes);
        if (hash !== shard.sha256) {
          throw new StyleTransferError('WEIGHTS_CHECKSUM', `Weight shard ${shard.file} fails its sha256 check (got ${hash.slice(0, 12)}…, expected ${shard.sha256.slice(0, 12)}…): the file is corrupted. Rebuild with "npm run weights" or reinstall the package.`, { file: shard.file });
        }
      }
      all.set(bytes.subarray(0, shard.byteLength), offsets[i]);
      progress[i] = shard.byteLength;
      opts.onProgress?.({ loaded: progress.reduce((a, b) => a + b, 0), total, file: shard.file });
    }),
  );
  return { manifest, bytes: all, location: source.location };
}

/** Decodes one tensor to float32 exactly as `tf.io.decodeWeights` does (byte·scale + min, rounded to float32). */
export function decodeTensor(all: Uint8Array, t: TensorEntry): Float32Array {
  const n = t.shape.reduce((a, b) => a * b, 1);
  const bytes = all.subarray(t.offset, t.offset + t.byteLength);
  const q = t.quantization;
  if (!q) return new Float32Array(bytes.slice().buffer);
  const out = new Float32Array(n);
  if (q.dtype === 'uint8') {
    for (let i = 0; i < n; i++) out[i] = bytes[i] * q.scale + q.min;
    return out;
  }
  const half = new Uint16Array(bytes.slice().buffer);
  for (let i = 0; i < n; i++) out[i] = halfToFloat(half[i]);
  return out;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/** Turns loaded weights into tensors (kept, not tidied), decoding one tensor at a time. */
export function weightsToTensors(w: LoadedWeights): { kernels: tf.Tensor4D[]; biases: tf.Tensor1D[] } {
  const kernels: tf.Tensor4D[] = [];
  const biases: tf.Tensor1D[] = [];
  try {
    for (const l of w.manifest.layers) {
      kernels.push(tf.tensor4d(decodeTensor(w.bytes, l.kernel), l.kernel.shape as [number, number, number, number]));
      biases.push(tf.tensor1d(decodeTensor(w.bytes, l.bias)));
    }
  } catch (e) {
    tf.dispose([...kernels, ...biases]);
    throw e;
  }
  return { kernels, biases };
}
