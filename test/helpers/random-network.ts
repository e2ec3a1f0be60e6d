/**
 * A loss network with seeded random weights (He-uniform), for tests of networks other than VGG-19: no weights for
 * them ship, so the tests build one. {@link writeRandomNetwork} writes it in the manifest/shard layout a user's
 * `--weights DIR` / `loadNetwork(spec, { weights })` reads.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeWeights, networkFromWeights, type NetworkArchitecture, type NetworkSpec } from '../../src/adapters/node.js';
import { mulberry32 } from '../../src/image/noise.js';

/** The library's seeded PRNG (mulberry32, in [0, 1)), under the name these tests use. */
export const prng = mulberry32;

/** He-uniform conv weights for every conv of `arch` (kernel HWIO flat, small biases), from `seed`. */
export function randomWeights(arch: NetworkArchitecture, seed: number): { kernel: Float32Array; bias: Float32Array }[] {
  const rand = prng(seed);
  return arch.convs.map((c) => {
    const limit = Math.sqrt(6 / (9 * c.inChannels));
    const kernel = new Float32Array(9 * c.inChannels * c.outChannels);
    for (let i = 0; i < kernel.length; i++) kernel[i] = (2 * rand() - 1) * limit;
    const bias = new Float32Array(c.outChannels);
    for (let i = 0; i < bias.length; i++) bias[i] = (rand() - 0.5) * 0.1;
    return { kernel, bias };
  });
}

/**
 * Writes `weights` of `spec` to `dir` in the manifest/shard layout (in memory → encodeWeights → files) and returns
 * the in-memory model's weights sha256 (what a model loaded from `dir` reports).
 */
export async function writeNetwork(spec: NetworkSpec, weights: { kernel: Float32Array; bias: Float32Array }[], dir: string): Promise<string> {
  const inMemory = await networkFromWeights(spec, weights);
  try {
    const encoded = await encodeWeights(inMemory, { shardBytes: 16 * 1024 * 1024 });
    for (const [file, bytes] of encoded.files) writeFileSync(join(dir, file), bytes);
    return inMemory.weightsSha256;
  } finally {
    inMemory.dispose();
  }
}
