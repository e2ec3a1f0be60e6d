import type { LossNetwork } from './model.js';
import type { LayerEntry, ShardEntry, WeightsManifest } from '../weights/manifest.js';
import { sha256Hex } from '../weights/sha256.js';
import { StyleTransferError } from '../errors.js';

/** A weight set in the manifest format, ready to write: `manifest.json` plus its shards, by file name. */
export interface EncodedWeights {
  manifest: WeightsManifest;
  /** Every file to write into one folder (`manifest.json` included, as UTF-8 JSON). */
  files: Map<string, Uint8Array>;
}

/**
 * Writes a loaded model's conv weights in this library's manifest format (float32, the layers in conv order,
 * `shardBytes` per shard, default 4 MiB), so {@link loadNetwork} (or, for VGG-19, `loadVgg19`) can load them from a
 * folder or URL: write every entry of `files` into one folder. The manifest's `architecture` is the network's id.
 */
export async function encodeWeights(model: LossNetwork, options: { shardBytes?: number; description?: string } = {}): Promise<EncodedWeights> {
  const shardBytes = options.shardBytes ?? 4 * 1024 * 1024;
  if (!Number.isSafeInteger(shardBytes) || shardBytes < 4) {
    throw new StyleTransferError('INVALID_OPTION', `\`shardBytes\` is ${shardBytes}; expected a whole number of bytes ≥ 4.`, { field: 'shardBytes' });
  }
  const arch = model.architecture;
  const layers: LayerEntry[] = [];
  const blobs: Uint8Array[] = [];
  let offset = 0;
  const add = (values: Float32Array, shape: number[]) => {
    const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    blobs.push(bytes);
    const entry = { shape, dtype: 'float32' as const, offset, byteLength: bytes.length };
    offset += bytes.length;
    return entry;
  };
  arch.convs.forEach((c, i) => {
    const kernel = add(model.kernel(i).dataSync() as Float32Array, [3, 3, c.inChannels, c.outChannels]);
    const bias = add(model.bias(i).dataSync() as Float32Array, [c.outChannels]);
    layers.push({ name: c.name, kernel, bias });
  });
  const all = new Uint8Array(offset);
  let at = 0;
  for (const b of blobs) {
    all.set(b, at);
    at += b.length;
  }
  const files = new Map<string, Uint8Array>();
  const shards: ShardEntry[] = [];
  const count = Math.ceil(all.length / shardBytes);
  const slug = arch.id.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '') || 'weights';
  for (let i = 0; i < count; i++) {
    const bytes = all.slice(i * shardBytes, Math.min(all.length, (i + 1) * shardBytes));
    const file = `${slug}-shard${i + 1}of${count}.bin`;
    files.set(file, bytes);
    shards.push({ file, byteLength: bytes.length, sha256: await sha256Hex(bytes) });
  }
  const manifest = {
    format: 'neural-style-tfjs/weights',
    formatVersion: 1,
    architecture: arch.id,
    description: options.description ?? `${arch.name} conv layers ${arch.convs[0].name}…${arch.convs[arch.convs.length - 1].name}, HWIO kernels`,
    totalBytes: all.length,
    weightsSha256: await sha256Hex(all),
    layers,
    shards,
  } as WeightsManifest;
  files.set('manifest.json', new TextEncoder().encode(`${JSON.stringify(manifest, null, 1)}\n`));
  return { manifest, files };
}
