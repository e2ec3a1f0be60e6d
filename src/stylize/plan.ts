/**
 * The run plan as `stylize()` and `Stylizer.plan` ask for it: reads the two facts that live outside the call (the
 * bytes the backend holds now, the host's memory) once, and hands everything to the pure planner in `src/plan/`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { planFromFacts } from '../plan/plan.js';
import type { BackendFacts, PlanRequest, RunPlan } from '../plan/types.js';
import { getPlatform } from '../platform.js';

export type { RunPlan, ScalePlan } from '../plan/types.js';
export { scaleSize } from '../plan/scales.js';

/** A plan's request and what the caller knows of the backend (its kernels' memory cap, device limits, conv weights). */
export type RunPlanInput = PlanRequest & Omit<BackendFacts, 'inUseBytes' | 'hostMemory'>;

/**
 * Plans a run (see `planFromFacts`) against the active backend: the budget is what is left of the cap after the
 * tensors in use now (`tf.memory()`), and optimiser state in JS memory is bounded by `Platform.hostMemory`.
 * Allocates nothing.
 */
export function planRun(input: RunPlanInput): RunPlan {
  const { o, content, styles, tapPoints, pendingBytes, backend, memoryLimit, convBytes, deviceLimits } = input;
  const facts: BackendFacts = { backend, memoryLimit, convBytes, deviceLimits, inUseBytes: tf.memory().numBytes, hostMemory: getPlatform().hostMemory?.() };
  return planFromFacts({ o, content, styles, tapPoints, pendingBytes }, facts);
}
