/**
 * Small helpers written once for the whole library: an aborted signal, a clock, the nearest name to a typo (option
 * checks themselves are `Checker`, src/options/check.ts). Platform-neutral
 * (no tf, no Node APIs).
 * @module
 */
import { StyleTransferError } from '../errors.js';

/** Throws ABORTED (`details.reason`, and the reason as `cause`) when `signal` has fired: "`what` was aborted (reason)." */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (!signal?.aborted) return;
  const reason: unknown = signal.reason;
  const text = reason instanceof Error ? reason.message : reason !== undefined ? String(reason) : 'aborted';
  throw new StyleTransferError('ABORTED', `${what} was aborted (${text}).`, { reason }, { cause: reason });
}

/** Milliseconds from a monotonic clock where the host has one (`performance.now()`), else the wall clock. */
export const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** The candidate nearest to `name` by edit distance, if near enough to be a typo of it (≤ max(2, length/3)). */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = levenshtein(name, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}
