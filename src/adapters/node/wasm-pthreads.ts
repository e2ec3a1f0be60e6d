/**
 * The pthread plumbing of multi-threaded WASM in Node (see `wasm-threads.ts`, which uses it while the backend
 * starts): the `Worker` class emscripten gets (an `eval` worker running the package's worker script), one start-up
 * attempt and its workers, and the two temporary patches (`globalThis.Worker`, `os.cpus()`), each undone by the
 * function that installs it.
 * @module
 */
import os from 'node:os';
import { Worker as NodeWorker, type WorkerOptions } from 'node:worker_threads';

/**
 * @internal Fault injection for tests: `'spawn'` = the Worker constructor throws (threads refused),
 * `'worker-error'` = every worker throws while loading, `'worker-silent'` = workers never report loaded.
 */
export type Fault = 'spawn' | 'worker-error' | 'worker-silent';

/** What the threaded start needs from tfjs-backend-wasm's files (checked once by `discoverHooks`). */
export interface Hooks {
  version: string;
  /** Standalone emscripten glue of the threaded binary: what each worker loads. */
  mainScript: string;
  /** Emscripten's pthread worker script (the text tfjs-backend-wasm turns into a blob: URL). */
  workerSource: string;
  /** Workers emscripten starts up front; pthreads beyond it would deadlock. */
  poolSize: number;
}

/**
 * Worker bootstrap, run as an `eval` worker (a string, not a function's source, so no bundler rewrites its
 * `require`): evaluates emscripten's worker script with the CommonJS names it expects.
 */
const WORKER_BOOTSTRAP = [
  "const { workerData } = require('node:worker_threads');",
  "new Function('require', '__filename', '__dirname', workerData.source)(require, workerData.filename, require('node:path').dirname(workerData.filename));",
].join('\n');

const FAULT_BOOTSTRAP = {
  'worker-error': "throw new Error('simulated worker failure')",
  'worker-silent': "require('node:worker_threads').parentPort.on('message', () => {})",
} as const;

/**
 * One threaded start-up attempt: the `Worker` class the emscripten glue gets while tfjs-backend-wasm starts, and
 * the workers it made (to terminate them if the attempt fails).
 */
export class Attempt {
  // No field initialisers: the CJS build's class-field transform drops them in a constructor like this one.
  readonly workers: NodeWorker[];
  /** `starting` until the backend is up (`ok`) or the attempt is abandoned (`failed`). */
  state: 'starting' | 'ok' | 'failed';
  readonly failure: Promise<never>;
  readonly WorkerClass: typeof NodeWorker;
  private rejectFailure: (e: Error) => void;

  constructor(hooks: Hooks, fault: Fault | undefined) {
    this.workers = [];
    this.state = 'starting';
    let rejectFailure: (e: Error) => void = () => {};
    this.failure = new Promise<never>((_, reject) => (rejectFailure = reject));
    this.rejectFailure = rejectFailure;
    this.failure.catch(() => {});
    this.WorkerClass = pthreadWorkerClass(this, hooks, fault);
  }

  fail(e: Error): void {
    this.rejectFailure(e);
  }

  terminate(): void {
    this.state = 'failed';
    for (const w of this.workers) void w.terminate().catch(() => {});
  }
}

/**
 * The `Worker` class the emscripten glue gets while tfjs-backend-wasm starts: emscripten's `blob:` worker URL
 * becomes an `eval` worker running the package's worker script, the Blob main script becomes the path of the
 * standalone glue, start-up failures reject `attempt.failure` (instead of emscripten's uncaught throw), and the
 * workers never keep the process alive. Other URLs get a plain `worker_threads` Worker.
 */
function pthreadWorkerClass(attempt: Attempt, hooks: Hooks, fault: Fault | undefined): typeof NodeWorker {
  const bootstrap = fault === 'worker-error' || fault === 'worker-silent' ? FAULT_BOOTSTRAP[fault] : WORKER_BOOTSTRAP;
  return class PThreadWorker extends NodeWorker {
    constructor(url: string | URL, options?: WorkerOptions) {
      const isBlob = typeof url === 'string' && url.startsWith('blob:');
      if (isBlob && fault === 'spawn') {
        const e = new Error('simulated: worker_threads refused');
        attempt.fail(e);
        throw e;
      }
      try {
        if (isBlob) super(bootstrap, { eval: true, workerData: { source: hooks.workerSource, filename: hooks.mainScript } });
        else super(url, options);
      } catch (e) {
        attempt.fail(e as Error);
        throw e;
      }
      if (!isBlob) return;
      URL.revokeObjectURL(url as string);
      attempt.workers.push(this);
      super.on('error', (e: Error) => attempt.state === 'starting' && attempt.fail(e));
      super.on('exit', (code: number) => attempt.state === 'starting' && attempt.fail(new Error(`a worker exited during start-up (code ${code})`)));
    }

    /**
     * Emscripten's own error handler throws (an uncaught exception): it only sees errors once the backend is up.
     * During start-up an error means falling back, and after a failed start the abandoned workers are ignored.
     */
    override on(event: string | symbol, listener: (...args: any[]) => void): this {
      if (event !== 'error') return super.on(event, listener);
      return super.on(event, (...args: any[]) => {
        if (attempt.state === 'ok') listener(...args);
      });
    }

    override postMessage(message: any, transferList?: readonly any[]): void {
      // The main script comes as a Blob of the bundled factory's source (which cannot run on its own in Node):
      // send the path of the package's standalone glue instead, which the worker loads with importScripts().
      if (message && message.cmd === 'load' && typeof message.urlOrBlob !== 'string') message = { ...message, urlOrBlob: hooks.mainScript };
      super.postMessage(message, transferList as any);
    }

    /** Emscripten refs a worker while it runs a pthread; XNNPACK's pthreads live forever, so never ref. */
    override ref(): void {}
  };
}

/**
 * Makes `globalThis.Worker` resolve to `cls` until the returned function is called, which puts back what was there
 * before (in Node: nothing). The glue's own `global.Worker = worker_threads.Worker` is absorbed, not kept: after
 * start-up emscripten only makes a worker when a pthread is created beyond its pre-started pool, which the thread
 * cap rules out, and a plain `worker_threads.Worker` could not run its `blob:` script anyway.
 */
export function trapGlobalWorker(cls: typeof NodeWorker): () => void {
  const g = globalThis as Record<string, unknown>;
  const before = Object.getOwnPropertyDescriptor(g, 'Worker');
  Object.defineProperty(g, 'Worker', {
    configurable: true,
    enumerable: false,
    get: () => cls,
    set: () => {}, // the glue's `global.Worker = worker_threads.Worker`
  });
  return () => {
    if (before) Object.defineProperty(g, 'Worker', before);
    else delete g.Worker;
  };
}

/** Makes `os.cpus()` report at least `count` entries until the returned function is called. */
export function inflateCpuCount(count: number): () => void {
  const real = os.cpus;
  const have = real.call(os);
  if (have.length >= count) return () => {};
  const fake = (): os.CpuInfo[] => {
    const cpus = real.call(os);
    return Array.from({ length: count }, (_, i) => cpus[i % Math.max(1, cpus.length)] ?? { model: 'unknown', speed: 0, times: { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 } });
  };
  try {
    (os as { cpus: typeof os.cpus }).cpus = fake;
  } catch {
    return () => {};
  }
  return () => {
    if (os.cpus === fake) (os as { cpus: typeof os.cpus }).cpus = real;
  };
}
