/**
 * The sizes of a run's scales: the output's and each style image's at every scale, the check that they reach the
 * layers they must, and the pyramid's levels.
 */
import type { NetworkPoint } from '../core/layers.js';
import { assertFits } from '../core/network.js';
import { fitSize } from '../image/input.js';
import { autoPyramidLevels } from '../optim/pyramid.js';
import type { ResolvedOptions } from '../stylize/options.js';
import { MIN_SIDE } from './tuning.js';
import type { PlanRequest } from './types.js';

/** The output's longest side at a scale factor, for an output of longest side `size`. */
export const scaleSize = (size: number, scale: number): number => Math.max(MIN_SIDE, Math.round(size * scale));

/** The longest side a style image is resized to for an output of longest side `size`. */
export const styleSizeFor = (o: ResolvedOptions, size: number): number => Math.max(MIN_SIDE, Math.round(size * o.styleScale));

/** The content's and the style images' sizes at one scale. */
export interface ScaleShapes {
  height: number;
  width: number;
  styleShapes: { height: number; width: number }[];
}

/** The content's and each style image's size for an output of longest side `size`. */
export function shapesAt(request: Pick<PlanRequest, 'o' | 'content' | 'styles'>, size: number): ScaleShapes {
  const [height, width] = fitSize(request.content.height, request.content.width, size);
  const styleShapes = request.styles.map((st) => {
    const [sh, sw] = fitSize(st.height, st.width, styleSizeFor(request.o, size));
    return { height: sh, width: sw };
  });
  return { height, width, styleShapes };
}

/** INVALID_IMAGE when a `height`x`width` image is too small to reach the deepest of `points`. */
export function checkReach(field: string, height: number, width: number, points: readonly NetworkPoint[], hint: string): void {
  assertFits(height, width, points.reduce((a, p) => (p.stride > a.stride ? p : a)), field, hint);
}

/** Whether every scale of an output of longest side `size` reaches the deepest points (the content's and the styles'). */
export function reachesAt(request: Pick<PlanRequest, 'o' | 'content' | 'styles'>, size: number, deepest: number, styleDeepest: number): boolean {
  return request.o.scales.every((sc) => {
    const g = shapesAt(request, scaleSize(size, sc));
    return Math.min(g.height, g.width) >= deepest && g.styleShapes.every((st) => Math.min(st.height, st.width) >= styleDeepest);
  });
}

/** Levels of the pyramid parametrisation at this size (0 without `precondition`). */
export function pyramidLevelsAt(o: ResolvedOptions, height: number, width: number): number {
  return o.precondition ? o.precondition.levels || autoPyramidLevels(height, width) : 0;
}
