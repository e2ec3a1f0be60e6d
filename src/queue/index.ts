/**
 * `neural-style-tfjs/queue`: style transfers, sweeps and studies spread over processes and machines through a
 * BullMQ job queue on Redis. `createQueue` enqueues and follows jobs; `runWorker` runs them, each worker process
 * keeping one session per child process. Needs the optional peers `bullmq` and `ioredis` (no other entry does).
 * Node only.
 * @packageDocumentation
 */
export { createQueue, type StyleQueue, type StylizeJobOptions } from './client.js';
export { jobError, type QueuedJob, type CancelOutcome, type JobInfo } from './job.js';
export { runWorker, type QueueWorker } from './worker.js';
export { folderStorage, type Storage } from './storage.js';
export type { QueuedSweep, QueueSweepResult, SweepRunOptions } from './sweep.js';
export type { QueuedStudy } from './study.js';
export type {
  QueueConnection,
  ImageSource,
  QueueStylizeOptions,
  QueueSweepOptions,
  QueueStudyOptions,
  QueueBaseOptions,
  CreateQueueOptions,
  RunWorkerOptions,
  JobProgress,
  StylizeJobResult,
  SweepPointJobResult,
  StudyRunJobResult,
  EmptyJobResult,
  QueueJobResult,
  QueueJobData,
  StylizeJobData,
  SweepPointJobData,
  StudyRunJobData,
  EmptyJobData,
  ImageRef,
} from './types.js';
