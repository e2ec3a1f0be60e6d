/**
 * How the CLI reports a failure: the exit code of every error code, in one table, and the one line on stderr. A
 * library error is read by its `code` and `details`, never by its message's wording: an option's
 * `details.field` (`styleWeight`, `lbfgs.historySize`) becomes the flag that sets it (`--style-weight`,
 * `--lbfgs-history`) through the flag specs' `field`.
 * @module
 */
import { describe, type StyleTransferErrorCode } from '../errors.js';
import type { FlagSpec } from './args.js';
import { flagForField } from './flags.js';

/** 0 done, 1 something broke, 2 the input was wrong (fix it and run again), 130 interrupted. */
export type ExitCode = 1 | 2 | 130;

/**
 * The exit code of each library error code. Every code is listed (the type makes a new code a compile error
 * here until it is sorted): bad input of any kind — options, layers, images, weights (every WEIGHTS_* code),
 * an image too large for the memory or the device, a backend that cannot run — is 2; a broken or misused session
 * is 1; an interruption 130.
 */
export const EXIT_CODES = {
  INVALID_OPTION: 2,
  UNKNOWN_LAYER: 2,
  INVALID_IMAGE: 2,
  UNSUPPORTED_IMAGE: 2,
  IMAGE_TOO_LARGE: 2,
  OUT_OF_MEMORY: 2,
  DEVICE_LIMIT: 2,
  BACKEND: 2,
  WEIGHTS_MISSING: 2,
  WEIGHTS_TRUNCATED: 2,
  WEIGHTS_CHECKSUM: 2,
  WEIGHTS_MANIFEST: 2,
  WEIGHTS_ARCHITECTURE: 2,
  WEIGHTS_FETCH: 2,
  WEIGHTS_TOO_LARGE: 2,
  WEIGHTS_UNSAFE_FILE: 2,
  FLOAT16_BACKEND: 1,
  NON_FINITE_LOSS: 1,
  MODEL_DISPOSED: 1,
  DISPOSED: 1,
  QUEUE_FULL: 1,
  STEP_EXPIRED: 1,
  NO_BACKEND: 1,
  INVALID_FLOW: 2,
  FFMPEG_MISSING: 2,
  FFMPEG_FAILED: 1,
  VIDEO_UNREADABLE: 2,
  NETWORK_SPEC: 2,
  VIDEO_UNWRITABLE: 1,
  ABORTED: 130,
} as const satisfies Record<StyleTransferErrorCode, ExitCode>;

/** The exit code for an error `code` (1 for a code this table does not know, e.g. from another library version). */
export function exitCodeOf(code: string | undefined): ExitCode {
  return code !== undefined && Object.hasOwn(EXIT_CODES, code) ? EXIT_CODES[code as StyleTransferErrorCode] : 1;
}

/** What the CLI reads of a library error. */
export interface CodedError {
  code?: string;
  message?: string;
  details?: Record<string, unknown>;
}

/**
 * The line the CLI prints for a library error. When `details.field` is an option a flag of `flags` sets, the line
 * names the flag: `--style-weight is -1; expected a number ≥ 0.` from `details.got` and `details.expected`, or,
 * without `expected`, `--style-weight: ` and the library's message. Otherwise (no such flag, or the field is a
 * record's, `details.source`) the library's message as it is.
 */
export function errorLine(e: CodedError, flags: readonly FlagSpec[]): string {
  const message = e.message ?? String(e.code ?? 'error');
  const d = e.details;
  const field = typeof d?.field === 'string' ? d.field : undefined;
  // An error about a file's field (a --replay record: `details.source`) is not about a flag: it keeps its words.
  const flag = field === undefined || d?.source !== undefined ? undefined : flagForField(field, flags);
  if (!flag || !d) return message;
  if (typeof d.expected === 'string' && 'got' in d) return `${flag} is ${describe(d.got)}; expected ${d.expected.endsWith('.') ? d.expected.slice(0, -1) : d.expected}.`;
  return `${flag}: ${message}`;
}
