/**
 * Refuses an impossible `--size` before the model loads. Each 2x2 pooling halves a side, so a layer of block b
 * needs at least 2^(b-1) pixels on the image's shorter side (conv5_1: 16, pool5: 32); `--size` sets the longer
 * side, so a wide image at a small size can leave its shorter side below that. The library finds this out only
 * once it plans the run, after the model loaded; here the images' own sizes (read before the model loads) give
 * the answer at once, with the smallest size that works.
 * @module
 */
import { StyleTransferError } from '../errors.js';
import { fitSize } from '../image/input.js';
import type { NetworkPoint } from '../core/layers.js';
import { scaleSize } from '../stylize/plan.js';

interface Size {
  width: number;
  height: number;
}

/** What a run makes of its images at a given `--size`. */
export interface SizeNeeds {
  /** The deepest point the output (content-sized) image passes through. */
  deepest: NetworkPoint;
  /** The deepest style point, when style images are resized too (by `styleScale`). */
  deepestStyle?: NetworkPoint;
  /** The run's scales (fractions of the size) at a given size. Default: one scale. */
  scalesAt?: (size: number) => readonly number[];
  /** Style images are resized to size·styleScale (the library's rule). Default 1. */
  styleScale?: number;
  /** The largest size allowed (the flag's range). Default 4096. */
  max?: number;
}

/** Why `size` is impossible for these images (the smallest side found and what it needed), or undefined if it fits. */
function problem(size: number, content: Size, styles: readonly Size[], n: SizeNeeds): string | undefined {
  for (const scale of n.scalesAt?.(size) ?? [1]) {
    const s = scaleSize(size, scale);
    const [h, w] = fitSize(content.height, content.width, s);
    const at = scale === 1 ? '' : ` at its ${s} px scale`;
    if (Math.min(h, w) < n.deepest.stride) return `the ${content.width}x${content.height} image becomes ${w}x${h} px${at}, and ${n.deepest.name} needs ${n.deepest.stride} px on each side`;
    if (!n.deepestStyle) continue;
    const need = n.deepestStyle.stride;
    for (const st of styles) {
      const [sh, sw] = fitSize(st.height, st.width, Math.max(16, Math.round(s * (n.styleScale ?? 1))));
      if (Math.min(sh, sw) < need) return `the ${st.width}x${st.height} style image becomes ${sw}x${sh} px${at}, and ${n.deepestStyle.name} needs ${need} px on each side`;
    }
  }
  return undefined;
}

/**
 * Throws INVALID_OPTION (`details.field` `'size'`, `got`, `expected`, `minimum`) when `size` leaves an image
 * smaller than its deepest layer needs, naming the smallest size that works (or, if none up to the maximum does,
 * saying to use earlier layers).
 */
export function checkSizeFits(size: number, content: Size, styles: readonly Size[], needs: SizeNeeds): void {
  const why = problem(size, content, styles, needs);
  if (!why) return;
  const max = needs.max ?? 4096;
  let minimum: number | undefined;
  for (let s = size + 1; s <= max; s++) {
    if (!problem(s, content, styles, needs)) {
      minimum = s;
      break;
    }
  }
  const expected = minimum === undefined ? `layers from an earlier block (at ${size}, ${why})` : `${minimum} or more for these images (at ${size}, ${why})`;
  throw new StyleTransferError('INVALID_OPTION', `Option \`size\` is ${size}; expected ${expected}.`, { field: 'size', got: size, expected, minimum });
}

/** The deepest of `points` (the largest stride). */
export const deepestOf = (points: readonly NetworkPoint[]): NetworkPoint => points.reduce((a, p) => (p.stride > a.stride ? p : a));
