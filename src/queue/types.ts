/**
 * The shapes a queue moves: what a job carries (JSON, so it survives Redis), what a worker sends back, and the
 * options of the client and the worker.
 * @module
 */
import type { StylizeOptions } from '../stylize/options.js';
import type { SweepOptions, SweepRecord } from '../experiments/sweep/types.js';
import type { LossBreakdown } from '../stylize/options.js';
import type { StudyCacheEntry, StudyOptions, StudyRunInfo } from '../insight/study-types.js';
import type { Storage } from './storage.js';

/**
 * Where to reach Redis: a URL (`redis://host:6379/0`) or BullMQ's connection options object (host, port,
 * password, tls, …; an ioredis instance also works).
 */
export type QueueConnection = string | Record<string, unknown>;

/** An image a job reads: a file path the workers can open (a shared folder), or the file's bytes (PNG or JPEG). */
export type ImageSource = string | Uint8Array;

/** An image as stored in a job: a path, or the bytes as base64. */
export type ImageRef = { path: string } | { base64: string };

/** The stylize() options a job can carry: the JSON-able ones (no callbacks, signals, tensors or taps). */
export type QueueStylizeOptions = Omit<StylizeOptions, 'onIteration' | 'previewEvery' | 'taps' | 'signal' | 'onQueue' | 'init' | 'snapshots'> & {
  /** Where to start: `'content'`, `'style'` or `'noise'` (an image start is not carried by a job). */
  init?: 'content' | 'style' | 'noise';
  /** Iterations at which to keep a snapshot; each is stored as `<job id>/snapshot-<iteration>.png`. */
  snapshots?: number[];
};

/** The sweep options a queue takes: {@link SweepOptions} with the images as {@link ImageSource}s and no callbacks. */
export type QueueSweepOptions = Omit<SweepOptions, 'content' | 'style' | 'stylizer' | 'model' | 'onProgress' | 'signal' | 'init'> & {
  content: ImageSource;
  style: ImageSource | readonly ImageSource[];
  init?: 'content' | 'style' | 'noise';
};

/** What a stylise job carries. */
export interface StylizeJobData {
  kind: 'stylize';
  content: ImageRef;
  style: ImageRef[];
  options: QueueStylizeOptions;
  /** Output format of the stored image. Default `'png'`. */
  format?: 'png' | 'jpeg';
}

/** What a sweep point carries: the sweep's options narrowed to one run (one value of each non-iteration axis). */
export interface SweepPointJobData {
  kind: 'sweep-point';
  content: ImageRef;
  style: ImageRef[];
  /** `sweep()` options (JSON) whose `vary` holds one value per non-iteration axis. */
  options: Record<string, unknown>;
}

/** The study options a queue takes: {@link StudyOptions} with the pairs' images as {@link ImageSource}s and no callbacks. */
export type QueueStudyOptions = Omit<StudyOptions, 'pairs' | 'stylizer' | 'model' | 'cache' | 'onProgress' | 'signal'> & {
  pairs: readonly { content: ImageSource; style: ImageSource; name?: string }[];
};

/** What a study run carries: one pair and the study's options (JSON); the worker runs `study({ ..., select })`. */
export interface StudyRunJobData {
  kind: 'study-run';
  content: ImageRef;
  style: ImageRef;
  /** `study()` options (JSON) without pairs. */
  options: Record<string, unknown>;
  /** The run's index in the one-pair study (`studyRuns()`). */
  select: number;
}

/** A job that does nothing on the worker: measures the queue's own round trip. */
export interface EmptyJobData {
  kind: 'empty';
}

export type QueueJobData = StylizeJobData | SweepPointJobData | StudyRunJobData | EmptyJobData;

/** Progress a worker reports (`job.progress`) after each iteration (at most every `progressEveryMs`). */
export interface JobProgress {
  iteration: number;
  iterations: number;
  /** The loss after the iteration (a study's receptive fields have none). */
  loss?: LossBreakdown;
  /** For sweep points and study runs: the run's label. */
  label?: string;
}

/** What a finished stylise job returns (`job.returnvalue`); the pictures are in the storage under `keys`. */
export interface StylizeJobResult {
  kind: 'stylize';
  /** The stored image, `<job id>/output.png` (or `.jpg`). */
  key: string;
  /** Stored snapshots, in iteration order. */
  snapshots: { iteration: number; key: string }[];
  width: number;
  height: number;
  iterations: number;
  stopReason: string;
  loss: LossBreakdown;
  backend: string;
  timings: { totalMs: number; perIterationMs: number };
  /** Which attempt produced it (1 = first). */
  attempt: number;
  /** The worker that ran it: `<host>:<pid>`. */
  worker: string;
}

/** What a finished sweep point returns: its one-run sweep record; its cells' images are stored under `keys`. */
export interface SweepPointJobResult {
  kind: 'sweep-point';
  record: SweepRecord;
  /** One PNG per cell of `record.cells`, in the same order. */
  keys: string[];
  attempt: number;
  worker: string;
}

/**
 * What a finished study run returns: its study-cache entry and the key a whole `study()` looks it up under; a
 * run's images are stored under `keys` (one PNG per image of `entry.run.images`, which is left empty here).
 */
export interface StudyRunJobResult {
  kind: 'study-run';
  run: StudyRunInfo;
  key: string;
  entry: StudyCacheEntry;
  keys: string[];
  attempt: number;
  worker: string;
}

export interface EmptyJobResult {
  kind: 'empty';
}

export type QueueJobResult = StylizeJobResult | SweepPointJobResult | StudyRunJobResult | EmptyJobResult;

/** Options shared by the client and the worker. */
export interface QueueBaseOptions {
  /** Redis: a URL or BullMQ connection options. */
  connection: QueueConnection;
  /** The queue's name. Default `'neural-style-tfjs'`. */
  name?: string;
  /** Redis key prefix. Default BullMQ's `'bull'`. */
  prefix?: string;
  /** Where results are stored. Default: {@link folderStorage} of `NST_QUEUE_STORAGE`, else `<tmp>/neural-style-tfjs-queue/<name>`. */
  storage?: Storage;
}

/** Options of {@link createQueue}. */
export interface CreateQueueOptions extends QueueBaseOptions {
  /** Attempts per job for transient errors (a crash, out of memory). Default 3. Bad input is never retried. */
  attempts?: number;
  /** Exponential backoff before a retry, in milliseconds (doubling each time). Default 2000. */
  backoffMs?: number;
}

/** Options of {@link runWorker}. */
export interface RunWorkerOptions extends QueueBaseOptions {
  /** Jobs run at once by this worker, each in its own child process holding one session. Default 1. */
  concurrency?: number;
  /** How long a job's lock lasts without renewal; a killed worker's job is free again after it. Default 30000 ms. */
  lockDurationMs?: number;
  /** How often workers look for jobs whose lock expired (stalled) and return them to the queue. Default 30000 ms. */
  stalledIntervalMs?: number;
  /** Times a job may stall (its worker died) before it fails. Default 2. */
  maxStalledCount?: number;
  /** On SIGTERM/SIGINT, how long the current jobs may run on before they are stopped and returned to the queue. Default 30000 ms. */
  shutdownGraceMs?: number;
  /** Install SIGTERM/SIGINT handlers that shut the worker down gracefully, then exit. Default true. */
  handleSignals?: boolean;
  /** WASM threads of each child process (`NST_WASM_THREADS`). Default: the cores divided by `concurrency`. */
  threads?: number;
  /** Backend of the child processes (`'tensorflow'`, `'wasm'`, `'cpu'`). Default: the fastest installed. */
  backend?: 'tensorflow' | 'wasm' | 'cpu';
  /** Minimum milliseconds between two progress reports of a job. Default 250. */
  progressEveryMs?: number;
  /** How often a running job checks whether it was cancelled. Default 500 ms. */
  cancelPollMs?: number;
  /** Called with one line per event (job started, finished, failed, stalled); default: none. */
  log?: (line: string) => void;
}
