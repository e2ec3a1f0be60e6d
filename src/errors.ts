/**
 * Every error the library raises on purpose is a {@link StyleTransferError}; `code` says what went wrong in a
 * form programs can switch on, and `message` says what to change.
 */
export type StyleTransferErrorCode =
  | 'WEIGHTS_MISSING'
  | 'WEIGHTS_TRUNCATED'
  | 'WEIGHTS_CHECKSUM'
  | 'WEIGHTS_MANIFEST'
  | 'WEIGHTS_ARCHITECTURE'
  | 'WEIGHTS_FETCH'
  /** A weights file is larger than allowed: a manifest over 1 MiB, or a shard bigger than its manifest entry. */
  | 'WEIGHTS_TOO_LARGE'
  /** A weights file is not a regular file (FIFO, device, folder) or a shard resolves outside the weights folder. */
  | 'WEIGHTS_UNSAFE_FILE'
  | 'UNKNOWN_LAYER'
  /** A loss network's spec is malformed (`details.field` names the part); see docs/networks.md. */
  | 'NETWORK_SPEC'
  | 'INVALID_IMAGE'
  | 'UNSUPPORTED_IMAGE'
  | 'IMAGE_TOO_LARGE'
  | 'INVALID_OPTION'
  | 'MODEL_DISPOSED'
  | 'DISPOSED'
  | 'QUEUE_FULL'
  | 'STEP_EXPIRED'
  | 'BACKEND'
  /** No TensorFlow.js backend is registered: the root entry was imported without an adapter (`/node`, `/browser`, `/webgl`, `/wasm`). */
  | 'NO_BACKEND'
  | 'OUT_OF_MEMORY'
  /** A tensor of the run would exceed a GPU's per-allocation limit (WebGL texture size, WebGPU buffer size); `details.fitSize` is the largest `size` that fits. */
  | 'DEVICE_LIMIT'
  | 'NON_FINITE_LOSS'
  /** The backend stores floats in 16 bits (WebGL without float32 render targets): style transfer would overflow. */
  | 'FLOAT16_BACKEND'
  | 'ABORTED'
  // Video (src/video/):
  /** A flow field is damaged, truncated or of the wrong size (a Middlebury `.flo` file, or a flow that does not match its frames). */
  | 'INVALID_FLOW'
  /** No `ffmpeg` binary on PATH or at the given path (needed to read or write video files). */
  | 'FFMPEG_MISSING'
  /** ffmpeg ran but failed, or its output was not what was asked for; `details.stderr` holds the end of its log. */
  | 'FFMPEG_FAILED'
  /** The browser could not decode a video (an unsupported codec or a damaged file), a seek never completed, or a live stream has no video, has ended or gave no frame in time. */
  | 'VIDEO_UNREADABLE'
  /** The browser cannot encode the frames: no page or MediaRecorder, a `mimeType` it does not record, a recorder failure, no WebCodecs (for `VideoFrame`s), too many frames. */
  | 'VIDEO_UNWRITABLE';

/**
 * Marks the package's errors, so those of another copy of the package (the ESM and the CommonJS build loaded in
 * one process, or two installs) are recognised too: `instanceof StyleTransferError` and
 * {@link isStyleTransferError} check it rather than the prototype chain.
 */
const BRAND = Symbol.for('neural-style-tfjs.error');

export class StyleTransferError extends Error {
  override readonly name = 'StyleTransferError';
  readonly code: StyleTransferErrorCode;
  /** Extra structured details (e.g. the offending field, the shard file). */
  readonly details?: Record<string, unknown>;

  constructor(code: StyleTransferErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.details = details;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** `e instanceof StyleTransferError` holds for the errors of every copy of the package (see the brand above). */
  static override [Symbol.hasInstance](v: unknown): boolean {
    if (this !== StyleTransferError) return Function.prototype[Symbol.hasInstance].call(this, v);
    return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[BRAND] === true;
  }
}

/** True when `e` is a {@link StyleTransferError}, optionally with the given code. */
export function isStyleTransferError(e: unknown, code?: StyleTransferErrorCode): e is StyleTransferError {
  return e instanceof StyleTransferError && (code === undefined || e.code === code);
}

/**
 * Throws an INVALID_OPTION error naming the field, what it got and what it accepts, with `details`
 * `{ field, expected, got }` (and `source`: where the value was read, e.g. a record's file name). `message`
 * replaces the default sentence. Checks go through `Checker` (src/options/check.ts), which calls this.
 */
export function invalidOption(field: string, got: unknown, expected: string, how: { message?: string; source?: string } = {}): never {
  const text = how.message ?? `Option \`${field}\` is ${describe(got)}; expected ${expected}.`;
  throw new StyleTransferError('INVALID_OPTION', how.source ? `${how.source}: ${text}` : text, { field, expected, got, ...(how.source ? { source: how.source } : {}) });
}

export function describe(v: unknown): string {
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (typeof v === 'object') return `an object (${(v as object).constructor?.name ?? 'Object'})`;
  return typeof v;
}
