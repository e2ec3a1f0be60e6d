/**
 * The forward/backward consistency check of Ruder, Dosovitskiy & Brox (GCPR 2016, §3.2): which pixels of frame i
 * may be tied to frame i−1 warped by the flow.
 *
 * With w the forward flow (frame i−1 → i, on frame i−1's grid), ŵ the backward flow (frame i → i−1, on frame i's
 * grid) and w̃(p) = w(p + ŵ(p)) the forward flow carried to frame i, a pixel p of frame i is unreliable (c = 0)
 * - where it was disoccluded: |w̃ + ŵ|² ≥ 0.01 (|w̃|² + |ŵ|²) + 0.5 (going back and forth does not return);
 * - at a motion boundary: |∇û|² + |∇v̂|² > 0.01 |ŵ|² + 0.002 (central differences of the backward flow);
 * - where p + ŵ(p) leaves frame i−1 by more than half a pixel (nothing there to be consistent with);
 * and c = 1 elsewhere. Flows follow src/video/warp.ts's convention (`warp(prev, ŵ)` is frame i−1 seen from i).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError } from '../errors.js';
import { centralDifferences } from './image-ops.js';
import { warp } from './warp.js';

/** The check split into its parts, each `[N,H,W,1]` of 0/1 on frame i's grid. */
export interface ConsistencyParts {
  /** 1 where the pixel is reliable (none of the three below), else 0: Ruder et al.'s c. */
  mask: tf.Tensor4D;
  /** 1 where the forward and backward flows disagree (disocclusion). */
  disoccluded: tf.Tensor4D;
  /** 1 at motion boundaries of the backward flow. */
  motionBoundary: tf.Tensor4D;
  /** 1 where p + ŵ(p) lies outside the previous frame. */
  outside: tf.Tensor4D;
}

/**
 * How far (px) p + ŵ(p) may lie beyond frame i−1's outer pixel centres before p counts as out of frame: half a
 * pixel, the extent of the border pixels themselves (the warp takes the border's value there), so a flow of −0.1 px
 * at the left column is not flagged.
 */
const OUTSIDE_TOLERANCE = 0.5;

function checkFlows(forward: tf.Tensor4D, backward: tf.Tensor4D): void {
  const ok = forward.rank === 4 && backward.rank === 4 && forward.shape[3] === 2 && forward.shape.every((d, i) => d === backward.shape[i]);
  if (!ok) {
    throw new StyleTransferError('INVALID_OPTION', `The forward and backward flows must both be [N,H,W,2] of one size; got [${forward.shape.join(',')}] and [${backward.shape.join(',')}].`, { field: 'flow', forward: forward.shape, backward: backward.shape });
  }
}

/** Ruder et al.'s consistency check with its parts; every returned tensor belongs to the caller. */
export function consistencyParts(forward: tf.Tensor4D, backward: tf.Tensor4D): ConsistencyParts {
  checkFlows(forward, backward);
  const parts = tf.tidy(() => {
    const { warped: carried, valid } = warp(forward, backward, { tolerance: OUTSIDE_TOLERANCE }); // w̃
    const sq = (x: tf.Tensor): tf.Tensor => tf.sum(tf.square(x), 3, true);
    const disoccluded = tf.greaterEqual(sq(tf.add(carried, backward)), tf.add(tf.mul(tf.add(sq(carried), sq(backward)), 0.01), 0.5));
    const [dx, dy] = centralDifferences(backward); // [N,H,W,2] each: ∂(û, v̂)/∂x, ∂(û, v̂)/∂y
    const motionBoundary = tf.greater(tf.add(sq(dx), sq(dy)), tf.add(tf.mul(sq(backward), 0.01), 0.002));
    const outside = tf.equal(valid, 0);
    const bad = tf.logicalOr(tf.logicalOr(disoccluded, motionBoundary), outside);
    const f = (b: tf.Tensor): tf.Tensor4D => tf.cast(b, 'float32') as tf.Tensor4D;
    return [f(tf.logicalNot(bad)), f(disoccluded), f(motionBoundary), f(outside)];
  });
  return { mask: parts[0], disoccluded: parts[1], motionBoundary: parts[2], outside: parts[3] };
}

/**
 * Ruder et al.'s per-pixel weight c (`[N,H,W,1]`, 1 = reliable, 0 = disoccluded, motion boundary or out of frame)
 * from the forward flow (frame i−1 → i) and the backward flow (frame i → i−1). The result belongs to the caller.
 */
export function consistency(forward: tf.Tensor4D, backward: tf.Tensor4D): tf.Tensor4D {
  const { mask, disoccluded, motionBoundary, outside } = consistencyParts(forward, backward);
  tf.dispose([disoccluded, motionBoundary, outside]);
  return mask;
}
