/**
 * A job as the client sees it, and how images and failures cross into and out of a job.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { StyleTransferError, type StyleTransferErrorCode } from '../errors.js';
import type { ImageRef, ImageSource, JobProgress, QueueJobResult } from './types.js';

/** A job in the queue. */
export interface QueuedJob<R extends QueueJobResult = QueueJobResult> {
  readonly id: string;
  /** Resolves to the job's result when it completes; rejects when it fails (a StyleTransferError with its code when it has one). */
  result(): Promise<R>;
  /** `'waiting'`, `'active'`, `'completed'`, `'failed'`, `'delayed'`, … or `'unknown'` (removed). */
  state(): Promise<string>;
  /** The last progress a worker reported. */
  progress(): Promise<JobProgress | undefined>;
  /** State, attempts started so far, the failure reason, the last progress (`state: 'unknown'` once removed). */
  info(): Promise<JobInfo>;
  /** Cancels the job: see {@link StyleQueue.cancel}. */
  cancel(): Promise<CancelOutcome>;
}

/** What {@link QueuedJob.info} tells. */
export interface JobInfo {
  state: string;
  /** Attempts made (a retried job has more than one; a job returned by a stalled worker does not count one). */
  attempts: number;
  failedReason?: string;
  progress?: JobProgress;
}

/** What {@link StyleQueue.cancel} did: removed a job not yet started, asked a running one to stop, or nothing. */
export type CancelOutcome = 'removed' | 'stopping' | 'finished' | 'unknown';

const CODE = /^([A-Z][A-Z0-9_]+): ([\s\S]*)$/;

/** A failed job's reason back as a StyleTransferError when it starts with a code (`INVALID_IMAGE: …`). */
export function jobError(reason: string, jobId: string): Error {
  const m = CODE.exec(reason);
  if (m) return new StyleTransferError(m[1] as StyleTransferErrorCode, m[2], { jobId });
  return new Error(reason || `Job ${jobId} failed.`);
}

/** An image source as a job carries it: an absolute path, or base64 bytes. */
export function imageRef(src: ImageSource, field: string): ImageRef {
  if (typeof src === 'string') {
    if (src.length === 0) throw new StyleTransferError('INVALID_OPTION', `\`${field}\` is an empty path.`, { field });
    return { path: resolve(src) };
  }
  if (src instanceof Uint8Array) return { base64: Buffer.from(src.buffer, src.byteOffset, src.byteLength).toString('base64') };
  throw new StyleTransferError('INVALID_OPTION', `\`${field}\` must be a file path or the file's bytes (Uint8Array).`, { field });
}

/** The bytes behind an image source (for hashing a sweep's inputs). */
export async function sourceBytes(src: ImageSource): Promise<Uint8Array> {
  return typeof src === 'string' ? new Uint8Array(await readFile(src)) : src;
}

