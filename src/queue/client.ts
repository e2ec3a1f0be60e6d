/**
 * `createQueue`: the producer side. Enqueues stylise jobs, sweeps (one job per run) and empty jobs, follows
 * their progress, cancels them, and reads their results back from the storage.
 * @module
 */
import { StyleTransferError } from '../errors.js';
import { imageRef, jobError, type CancelOutcome, type QueuedJob } from './job.js';
import { cancelKey, loadBullMQ, redisOf, resolveBase } from './bullmq.js';
import { enqueueSweep, type QueuedSweep, type SweepRunOptions } from './sweep.js';
import { enqueueStudy, type QueuedStudy } from './study.js';
import type { Storage } from './storage.js';
import type {
  CreateQueueOptions,
  EmptyJobResult,
  ImageSource,
  JobProgress,
  QueueJobData,
  QueueJobResult,
  QueueStylizeOptions,
  QueueStudyOptions,
  QueueSweepOptions,
  StylizeJobResult,
} from './types.js';

/** Options of one enqueued stylise job. */
export interface StylizeJobOptions {
  /** A job id of your own (a repeated id is not enqueued twice: the existing job is returned, a failed one retried). */
  jobId?: string;
  /** Format of the stored result. Default `'png'`. */
  format?: 'png' | 'jpeg';
  /** BullMQ priority (1 = highest). Default none (FIFO). */
  priority?: number;
}

/** A queue of style transfers on Redis. */
export interface StyleQueue {
  readonly name: string;
  readonly storage: Storage;
  /**
   * Enqueues one style transfer. Images are file paths the workers can read (a shared folder) or the files'
   * bytes (carried in Redis: keep them small). `options` are stylize()'s JSON-able options.
   */
  stylize(content: ImageSource, style: ImageSource | readonly ImageSource[], options?: QueueStylizeOptions, job?: StylizeJobOptions): Promise<QueuedJob<StylizeJobResult>>;
  /**
   * Enqueues a sweep, one job per run (each run feeds a row of cells: its snapshots), under ids derived from the
   * sweep's settings and images, so enqueueing the same sweep again resumes it (finished runs are kept, failed
   * ones retried). `result()` waits for every run and merges them into the record a local `sweep()` makes.
   */
  sweep(options: QueueSweepOptions, run?: SweepRunOptions): Promise<QueuedSweep>;
  /**
   * Enqueues a layer study, one job per run (`studyRuns()`), under ids derived from its options and each pair's
   * images, so enqueueing it again resumes it. `result()` resolves to a cache holding every run, from which
   * `study({ ...options, pairs, cache })` assembles the same result as a local study.
   */
  study(options: QueueStudyOptions): Promise<QueuedStudy>;
  /** Enqueues a job that does nothing on the worker: its round trip is the queue's own overhead. */
  empty(): Promise<QueuedJob<EmptyJobResult>>;
  /** A job by id. */
  job<R extends QueueJobResult = QueueJobResult>(id: string): QueuedJob<R>;
  /**
   * Cancels a job: a waiting one is removed; a running one is asked to stop (its worker checks every
   * `cancelPollMs`) and then fails with ABORTED, without retries.
   */
  cancel(id: string): Promise<CancelOutcome>;
  /** Calls `listener` with every progress report of every job; returns a function that stops it. */
  onProgress(listener: (jobId: string, progress: JobProgress) => void): () => void;
  /** Jobs per state. */
  counts(): Promise<Record<string, number>>;
  /** Closes the Redis connections. */
  close(): Promise<void>;
}

function checkJson(options: unknown, field: string): Record<string, unknown> {
  if (options === undefined) return {};
  if (!options || typeof options !== 'object' || Array.isArray(options)) throw new StyleTransferError('INVALID_OPTION', `\`${field}\` must be an object.`, { field });
  for (const [k, v] of Object.entries(options)) {
    if (typeof v === 'function' || (v && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype)) {
      throw new StyleTransferError('INVALID_OPTION', `\`${field}.${k}\` cannot travel in a job (only JSON: numbers, strings, lists, plain objects).`, { field: `${field}.${k}` });
    }
  }
  return JSON.parse(JSON.stringify(options)) as Record<string, unknown>;
}

/**
 * Connects to the queue `name` on Redis (BullMQ). Results are read from `storage`, which must be the one the
 * workers write to.
 *
 * @example
 * ```ts
 * import { createQueue } from 'neural-style-tfjs/queue';
 * const queue = await createQueue({ connection: 'redis://127.0.0.1:6379' });
 * const job = await queue.stylize('in/photo.jpg', 'styles/starry.jpg', { size: 512, iterations: 300 });
 * const r = await job.result();                        // { key: 'neural-style-tfjs/1/output.png', … }
 * await writeFile('out.png', (await queue.storage.get(r.key))!);
 * await queue.close();
 * ```
 */
export async function createQueue(options: CreateQueueOptions): Promise<StyleQueue> {
  const { connection, name, prefix, storage } = resolveBase(options);
  const attempts = options.attempts ?? 3;
  const backoffMs = options.backoffMs ?? 2000;
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 100) throw new StyleTransferError('INVALID_OPTION', `\`attempts\` is ${JSON.stringify(options.attempts)}; expected a whole number 1–100.`, { field: 'attempts' });
  if (typeof backoffMs !== 'number' || !(backoffMs >= 0) || backoffMs > 3_600_000) throw new StyleTransferError('INVALID_OPTION', `\`backoffMs\` is ${JSON.stringify(options.backoffMs)}; expected 0–3600000.`, { field: 'backoffMs' });
  const { Queue, QueueEvents } = await loadBullMQ();
  const queue = new Queue<QueueJobData, QueueJobResult>(name, { connection, prefix, defaultJobOptions: { attempts, backoff: { type: 'exponential', delay: backoffMs } } });
  await queue.waitUntilReady();
  let events: InstanceType<typeof QueueEvents> | undefined;
  const eventsReady = async () => {
    if (!events) {
      events = new QueueEvents(name, { connection, prefix });
      events.setMaxListeners(0);
    }
    await events.waitUntilReady();
    return events;
  };

  const handle = <R extends QueueJobResult>(id: string): QueuedJob<R> => ({
    id,
    async result() {
      const job = await queue.getJob(id);
      if (!job) throw new StyleTransferError('INVALID_OPTION', `No job ${id} in queue ${name}.`, { field: 'id', jobId: id });
      const ev = await eventsReady();
      try {
        await job.waitUntilFinished(ev);
      } catch (e) {
        throw jobError((e as Error).message, id);
      }
      // The return value as stored (waitUntilFinished's copy can miss it when the job finished before the call).
      const done = await queue.getJob(id);
      return done?.returnvalue as R;
    },
    async state() {
      return queue.getJobState(id);
    },
    async progress() {
      const job = await queue.getJob(id);
      const p = job?.progress;
      return p && typeof p === 'object' ? (p as unknown as JobProgress) : undefined;
    },
    async info() {
      const job = await queue.getJob(id);
      if (!job) return { state: 'unknown', attempts: 0 };
      const p = job.progress;
      return {
        state: await job.getState(),
        attempts: job.attemptsMade,
        ...(job.failedReason ? { failedReason: job.failedReason } : {}),
        ...(p && typeof p === 'object' ? { progress: p as unknown as JobProgress } : {}),
      };
    },
    cancel: () => cancel(id),
  });

  const cancel = async (id: string): Promise<CancelOutcome> => {
    const job = await queue.getJob(id);
    if (!job) return 'unknown';
    const state = await job.getState();
    if (state === 'completed' || state === 'failed') return 'finished';
    if (state !== 'active') {
      try {
        await job.remove();
        return 'removed';
      } catch {
        // Taken by a worker in the meantime (its lock stops the removal): ask it to stop.
      }
    }
    const redis = await redisOf(queue);
    await redis.set(cancelKey(prefix, name, id), '1', { EX: 24 * 3600 });
    return 'stopping';
  };

  const add = async <R extends QueueJobResult>(data: QueueJobData, jobId?: string, priority?: number): Promise<QueuedJob<R>> => {
    const job = await queue.add(data.kind, data, { ...(jobId ? { jobId } : {}), ...(priority ? { priority } : {}) });
    return handle<R>(job.id as string);
  };

  return {
    name,
    storage,
    async stylize(content, style, opts, job = {}) {
      const styles = (Array.isArray(style) ? style : [style]) as ImageSource[];
      if (styles.length === 0) throw new StyleTransferError('INVALID_OPTION', '`style` is an empty list.', { field: 'style' });
      if (job.format !== undefined && job.format !== 'png' && job.format !== 'jpeg') throw new StyleTransferError('INVALID_OPTION', `\`format\` is ${JSON.stringify(job.format)}; expected "png" or "jpeg".`, { field: 'format' });
      const data: QueueJobData = {
        kind: 'stylize',
        content: imageRef(content, 'content'),
        style: styles.map((s, i) => imageRef(s, `style[${i}]`)),
        options: checkJson(opts, 'options') as QueueStylizeOptions,
        ...(job.format ? { format: job.format } : {}),
      };
      if (job.jobId) {
        const existing = await queue.getJob(job.jobId);
        if (existing && (await existing.getState()) === 'failed') await existing.retry('failed');
      }
      return add<StylizeJobResult>(data, job.jobId, job.priority);
    },
    sweep: (o, run) => enqueueSweep({ queue, name, storage, handle, add }, o, run),
    study: (o) => enqueueStudy({ queue, name, storage, handle, add }, o),
    empty: () => add<EmptyJobResult>({ kind: 'empty' }),
    job: handle,
    cancel,
    onProgress(listener) {
      const fn = ({ jobId, data }: { jobId: string; data: unknown }) => {
        if (data && typeof data === 'object') listener(jobId, data as JobProgress);
      };
      void eventsReady().then((ev) => ev.on('progress', fn));
      return () => {
        events?.off('progress', fn);
      };
    },
    async counts() {
      return queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized');
    },
    async close() {
      await events?.close();
      await queue.close();
    },
  };
}
