import { StyleTransferError } from '../errors.js';
import { CONV_LAYERS } from '../layers.js';

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

/** The package's weight manifest (`weights/manifest.json`), written by `npm run weights`. */
export interface WeightsManifest {
  format: 'neural-style-tfjs/weights';
  formatVersion: 1;
  architecture: 'vgg19-conv';
  totalBytes: number;
  weightsSha256: string;
  layers: LayerEntry[];
  shards: ShardEntry[];
}

const EXPECTED_CHANNELS = [3, 64, 64, 128, 128, 256, 256, 256, 256, 512, 512, 512, 512, 512, 512, 512, 512];

/** Validates a parsed manifest: right format, VGG-19 conv architecture, consistent offsets. */
export function validateManifest(m: unknown, where: string): WeightsManifest {
  const bad = (why: string, code: 'WEIGHTS_MANIFEST' | 'WEIGHTS_ARCHITECTURE' = 'WEIGHTS_MANIFEST'): never => {
    throw new StyleTransferError(code, `${where}: ${why}. Rebuild the weights with "npm run weights" or pass the folder/URL of a neural-style-tfjs weights manifest.`, { where });
  };
  if (!m || typeof m !== 'object') bad('not a JSON object');
  const man = m as Partial<WeightsManifest> & { weightsManifest?: unknown };
  if (man.weightsManifest) bad('this is a TensorFlow.js model.json, not a neural-style-tfjs manifest (convert it with "npm run weights -- --source DIR")');
  if (man.format !== 'neural-style-tfjs/weights') bad(`unknown format ${JSON.stringify(man.format)}`);
  if (man.formatVersion !== 1) bad(`unsupported formatVersion ${JSON.stringify(man.formatVersion)} (this library reads 1)`);
  if (man.architecture !== 'vgg19-conv') bad(`the manifest is for architecture ${JSON.stringify(man.architecture)}, not VGG-19 ("vgg19-conv")`, 'WEIGHTS_ARCHITECTURE');
  if (!Array.isArray(man.layers) || !Array.isArray(man.shards)) bad('missing layers or shards');
  const layers = man.layers!;
  if (layers.length !== CONV_LAYERS.length) bad(`expected the 16 VGG-19 conv layers, found ${layers.length}`, 'WEIGHTS_ARCHITECTURE');
  const total = man.shards!.reduce((a, s) => a + s.byteLength, 0);
  layers.forEach((l, i) => {
    if (l.name !== CONV_LAYERS[i]) bad(`layer ${i} is ${JSON.stringify(l.name)}, expected ${CONV_LAYERS[i]}`, 'WEIGHTS_ARCHITECTURE');
    const [kh, kw, cin, cout] = l.kernel.shape;
    if (kh !== 3 || kw !== 3 || cin !== EXPECTED_CHANNELS[i] || cout !== EXPECTED_CHANNELS[i + 1] || l.bias.shape[0] !== cout) {
      bad(`${l.name} has kernel shape [${l.kernel.shape}], expected [3,3,${EXPECTED_CHANNELS[i]},${EXPECTED_CHANNELS[i + 1]}]`, 'WEIGHTS_ARCHITECTURE');
    }
    for (const t of [l.kernel, l.bias]) {
      const n = t.shape.reduce((a, b) => a * b, 1);
      const bpv = t.quantization?.dtype === 'uint8' ? 1 : t.quantization?.dtype === 'float16' ? 2 : 4;
      if (t.byteLength !== n * bpv || t.offset < 0 || t.offset + t.byteLength > total) bad(`${l.name} tensor extent is inconsistent`);
    }
  });
  return man as WeightsManifest;
}
