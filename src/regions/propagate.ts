/**
 * How a pixel mask reaches a layer of the network, in closed form through VGG-19's own geometry (3x3 'same' convs
 * with stride 1, 2x2 pools with stride 2), as in Gatys et al. 2017, "Controlling Perceptual Factors in Neural Style
 * Transfer" (section 4 and its code):
 * - `'inside'` (default): a unit is inside a region as far as its whole receptive field is — a 3x3 min filter at
 *   each conv, a 2x2 min at each pool (erosion). Deep units that see across the border are left out, so one
 *   region's texture does not leak into the other's statistics.
 * - `'all'`: a unit belongs to a region if any of its receptive field does — max filters (dilation).
 * - `'area'`: each pool averages the 2x2 cells it merges (a soft mask, the region's share of the unit's footprint);
 *   convs leave it as it is.
 * - `'nearest'`: each pool keeps the top-left cell of the 2x2 it merges (the mask zoomed to the layer's grid).
 * Then `erode` extra 3x3 min filters at the layer (in feature pixels), and a `threshold` that makes the mask 0/1.
 * The filters are taken over the mask's own cells only (a 'same' border reads no padding), so a region touching
 * the image's edge is not eroded from the edge.
 * @module
 */
import { VGG19, type NetworkArchitecture, type NetworkPoint } from '../core/architecture.js';
import type { Mask } from './mask.js';

/** How a mask is carried from the pixels to a layer. See the module comment. */
export type MaskPropagation = 'inside' | 'all' | 'area' | 'nearest';

export const MASK_PROPAGATIONS: readonly MaskPropagation[] = ['inside', 'all', 'area', 'nearest'];

/** How a region's pixel mask becomes each layer's mask. */
export interface PropagationOptions {
  /** Default `'inside'` (Gatys et al. 2017's choice). */
  mode?: MaskPropagation;
  /** Extra erosion at the layer, in feature pixels (3x3 min filters). Default 0. */
  erode?: number;
  /** Values ≥ this become 1, others 0, after propagation. Default: none (soft masks stay soft). */
  threshold?: number;
  /** The network whose convs and pools the mask follows. Default VGG-19; `stylize()` passes its model's. */
  network?: NetworkArchitecture;
}

/** A k x k (k = 2: top-left anchored, stride 2; k = 3: centred, stride 1) min or max filter over the mask's cells. */
function filter(m: Mask, k: 2 | 3, op: 'min' | 'max'): Mask {
  const pool = k === 2;
  const height = pool ? Math.floor(m.height / 2) : m.height;
  const width = pool ? Math.floor(m.width / 2) : m.width;
  const out = new Float32Array(height * width);
  const pick = op === 'min' ? Math.min : Math.max;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = op === 'min' ? Infinity : -Infinity;
      const y0 = pool ? 2 * y : y - 1;
      const x0 = pool ? 2 * x : x - 1;
      for (let dy = 0; dy < k; dy++) {
        const sy = y0 + dy;
        if (sy < 0 || sy >= m.height) continue;
        for (let dx = 0; dx < k; dx++) {
          const sx = x0 + dx;
          if (sx < 0 || sx >= m.width) continue;
          v = pick(v, m.data[sy * m.width + sx]);
        }
      }
      out[y * width + x] = v;
    }
  }
  return { data: out, width, height };
}

/** A 2x2 stride-2 pool by averaging (`area`) or by the top-left cell (`nearest`). */
function pool2(m: Mask, how: 'area' | 'nearest'): Mask {
  const height = Math.floor(m.height / 2);
  const width = Math.floor(m.width / 2);
  const out = new Float32Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = 2 * y * m.width + 2 * x;
      out[y * width + x] = how === 'nearest' ? m.data[i] : (m.data[i] + m.data[i + 1] + m.data[i + m.width] + m.data[i + m.width + 1]) / 4;
    }
  }
  return { data: out, width, height };
}

/** One step of the walk: what `point` does to the mask of its input. */
function step(m: Mask, point: NetworkPoint, mode: MaskPropagation): Mask {
  if (point.kind === 'relu') return m;
  if (point.kind === 'conv') return mode === 'inside' ? filter(m, 3, 'min') : mode === 'all' ? filter(m, 3, 'max') : m;
  return mode === 'inside' ? filter(m, 2, 'min') : mode === 'all' ? filter(m, 2, 'max') : pool2(m, mode);
}

function finish(m: Mask, o: PropagationOptions): Mask {
  let out = m;
  for (let i = 0; i < (o.erode ?? 0); i++) out = filter(out, 3, 'min');
  if (o.threshold !== undefined) {
    const t = o.threshold;
    out = { ...out, data: out.data.map((v) => (v >= t ? 1 : 0)) };
  }
  return out;
}

/**
 * The masks of `mask` (at the network's input size) at each of `points`, by one walk through the network.
 * Returns them keyed by the point's index.
 */
export function propagateMask(mask: Mask, points: readonly NetworkPoint[], o: PropagationOptions = {}): Map<number, Mask> {
  const mode = o.mode ?? 'inside';
  const wanted = new Set(points.map((p) => p.index));
  const deepest = Math.max(-1, ...points.map((p) => p.index));
  const out = new Map<number, Mask>();
  let m = mask;
  for (const p of (o.network ?? VGG19).points.slice(0, deepest + 1)) {
    m = step(m, p, mode);
    if (wanted.has(p.index)) out.set(p.index, finish(m, o));
  }
  return out;
}
