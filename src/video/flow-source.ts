/**
 * Where flows come from: a {@link FlowSource} gives the flow between two frames, so the video loop does not care
 * whether it is computed here ({@link tfjsFlowSource}, the built-in Horn–Schunck of flow.ts) or read from files a
 * better tool wrote (`floFolderFlowSource` in src/adapters/node/video/flo-files.ts, Middlebury `.flo`). Any object with a
 * `flow` method fits: e.g. one that runs RAFT in ONNX Runtime and returns a tensor.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError } from '../errors.js';
import { opticalFlow, resolveFlowOptions, type OpticalFlowOptions } from './flow.js';

/** Which frames a flow is between, as indices in the clip (0 = the first frame). */
export interface FramePair {
  from: number;
  to: number;
}

export interface FlowSource {
  /**
   * The flow `w` from frame `from` to frame `to` on `from`'s grid, `[1,H,W,2]` of (u, v) pixels with
   * `from(p) ≈ to(p + w(p))` (so `warp(to, w)` ≈ `from`; see warp.ts). `from` and `to` are `[1,H,W,3|4]`, values
   * 0–255; `pair` says which frames they are (sources that read files need it). The tensor belongs to the caller.
   */
  flow(from: tf.Tensor4D, to: tf.Tensor4D, pair?: FramePair): Promise<tf.Tensor4D>;
  /** Frees what the source holds (optional). */
  dispose?(): void;
}

/** Throws INVALID_FLOW unless `flow` is `[1,H,W,2]` on `frame`'s `[1,H,W,C]` grid; `what` names it in the message. */
export function checkFlowMatchesFrame(flow: tf.Tensor, frame: tf.Tensor, what: string): void {
  const ok = flow.rank === 4 && flow.shape[0] === frame.shape[0] && flow.shape[1] === frame.shape[1] && flow.shape[2] === frame.shape[2] && flow.shape[3] === 2;
  if (!ok) {
    throw new StyleTransferError('INVALID_FLOW', `${what} is [${flow.shape.join(',')}] but the frames are [${frame.shape.join(',')}]: a flow must be [1,H,W,2] at the frames' size.`, { path: what, flowShape: flow.shape, frameShape: frame.shape });
  }
}

/** The built-in flow: {@link opticalFlow} with `options` (validated here, once). */
export function tfjsFlowSource(options: OpticalFlowOptions = {}): FlowSource {
  const resolved = resolveFlowOptions(options);
  return {
    async flow(from, to) {
      return opticalFlow(from, to, resolved);
    },
  };
}
