/**
 * Bilinear backward warping built from `tf.gather` (TF.js has no `grid_sample`).
 *
 * Convention (used by every module in src/video/): a flow `w` of shape `[N,H,W,2]` holds, at each pixel p of
 * the *output* grid, the displacement `(u, v)` in pixels (u along x = columns, v along y = rows) to the point
 * where the output samples the input: `warp(image, w)(p) = image(p + w(p))`. So to bring frame i−1 into frame
 * i's coordinates, pass the flow from frame i to frame i−1 (the "backward" flow of Ruder et al.).
 *
 * Samples whose point `p + w(p)` lies outside the image (beyond the outer pixel centres by more than `1e-3` px)
 * (`options.tolerance`) are marked 0 in the returned `valid` mask and take the value of the nearest border pixel (the four corner
 * indices are clamped), so the warped image has no holes; callers that must not trust them multiply by `valid`.
 *
 * No gradient is provided: the temporal loss of Ruder et al. uses the warped previous frame as a constant
 * target. (Every op here has a TF.js gradient — gather's is a scatter-add — so `tf.grad` works where the
 * gradients are registered, e.g. with `@tensorflow/tfjs`; this library does not register them.)
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError, invalidOption } from '../errors.js';

/** A warped image and where its samples came from inside the source image. */
export interface Warped {
  /** `[N,H,W,C]`, the same shape and dtype float32 as the image. */
  warped: tf.Tensor4D;
  /** `[N,H,W,1]`: 1 where `p + w(p)` is inside the source image, 0 where it fell outside. */
  valid: tf.Tensor4D;
}

/** Options of {@link warp}. */
export interface WarpOptions {
  /** How far (px) a sample may lie beyond the outer pixel centres and still count as inside. Default 1e-3. */
  tolerance?: number;
}

/** Throws INVALID_OPTION unless `flow` is `[N,H,W,2]` over `image`'s `[N,H,W,C]` grid. */
export function checkFlowShape(image: tf.Tensor, flow: tf.Tensor, what = 'flow'): void {
  const [n, h, w] = image.shape;
  const ok = image.rank === 4 && flow.rank === 4 && flow.shape[0] === n && flow.shape[1] === h && flow.shape[2] === w && flow.shape[3] === 2;
  if (!ok) {
    throw new StyleTransferError('INVALID_OPTION', `The ${what} has shape [${flow.shape.join(',')}]; expected [${n},${h},${w},2] to match the image's [${image.shape.join(',')}].`, { field: what, shape: flow.shape, imageShape: image.shape });
  }
}

/**
 * The pixel grid `[1,H,W,2]` of (x, y) coordinates, x = column, y = row: the identity map that a flow displaces.
 */
export function pixelGrid(height: number, width: number): tf.Tensor4D {
  return tf.tidy(() => {
    const xs = tf.tile(tf.reshape(tf.range(0, width, 1, 'float32'), [1, width]), [height, 1]);
    const ys = tf.tile(tf.reshape(tf.range(0, height, 1, 'float32'), [height, 1]), [1, width]);
    return tf.expandDims(tf.stack([xs, ys], -1), 0) as tf.Tensor4D;
  });
}

/**
 * Samples `image` (`[N,H,W,C]`) at `p + flow(p)` with bilinear interpolation; see the module notes for the
 * convention and the border handling. Both returned tensors belong to the caller.
 */
export function warp(image: tf.Tensor4D, flow: tf.Tensor4D, options: WarpOptions = {}): Warped {
  checkFlowShape(image, flow);
  const tol = options.tolerance ?? 1e-3;
  if (!(tol >= 0 && tol <= 1)) invalidOption('tolerance', options.tolerance, 'a number of pixels in [0, 1]');
  const [n, h, w, c] = image.shape;
  const [warped, valid] = tf.tidy(() => {
    const grid = pixelGrid(h, w);
    const pos = tf.add(grid, flow); // [N,H,W,2]
    const [sx, sy] = tf.split(pos, 2, 3) as [tf.Tensor4D, tf.Tensor4D];
    const inside = tf.logicalAnd(
      tf.logicalAnd(tf.greaterEqual(sx, -tol), tf.lessEqual(sx, w - 1 + tol)),
      tf.logicalAnd(tf.greaterEqual(sy, -tol), tf.lessEqual(sy, h - 1 + tol)),
    );
    // Clamp the sample point into the image first: outside points take the border's value, inside points are
    // unchanged (the tolerance band maps onto the border exactly).
    const cx = tf.clipByValue(sx, 0, w - 1);
    const cy = tf.clipByValue(sy, 0, h - 1);
    const x0f = tf.floor(cx);
    const y0f = tf.floor(cy);
    const fx = tf.sub(cx, x0f); // [N,H,W,1] weights of the right / lower neighbours
    const fy = tf.sub(cy, y0f);
    const x0 = tf.cast(x0f, 'int32');
    const y0 = tf.cast(y0f, 'int32');
    const int = (v: number): tf.Scalar => tf.scalar(v, 'int32');
    const x1 = tf.minimum(tf.add(x0, int(1)), int(w - 1));
    const y1 = tf.minimum(tf.add(y0, int(1)), int(h - 1));
    // Flat row indices into image reshaped to [N*H*W, C]: b*H*W + y*W + x.
    const batch = tf.mul(tf.reshape(tf.range(0, n, 1, 'int32'), [n, 1, 1, 1]), int(h * w));
    const flat = tf.reshape(image, [n * h * w, c]);
    const at = (yy: tf.Tensor, xx: tf.Tensor): tf.Tensor => tf.reshape(tf.gather(flat, tf.reshape(tf.add(batch, tf.add(tf.mul(yy, int(w)), xx)), [-1])), [n, h, w, c]);
    const top = tf.add(tf.mul(at(y0, x0), tf.sub(1, fx)), tf.mul(at(y0, x1), fx));
    const bottom = tf.add(tf.mul(at(y1, x0), tf.sub(1, fx)), tf.mul(at(y1, x1), fx));
    const out = tf.add(tf.mul(top, tf.sub(1, fy)), tf.mul(bottom, fy)) as tf.Tensor4D;
    return [out, tf.cast(inside, 'float32') as tf.Tensor4D];
  });
  return { warped, valid };
}

/** {@link warp} when only the image is wanted (out-of-frame samples take the border's value). */
export function warpImage(image: tf.Tensor4D, flow: tf.Tensor4D): tf.Tensor4D {
  const { warped, valid } = warp(image, flow);
  valid.dispose();
  return warped;
}
