/**
 * Optimiser state kept in JS memory (a tiled L-BFGS scale whose history, or whole state, does not fit the device):
 * how many correction pairs the host can hold, and the OUT_OF_MEMORY error when not even one fits.
 */
import { StyleTransferError } from '../errors.js';
import { gib } from './device.js';
import { optimiserVectorBytes } from './memory.js';
import { HOST_HISTORY_BYTES, HOST_MEMORY_SHARE, HOST_STATE_VECTORS } from './tuning.js';
import type { StateHome } from './types.js';

/**
 * JS memory the correction pairs may take: {@link HOST_HISTORY_BYTES}, or less when the host's memory is known and
 * its {@link HOST_MEMORY_SHARE}, after the working vectors (when they are in JS memory too), holds less.
 */
export function hostPairBytes(vectorBytes: number, stateOn: StateHome, hostMemory: number | undefined): number {
  if (hostMemory === undefined) return HOST_HISTORY_BYTES;
  const working = stateOn === 'host' ? HOST_STATE_VECTORS * vectorBytes : 0;
  return Math.min(HOST_HISTORY_BYTES, hostMemory * HOST_MEMORY_SHARE - working);
}

/** Correction pairs (at most `want`; 0 when not one fits) in `pairBytes` of JS memory (each: two optimiser vectors). */
export function hostHistoryPairs(height: number, width: number, pyramid: boolean, want: number, pairBytes = HOST_HISTORY_BYTES): number {
  return Math.max(0, Math.min(want, Math.floor(pairBytes / (2 * optimiserVectorBytes(height, width, pyramid)))));
}

/**
 * The L-BFGS history a scale with its pairs in JS memory keeps: as many as `hostMemory` allows (at most `want`);
 * with nothing known of the host, at least one. OUT_OF_MEMORY when the host is known and not one pair fits.
 */
export function hostHistory(at: { height: number; width: number; pyramid: boolean; want: number; stateOn: StateHome; hostMemory: number | undefined }): number {
  const { height, width, pyramid, stateOn, hostMemory } = at;
  const vector = optimiserVectorBytes(height, width, pyramid);
  const pairs = hostHistoryPairs(height, width, pyramid, at.want, hostPairBytes(vector, stateOn, hostMemory));
  if (pairs >= 1) return pairs;
  if (hostMemory !== undefined) throw hostMemoryError(width, height, vector * ((stateOn === 'host' ? HOST_STATE_VECTORS : 0) + 2), hostMemory);
  return 1; // nothing to check against: one pair, past the fixed cap
}

/** OUT_OF_MEMORY for optimiser state in JS memory that the host's memory cannot hold (see `Platform.hostMemory`). */
export function hostMemoryError(width: number, height: number, need: number, hostMemory: number): StyleTransferError {
  // The state grows with the pixel count: the size at which it would fit, roughly.
  const ratio = Math.sqrt((hostMemory * HOST_MEMORY_SHARE) / need);
  return new StyleTransferError(
    'OUT_OF_MEMORY',
    `At ${width}x${height} the optimiser's state in JS memory needs about ${gib(need)} GiB (its working vectors and one L-BFGS pair), more than ${HOST_MEMORY_SHARE * 100}% of the ${gib(hostMemory)} GiB this process may use. ` +
      `Use a \`size\` about ${Math.round(ratio * 100)}% of this one, or a machine with more memory.`,
    { width, height, bytes: need, hostMemory },
  );
}
