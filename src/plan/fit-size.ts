/**
 * The largest `size` below the requested one at which every scale fits the device and the budget — whole, or in the
 * tiles `tile` allows (their L-BFGS history then in JS memory if need be): what OUT_OF_MEMORY and DEVICE_LIMIT
 * suggest (`details.fitSize`).
 */
import { fitsBudget, stepKind } from './budget.js';
import { cropFitsOf, tilingAt, wholeStepMemory, type PlanContext } from './context.js';
import { tiledStepMemory } from './memory.js';
import { reachesAt, scaleSize, shapesAt } from './scales.js';
import { tiledMemoryInput } from './tiling.js';
import { MIN_HISTORY_UNTILED, MIN_SIDE } from './tuning.js';

/** Whether every scale of an output of longest side `size` fits (with the fewest pairs the plan would shorten to). */
export function fitsAllScales(ctx: PlanContext, size: number): boolean {
  const { o } = ctx.request;
  const cropFits = cropFitsOf(ctx);
  return o.scales.every((sc) => {
    const g = shapesAt(ctx.request, scaleSize(size, sc));
    const choice = tilingAt(ctx, g.height, g.width, g.styleShapes);
    const tiled = choice?.layout;
    if (tiled) {
      return (cropFits?.(tiled.maxCrop.height, tiled.maxCrop.width) ?? true) && fitsBudget(ctx.budget, tiledStepMemory(ctx.pass, tiled, tiledMemoryInput(o, 0, choice.stateOn)), stepKind(true, choice.stateOn));
    }
    if (ctx.device?.over(g.height, g.width, g.styleShapes)) return false;
    return fitsBudget(ctx.budget, wholeStepMemory(ctx, g.height, g.width, Math.min(ctx.want, MIN_HISTORY_UNTILED)));
  });
}

/**
 * Binary search over sizes for the boundary of a predicate that changes once as the size grows: the first size where
 * `ok` holds (`first`), or the last one where it does.
 */
function boundary(lo: number, hi: number, ok: (size: number) => boolean, first: boolean): number {
  while (lo < hi) {
    const mid = first ? Math.floor((lo + hi) / 2) : Math.ceil((lo + hi) / 2);
    if (ok(mid) === first) hi = first ? mid : mid - 1;
    else lo = first ? mid + 1 : mid;
  }
  return lo;
}

/** The largest `size` below the requested one that fits (see the file's comment); undefined when none does. */
export function fittingSize(ctx: PlanContext): number | undefined {
  const { o, tapPoints } = ctx.request;
  const deepest = ctx.lossPoints.concat(tapPoints).reduce((a, p) => Math.max(a, p.stride), 1);
  const styleDeepest = ctx.stylePoints.reduce((a, p) => Math.max(a, p.stride), 1);
  // Both predicates change once as the size grows: the smallest size that reaches the layers, then the largest
  // below the requested one that still fits.
  const lowest = boundary(MIN_SIDE, o.size, (size) => reachesAt(ctx.request, size, deepest, styleDeepest), true);
  if (lowest >= o.size || !fitsAllScales(ctx, lowest)) return undefined;
  return boundary(lowest, o.size - 1, (size) => fitsAllScales(ctx, size), false);
}
