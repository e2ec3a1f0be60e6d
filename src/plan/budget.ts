/**
 * The memory budget of a run and the steps checked against it: where the budget comes from, the headroom each kind
 * of step gets, the longest L-BFGS history that fits, and the OUT_OF_MEMORY error (with the `size` that would fit).
 */
import { StyleTransferError } from '../errors.js';
import type { ResolvedOptions } from '../stylize/options.js';
import { gib } from './device.js';
import type { MemoryEstimate } from './memory.js';
import { HISTORY_SHRINK, HOST_STATE_MEMORY_SLACK, MAX_HISTORY_TRIED, MEMORY_SLACK, MIN_HISTORY_UNTILED, TILED_MEMORY_SLACK } from './tuning.js';
import type { BackendFacts, StepKind } from './types.js';

/** The headroom each kind of step gets on top of its estimate (see `tuning.ts`). */
export const SLACK: Readonly<Record<StepKind, number>> = { whole: MEMORY_SLACK, tiled: TILED_MEMORY_SLACK, 'host-state': HOST_STATE_MEMORY_SLACK };

/** The kind of step a scale takes: whole, tiled, or tiled with the optimiser's state in JS memory. */
export const stepKind = (tiled: boolean, stateOn: 'device' | 'host'): StepKind => (!tiled ? 'whole' : stateOn === 'host' ? 'host-state' : 'tiled');

/** A run's memory budget: the bytes it may hold and where that number comes from. */
export interface MemoryCap {
  bytes: number;
  note: string;
}

/**
 * The bytes a run may hold: the call's `memoryBudget`, else the GPU's default budget, else the backend's hard cap
 * (never more than that cap); undefined when there is nothing to check against (CPU, tensorflow).
 */
export function memoryCap(o: ResolvedOptions, facts: Pick<BackendFacts, 'backend' | 'memoryLimit' | 'deviceLimits'>): MemoryCap | undefined {
  const hard = facts.memoryLimit ?? Infinity;
  if (o.memoryBudget !== undefined) return { bytes: Math.min(o.memoryBudget, hard), note: o.memoryBudget <= hard ? 'your `memoryBudget`' : `the ${facts.backend} backend's limit` };
  if (facts.deviceLimits) return { bytes: Math.min(facts.deviceLimits.defaultBudget, hard), note: facts.deviceLimits.budgetNote };
  return facts.memoryLimit === undefined ? undefined : { bytes: facts.memoryLimit, note: `the ${facts.backend} backend's limit` };
}

/** What is left of the cap for this run: minus the bytes the backend holds now and those the run will add. */
export function budgetLeft(cap: MemoryCap | undefined, inUseBytes: number, pendingBytes = 0): number | undefined {
  return cap === undefined ? undefined : cap.bytes - inUseBytes - pendingBytes;
}

/** Whether a step of this estimate and kind fits `budget` with its headroom (true when there is no budget). */
export function fitsBudget(budget: number | undefined, m: MemoryEstimate, kind: StepKind = 'whole'): boolean {
  return budget === undefined || m.total * SLACK[kind] <= budget;
}

/** Where a step is planned, for OUT_OF_MEMORY's message and details. */
export interface OutOfMemoryContext {
  width: number;
  height: number;
  backend: string;
  /** Whether the history may be shortened (L-BFGS with its pairs on the device). */
  lbfgs: boolean;
  /** Where the budget comes from (`MemoryCap.note`). */
  note: string;
  /** The largest `size` that fits (computed only when the error is thrown); undefined: none. */
  fittingSize: () => number | undefined;
  slack: number;
  /** A hint appended to the message (Adam on a tiled scale: L-BFGS may fit). */
  adamNote: string;
}

/**
 * The longest L-BFGS history (≤ `want`) whose step fits `budget`, shortened down to {@link MIN_HISTORY_UNTILED}
 * pairs (with a warning pushed on `warnings`), or OUT_OF_MEMORY.
 */
export function affordableHistory(want: number, memoryAt: (history: number) => MemoryEstimate, budget: number, at: OutOfMemoryContext, warnings: string[]): number {
  const { width: w, height: h, backend } = at;
  const fits = (history: number) => memoryAt(history).total * at.slack <= budget;
  if (fits(want)) return want;
  if (at.lbfgs) {
    // Down to MIN_HISTORY_UNTILED pairs (or fewer when fewer were asked for): the history the error's estimate and
    // `fitSize` assume.
    const least = Math.min(want, MIN_HISTORY_UNTILED);
    for (let hist = Math.min(want, MAX_HISTORY_TRIED); ; hist = Math.max(least, Math.floor(hist * HISTORY_SHRINK))) {
      if (fits(hist)) {
        warnings.push(`At ${w}x${h} the L-BFGS history was shortened from ${want} to ${hist} pairs to fit the ${backend} backend's memory.`);
        return hist;
      }
      if (hist === least) break;
    }
  }
  const need = memoryAt(Math.min(want, MIN_HISTORY_UNTILED)).total * at.slack;
  const fitSize = at.fittingSize();
  throw new StyleTransferError(
    'OUT_OF_MEMORY',
    `A ${w}x${h} image needs about ${gib(need)} GiB on the ${backend} backend, more than the ${gib(budget)} GiB left of ${at.note}. ` +
      `${fitSize === undefined ? 'No smaller `size` fits either: use' : `\`size: ${fitSize}\` is the largest that fits; or use`} style layers that stop earlier, a larger \`memoryBudget\` if the device has it, or the tensorflow (tfjs-node) backend.${at.adamNote}`,
    { width: w, height: h, bytes: need, budget, fitSize },
  );
}
