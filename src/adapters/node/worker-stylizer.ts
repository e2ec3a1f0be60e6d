/**
 * A {@link Stylizer} whose work runs on a worker thread, so the thread that calls it (a server's event loop) is
 * never blocked by a network pass: on WASM each pass holds the thread that runs it for up to seconds. The worker
 * has its own TF.js, backend and model (see stylizer-worker.ts); pixels cross as transferred buffers, callbacks
 * come back as messages, an abort rejects at once and stops the worker's run at its next check (within one
 * network pass), and `dispose()` terminates the thread, which frees everything it held.
 * @module
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError, describe, invalidOption } from '../../errors.js';
import type { ImageInput } from '../../image/input.js';
import { OPTIONS } from '../../options/check.js';
import type { StylizerConfig } from '../../stylize/config.js';
import type { IterationInfo, StylizeOptions, TileInfo } from '../../stylize/options.js';
import { resolvePrepareOptions } from '../../stylize/prepare-options.js';
import type { StylizePlan, StylizeResult, StylizeStep } from '../../stylize/result.js';
import type { ImageSize, PrepareStyleOptions, StyleInput } from '../../stylize/session.js';
import type { StyleHandle } from '../../stylize/style-handle.js';
import { fromWire, type FromWorker, type RunMessage, type ToWorker, type WireStep } from './worker-protocol.js';
import { Inbox, toWireImage, toWireOptions, workerResult, workerStep, type WireResult } from './worker-wire.js';

/** Options of {@link createWorkerStylizer}: a {@link StylizerConfig} without `model` (the worker loads its own). */
export interface WorkerStylizerConfig extends Omit<StylizerConfig, 'model'> {
  /** WASM threads the worker's backend runs with. Default: as `NST_WASM_THREADS`, else one per logical core. */
  threads?: number;
  /** The worker's backend (`'wasm'`, `'cpu'`, `'tensorflow'`). Default: the fastest installed, as `ready()` picks. */
  backend?: 'wasm' | 'cpu' | 'tensorflow';
}

/**
 * The session of {@link createWorkerStylizer}: `stylize`, `steps`, `prepareStyle`, `plan` and `dispose` as on
 * {@link Stylizer}; `model` is not offered (the model lives in the worker). Callbacks are called when the worker's
 * message arrives and are not awaited by the run.
 */
export interface WorkerStylizer {
  /** Calls sent to the worker and not settled yet, less the one running. */
  readonly queued: number;
  readonly disposed: boolean;
  /** The worker's backend. */
  readonly backend: string;
  prepareStyle(style: ImageInput | readonly ImageInput[], options?: PrepareStyleOptions): Promise<StyleHandle>;
  stylize(content: ImageInput, style: StyleInput, options?: StylizeOptions): Promise<StylizeResult>;
  /**
   * The run one iteration at a time, as {@link Stylizer.steps}: each step's image (float32, transferred) can be
   * read until the loop moves on (then STEP_EXPIRED). The worker computes a step only once the previous one is
   * asked past, and `break` ends its run, freeing the session's queue.
   */
  steps(content: ImageInput, style: StyleInput, options?: StylizeOptions): AsyncGenerator<StylizeStep, void, undefined>;
  plan(content: ImageSize, style: ImageSize | readonly ImageSize[] | StyleHandle, options?: StylizeOptions): Promise<StylizePlan>;
  /** The worker's `tf.memory()` and backend (for health checks and leak tests). */
  memory(): Promise<tf.MemoryInfo & { backend: string }>;
  /** Rejects waiting and running calls with DISPOSED and terminates the worker thread. */
  dispose(): void;
  /** Resolves once the worker thread has exited (after `dispose()`, or if it died). */
  readonly exited: Promise<void>;
}

/** dist/stylizer-worker.js: beside this file in the package, or the built one when running from the sources. */
function workerFile(): URL {
  for (const rel of ['./stylizer-worker.js', '../../../dist/stylizer-worker.js']) {
    const url = new URL(rel, import.meta.url);
    if (existsSync(fileURLToPath(url))) return url;
  }
  throw new StyleTransferError('BACKEND', 'The stylizer worker (dist/stylizer-worker.js) is missing; build the package (npm run build).');
}

/** A handle whose style lives in the worker. */
class WorkerStyleHandle implements StyleHandle {
  private isDisposed = false;
  constructor(readonly id: number, readonly count: number, readonly sizes: readonly { width: number; height: number }[], private readonly owner: WorkerSession) {}
  get disposed(): boolean {
    return this.isDisposed;
  }
  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    this.owner.send({ type: 'dispose-handle', handle: this.id });
  }
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  onIteration?: (info: IterationInfo) => unknown;
  onTile?: (info: TileInfo) => unknown;
  onQueue?: (position: number) => unknown;
  onStep?: (step: WireStep) => void;
}

class WorkerSession implements WorkerStylizer {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private isDisposed = false;
  readonly exited: Promise<void>;

  constructor(private readonly worker: Worker, readonly backend: string) {
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    worker.on('message', (m: FromWorker) => this.receive(m));
    worker.on('error', () => undefined); // an uncaught error in the worker: its 'exit' fails the calls
    worker.once('exit', () => {
      const was = this.isDisposed;
      this.isDisposed = true;
      this.failAll(new StyleTransferError(was ? 'DISPOSED' : 'BACKEND', was ? 'The stylizer was disposed while this call waited or ran.' : 'The stylizer\'s worker thread exited.'));
    });
    worker.unref(); // idle, it keeps nothing alive; calls in flight hold a reference
  }

  get queued(): number {
    return Math.max(0, this.pending.size - 1);
  }

  get disposed(): boolean {
    return this.isDisposed;
  }

  send(m: ToWorker, transfer: Transferable[] = []): void {
    if (!this.isDisposed) this.worker.postMessage(m, transfer as never);
  }

  private receive(m: FromWorker): void {
    if (!('id' in m)) return;
    const p = this.pending.get(m.id);
    if (!p) return; // settled already (aborted on this side)
    if (m.type === 'iteration') void callSafely(() => p.onIteration?.(m.info as unknown as IterationInfo));
    else if (m.type === 'tile') void callSafely(() => p.onTile?.(m.info as unknown as TileInfo));
    else if (m.type === 'queue') void callSafely(() => p.onQueue?.(m.position));
    else if (m.type === 'step') p.onStep?.(m);
    else if (m.type === 'result') this.settle(m.id, () => p.resolve(m.value));
    else if (m.type === 'error') this.settle(m.id, () => p.reject(fromWire(m.error)));
  }

  private settle(id: number, f: () => void): void {
    if (!this.pending.delete(id)) return;
    if (this.pending.size === 0) this.worker.unref();
    f();
  }

  private failAll(e: unknown): void {
    for (const [id, p] of [...this.pending]) this.settle(id, () => p.reject(e));
  }

  private assertLive(): void {
    if (this.isDisposed) throw new StyleTransferError('DISPOSED', 'This stylizer was disposed; create a new one with createWorkerStylizer().');
  }

  /** Sends one call and resolves to its value; an abort rejects at once and tells the worker (shared flag + message). */
  private call<T>(make: (id: number, abortFlag: Int32Array) => { message: ToWorker; transfer?: Transferable[] }, signal: AbortSignal | undefined, hooks: Omit<Pending, 'resolve' | 'reject'> = {}): Promise<T> {
    this.assertLive();
    OPTIONS.signal('signal', signal);
    const id = this.nextId++;
    const abortFlag = new Int32Array(new SharedArrayBuffer(4));
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        Atomics.store(abortFlag, 0, 1);
        const reason = signal!.reason instanceof Error ? signal!.reason.message : signal!.reason !== undefined ? String(signal!.reason) : 'aborted';
        this.send({ type: 'abort', id, reason });
        this.settle(id, () => reject(new StyleTransferError('ABORTED', `The call was aborted (${reason}).`, { reason })));
      };
      const done = <A extends unknown[]>(f: (...a: A) => void) => (...a: A): void => {
        signal?.removeEventListener('abort', onAbort);
        f(...a);
      };
      this.pending.set(id, { resolve: done(resolve as (v: unknown) => void), reject: done(reject), ...hooks });
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.worker.ref();
      const { message, transfer } = make(id, abortFlag);
      try {
        this.send(message, transfer);
      } catch (e) {
        // A value the thread boundary cannot copy (a function in the options): the call never left.
        const why = e instanceof Error ? e.message : String(e);
        const message = `A worker stylizer takes options that can be copied to its thread: functions other than onIteration, onTile and onQueue (e.g. in \`taps\`) are not supported (${why}); use createStylizer() for them.`;
        this.settle(id, () => reject(new StyleTransferError('INVALID_OPTION', message, { field: 'options' })));
      }
    });
  }

  async prepareStyle(style: ImageInput | readonly ImageInput[], options: PrepareStyleOptions = {}): Promise<StyleHandle> {
    this.assertLive();
    const { signal } = resolvePrepareOptions(options); // checked here for a quick answer, and in the worker
    const list = Array.isArray(style) ? (style as readonly ImageInput[]) : [style as ImageInput];
    const images = await Promise.all(list.map((s, i) => toWireImage(s, list.length > 1 ? `style[${i}]` : 'style')));
    const { signal: _s, ...rest } = options;
    const v = await this.call<{ handle: number; count: number; sizes: { width: number; height: number }[] }>(
      (id, abortFlag) => ({ message: { type: 'prepare', id, style: images, list: Array.isArray(style), options: rest, abortFlag }, transfer: images.map((i) => i.data.buffer) }),
      signal,
    );
    return new WorkerStyleHandle(v.handle, v.count, v.sizes, this);
  }

  async stylize(content: ImageInput, style: StyleInput, options: StylizeOptions = {}): Promise<StylizeResult> {
    return workerResult(await this.run<WireResult>('stylize', content, style, options));
  }

  async *steps(content: ImageInput, style: StyleInput, options: StylizeOptions = {}): AsyncGenerator<StylizeStep, void, undefined> {
    const inbox = new Inbox<WireStep>();
    let id = 0;
    const done = this.run('steps', content, style, options, { onStep: (m) => inbox.push(m) }, (i) => (id = i));
    done.then(() => inbox.end(), (e: unknown) => inbox.fail(e));
    try {
      for (let m = await inbox.next(); m; m = await inbox.next()) {
        const { step, expire } = workerStep(m);
        try {
          yield step;
        } finally {
          expire();
        }
        if (this.pending.has(id)) this.send({ type: 'step-next', id });
      }
    } finally {
      if (this.pending.has(id)) {
        // Left early (break, or an error in the loop's body): the worker ends its run and answers.
        this.send({ type: 'step-return', id });
        await done.catch(() => undefined);
      }
    }
  }

  /** A stylize or steps call: the options and images checked and copied here, sent with the callbacks' hooks. */
  private async run<T>(type: RunMessage['type'], content: ImageInput, style: StyleInput, options: StylizeOptions, hooks: Pick<Pending, 'onStep'> = {}, onSent?: (id: number) => void): Promise<T> {
    this.assertLive();
    if (options === null || typeof options !== 'object') invalidOption('options', options, 'an object');
    const { signal, onIteration, onTile, onQueue, ...rest } = options;
    if (style instanceof WorkerStyleHandle && style.disposed) throw new StyleTransferError('DISPOSED', 'This style handle was disposed; prepare the style again with stylizer.prepareStyle().');
    if (content === undefined || content === null) throw new StyleTransferError('INVALID_OPTION', `\`content\` is ${describe(content)}; expected an image.`, { field: 'content' });
    const wireContent = await toWireImage(content, 'content');
    const list = style instanceof WorkerStyleHandle ? undefined : Array.isArray(style) ? (style as readonly ImageInput[]) : [style as ImageInput];
    const images = list ? await Promise.all(list.map((s, i) => toWireImage(s, list.length > 1 ? `style[${i}]` : 'style'))) : [];
    const wireStyle = style instanceof WorkerStyleHandle ? { handle: style.id } : { images, list: Array.isArray(style) };
    const wire = await toWireOptions(rest);
    return this.call<T>(
      (id, abortFlag) => {
        onSent?.(id);
        return {
          message: { type, id, content: wireContent, style: wireStyle, options: wire.options, callbacks: { onIteration: !!onIteration, onTile: !!onTile, onQueue: !!onQueue }, abortFlag },
          transfer: [wireContent.data.buffer, ...images.map((i) => i.data.buffer), ...wire.transfer],
        };
      },
      signal,
      { onIteration, onTile, onQueue, ...hooks },
    );
  }

  async plan(content: ImageSize, style: ImageSize | readonly ImageSize[] | StyleHandle, options: StylizeOptions = {}): Promise<StylizePlan> {
    const size = (s: unknown) => (typeof s === 'object' && s !== null ? { width: (s as ImageSize).width, height: (s as ImageSize).height } : s);
    const wireStyle = style instanceof WorkerStyleHandle ? { handle: style.id } : Array.isArray(style) ? style.map(size) : size(style);
    const { signal, onIteration: _i, onTile: _t, onQueue: _q, ...rest } = options ?? {};
    return this.call<StylizePlan>((id) => ({ message: { type: 'plan', id, content: size(content), style: wireStyle, options: rest } }), signal);
  }

  memory(): Promise<tf.MemoryInfo & { backend: string }> {
    return this.call((id) => ({ message: { type: 'memory', id } }), undefined);
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    this.failAll(new StyleTransferError('DISPOSED', 'The stylizer was disposed while this call waited or ran.'));
    void this.worker.terminate();
  }
}

async function callSafely(f: () => unknown): Promise<void> {
  try {
    await f();
  } catch {
    // A progress callback's failure is the caller's; the run goes on.
  }
}

/**
 * Creates a style-transfer session on a worker thread (Node): the same calls as {@link createStylizer}'s session
 * — `stylize`, `steps`, `prepareStyle`, `plan`, `dispose` — while the calling thread stays free (a server's `GET /health`
 * answers during a run). The worker loads its own model; resolves once it is ready, rejects with the worker's
 * error (WEIGHTS_*, INVALID_OPTION, BACKEND) otherwise, leaving no thread behind.
 *
 * @example
 * ```ts
 * import { createWorkerStylizer, readImage } from 'neural-style-tfjs/node';
 * const stylizer = await createWorkerStylizer();
 * const result = await stylizer.stylize(await readImage('photo.jpg'), await readImage('starry.jpg'), { size: 256 });
 * const { data, width, height } = await result.toPixels();
 * stylizer.dispose(); // terminates the thread
 * ```
 */
export async function createWorkerStylizer(config: WorkerStylizerConfig = {}): Promise<WorkerStylizer> {
  if (config === null || typeof config !== 'object') invalidOption('config', config, 'an object');
  const { signal, threads, backend, ...rest } = config as WorkerStylizerConfig & { model?: unknown };
  if ('model' in rest) invalidOption('model', rest.model, 'nothing: a worker stylizer loads its own model');
  OPTIONS.signal('signal', signal);
  try {
    structuredClone(rest);
  } catch {
    invalidOption('load', rest.load, 'options that can be copied to a worker thread (no functions)');
  }
  signal?.throwIfAborted?.();
  const worker = new Worker(workerFile(), { workerData: { config: rest, threads, backend } });
  return new Promise<WorkerStylizer>((resolve, reject) => {
    const fail = (e: unknown): void => {
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      reject(e);
    };
    const onAbort = (): void => fail(new StyleTransferError('ABORTED', 'createWorkerStylizer() was aborted.'));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('error', (e) => fail(new StyleTransferError('BACKEND', `The stylizer's worker thread failed to start: ${e.message}`)));
    worker.once('exit', (code) => fail(new StyleTransferError('BACKEND', `The stylizer's worker thread exited (code ${code}) before it was ready.`)));
    worker.once('message', (m: FromWorker) => {
      if (m.type === 'init-error') return fail(fromWire(m.error));
      signal?.removeEventListener('abort', onAbort);
      worker.removeAllListeners('exit');
      worker.removeAllListeners('error');
      resolve(new WorkerSession(worker, m.type === 'ready' ? m.backend : 'unknown'));
    });
  });
}
