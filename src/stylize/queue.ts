import { StyleTransferError } from '../errors.js';
import { throwIfAborted } from './targets.js';

interface Waiter {
  start: () => void;
  fail: (e: unknown) => void;
  onPosition?: (position: number) => void;
}

/**
 * A first-in, first-out line for the work of one session: one call runs at a time. On one backend, calls side by
 * side would share the same cores (or GPU) and each hold its own activations and optimiser state; in a line the
 * first finishes sooner and memory stays that of one run (measured in docs/serving.md).
 */
export class RunQueue {
  private readonly waiting: Waiter[] = [];
  private busy = false;

  constructor(private readonly maxWaiting: number) {}

  /** Calls waiting (not counting the one running). */
  get waitingCount(): number {
    return this.waiting.length;
  }

  /** True while a call runs. */
  get running(): boolean {
    return this.busy;
  }

  /**
   * Waits for this call's turn and resolves to the function that ends it (call it exactly once). Rejects with
   * ABORTED if the signal aborts while waiting (leaving the line) and QUEUE_FULL when `maxWaiting` calls wait.
   */
  acquire(signal?: AbortSignal, onPosition?: (position: number) => void): Promise<() => void> {
    throwIfAborted(signal, 'The call');
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.maxWaiting) {
      return Promise.reject(
        new StyleTransferError('QUEUE_FULL', `${this.waiting.length} calls are already waiting for this stylizer (maxQueue ${this.maxWaiting}); try again later or raise \`maxQueue\`.`, { waiting: this.waiting.length }),
      );
    }
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        this.announce(i);
        try {
          throwIfAborted(signal, 'The call');
        } catch (e) {
          reject(e);
        }
      };
      const waiter: Waiter = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          onPosition?.(0);
          resolve(this.releaser());
        },
        fail: reject,
        onPosition,
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
      onPosition?.(this.waiting.length);
    });
  }

  /** Rejects every waiting call (the session is being disposed). */
  rejectAll(e: unknown): void {
    for (const w of this.waiting.splice(0)) w.fail(e);
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiting.shift();
      if (!next) {
        this.busy = false;
        return;
      }
      this.announce(0);
      next.start();
    };
  }

  /** Tells the waiters from index `from` on their new place in the line. */
  private announce(from: number): void {
    for (let i = Math.max(0, from); i < this.waiting.length; i++) this.waiting[i].onPosition?.(i + 1);
  }
}
