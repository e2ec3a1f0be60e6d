/**
 * `.flo` files in Node: read, write (atomically), and a {@link FlowSource} over a folder of them, named as
 * Ruder et al.'s `makeOptFlow.sh` (artistic-videos) names them, so flows made for that code work here unchanged.
 * @module
 */
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError, isStyleTransferError } from '../../../errors.js';
import { readRegularFile, writeFileAtomic } from '../image-io.js';
import { decodeFlo, encodeFlo, flowFieldToTensor, flowTensorToField, type FlowField } from '../../../video/flo.js';
import { checkFlowMatchesFrame, type FlowSource, type FramePair } from '../../../video/flow-source.js';

/** Default {@link ReadFloOptions.maxBytes}: 1 GiB (a 8K frame's flow is 265 MB). */
export const DEFAULT_MAX_FLO_BYTES = 2 ** 30;

export interface ReadFloOptions {
  /** The largest file read, in bytes. Default {@link DEFAULT_MAX_FLO_BYTES}. */
  maxBytes?: number;
}

/**
 * Reads a `.flo` file. INVALID_FLOW for a missing, unreadable, non-regular, damaged or truncated file (the
 * message names the path), IMAGE_TOO_LARGE over `maxBytes`.
 */
export async function readFlo(path: string, options: ReadFloOptions = {}): Promise<FlowField> {
  let bytes: Uint8Array;
  try {
    bytes = await readRegularFile(path, options.maxBytes ?? DEFAULT_MAX_FLO_BYTES);
  } catch (e) {
    if (isStyleTransferError(e, 'INVALID_IMAGE')) throw new StyleTransferError('INVALID_FLOW', e.message, e.details, { cause: e });
    throw e;
  }
  return decodeFlo(bytes, path);
}

/** Writes a flow as a `.flo` file, atomically (temp file + rename). */
export async function writeFlo(path: string, field: FlowField): Promise<void> {
  await writeFileAtomic(path, encodeFlo(field));
}

export interface FloFolderOptions {
  /**
   * The file of a pair, relative to the folder. Default: Ruder et al.'s names with 1-based frame numbers,
   * `forward_<from>_<to>.flo` when `to > from`, else `backward_<from>_<to>.flo` (e.g. frames 0 → 1 read
   * `forward_1_2.flo`, frames 1 → 0 read `backward_2_1.flo`).
   */
  name?: (pair: FramePair) => string;
  /** The largest file read, in bytes. Default {@link DEFAULT_MAX_FLO_BYTES}. */
  maxBytes?: number;
}

/** Ruder et al.'s file name of a pair (1-based frame numbers). */
export const ruderFloName = ({ from, to }: FramePair): string => `${to > from ? 'forward' : 'backward'}_${from + 1}_${to + 1}.flo`;

/**
 * A flow source reading `.flo` files from `folder` (see {@link FloFolderOptions.name}). Each flow must match the
 * frames' size (INVALID_FLOW otherwise); a call without `pair` is INVALID_OPTION.
 */
export function floFolderFlowSource(folder: string, options: FloFolderOptions = {}): FlowSource {
  const name = options.name ?? ruderFloName;
  return {
    async flow(from, _to, pair) {
      if (!pair) throw new StyleTransferError('INVALID_OPTION', 'A .flo folder flow source needs the frame pair (which file to read).', { field: 'pair' });
      const path = join(folder, name(pair));
      const field = await readFlo(path, { maxBytes: options.maxBytes });
      const flow = flowFieldToTensor(field);
      try {
        checkFlowMatchesFrame(flow, from, path);
      } catch (e) {
        flow.dispose();
        throw e;
      }
      return flow;
    },
  };
}

/** Writes `flow` (`[1,H,W,2]`) to a `.flo` file: what a flow source computed, for reuse or inspection. */
export async function writeFlowTensor(path: string, flow: tf.Tensor4D): Promise<void> {
  await writeFlo(path, await flowTensorToField(flow));
}
