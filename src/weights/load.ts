import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError, invalidOption } from '../errors.js';
import { OPTIONS } from '../options/check.js';
import { getPlatform } from '../platform.js';
import { MAX_MANIFEST_BYTES, isPlainFileName, validateManifest, type TensorEntry, type WeightsManifest } from './manifest.js';
import { VGG19, type NetworkArchitecture } from '../core/architecture.js';
import { sha256Hex } from './sha256.js';
import { PACKAGED_WEIGHTS_INTEGRITY } from './pinned.js';
import { urlWeightsSource, type LoadProgress, type WeightsSource } from './source.js';
import { browserDefaultWeights } from './browser-default.js';
import { assertBackendRegistered } from '../adapters/backend.js';
import { DEFAULT_WEIGHTS_TIMEOUT_MS, guardedFetch, type ReadGuard } from './guarded-fetch.js';

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
  /**
   * Check each shard's size, and the sha256 of all shards together (`weightsSha256`, so
   * {@link Vgg19.weightsSha256} is the hash of the bytes actually loaded), against the manifest; on a mismatch
   * the shards' own sha256 name the damaged one. Default `true`. The manifest itself is always validated, and no
   * file is ever read past its size in the manifest (1 MiB for the manifest).
   */
  verify?: boolean;
  /**
   * Pins the weight set: the sha256 of the manifest file's bytes, as 64 hex digits (`sha256sum
   * weights/manifest.json`) or in Subresource Integrity form (`sha256-<base64>`). The manifest lists every
   * shard's size and sha256, so pinning it pins every byte: a different manifest fails with `WEIGHTS_CHECKSUM`
   * before it is parsed and before any shard is read, and the shards are then verified against it (so it cannot
   * be combined with `verify: false`). A loaded model reports the value as {@link Vgg19.manifestSha256}.
   * Default: none (the manifest is trusted as found; its shard sha256 detect corruption, not substitution).
   */
  integrity?: string;
  /**
   * Aborts loading: the promise rejects with a `StyleTransferError` of code `ABORTED` as soon as the signal
   * fires (reads in flight are cancelled where the source allows), and no tensor is left behind.
   */
  signal?: AbortSignal;
  /**
   * Milliseconds an HTTP(S) weight source may send nothing (no answer, or no byte in the middle of a file) before
   * loading fails with `WEIGHTS_FETCH` (`details: { url, timeoutMs }`); a slow download that keeps moving is never
   * cut. `0` waits forever. Default 30000. Files on disk (Node) have no timeout.
   */
  timeoutMs?: number;
}

declare const validBrand: unique symbol;
/** Options after {@link validateLoadOptions}: the same fields, `integrity` as lowercase hex. */
export type ValidLoadOptions = LoadWeightsOptions & { readonly [validBrand]: true };
/** Options objects {@link validateLoadOptions} returned, so validating twice is free. */
const validatedOptions = new WeakSet<object>();

/**
 * Limits the loader passes to a source's `read()` as a third argument. Sources that can honour them before
 * allocating do (the Node file source stats the file; URL sources made by the loader check the stream); any
 * other source's result is still checked against `maxBytes` after the read.
 */
export interface ReadLimits {
  /** Most bytes the file may have: 1 MiB for the manifest, the manifest's byteLength for a shard. */
  maxBytes: number;
  /** Fires on abort, or when another shard failed and the rest are not needed. */
  signal?: AbortSignal;
}

/**
 * A verified weight set as raw bytes (all shards, in order) plus its manifest. Decoding to float32 happens one
 * tensor at a time in {@link weightsToTensors}, so the host never holds all ~80 MB of float32 copies at once
 * (they are garbage as soon as each tensor is made, which keeps Node's peak RSS down).
 */
export interface LoadedWeights {
  manifest: WeightsManifest;
  /** sha256 (hex) of the manifest file's bytes: the value `integrity` pins. */
  manifestSha256: string;
  bytes: Uint8Array;
  location: string;
}

const OPTION_KEYS = new Set(['weights', 'fetch', 'onProgress', 'verify', 'integrity', 'signal', 'timeoutMs']);

/** Checks the load options in one place; `integrity` comes back as lowercase hex. */
export function validateLoadOptions(options: unknown): ValidLoadOptions {
  // Every load starts here (loadVgg19, sessions): say which import registers a backend before TF.js's bare
  // "No backend found in registry." and before downloading 27 MB that could not become tensors.
  assertBackendRegistered();
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    return invalidOption('options', options, 'an options object such as { weights: "path/or/url" }');
  }
  if (validatedOptions.has(options)) return options as ValidLoadOptions;
  const o = options as Record<string, unknown>;
  OPTIONS.knownKeys(o as Record<string, unknown>, OPTION_KEYS, 'for loadVgg19()');
  const w = o.weights;
  const isSource = typeof w === 'object' && w !== null && !(w instanceof URL) && typeof (w as WeightsSource).read === 'function';
  if (w !== undefined && !(typeof w === 'string' && w !== '') && !(w instanceof URL) && !isSource) {
    invalidOption('weights', w, 'a folder or manifest path, a URL, or a WeightsSource ({ location, read(file) })');
  }
  for (const key of ['fetch', 'onProgress'] as const) if (o[key] !== undefined && typeof o[key] !== 'function') invalidOption(key, o[key], 'a function');
  if (o.verify !== undefined && typeof o.verify !== 'boolean') invalidOption('verify', o.verify, 'true or false');
  OPTIONS.signal('signal', o.signal);
  const t = o.timeoutMs;
  if (t !== undefined && !(typeof t === 'number' && t >= 0 && (Number.isFinite(t) || t === Infinity))) invalidOption('timeoutMs', t, 'a number of milliseconds ≥ 0 (0: no timeout)');
  let integrity: string | undefined;
  if (o.integrity !== undefined) {
    integrity = integrityHex(o.integrity);
    if (o.verify === false) invalidOption('verify', false, 'true or absent when `integrity` is given (the pin reaches the shards through their sha256)');
  }
  const valid = { ...(o as LoadWeightsOptions), integrity } as ValidLoadOptions;
  validatedOptions.add(valid);
  return valid;
}

/** `integrity` as lowercase hex: from 64 hex digits or SRI's `sha256-<base64>`. */
function integrityHex(v: unknown): string {
  const expected = 'the sha256 of the manifest file: 64 hex digits (`sha256sum manifest.json`) or "sha256-<base64>"';
  if (typeof v !== 'string') return invalidOption('integrity', v, expected);
  if (/^[0-9a-f]{64}$/i.test(v)) return v.toLowerCase();
  const sri = /^sha256-([A-Za-z0-9+/]{43}=)$/.exec(v.trim());
  if (!sri) return invalidOption('integrity', v, expected);
  let hex = '';
  for (const c of atob(sri[1])) hex += c.charCodeAt(0).toString(16).padStart(2, '0');
  return hex;
}

/** The ABORTED error for a load stopped by `signal`. */
function abortedError(signal: AbortSignal): StyleTransferError {
  const r: unknown = signal.reason;
  const reason = r instanceof Error ? r.message : r !== undefined ? String(r) : 'aborted';
  return new StyleTransferError('ABORTED', `Loading the VGG-19 weights was aborted (${reason}); nothing was kept.`, undefined, { cause: r });
}

/** Throws the ABORTED error when `signal` has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError(signal);
}

/** `p`, or the ABORTED error as soon as `signal` fires (`p` may go on in the background; its result is dropped). */
function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortedError(signal));
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export function resolveSource(opts: LoadWeightsOptions, guard?: ReadGuard): WeightsSource {
  const w = opts.weights;
  const platform = getPlatform();
  if (w && typeof w === 'object' && 'read' in w) return w;
  const fetchImpl = guard ? guardedFetch(opts.fetch, guard) : opts.fetch;
  if (w !== undefined) {
    const loc = String(w);
    if (/^(https?|blob|data):/i.test(loc) || !platform.weightsFromLocation) return urlWeightsSource(loc, fetchImpl);
    return platform.weightsFromLocation(loc, fetchImpl);
  }
  if (platform.defaultWeights) return platform.defaultWeights(fetchImpl);
  // No adapter configured the platform (the root entry with a backend the app registered): as in the browser
  // adapters, beside the package's files (this chunk sits in dist/ beside them), else the pinned CDN.
  return browserDefaultWeights(() => new URL(/* webpackIgnore: true */ /* @vite-ignore */ '../weights/', import.meta.url), fetchImpl);
}

/**
 * Downloads (or reads), verifies and returns a weight set's bytes. The manifest is read (at most 1 MiB), checked
 * against `integrity`, then validated field by field before anything else is allocated or read.
 */
export async function loadWeights(options: LoadWeightsOptions = {}, arch: NetworkArchitecture = VGG19): Promise<LoadedWeights> {
  const opts = validateLoadOptions(options);
  const signal = opts.signal;
  throwIfAborted(signal);
  // Stops reads in flight when the caller aborts, or once a shard failed and the others are not needed.
  const stop = new AbortController();
  const onAbort = () => stop.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await readWeightSet(opts, stop, arch);
  } catch (e) {
    // Whatever a read reports once the caller aborted (e.g. fetch's AbortError), the caller asked for ABORTED.
    if (signal?.aborted) throw abortedError(signal);
    throw e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    stop.abort();
  }
}

async function readWeightSet(opts: ValidLoadOptions, stopper: AbortController, arch: NetworkArchitecture): Promise<LoadedWeights> {
  const stop = stopper.signal;
  const shardSizes = new Map<string, number>();
  const timeoutMs = opts.timeoutMs ?? DEFAULT_WEIGHTS_TIMEOUT_MS;
  const source = resolveSource(opts, { signal: stop, maxBytes: (file) => shardSizes.get(file) ?? MAX_MANIFEST_BYTES, timeoutMs });
  // `location` may change with the first read (the browsers' default source picks where the weights are).
  let manifestWhere = `${source.location}manifest.json`;
  /** Reads `file` with its limits, racing the abort; checks the size again for sources that ignore the limits. */
  const read = async (file: string, maxBytes: number, onBytes?: (n: number) => void): Promise<Uint8Array> => {
    const limits: ReadLimits = { maxBytes, signal: stop };
    const readWithLimits = source.read as (file: string, onBytes?: (n: number) => void, limits?: ReadLimits) => Promise<Uint8Array>;
    const bytes = await abortable(readWithLimits.call(source, file, onBytes, limits), stop);
    if (bytes.length > maxBytes) {
      throw new StyleTransferError('WEIGHTS_TOO_LARGE', `Weight file ${file} at ${source.location} has ${bytes.length} bytes, more than the ${maxBytes} allowed.`, { file, size: bytes.length, maxBytes });
    }
    return bytes;
  };

  let manifestBytes: Uint8Array;
  try {
    manifestBytes = await read('manifest.json', MAX_MANIFEST_BYTES);
  } catch (e) {
    if (e instanceof StyleTransferError) throw e;
    throw new StyleTransferError('WEIGHTS_MISSING', `No weights manifest at ${source.location} (${(e as Error).message}). Build them with "npm run weights" or pass \`weights\`.`, { location: source.location }, { cause: e });
  }
  manifestWhere = `${source.location}manifest.json`;
  const manifestSha256 = await sha256Hex(manifestBytes);
  // The package's own weights, loaded from where the package put them, must be the set this build shipped.
  const shipped = opts.weights === undefined && opts.integrity === undefined && opts.verify !== false ? PACKAGED_WEIGHTS_INTEGRITY : undefined;
  if (shipped !== undefined && manifestSha256 !== shipped) {
    throw new StyleTransferError(
      'WEIGHTS_CHECKSUM',
      `${manifestWhere} has sha256 ${manifestSha256}, but this build of neural-style-tfjs shipped weights whose manifest has sha256 ${shipped}: the package's weights were changed or replaced. Reinstall the package (or, in its repository, run "npm run weights" and "npm run build" together).`,
      { location: source.location, got: manifestSha256, expected: shipped },
    );
  }
  if (opts.integrity !== undefined && manifestSha256 !== opts.integrity) {
    throw new StyleTransferError(
      'WEIGHTS_CHECKSUM',
      `${manifestWhere} has sha256 ${manifestSha256}, but \`integrity\` pins ${opts.integrity}: these are not the pinned weights. Point \`weights\` at the pinned set, or update the pin if the weights changed on purpose.`,
      { location: source.location, got: manifestSha256, expected: opts.integrity },
    );
  }
  throwIfAborted(stop);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(manifestBytes));
  } catch (e) {
    throw new StyleTransferError('WEIGHTS_MANIFEST', `${manifestWhere} is not valid JSON: ${(e as Error).message}.`, { location: source.location }, { cause: e });
  }
  const manifest = validateManifest(parsed, manifestWhere, arch);
  for (const s of manifest.shards) shardSizes.set(s.file, s.byteLength);
  const verify = opts.verify ?? true;
  const total = manifest.totalBytes; // validated: at most MAX_WEIGHTS_BYTES, and the sum of the shards' sizes
  const all = new Uint8Array(total);
  // Shards are read in parallel (they are independent); progress sums bytes over all of them.
  const progress = new Array<number>(manifest.shards.length).fill(0);
  const report = (file: string) => {
    if (!stop.aborted) opts.onProgress?.({ loaded: progress.reduce((a, b) => a + b, 0), total, file });
  };
  let offset = 0;
  const offsets = manifest.shards.map((s) => ((offset += s.byteLength), offset - s.byteLength));
  const readShard = async (i: number): Promise<void> => {
    const shard = manifest.shards[i];
    // validateManifest already refused such names; checked again here because this is where a name becomes a read.
    if (!isPlainFileName(shard.file)) throw new StyleTransferError('WEIGHTS_MANIFEST', `${manifestWhere}: shards[${i}].file ${JSON.stringify(shard.file)} is not a plain file name.`, { field: `shards[${i}].file` });
    let bytes: Uint8Array;
    try {
      bytes = await read(shard.file, shard.byteLength, (n) => {
        progress[i] = Math.min(n, shard.byteLength);
        report(shard.file);
      });
    } catch (e) {
      if (e instanceof StyleTransferError) throw e;
      throw new StyleTransferError('WEIGHTS_MISSING', `Weight shard ${shard.file} is missing at ${source.location} (${(e as Error).message}). Rebuild with "npm run weights" or reinstall the package.`, { file: shard.file }, { cause: e });
    }
    if (verify && bytes.length !== shard.byteLength) {
      throw new StyleTransferError('WEIGHTS_TRUNCATED', `Weight shard ${shard.file} has ${bytes.length} bytes, the manifest says ${shard.byteLength}: the file is truncated or from another build. Rebuild with "npm run weights" or reinstall the package.`, { file: shard.file, got: bytes.length, expected: shard.byteLength });
    }
    throwIfAborted(stop);
    all.set(bytes.subarray(0, shard.byteLength), offsets[i]);
    progress[i] = shard.byteLength;
    report(shard.file);
  };
  try {
    await Promise.all(manifest.shards.map((_, i) => readShard(i)));
  } catch (e) {
    stopper.abort(); // the other shards are not needed any more
    throw e;
  }
  if (verify) await verifyChecksums(manifest, all, offsets, manifestWhere);
  throwIfAborted(stop);
  return { manifest, manifestSha256, bytes: all, location: source.location };
}

/**
 * Checks the bytes against the manifest's sha256s with one pass in the common case: the hash of all shards
 * together (`weightsSha256`, which `Vgg19.weightsSha256` then reports truthfully) covers every byte, so the
 * per-shard hashes are computed only when it differs, to name the damaged shard. One pass over the 27 MB set
 * takes tens of milliseconds with WebCrypto, about a second with the pure-JS fallback.
 */
async function verifyChecksums(manifest: WeightsManifest, all: Uint8Array, offsets: number[], where: string): Promise<void> {
  const hash = await sha256Hex(all);
  if (hash === manifest.weightsSha256) return;
  for (const [i, shard] of manifest.shards.entries()) {
    const got = await sha256Hex(all.subarray(offsets[i], offsets[i] + shard.byteLength));
    if (got !== shard.sha256) {
      throw new StyleTransferError('WEIGHTS_CHECKSUM', `Weight shard ${shard.file} fails its sha256 check (got ${got.slice(0, 12)}…, expected ${shard.sha256.slice(0, 12)}…): the file is corrupted. Rebuild with "npm run weights" or reinstall the package.`, { file: shard.file });
    }
  }
  throw new StyleTransferError(
    'WEIGHTS_CHECKSUM',
    `${where}: weightsSha256 is ${manifest.weightsSha256.slice(0, 12)}…, but the shards (each matching its own sha256) hash to ${hash.slice(0, 12)}… together: the manifest is inconsistent. Rebuild with "npm run weights" or reinstall the package.`,
    { field: 'weightsSha256', got: hash, expected: manifest.weightsSha256 },
  );
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

/** Lets timers and events run (so an abort can be noticed between tensors). */
const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * Turns loaded weights into tensors (kept, not tidied), decoding one tensor at a time. With a `signal`, it yields
 * between layers and stops with ABORTED when the signal fires; every tensor made so far is then disposed.
 */
export async function weightsToTensors(w: LoadedWeights, signal?: AbortSignal): Promise<{ kernels: tf.Tensor4D[]; biases: tf.Tensor1D[] }> {
  const kernels: tf.Tensor4D[] = [];
  const biases: tf.Tensor1D[] = [];
  try {
    for (const l of w.manifest.layers) {
      throwIfAborted(signal);
      kernels.push(tf.tensor4d(decodeTensor(w.bytes, l.kernel), l.kernel.shape as [number, number, number, number]));
      biases.push(tf.tensor1d(decodeTensor(w.bytes, l.bias)));
      if (signal) await yieldToEventLoop();
    }
    throwIfAborted(signal);
  } catch (e) {
    tf.dispose([...kernels, ...biases]);
    throw e;
  }
  return { kernels, biases };
}
