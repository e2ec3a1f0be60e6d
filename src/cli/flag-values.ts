/**
 * Flag values that need more than the parser's type check: layer lists, number lists, choices, the backend, the
 * weights manifest and the input limits. Every mistake is a {@link UsageError} (exit 2) or, for a layer name,
 * UNKNOWN_LAYER.
 * @module
 */
import { extname, join } from 'node:path';
import type { NodeBackendName } from '../adapters/node.js';
import { DEFAULT_MAX_BYTES } from '../adapters/node/image-io.js';
import { VGG19, type NetworkArchitecture } from '../core/architecture.js';
import { DEFAULT_MAX_INPUT_PIXELS } from '../image/input.js';
import type { LayerWeights } from '../stylize/options.js';
import { UsageError, parseNumber } from './args.js';
import { numFlag, str, type Flags } from './context.js';

/** `conv1_1,conv3_1` → list; `relu1_1:1,relu2_1:0.5` → map (entries without a weight get 1). Names are checked in `network`. */
export function parseLayerSpec(flag: string, text: string, network: NetworkArchitecture = VGG19): LayerWeights {
  const parts = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new UsageError(`--${flag} needs at least one layer, e.g. conv1_1,conv3_1`);
  const weighted = parts.some((p) => p.includes(':'));
  const entries = parts.map((p): [string, number] => {
    const [name, w] = p.split(':');
    network.resolve(name.trim(), `--${flag}`);
    return [name.trim(), w === undefined ? 1 : parseNumber(flag, w)];
  });
  return weighted ? Object.fromEntries(entries) : entries.map(([n]) => n);
}

/** `1,2.5,3` → numbers (whole numbers with `integer`). */
export const numberList = (flag: string, text: string, integer = false): number[] => {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => p === '')) throw new UsageError(`--${flag} needs a comma-separated list of numbers, got ${JSON.stringify(text)}`);
  return parts.map((p) => parseNumber(flag, p, integer));
};

/** `--iterations N` or `--iterations N,N,…` (whole numbers). */
export function iterationsFlag(f: Flags): number | number[] | undefined {
  const it = str(f, 'iterations');
  return it === undefined ? undefined : it.includes(',') ? numberList('iterations', it, true) : parseNumber('iterations', it, true);
}

/** `v` if it is one of `allowed` (undefined stays undefined). */
export function oneOf<T extends string>(flag: string, v: string | undefined, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!allowed.includes(v as T)) throw new UsageError(`--${flag} is ${JSON.stringify(v)}; use ${allowed.join(' or ')}`);
  return v as T;
}

export function backendFlag(f: Flags): NodeBackendName | undefined {
  return oneOf('backend', str(f, 'backend'), ['tensorflow', 'wasm', 'cpu'] as const);
}

/** `--weights` as a file, so no output can replace the manifest. */
export const weightsManifest = (f: Flags): string | undefined => {
  const w = str(f, 'weights');
  return w ? (extname(w).toLowerCase() === '.json' ? w : join(w, 'manifest.json')) : undefined;
};

/** The input limits the flags set: --max-megapixels (as pixels) and --max-file-mb (as bytes). */
export function inputLimits(f: Flags): { maxPixels: number; maxBytes: number } {
  const mp = numFlag(f, 'max-megapixels');
  const mb = numFlag(f, 'max-file-mb');
  return { maxPixels: mp === undefined ? DEFAULT_MAX_INPUT_PIXELS : Math.round(mp * 1e6), maxBytes: mb === undefined ? DEFAULT_MAX_BYTES : Math.round(mb * 2 ** 20) };
}
