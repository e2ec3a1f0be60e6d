/**
 * What every decision of one plan reads, derived once from the request and the backend's facts (the passes, the
 * budget, the device check), and the two questions asked of it at any size: a step's memory, and how a scale of
 * that size is tiled.
 */
import type { NetworkPoint } from '../core/layers.js';
import { planPass, type PassPlan } from '../core/network.js';
import { budgetLeft, fitsBudget, memoryCap, type MemoryCap } from './budget.js';
import { deviceCheck, type DeviceCheck } from './device.js';
import { convUse, stepMemory, type MemoryEstimate } from './memory.js';
import { chooseTiling, type TilingChoice } from './tiling.js';
import type { BackendFacts, PlanRequest, StepKind } from './types.js';

/** One plan's derived data; see {@link planContext}. */
export interface PlanContext {
  request: PlanRequest;
  facts: BackendFacts;
  lossPoints: NetworkPoint[];
  stylePoints: NetworkPoint[];
  /** The loss pass, and the loss pass extended to the tapped points. */
  pass: PassPlan;
  tappedPass: PassPlan;
  cap: MemoryCap | undefined;
  /** Bytes left of the cap for this run; undefined: nothing to check against. */
  budget: number | undefined;
  /** L-BFGS pairs asked for (0 with Adam). */
  want: number;
  pyramid: boolean;
  /** The device's per-allocation check (GPU backends); undefined: no such limit. */
  device: DeviceCheck | undefined;
}

export function planContext(request: PlanRequest, facts: BackendFacts): PlanContext {
  const { o, tapPoints } = request;
  const lossPoints = [...o.contentLayers, ...o.styleLayers].map((l) => l.point);
  const stylePoints = o.styleLayers.map((l) => l.point);
  const pass = planPass({ network: o.network, pooling: o.pooling, losses: lossPoints });
  const tappedPass = planPass({ network: o.network, pooling: o.pooling, losses: lossPoints, observe: tapPoints });
  const cap = memoryCap(o, facts);
  const limits = facts.deviceLimits;
  // The style images' pass is forward only (their Grams): no backward tensors.
  const device = limits && deviceCheck(limits, tapPoints.length ? tappedPass : pass, { ...planPass({ network: o.network, pooling: o.pooling, losses: stylePoints }), deepestLoss: -1 });
  return {
    request, facts, lossPoints, stylePoints, pass, tappedPass, cap, device,
    budget: budgetLeft(cap, facts.inUseBytes, request.pendingBytes),
    want: o.optimizer === 'lbfgs' ? o.lbfgs.historySize : 0,
    pyramid: o.precondition !== undefined,
  };
}

/** A whole-image step's memory at `height`x`width` with `historySize` pairs; with the backend's prepared convs (WASM: Winograd's weights) unless `withConvs` is false. */
export function wholeStepMemory(ctx: PlanContext, height: number, width: number, historySize: number, withConvs = true): MemoryEstimate {
  const convWeightBytes = withConvs ? (ctx.facts.convBytes?.(convUse(ctx.tappedPass, height, width)) ?? 0) : 0;
  const { optimizer, styleStatistic } = ctx.request.o;
  return stepMemory(ctx.pass, { height, width, optimizer, historySize, pyramid: ctx.pyramid, convWeightBytes, styleStatistic, stylePoints: ctx.stylePoints });
}

/** The budget check as a function (undefined when there is no budget), as {@link chooseTiling} takes it. */
export function fitsOf(ctx: PlanContext): ((m: MemoryEstimate, kind?: StepKind) => boolean) | undefined {
  const { budget } = ctx;
  return budget === undefined ? undefined : (m, kind = 'whole') => fitsBudget(budget, m, kind);
}

/** Whether a crop of `height`x`width` fits the device's per-allocation limit (undefined: no such limit). */
export function cropFitsOf(ctx: PlanContext): ((height: number, width: number) => boolean) | undefined {
  const { device } = ctx;
  return device && ((h, w) => !device.over(h, w, []));
}

/**
 * How a scale of this size is evaluated, as `o.tile`, the budget and the device say (undefined: whole). On a GPU no
 * single tensor may pass the device's limits: checked on the whole image, or, when tiled, on the largest tile's crop.
 */
export function tilingAt(ctx: PlanContext, height: number, width: number, styleShapes: readonly { height: number; width: number }[], withConvs = true): TilingChoice | undefined {
  const cropFits = cropFitsOf(ctx);
  return chooseTiling({
    o: ctx.request.o, height, width, lossPoints: ctx.lossPoints, pass: ctx.pass, taps: ctx.request.tapPoints.length > 0, fits: fitsOf(ctx),
    untiled: (historySize) => wholeStepMemory(ctx, height, width, historySize, withConvs),
    device: cropFits && { wholeFits: !ctx.device!.over(height, width, styleShapes), cropFits },
  });
}
