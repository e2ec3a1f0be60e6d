import type { PlanSummary } from './protocol';

/**
 * The line under Size. Before a run the worker asks the library's planner (`Stylizer.plan`) what the run needs on
 * this backend with the GPU memory the page was told it may use: the memory per step, the tiles when the whole
 * image does not fit, or the largest size that fits. Once a run has measured a speed, the time it expects.
 * Sizes go up to {@link GPU_MAX} px when a hardware GPU runs the worker, {@link SOFTWARE_MAX} px otherwise.
 */
export const GPU_MAX = 4096;
export const SOFTWARE_MAX = 1024;
/** The GPU memory the page assumes until told otherwise: the library's default budget (browsers do not report it). */
export const DEFAULT_GPU_GB = 2;

/** Milliseconds per iteration seen in the last run, per megapixel of work (the plan's `cost` times the size). */
let rate: number | undefined;
export function recordSpeed(size: number, perIterationMs: number, cost: number): void {
  rate = perIterationMs / ((size * size) / 1e6) / cost;
}

const gb = (bytes: number): string => (bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GB` : `${Math.round(bytes / 2 ** 20)} MB`);

/** A line for the page: what the plan needs, or why it does not fit and what does. */
export function describeEstimate(size: number, iterations: number, plan: PlanSummary): string {
  if (!plan.fits) {
    const fit = plan.fitSize ? `${plan.fitSize} px fits` : 'no smaller size fits';
    if (plan.code === 'OUT_OF_MEMORY' && plan.needBytes && plan.budgetBytes !== undefined) {
      return `Does not fit: ${plan.width}x${plan.height} needs ≈ ${gb(plan.needBytes)}, more than the ${gb(plan.budgetBytes)} of GPU memory free; ${fit}, or raise GPU memory if the device has it.`;
    }
    return plan.code === 'DEVICE_LIMIT' ? `Does not fit this GPU's limits; ${fit}.` : plan.message;
  }
  const tiled = plan.tiles > 1 ? `, in ${plan.tiles} tiles of ${plan.tileSize} px${plan.stateOn === 'host' ? ' (optimiser state in the worker\u2019s memory)' : ''}` : '';
  const budget = plan.budgetBytes ? ` of ${gb(plan.budgetBytes)}` : '';
  const memory = `≈ ${gb(plan.memoryBytes)}${budget} of GPU memory per step${tiled}`;
  if (rate === undefined) return `${memory}; time: shown after a first run measures this device's speed.`;
  const seconds = (rate * ((size * size) / 1e6) * plan.cost * iterations) / 1000;
  const time = seconds < 90 ? `${Math.round(seconds)} s` : seconds < 5400 ? `${Math.round(seconds / 60)} min` : `${(seconds / 3600).toFixed(1)} h`;
  return `${memory}; ≈ ${time} for ${iterations} iterations (from the last run's speed).`;
}
