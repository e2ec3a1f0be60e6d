import { StyleTransferError, describe } from '../errors.js';
import { VGG19, type NetworkArchitecture } from '../core/architecture.js';

/** How one tensor is stored in the concatenated shard bytes. */
export interface TensorEntry {
  shape: number[];
  dtype: 'float32';
  /** Byte offset into the concatenation of all shards, in manifest order. */
  offset: number;
  byteLength: number;
  /** Present when stored quantised: uint8 → value = byte·scale + min; float16 → IEEE half. */
  quantization?: { dtype: 'uint8'; scale: number; min: number } | { dtype: 'float16' };
}

export interface LayerEntry {
  name: string;
  kernel: TensorEntry;
  bias: TensorEntry;
}

export interface ShardEntry {
  file: string;
  byteLength: number;
  sha256: string;
}

/**
 * A weight manifest (`weights/manifest.json`): the package's, written by `npm run weights`, or another network's
 * (`encodeWeights`). `architecture` is the network's id (`"vgg19-conv"` for the package's VGG-19).
 */
export interface WeightsManifest {
  format: 'neural-style-tfjs/weights';
  formatVersion: 1;
  architecture: string;
  totalBytes: number;
  weightsSha256: string;
  layers: LayerEntry[];
  shards: ShardEntry[];
}

/** VGG-19's 16 conv layers hold 20,024,384 parameters: 80,097,536 bytes as float32. */
const VGG19_FLOAT32_BYTES = 80_097_536;
/**
 * The most bytes a VGG-19 weight set may have (all shards together): twice VGG-19's float32 size, so even a
 * hostile manifest cannot make the loader allocate more than this. Checked before anything is allocated.
 */
export const MAX_WEIGHTS_BYTES = 2 * VGG19_FLOAT32_BYTES;

/** The float32 bytes of a network's conv weights (kernels and biases). */
export function float32Bytes(arch: NetworkArchitecture): number {
  return arch.convs.reduce((a, c) => a + (9 * c.inChannels * c.outChannels + c.outChannels) * 4, 0);
}

/** The most bytes a weight set for `arch` may have: twice its float32 size ({@link MAX_WEIGHTS_BYTES} for VGG-19). */
export function maxWeightsBytes(arch: NetworkArchitecture): number {
  return 2 * float32Bytes(arch);
}
/** The largest manifest file the loader reads (the package's is ~9 KB). */
export const MAX_MANIFEST_BYTES = 1024 * 1024;
/** The most shards a manifest may list (the package's has 7), so a manifest cannot ask for millions of reads. */
export const MAX_SHARDS = 1024;

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** A shard name is a plain file name: no folders, no `..`, no scheme, no leading dot, at most 255 characters. */
const PLAIN_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/;
/** Names Windows maps to devices whatever the folder or extension (`NUL`, `con.bin`, `COM1`…). */
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\.|$)/i;
/** The largest finite float32: a uint8-quantised value byte·scale + min must stay below it. */
const FLOAT32_MAX = 3.4028234663852886e38;
const REMEDY = 'Rebuild the weights with "npm run weights" or pass the folder/URL of a neural-style-tfjs weights manifest.';

/**
 * True when `name` may be read as a shard: a plain file name that stays inside the weights folder (or below the
 * weights URL) whatever the source, and not the manifest's own name.
 */
export function isPlainFileName(name: unknown): name is string {
  return typeof name === 'string' && PLAIN_FILE_NAME.test(name) && !WINDOWS_DEVICE.test(name) && name.toLowerCase() !== 'manifest.json';
}

type ManifestCode = 'WEIGHTS_MANIFEST' | 'WEIGHTS_ARCHITECTURE';

/** Short rendering of a manifest value for messages: numbers and short arrays in full. */
function show(v: unknown): string {
  if (Array.isArray(v) && v.length <= 8 && v.every((x) => x === null || typeof x !== 'object')) return `[${v.map(show).join(',')}]`;
  return describe(v);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isWholeNumber = (v: unknown, min: number, max: number): v is number => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;

/**
 * Validates a parsed manifest field by field (format, the network's conv layers — VGG-19's unless `arch` says
 * otherwise —, shard names and sizes, tensor extents within the shards and not overlapping, quantisation
 * parameters) so a damaged or hostile manifest fails with a StyleTransferError naming the field
 * (`layers[3].kernel.shape`), never a TypeError or a huge allocation.
 */
export function validateManifest(m: unknown, where: string, arch: NetworkArchitecture = VGG19): WeightsManifest {
  const net = arch.name;
  const maxBytes = maxWeightsBytes(arch);
  function fail(field: string, why: string, code: ManifestCode = 'WEIGHTS_MANIFEST'): never {
    throw new StyleTransferError(code, `${where}: ${why}. ${REMEDY}`, { where, field });
  }
  /** Fails with "<field> is <got>; expected <expected>". */
  function expect(field: string, got: unknown, expected: string, code?: ManifestCode): never {
    return fail(field, `${field} is ${show(got)}; expected ${expected}`, code);
  }

  if (!isObject(m)) return fail('', `the manifest is ${show(m)}; expected a JSON object`);
  if (m.weightsManifest !== undefined) {
    fail('weightsManifest', 'this is a TensorFlow.js model.json, not a neural-style-tfjs manifest (convert it with "npm run weights -- --source DIR")');
  }
  if (m.format !== 'neural-style-tfjs/weights') expect('format', m.format, '"neural-style-tfjs/weights"');
  if (m.formatVersion !== 1) expect('formatVersion', m.formatVersion, '1 (the only version this library reads)');
  if (m.architecture !== arch.id) expect('architecture', m.architecture, `${JSON.stringify(arch.id)} (${net}'s conv layers)`, 'WEIGHTS_ARCHITECTURE');

  const totalBytes = m.totalBytes;
  if (!isWholeNumber(totalBytes, 1, maxBytes)) {
    return expect('totalBytes', totalBytes, `a whole number of bytes from 1 to ${maxBytes} (twice ${net}'s float32 size)`);
  }
  if (typeof m.weightsSha256 !== 'string' || !SHA256_HEX.test(m.weightsSha256)) expect('weightsSha256', m.weightsSha256, 'a sha256 as 64 lowercase hex digits');

  // Shards: plain, distinct file names; sizes that add up to totalBytes.
  const shards = m.shards;
  if (!Array.isArray(shards) || shards.length < 1 || shards.length > MAX_SHARDS) return expect('shards', shards, `an array of 1 to ${MAX_SHARDS} shard entries`);
  const names = new Map<string, number>();
  let sum = 0;
  shards.forEach((s: unknown, i) => {
    const at = `shards[${i}]`;
    if (!isObject(s)) return expect(at, s, 'an object with file, byteLength and sha256');
    if (!isPlainFileName(s.file)) {
      expect(`${at}.file`, s.file, 'a plain file name in the weights folder (letters, digits, ".", "_", "-"; no "/", "\\", "..", URL, leading dot or device name)');
    }
    // Case-insensitive: on macOS and Windows "A.bin" and "a.bin" are one file.
    const key = (s.file as string).toLowerCase();
    const first = names.get(key);
    if (first !== undefined) fail(`${at}.file`, `${at}.file ${JSON.stringify(s.file)} repeats shards[${first}].file: every shard must be a different file`);
    names.set(key, i);
    if (!isWholeNumber(s.byteLength, 1, maxBytes)) expect(`${at}.byteLength`, s.byteLength, `a whole number of bytes from 1 to ${maxBytes}`);
    if (typeof s.sha256 !== 'string' || !SHA256_HEX.test(s.sha256)) expect(`${at}.sha256`, s.sha256, 'a sha256 as 64 lowercase hex digits');
    sum += s.byteLength as number;
  });
  if (sum !== totalBytes) fail('totalBytes', `totalBytes is ${totalBytes} but the shards' byteLength values add up to ${sum}`);

  // Layers: exactly the network's conv layers, each tensor a whole extent inside the shards.
  const layers = m.layers;
  const convs = arch.convs;
  if (!Array.isArray(layers)) return expect('layers', layers, `an array of the ${convs.length} ${net} conv layers`);
  if (layers.length !== convs.length) fail('layers', `layers: expected the ${convs.length} ${net} conv layers, found ${layers.length}`, 'WEIGHTS_ARCHITECTURE');
  const extents: { field: string; start: number; end: number }[] = [];
  layers.forEach((l: unknown, i) => {
    const at = `layers[${i}]`;
    if (!isObject(l)) return expect(at, l, 'an object with name, kernel and bias');
    if (l.name !== convs[i].name) expect(`${at}.name`, l.name, `"${convs[i].name}" (${net}'s conv layers in order)`, 'WEIGHTS_ARCHITECTURE');
    const cin = convs[i].inChannels;
    const cout = convs[i].outChannels;
    for (const [part, shape] of [['kernel', [3, 3, cin, cout]], ['bias', [cout]]] as const) {
      const field = `${at}.${part}`;
      const t = l[part];
      if (!isObject(t)) return expect(field, t, 'an object with shape, dtype, offset and byteLength');
      const got: unknown = t.shape;
      if (!Array.isArray(got) || !got.every((d) => isWholeNumber(d, 0, maxBytes))) return expect(`${field}.shape`, got, 'an array of whole numbers');
      if (got.length !== shape.length || shape.some((d, k) => got[k] !== d)) {
        expect(`${field}.shape`, got, `[${shape}] for ${net}'s ${convs[i].name}`, 'WEIGHTS_ARCHITECTURE');
      }
      if (t.dtype !== 'float32') expect(`${field}.dtype`, t.dtype, '"float32" (storage is described by quantization)');
      const bytesPerValue = quantizationBytes(t.quantization, `${field}.quantization`, expect);
      const values = shape.reduce((a, b) => a * b, 1);
      if (t.byteLength !== values * bytesPerValue) {
        expect(`${field}.byteLength`, t.byteLength, `${values * bytesPerValue} (${values} values × ${bytesPerValue} byte${bytesPerValue > 1 ? 's' : ''})`);
      }
      const byteLength = t.byteLength as number;
      if (!isWholeNumber(t.offset, 0, totalBytes - byteLength)) {
        expect(`${field}.offset`, t.offset, `a whole number from 0 to ${totalBytes - byteLength}, so its ${byteLength} bytes lie within the shards' ${totalBytes}`);
      }
      extents.push({ field, start: t.offset as number, end: (t.offset as number) + byteLength });
    }
  });
  extents.sort((a, b) => a.start - b.start);
  for (let k = 1; k < extents.length; k++) {
    const [a, b] = [extents[k - 1], extents[k]];
    if (b.start < a.end) fail(`${b.field}.offset`, `${b.field}.offset is ${b.start}: its bytes ${b.start}–${b.end} overlap ${a.field}'s (${a.start}–${a.end})`);
  }
  return m as unknown as WeightsManifest;
}

/** Bytes per stored value for a tensor's `quantization` (none: float32), failing on anything else. */
function quantizationBytes(q: unknown, field: string, expect: (field: string, got: unknown, expected: string) => never): number {
  if (q === undefined) return 4;
  if (!isObject(q)) return expect(field, q, 'absent (float32) or an object with dtype "uint8" or "float16"');
  if (q.dtype === 'float16') return 2;
  if (q.dtype !== 'uint8') return expect(`${field}.dtype`, q.dtype, '"uint8" or "float16"');
  if (typeof q.scale !== 'number' || !(q.scale > 0) || !Number.isFinite(q.scale)) expect(`${field}.scale`, q.scale, 'a finite number above 0');
  if (typeof q.min !== 'number' || !Number.isFinite(q.min)) expect(`${field}.min`, q.min, 'a finite number');
  // Every decoded value byte·scale + min must be a finite float32.
  if (Math.abs(q.min as number) + 255 * (q.scale as number) > FLOAT32_MAX) expect(`${field}.scale`, q.scale, 'a scale and min whose decoded values (byte·scale + min) fit in float32');
  return 1;
}
