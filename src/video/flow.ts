/**
 * Dense optical flow in TF.js ops: Horn–Schunck, coarse to fine, with warping at every level.
 *
 * Why Horn–Schunck rather than Lucas–Kanade: style transfer needs a flow at *every* pixel (the temporal loss and
 * the warped start use all of them). Lucas–Kanade solves a 2×2 system per window and is undefined where the window
 * has no texture in two directions (flat sky, walls), so it needs a fill-in step; Horn–Schunck's smoothness term
 * fills those regions from their neighbours by construction and is a few element-wise ops and one 3×3 depthwise
 * convolution per iteration, which every TF.js backend runs well. Its weakness, flow smoothed across motion
 * boundaries, is what the consistency check (consistency.ts) masks out.
 *
 * The method: both frames are turned to greyscale (0–255) and pre-smoothed (σ = `sigma`), and a pyramid halves
 * them until the shorter side would drop below 8 px (or `levels` levels). From the coarsest level down, the flow
 * from the level above (resampled, ×2) is refined by `warps` rounds of: warp the second frame by the current
 * flow, linearise the brightness constancy around it (Ix du + Iy dv + It = 0, derivatives of the mean of the first
 * and the warped second frame), and run `iterations` Jacobi iterations of Horn & Schunck's update on the total
 * flow, u = ū − Ix (Ix (ū − u₀) + Iy (v̄ − v₀) + It) / (α² + Ix² + Iy²). Pixels whose warped sample falls outside
 * the frame get no data term and are filled by the smoothness term.
 *
 * Convention (as warp.ts): `opticalFlow(a, b)` is the flow `w` on `a`'s grid with `a(p) ≈ b(p + w(p))`, so
 * `warp(b, w)` ≈ `a`.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError, invalidOption } from '../errors.js';
import { gaussianBlur, gradients, greyscale, halve, neighbourAverage, resizeFlow } from './image-ops.js';
import { warp } from './warp.js';

/** Options of {@link opticalFlow}; every field is optional. */
export interface OpticalFlowOptions {
  /** Smoothness weight α of Horn–Schunck, in grey levels (0–255 scale). Larger: smoother flow. Default 8; range (0, 1000]. */
  alpha?: number;
  /** Most pyramid levels, the full-size frame included; the pyramid also stops before a side drops below 8 px. Default 6; range 1–12. */
  levels?: number;
  /** Warping rounds per level (re-linearisations around the current flow). Default 3; range 1–20. */
  warps?: number;
  /** Jacobi iterations per warping round. Default 40; range 1–1000. */
  iterations?: number;
  /** Standard deviation in px of the Gaussian pre-smoothing of both frames (0: none). Default 1; range 0–5. */
  sigma?: number;
}

/** The defaults of {@link OpticalFlowOptions}. */
export const OPTICAL_FLOW_DEFAULTS: Required<OpticalFlowOptions> = { alpha: 8, levels: 6, warps: 3, iterations: 40, sigma: 1 };

const RANGES: Record<keyof OpticalFlowOptions, { min: number; max: number; minOpen?: boolean; integer?: boolean }> = {
  alpha: { min: 0, max: 1000, minOpen: true },
  levels: { min: 1, max: 12, integer: true },
  warps: { min: 1, max: 20, integer: true },
  iterations: { min: 1, max: 1000, integer: true },
  sigma: { min: 0, max: 5 },
};

/** Validates `options` (unknown keys and out-of-range values are INVALID_OPTION naming the field) and fills in the defaults. */
export function resolveFlowOptions(options: OpticalFlowOptions = {}): Required<OpticalFlowOptions> {
  if (typeof options !== 'object' || options === null) invalidOption('options', options, 'an object');
  for (const key of Object.keys(options)) {
    if (!(key in RANGES)) invalidOption(key, (options as Record<string, unknown>)[key], `no such option; known: ${Object.keys(RANGES).join(', ')}`);
  }
  const out = { ...OPTICAL_FLOW_DEFAULTS };
  for (const [key, r] of Object.entries(RANGES) as [keyof OpticalFlowOptions, (typeof RANGES)[keyof OpticalFlowOptions]][]) {
    const v = options[key];
    if (v === undefined) continue;
    const inRange = typeof v === 'number' && Number.isFinite(v) && (r.minOpen ? v > r.min : v >= r.min) && v <= r.max && (!r.integer || Number.isInteger(v));
    if (!inRange) invalidOption(key, v, `${r.integer ? 'an integer' : 'a number'} in ${r.minOpen ? '(' : '['}${r.min}, ${r.max}]`);
    out[key] = v;
  }
  return out;
}

/** The smallest side a pyramid level may have. */
const MIN_LEVEL_SIDE = 8;

/** The sizes of the pyramid, finest first: halving (⌈·/2⌉) while both sides stay ≥ 8 px, at most `levels`. */
export function pyramidSizes(height: number, width: number, levels: number): [number, number][] {
  const sizes: [number, number][] = [[height, width]];
  while (sizes.length < levels) {
    const [h, w] = sizes[sizes.length - 1];
    const next: [number, number] = [Math.ceil(h / 2), Math.ceil(w / 2)];
    if (Math.min(...next) < MIN_LEVEL_SIDE) break;
    sizes.push(next);
  }
  return sizes;
}

/** Refines `flow` on one level: `warps` rounds of warp + linearise + `iterations` Horn–Schunck steps. */
function refineLevel(a: tf.Tensor4D, b: tf.Tensor4D, flow: tf.Tensor4D, o: Required<OpticalFlowOptions>): tf.Tensor4D {
  let current = tf.clone(flow);
  for (let round = 0; round < o.warps; round++) {
    const next = tf.tidy(() => {
      const { warped, valid } = warp(b, current);
      const [ix0, iy0] = gradients(tf.mul(tf.add(a, warped), 0.5) as tf.Tensor4D);
      // No data term where the sample left the frame: the smoothness term fills those pixels in.
      const ix = tf.mul(ix0, valid);
      const iy = tf.mul(iy0, valid);
      const it = tf.mul(tf.sub(warped, a), valid);
      const grad = tf.concat([ix, iy], 3); // [N,H,W,2]
      const denom = tf.add(tf.add(tf.square(ix), tf.square(iy)), o.alpha * o.alpha);
      // The residual of the linearised constancy at the start flow: It − Ix u₀ − Iy v₀, so each step only needs ⟨∇I, w̄⟩.
      const base = tf.sub(it, tf.sum(tf.mul(grad, current), 3, true));
      let w: tf.Tensor4D = tf.clone(current);
      for (let i = 0; i < o.iterations; i++) {
        const nextW = tf.tidy(() => {
          const avg = neighbourAverage(w);
          const t = tf.div(tf.add(base, tf.sum(tf.mul(grad, avg), 3, true)), denom);
          return tf.sub(avg, tf.mul(grad, t)) as tf.Tensor4D;
        });
        w.dispose();
        w = nextW;
      }
      return w;
    });
    current.dispose();
    current = next;
  }
  return current;
}

/**
 * Dense optical flow from `a` to `b` (both `[N,H,W,C]`, C = 1, 3 or 4, values 0–255): `[N,H,W,2]` of (u, v) in
 * pixels with `a(p) ≈ b(p + w(p))`. See the module notes for the method. The result belongs to the caller.
 */
export function opticalFlow(a: tf.Tensor4D, b: tf.Tensor4D, options: OpticalFlowOptions = {}): tf.Tensor4D {
  const o = resolveFlowOptions(options);
  if (a.rank !== 4 || b.rank !== 4 || a.shape.some((d, i) => d !== b.shape[i]) || ![1, 3, 4].includes(a.shape[3])) {
    throw new StyleTransferError('INVALID_IMAGE', `Optical flow needs two frames of the same shape [N,H,W,1|3|4]; got [${a.shape.join(',')}] and [${b.shape.join(',')}].`, { shapeA: a.shape, shapeB: b.shape });
  }
  const [n, height, width] = a.shape;
  const sizes = pyramidSizes(height, width, o.levels);
  // Greyscale, pre-smoothed pyramids of both frames, finest first.
  const pyramid = (x: tf.Tensor4D): tf.Tensor4D[] => {
    const levels = [tf.tidy(() => gaussianBlur(greyscale(x), o.sigma))];
    for (let l = 1; l < sizes.length; l++) levels.push(halve(levels[l - 1]));
    return levels;
  };
  const pa = pyramid(a);
  const pb = pyramid(b);
  try {
    const [ch, cw] = sizes[sizes.length - 1];
    let flow: tf.Tensor4D = tf.zeros([n, ch, cw, 2]);
    try {
      for (let l = sizes.length - 1; l >= 0; l--) {
        const [h, w] = sizes[l];
        const start = flow.shape[1] !== h || flow.shape[2] !== w ? resizeFlow(flow, h, w) : tf.clone(flow);
        flow.dispose();
        flow = start;
        const refined = refineLevel(pa[l], pb[l], flow, o);
        flow.dispose();
        flow = refined;
      }
    } catch (e) {
      flow.dispose();
      throw e;
    }
    return flow;
  } finally {
    tf.dispose([...pa, ...pb]);
  }
}

/**
 * Average endpoint error between two flows `[N,H,W,2]`: the mean over pixels of ‖w − w*‖, over the pixels where
 * `mask` (`[N,H,W,1]`, optional) is nonzero. Returns a number (reads one scalar back).
 */
export async function endpointError(flow: tf.Tensor4D, truth: tf.Tensor4D, mask?: tf.Tensor4D): Promise<number> {
  const epe = tf.tidy(() => {
    const e = tf.sqrt(tf.sum(tf.square(tf.sub(flow, truth)), 3, true));
    if (!mask) return tf.mean(e);
    const m = tf.cast(tf.notEqual(mask, 0), 'float32');
    return tf.div(tf.sum(tf.mul(e, m)), tf.maximum(tf.sum(m), 1));
  });
  try {
    return (await epe.data())[0];
  } finally {
    epe.dispose();
  }
}
