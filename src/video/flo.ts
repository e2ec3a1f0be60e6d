/**
 * Middlebury `.flo` optical flow files (Baker et al., "A Database and Evaluation Methodology for Optical Flow"),
 * the format flow tools write (DeepFlow, EpicFlow, FlowNet, RAFT's `writeFlow`, Ruder et al.'s scripts): the
 * float32 magic 202021.25 (the bytes "PIEH"), int32 width, int32 height, then width·height (u, v) float32 pairs,
 * row-major, all little-endian. Values above 1e9 mean "unknown" by the format's convention; they are kept as they
 * are. Host-neutral: bytes in, bytes out (src/adapters/node/video/flo-files.ts reads and writes files).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError } from '../errors.js';

/** A dense flow in host memory: (u, v) pairs interleaved, row-major, `width·height·2` values. */
export interface FlowField {
  width: number;
  height: number;
  data: Float32Array;
}

/** The magic number that opens every `.flo` file. */
export const FLO_MAGIC = 202021.25;
const HEADER_BYTES = 12;
/** The Middlebury reference reader's sanity limit on each side. */
const MAX_SIDE = 99_999;

/** Decodes `.flo` bytes; INVALID_FLOW (naming `name`) for a wrong magic, a bad size, a truncated or overlong file. */
export function decodeFlo(bytes: Uint8Array, name = 'flow'): FlowField {
  const bad = (why: string, details: Record<string, unknown> = {}): never => {
    throw new StyleTransferError('INVALID_FLOW', `${name} is not a valid .flo file: ${why}.`, { path: name, bytes: bytes.length, ...details });
  };
  if (bytes.length < HEADER_BYTES) bad(`it is ${bytes.length} bytes long, shorter than the 12-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getFloat32(0, true);
  if (magic !== FLO_MAGIC) bad(`its magic number is ${magic}, not ${FLO_MAGIC} ("PIEH")`);
  const width = view.getInt32(4, true);
  const height = view.getInt32(8, true);
  if (!(width >= 1 && width <= MAX_SIDE && height >= 1 && height <= MAX_SIDE)) bad(`it says it is ${width}x${height}`, { width, height });
  const expected = HEADER_BYTES + width * height * 8;
  if (bytes.length < expected) bad(`it is truncated: ${bytes.length} bytes where a ${width}x${height} flow needs ${expected}`, { width, height, expected });
  if (bytes.length > expected) bad(`it has ${bytes.length - expected} bytes after the ${width}x${height} flow`, { width, height, expected });
  const data = new Float32Array(width * height * 2);
  for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(HEADER_BYTES + i * 4, true);
  return { width, height, data };
}

/** Throws INVALID_FLOW unless `field` is a well-formed {@link FlowField}. */
export function checkFlowField(field: FlowField, name = 'flow'): void {
  const { width, height, data } = field;
  const ok = Number.isInteger(width) && Number.isInteger(height) && width >= 1 && height >= 1 && width <= MAX_SIDE && height <= MAX_SIDE && data instanceof Float32Array && data.length === width * height * 2;
  if (!ok) {
    throw new StyleTransferError('INVALID_FLOW', `${name} must be a width x height flow with width·height·2 float32 values; got ${width}x${height} with ${data?.length} values.`, { path: name, width, height, values: data?.length });
  }
}

/** Encodes a flow as `.flo` bytes. */
export function encodeFlo(field: FlowField): Uint8Array {
  checkFlowField(field);
  const bytes = new Uint8Array(HEADER_BYTES + field.data.length * 4);
  const view = new DataView(bytes.buffer);
  view.setFloat32(0, FLO_MAGIC, true);
  view.setInt32(4, field.width, true);
  view.setInt32(8, field.height, true);
  for (let i = 0; i < field.data.length; i++) view.setFloat32(HEADER_BYTES + i * 4, field.data[i], true);
  return bytes;
}

/** A flow field as a `[1,H,W,2]` tensor (owned by the caller). */
export function flowFieldToTensor(field: FlowField): tf.Tensor4D {
  checkFlowField(field);
  return tf.tensor4d(field.data, [1, field.height, field.width, 2]);
}

/** A `[1,H,W,2]` flow tensor read back as a {@link FlowField} (the tensor is not disposed). */
export async function flowTensorToField(flow: tf.Tensor4D): Promise<FlowField> {
  if (flow.rank !== 4 || flow.shape[0] !== 1 || flow.shape[3] !== 2) {
    throw new StyleTransferError('INVALID_FLOW', `A flow tensor must be [1,H,W,2]; got [${flow.shape.join(',')}].`, { shape: flow.shape });
  }
  const data = (await flow.data()) as Float32Array;
  return { width: flow.shape[2], height: flow.shape[1], data: Float32Array.from(data) };
}
