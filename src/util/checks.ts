/**
 * Small checks written once for the whole library: unknown option keys, an aborted signal, a clock. Platform-neutral
 * (no tf, no Node APIs).
 * @module
 */
import { StyleTransferError } from '../errors.js';

/**
 * Throws INVALID_OPTION for the first key of `obj` that is not in `known`, with `details`
 * `{ field, expected, got, known }`: `field` is the key with `where` in front (`where` `'lbfgs'` → `lbfgs.histroy`;
 * `''` for top-level options), `got` the value given under it, `expected` a sentence naming the known keys and
 * `known` the list. The message suggests the nearest known key when there is one (a typo).
 */
export function rejectUnknownKeys(obj: object, known: Iterable<string>, where = ''): void {
  const keys = [...known];
  const set = new Set(keys);
  for (const key of Object.keys(obj)) {
    if (set.has(key)) continue;
    const field = where ? `${where}.${key}` : key;
    const guess = closest(key, keys);
    const expected = `one of the known ${where ? `\`${where}\` ` : ''}options: ${keys.join(', ')}`;
    throw new StyleTransferError('INVALID_OPTION', `Unknown option \`${field}\`${guess ? ` (did you mean \`${where ? `${where}.` : ''}${guess}\`?)` : ''}; expected ${expected}.`, {
      field,
      expected,
      got: (obj as Record<string, unknown>)[key],
      known: keys,
    });
  }
}

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
