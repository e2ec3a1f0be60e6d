/**
 * `runWorker`: takes jobs from the queue and runs each in a child process holding one session, so this process's
 * event loop stays free to renew the jobs' locks while the child computes. Progress goes to `job.progress`,
 * results to the storage (keyed by job id), bad input fails the job at once, anything else is retried.
 * @module
 */
import { availableParallelism, hostname } from 'node:os';
import { StyleTransferError } from '../errors.js';
import { cancelKey, loadBullMQ, redisOf, resolveBase, resultKey } from './bullmq.js';
import { ChildPool, type ChildSlot } from './pool.js';
import { isInputError } from './protocol.js';
import type { QueueJobData, QueueJobResult, RunWorkerOptions, StudyRunJobResult, StylizeJobResult } from './types.js';

/** A running worker. */
export interface QueueWorker {
  /**
   * Stops taking jobs and waits for the running ones to finish; after `graceMs` (default the worker's
   * `shutdownGraceMs`) they are stopped and returned to the queue (not counted as an attempt). Then the child
   * processes exit.
   */
  close(graceMs?: number): Promise<void>;
  /** Resolves once the worker has closed. */
  readonly closed: Promise<void>;
  /** The child processes' pids (those started so far). */
  readonly pids: number[];
}

const int = (v: unknown, field: string, min: number, max: number, def: number): number => {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new StyleTransferError('INVALID_OPTION', `\`${field}\` is ${JSON.stringify(v)}; expected a whole number ${min}–${max}.`, { field });
  }
  return v;
};

/**
 * Starts a worker on the queue `name`: up to `concurrency` jobs at once, each in a child process that keeps its
 * session (weights loaded once, styles cached) between jobs. A worker killed mid-job (even with SIGKILL) leaves
 * its job locked until `lockDurationMs`; the next stalled check (every `stalledIntervalMs`, by any worker) returns
 * it to the queue for another worker. By default SIGTERM/SIGINT close the worker gracefully and exit.
 *
 * @example
 * ```ts
 * import { runWorker, folderStorage } from 'neural-style-tfjs/queue';
 * await runWorker({ connection: 'redis://10.0.0.5:6379', concurrency: 1, storage: folderStorage('/mnt/results') });
 * ```
 */
export async function runWorker(options: RunWorkerOptions): Promise<QueueWorker> {
  const { connection, name, prefix, storage } = resolveBase(options);
  const concurrency = int(options.concurrency, 'concurrency', 1, 64, 1);
  const lockDuration = int(options.lockDurationMs, 'lockDurationMs', 200, 3_600_000, 30_000);
  const stalledInterval = int(options.stalledIntervalMs, 'stalledIntervalMs', 100, 3_600_000, 30_000);
  const maxStalledCount = int(options.maxStalledCount, 'maxStalledCount', 0, 100, 2);
  const graceDefault = int(options.shutdownGraceMs, 'shutdownGraceMs', 0, 86_400_000, 30_000);
  const progressEveryMs = int(options.progressEveryMs, 'progressEveryMs', 0, 3_600_000, 250);
  const cancelPollMs = int(options.cancelPollMs, 'cancelPollMs', 20, 60_000, 500);
  const threads = int(options.threads, 'threads', 1, 256, Math.max(1, Math.floor(availableParallelism() / concurrency)));
  if (options.backend !== undefined && !['tensorflow', 'wasm', 'cpu'].includes(options.backend)) {
    throw new StyleTransferError('INVALID_OPTION', `\`backend\` is ${JSON.stringify(options.backend)}; expected "tensorflow", "wasm" or "cpu".`, { field: 'backend' });
  }
  const log = options.log ?? (() => undefined);
  const me = `${hostname()}:${process.pid}`;
  const { Worker, Queue, UnrecoverableError, WaitingError } = await loadBullMQ();

  const env: NodeJS.ProcessEnv = { ...process.env, NST_WASM_THREADS: String(threads) };
  if (options.backend) env.NST_QUEUE_BACKEND = options.backend;
  const pool = new ChildPool(concurrency, env, log);
  // For the cancel flags (a plain Redis key per job, set by the client's cancel()).
  const control = new Queue(name, { connection, prefix });
  const active = new Map<string, { slot: ChildSlot; returning: boolean }>();

  const processor = async (job: import('bullmq').Job<QueueJobData, QueueJobResult>, token?: string): Promise<QueueJobResult> => {
    const id = job.id as string;
    const data = job.data;
    const attempt = job.attemptsMade + 1;
    if (data?.kind === 'empty') return { kind: 'empty' };
    const slot = pool.take();
    const entry = { slot, returning: false };
    active.set(id, entry);
    const t0 = Date.now();
    log(`job ${id} (${data?.kind}) started, attempt ${attempt}`);
    let cancelled = false;
    const redis = await redisOf(control);
    const poll = setInterval(() => {
      redis.get(cancelKey(prefix, name, id)).then((v) => {
        if (v && !cancelled) {
          cancelled = true;
          slot.abort(id);
        }
      }, () => undefined);
    }, cancelPollMs);
    try {
      const out = await slot.run(id, data, progressEveryMs, (p) => {
        job.updateProgress(p as unknown as object).catch(() => undefined);
      });
      const keys: string[] = [];
      for (const f of out.files) {
        const key = resultKey(name, id, f.name);
        await storage.put(key, f.bytes);
        keys.push(key);
      }
      log(`job ${id} done in ${Date.now() - t0} ms`);
      if (out.result.kind === 'stylize') {
        const r = out.result as Omit<StylizeJobResult, 'key' | 'snapshots' | 'attempt'> & { snapshots: number[] };
        return { ...r, key: keys[0], snapshots: r.snapshots.map((iteration, i) => ({ iteration, key: keys[i + 1] })), attempt, worker: me };
      }
      if (out.result.kind === 'sweep-point') return { kind: 'sweep-point', record: out.result.record as never, keys, attempt, worker: me };
      if (out.result.kind === 'study-run') return { ...(out.result as Omit<StudyRunJobResult, 'keys' | 'attempt' | 'worker'>), keys, attempt, worker: me };
      return { kind: 'empty' };
    } catch (e) {
      const code = (e as StyleTransferError).code as string | undefined;
      const msg = (e as Error).message;
      if (entry.returning && token) {
        // Shutting down: back to the waiting list, for another worker (not counted as an attempt).
        log(`job ${id} returned to the queue`);
        await job.moveToWait(token);
        throw new WaitingError();
      }
      log(`job ${id} failed: ${code ? `${code}: ` : ''}${msg}`);
      if (cancelled || code === 'ABORTED') throw new UnrecoverableError(`ABORTED: ${cancelled ? 'the job was cancelled' : msg}`);
      if (isInputError(code)) throw new UnrecoverableError(`${code}: ${msg}`);
      throw new Error(code ? `${code}: ${msg}` : msg);
    } finally {
      clearInterval(poll);
      // The flag was for this run: a job enqueued again under the same id (a resumed sweep) must run.
      if (cancelled) await redis.del(cancelKey(prefix, name, id)).catch(() => 0);
      active.delete(id);
      pool.give(slot);
    }
  };

  const worker = new Worker<QueueJobData, QueueJobResult>(name, processor, {
    connection,
    prefix,
    concurrency,
    lockDuration,
    stalledInterval,
    maxStalledCount,
  });
  worker.on('error', (e) => log(`worker error: ${(e as Error).message}`));
  worker.on('stalled', (jobId) => log(`job ${jobId} stalled (its worker died); back in the queue`));
  await worker.waitUntilReady();
  // Load the weights now rather than on the first job (a failing child is started again by its first job).
  for (const s of pool.slots) s.start().catch((e: Error) => log(`child failed to start: ${e.message}`));

  let closing: Promise<void> | undefined;
  let closedResolve!: () => void;
  const closed = new Promise<void>((r) => (closedResolve = r));
  const close = (graceMs = graceDefault): Promise<void> =>
    (closing ??= (async () => {
      const timer = setTimeout(() => {
        for (const [id, a] of active) {
          a.returning = true;
          a.slot.abort(id);
        }
      }, graceMs);
      try {
        await worker.close();
      } finally {
        clearTimeout(timer);
        pool.dispose();
        await control.close().catch(() => undefined);
        if (signalHandler) {
          process.off('SIGTERM', signalHandler);
          process.off('SIGINT', signalHandler);
        }
        closedResolve();
      }
    })());

  let signalHandler: (() => void) | undefined;
  if (options.handleSignals ?? true) {
    signalHandler = () => {
      log('signal: closing (running jobs finish or return to the queue)');
      close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on('SIGTERM', signalHandler);
    process.on('SIGINT', signalHandler);
  }

  return {
    close,
    closed,
    get pids() {
      return pool.slots.map((s) => s.pid).filter((p): p is number => p !== undefined);
    },
  };
}
