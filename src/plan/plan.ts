/**
 * The run plan: from a request and the backend's facts, every scale's sizes, tiles, L-BFGS history, state placement
 * and memory estimate, the warnings, and the errors a run would meet (INVALID_IMAGE, DEVICE_LIMIT, OUT_OF_MEMORY),
 * before any work. Pure: no tensors, no backend calls (the caller reads the backend once: `stylize/plan.ts`).
 */
import { isTileable } from '../core/style-statistics.js';
import { activationBytes, tiledStepMemory, type MemoryEstimate } from './memory.js';
import { affordableHistory, SLACK, stepKind, type OutOfMemoryContext } from './budget.js';
import { planContext, tilingAt, cropFitsOf, wholeStepMemory, type PlanContext } from './context.js';
import { deviceLimitError } from './device.js';
import { fittingSize } from './fit-size.js';
import { hostHistory } from './host-state.js';
import { checkReach, pyramidLevelsAt, scaleSize, shapesAt, styleSizeFor } from './scales.js';
import { largestFittingTile, tiledMemoryInput, type TilingChoice } from './tiling.js';
import { TAP_ACTIVATION_COPIES } from './tuning.js';
import type { BackendFacts, PlanRequest, RunPlan, ScalePlan } from './types.js';

/**
 * Plans a run: the sizes at each scale, checked to reach every layer they must (INVALID_IMAGE otherwise); the pass
 * (what the backward pass keeps); on a GPU, that no single tensor exceeds the device's limit (DEVICE_LIMIT
 * otherwise); against the memory budget (the call's `memoryBudget`, else the backend's cap or default budget, less
 * `facts.inUseBytes`) the tiles and the L-BFGS history each scale can afford (shortened with a warning, or
 * OUT_OF_MEMORY); and whether taps can observe the objective's pass. Both errors say which `size` would fit.
 */
export function planFromFacts(request: PlanRequest, facts: BackendFacts): RunPlan {
  const ctx = planContext(request, facts);
  const warnings: string[] = [];
  let tapsInPass = request.tapPoints.length > 0;
  const scales = request.o.scales.map((s): ScalePlan => {
    const scale = planScale(ctx, scaleSize(request.o.size, s), warnings);
    if (tapsInPass) tapsInPass = tapsFitInPass(ctx, scale);
    return scale;
  });
  return { scales, pass: ctx.pass, tappedPass: ctx.tappedPass, tapsInPass, warnings, ...(ctx.cap && { budget: ctx.cap }) };
}

/**
 * Whether taps can observe the objective's pass at this scale: on a tap iteration the best evaluation's tapped
 * activations wait for the step while the next pass runs (true when there is no budget).
 */
function tapsFitInPass(ctx: PlanContext, scale: ScalePlan): boolean {
  if (ctx.budget === undefined) return true;
  const tapBytes = TAP_ACTIVATION_COPIES * ctx.request.tapPoints.reduce((a, p) => a + activationBytes(p, scale.height, scale.width), 0);
  return (scale.memory.total + tapBytes) * SLACK[stepKind(scale.tiling !== undefined, scale.stateOn)] <= ctx.budget;
}

/** One scale of the plan, for an output of longest side `size`; pushes its warnings. */
function planScale(ctx: PlanContext, size: number, warnings: string[]): ScalePlan {
  const { o, tapPoints, styles } = ctx.request;
  const { backend } = ctx.facts;
  const { height, width, styleShapes } = shapesAt(ctx.request, size);
  checkReach('content', height, width, ctx.lossPoints.concat(tapPoints), '`size`');
  styleShapes.forEach((st, i) => checkReach(styles.length > 1 ? `style[${i}]` : 'style', st.height, st.width, ctx.stylePoints, '`size` or `styleScale`'));
  const { tiled, prepareConvs } = tilingWithConvs(ctx, height, width, styleShapes, warnings);
  const tiling = tiled?.layout;
  checkDevice(ctx, height, width, styleShapes, tiled);
  const historyOn = tiled?.historyOn ?? 'device';
  const stateOn = tiled?.stateOn ?? 'device';
  const stepAt = (historySize: number): MemoryEstimate =>
    tiling ? tiledStepMemory(ctx.pass, tiling, tiledMemoryInput(o, historySize, stateOn)) : wholeStepMemory(ctx, height, width, historySize, prepareConvs);
  const slack = SLACK[stepKind(tiling !== undefined, stateOn)];
  // Adam's state has no home in JS memory: L-BFGS (the default) may fit where it does not.
  const adamNote = o.optimizer === 'adam' && tiling ? ' L-BFGS (`optimizer: \'lbfgs\'`, the default) keeps its state in JS memory when a tiled image needs it, and may fit.' : '';
  const at: OutOfMemoryContext = { width, height, backend, note: ctx.cap?.note ?? `the ${backend} backend's limit`, fittingSize: () => fittingSize(ctx), slack, adamNote, lbfgs: o.optimizer === 'lbfgs' };
  const { budget } = ctx;
  let historySize: number;
  let memory: MemoryEstimate;
  if (historyOn === 'host') {
    // The pairs live in JS memory; the device holds the tiles' pass and the optimiser's working vectors (or, with
    // the state in JS memory too, only the pass).
    historySize = hostHistory({ height, width, pyramid: ctx.pyramid, want: ctx.want, stateOn, hostMemory: ctx.facts.hostMemory });
    memory = stepAt(0);
    // Even without pairs the step may not fit: affordableHistory(0, …) then throws OUT_OF_MEMORY.
    if (budget !== undefined && memory.total * slack > budget) affordableHistory(0, stepAt, budget, { ...at, lbfgs: false }, warnings);
    warnings.push(
      stateOn === 'host'
        ? `At ${width}x${height} the optimiser's state (the image, its gradient, the L-BFGS history of ${historySize} pairs) is kept in JS memory: next to the tiles' pass it does not fit the ${backend} backend's memory.`
        : `At ${width}x${height} the L-BFGS history (${historySize} pairs) is kept in JS memory: next to the tiles' pass it does not fit the ${backend} backend's memory.`,
    );
  } else {
    historySize = budget === undefined ? ctx.want : affordableHistory(ctx.want, stepAt, budget, at, warnings);
    memory = stepAt(historySize);
  }
  const styleSize = styleSizeFor(o, size);
  const pyramidLevels = pyramidLevelsAt(o, height, width);
  return { size, height, width, styleSize, styleShapes, historySize, historyOn, stateOn, pyramidLevels, memory, tiling, prepareConvs };
}

/**
 * The scale's tiling, and whether the backend's prepared convs (WASM: Winograd's weights) are used: they are a
 * speed-up, so where only they keep the whole image from fitting, the scale runs whole on plain convs (with a
 * warning).
 */
function tilingWithConvs(ctx: PlanContext, height: number, width: number, styleShapes: readonly { height: number; width: number }[], warnings: string[]): { tiled: TilingChoice | undefined; prepareConvs: boolean } {
  const tiled = tilingAt(ctx, height, width, styleShapes);
  const prepareConvs = !tiled || ctx.request.o.tile.mode === 'always' || tilingAt(ctx, height, width, styleShapes, false) !== undefined;
  if (prepareConvs) return { tiled, prepareConvs };
  warnings.push(`At ${width}x${height} the ${ctx.facts.backend} backend's prepared convolutions (Winograd's weights) are not used: without them the whole image fits, with them it would be tiled.`);
  return { tiled: undefined, prepareConvs };
}

/**
 * DEVICE_LIMIT when a tensor of the scale's pass exceeds the device's per-allocation limit: the whole image's (and
 * the style images'), or, when tiled, the largest crop's. The error names the largest `size` that fits and, where
 * the run could be tiled, the largest tile whose crop fits.
 */
function checkDevice(ctx: PlanContext, height: number, width: number, styleShapes: readonly { height: number; width: number }[], tiled: TilingChoice | undefined): void {
  const { device } = ctx;
  if (!device) return;
  const tiling = tiled?.layout;
  const cropOver = tiling && device.over(tiling.maxCrop.height, tiling.maxCrop.width, []);
  const over = tiling ? cropOver && { ...cropOver, image: 'content tile' } : device.over(height, width, styleShapes);
  if (!over) return;
  const { o, tapPoints } = ctx.request;
  const cropFits = cropFitsOf(ctx)!;
  const tile = !tapPoints.length && !o.normalizeGradients && isTileable(o.styleStatistic) ? largestFittingTile({ o, height, width, lossPoints: ctx.lossPoints }, cropFits) : undefined;
  throw deviceLimitError(over, ctx.facts.deviceLimits!, ctx.facts.backend, fittingSize(ctx), tile);
}
