/**
 * Whether a value is a real AbortSignal, the one check every `signal` option goes through. A look-alike such as
 * `{ aborted: false }` has no `addEventListener`, so the queue could not hear it abort and the run would crash
 * when it tried; it is refused instead. Where the host has `AbortSignal` (Node ≥ 15, browsers, workers) the
 * value must be an instance of it; elsewhere it must have the methods the library calls.
 */
export function isAbortSignal(s: unknown): s is AbortSignal {
  if (typeof s !== 'object' || s === null) return false;
  if (typeof AbortSignal === 'function') return s instanceof AbortSignal;
  const o = s as Partial<AbortSignal>;
  return typeof o.aborted === 'boolean' && typeof o.addEventListener === 'function' && typeof o.removeEventListener === 'function';
}

/**
 * Waits for a callback's result without letting it hold the caller: a plain value resolves at once, a promise is
 * raced with the signals, and the first of them to abort rejects with `reason(signal)` (the callback's promise is
 * left to settle on its own, its result ignored). So a progress callback that never settles cannot block an
 * abort, a session's disposal or the queue behind them.
 */
export function raceAbort<T>(value: T | PromiseLike<T>, signals: readonly (AbortSignal | undefined)[], reason: (signal: AbortSignal) => unknown): Promise<T> {
  if (typeof (value as PromiseLike<T> | undefined)?.then !== 'function') return Promise.resolve(value);
  const live = signals.filter((s): s is AbortSignal => s !== undefined);
  const aborted = live.find((s) => s.aborted);
  if (aborted) {
    Promise.resolve(value).catch(() => undefined);
    return Promise.reject(reason(aborted));
  }
  return new Promise<T>((resolve, reject) => {
    const listeners = live.map((s) => {
      const f = (): void => {
        done();
        reject(reason(s));
      };
      s.addEventListener('abort', f, { once: true });
      return [s, f] as const;
    });
    const done = (): void => {
      for (const [s, f] of listeners) s.removeEventListener('abort', f);
    };
    Promise.resolve(value).then(
      (v) => {
        done();
        resolve(v);
      },
      (e: unknown) => {
        done();
        reject(e);
      },
    );
  });
}
