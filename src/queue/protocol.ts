/**
 * Messages between a worker and its child processes (Node IPC with `serialization: 'advanced'`, so bytes travel
 * as `Uint8Array`), and how an error crosses the process boundary with its code.
 * @module
 */
import { StyleTransferError, type StyleTransferErrorCode } from '../errors.js';
import type { JobProgress, QueueJobData } from './types.js';

export type ToChild = { type: 'run'; id: string; data: QueueJobData; progressEveryMs: number } | { type: 'abort'; id: string };

/** A file a job produced, stored by the worker under `<job id>/<name>`. */
export interface ChildFile {
  name: string;
  bytes: Uint8Array;
}

export type FromChild =
  | { type: 'ready'; backend: string }
  | { type: 'progress'; id: string; progress: JobProgress }
  | { type: 'done'; id: string; result: Record<string, unknown>; files: ChildFile[] }
  | { type: 'error'; id: string; error: SerializedError };

export interface SerializedError {
  name: string;
  message: string;
  code?: StyleTransferErrorCode;
  details?: Record<string, unknown>;
}

export function serializeError(e: unknown): SerializedError {
  if (e instanceof StyleTransferError) return { name: e.name, message: e.message, code: e.code, details: jsonOrUndefined(e.details) };
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: 'Error', message: String(e) };
}

export function deserializeError(s: SerializedError): Error {
  if (s.code) return new StyleTransferError(s.code, s.message, s.details);
  const e = new Error(s.message);
  e.name = s.name;
  return e;
}

function jsonOrUndefined(v: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!v) return undefined;
  try {
    return JSON.parse(JSON.stringify(v)) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * Codes that mean the job's input is wrong: running it again cannot help, so the job fails at once (no retry).
 * Everything else (a crash, OUT_OF_MEMORY, BACKEND, a lost connection) is retried with backoff.
 */
export function isInputError(code: string | undefined): boolean {
  if (!code) return false;
  return ['INVALID_OPTION', 'INVALID_IMAGE', 'UNSUPPORTED_IMAGE', 'UNKNOWN_LAYER', 'IMAGE_TOO_LARGE'].includes(code) || code.startsWith('WEIGHTS_');
}
