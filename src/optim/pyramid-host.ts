import type { Objective } from './types.js';
import { pyramidLevels, wrapObjective, type PyramidOptions } from './pyramid.js';

/**
 * The pyramid parametrisation of `optim/pyramid.ts` with its vectors in JS memory (Float32Arrays), for optimiser
 * state the backend cannot hold: x = z₀ + Σₖ decayᵏ·Uₖ(zₖ) with the same levels, and Uₖ the same bilinear
 * align-corners upsampling as tfjs's `resizeBilinear(…, alignCorners: true)` (its CPU kernel's arithmetic), whose
 * exact adjoint spreads each pixel's gradient over the four samples it read.
 */
export interface HostPyramid {
  /** z for a start image `[H,W,3]` (level 0 = the image, coarser levels 0). */
  encode(x: Float32Array): Float32Array;
  /** The image x = P z, `[H,W,3]`. */
  decode(z: Float32Array): Float32Array;
  /** An objective of x as an objective of z (see `Pyramid.wrap`). */
  wrap(objective: Objective<Float32Array>): Objective<Float32Array>;
}

/** One axis of an align-corners resize from `from` to `to` samples: each output's lower source, and its weight. */
function axisWeights(from: number, to: number): { lo: Int32Array; hi: Int32Array; frac: Float32Array } {
  const ratio = to > 1 ? (from - 1) / (to - 1) : from / to;
  const lo = new Int32Array(to);
  const hi = new Int32Array(to);
  const frac = new Float32Array(to);
  for (let i = 0; i < to; i++) {
    const f = ratio * i;
    lo[i] = Math.max(0, Math.floor(f));
    hi[i] = Math.min(from - 1, Math.ceil(f));
    frac[i] = f - lo[i];
  }
  return { lo, hi, frac };
}

export function makeHostPyramid(height: number, width: number, options: PyramidOptions): HostPyramid {
  const { shapes, weights } = pyramidLevels(height, width, options);
  const sizes = shapes.map((s) => s[1] * s[2] * 3);
  const offsets = sizes.map((_, k) => sizes.slice(0, k).reduce((a, b) => a + b, 0));
  const total = sizes.reduce((a, b) => a + b, 0);
  const axes = shapes.map(([, h, w]) => ({ ys: axisWeights(h, height), xs: axisWeights(w, width) }));

  /** out += weight·U(level), or with `adjoint`, level += weight·Uᵀ(image). */
  const resample = (k: number, level: Float32Array, image: Float32Array, adjoint: boolean) => {
    const w = shapes[k][2];
    const { ys, xs } = axes[k];
    const wk = weights[k];
    for (let r = 0; r < height; r++) {
      const top = ys.lo[r] * w;
      const bottom = ys.hi[r] * w;
      const fy = ys.frac[r];
      for (let c = 0; c < width; c++) {
        const fx = xs.frac[c];
        const tl = (top + xs.lo[c]) * 3;
        const tr = (top + xs.hi[c]) * 3;
        const bl = (bottom + xs.lo[c]) * 3;
        const br = (bottom + xs.hi[c]) * 3;
        const o = (r * width + c) * 3;
        for (let ch = 0; ch < 3; ch++) {
          if (adjoint) {
            const g = image[o + ch] * wk;
            level[tl + ch] += g * (1 - fy) * (1 - fx);
            level[tr + ch] += g * (1 - fy) * fx;
            level[bl + ch] += g * fy * (1 - fx);
            level[br + ch] += g * fy * fx;
          } else {
            const t = level[tl + ch] + (level[tr + ch] - level[tl + ch]) * fx;
            const b = level[bl + ch] + (level[br + ch] - level[bl + ch]) * fx;
            image[o + ch] += (t + (b - t) * fy) * wk;
          }
        }
      }
    }
  };
  const levelOf = (z: Float32Array, k: number) => z.subarray(offsets[k], offsets[k] + sizes[k]);
  const decode = (z: Float32Array): Float32Array => {
    const x = levelOf(z, 0).slice();
    for (let k = 1; k < shapes.length; k++) resample(k, levelOf(z, k), x, false);
    return x;
  };
  const adjoint = (g: Float32Array): Float32Array => {
    const z = new Float32Array(total);
    z.set(g, 0);
    for (let k = 1; k < shapes.length; k++) resample(k, levelOf(z, k), g, true);
    return z;
  };
  return {
    encode: (x) => {
      const z = new Float32Array(total);
      z.set(x, 0);
      return z;
    },
    decode,
    wrap: (objective) => wrapObjective(objective, { decode, adjoint, keep: (v) => v, dispose: () => undefined }),
  };
}
