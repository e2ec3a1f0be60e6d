/**
 * User callbacks of a call (`onIteration`, `onTile`, `onQueue`) kept from holding it: a callback's promise is
 * raced with the call's signal and the session's disposal, and a callback's exception cannot break the queue.
 * @module
 */
import { StyleTransferError } from '../errors.js';
import { raceAbort } from '../util/signal.js';
import type { ResolvedOptions } from './options.js';
import { throwIfAborted } from './targets.js';

/** The error a call rejects with when one of its signals aborts: DISPOSED from the session, else ABORTED. */
function abortError(signal: AbortSignal): unknown {
  if (signal.reason instanceof StyleTransferError) return signal.reason;
  try {
    throwIfAborted(signal, 'stylize()');
  } catch (e) {
    return e;
  }
  return new StyleTransferError('ABORTED', 'stylize() was aborted.');
}

/** A callback's result, raced with `signals` (see {@link raceAbort}). */
export function settled<T>(value: T | PromiseLike<T>, signals: readonly (AbortSignal | undefined)[]): Promise<T> {
  return raceAbort(value, signals, abortError);
}

/** The options with `onTile` raced with `signals`, so a tile callback cannot hold the loop. */
export function raceTileCallback(o: ResolvedOptions, signals: readonly (AbortSignal | undefined)[]): ResolvedOptions {
  const { onTile } = o;
  return onTile ? { ...o, onTile: (p) => settled(onTile(p), signals) } : o;
}

/** Runs a user callback without letting its exception (or its promise's rejection) break the queue. */
export function safely(f: () => unknown): void {
  try {
    const r = f() as PromiseLike<unknown> | undefined;
    if (typeof r?.then === 'function') r.then(undefined, () => undefined);
  } catch {
    // A progress callback's failure is the caller's; the line must go on.
  }
}
