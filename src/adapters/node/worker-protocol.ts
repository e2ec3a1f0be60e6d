/**
 * The messages between a {@link createWorkerStylizer} session and its worker thread (worker-stylizer.ts and
 * stylizer-worker.ts). Pixels cross as transferred ArrayBuffers: content and style images as the caller's values
 * (copied once into a buffer of their own), results as float32 RGB, so the main thread's `toPixels()` gives the
 * bytes an in-thread session gives.
 * @module
 */
import { StyleTransferError, type StyleTransferErrorCode } from '../../errors.js';

/** An image as it crosses: values, size, channels (3 or 4), whether they are float 0–255 or bytes. */
export interface WireImage {
  data: Uint8Array | Uint8ClampedArray | Float32Array;
  width: number;
  height: number;
  channels: 3 | 4;
}

/** A style as it crosses: images, or the id of a handle the worker holds. */
export type WireStyle = { images: WireImage[]; list: boolean } | { handle: number };

export interface WireError {
  code?: StyleTransferErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/** A `stylize()` call, or a `steps()` loop (answered by 'step' messages, then 'result' when it ends). */
export interface RunMessage {
  type: 'stylize' | 'steps';
  id: number;
  content: WireImage;
  style: WireStyle;
  options: Record<string, unknown>;
  callbacks: { onIteration: boolean; onTile: boolean; onQueue: boolean };
  abortFlag: Int32Array;
}

/** One step of `steps()`: its fields (StylizeStep's, without the readers) and its image as float32 RGB 0–255. */
export interface WireStep {
  info: Record<string, unknown> & { iteration: number; width: number; height: number };
  values: Float32Array;
}

/** Main → worker. */
export type ToWorker =
  | RunMessage
  /** `steps()`: the worker computes the next step once the previous one is asked past (back-pressure). */
  | { type: 'step-next'; id: number }
  /** The loop was left (`break`): the worker ends its run, freeing the session's queue, and answers 'result'. */
  | { type: 'step-return'; id: number }
  | { type: 'prepare'; id: number; style: WireImage[]; list: boolean; options: Record<string, unknown>; abortFlag: Int32Array }
  | { type: 'plan'; id: number; content: unknown; style: unknown; options: Record<string, unknown> }
  | { type: 'abort'; id: number; reason: string }
  | { type: 'dispose-handle'; handle: number }
  | { type: 'memory'; id: number };

/** Worker → main. */
export type FromWorker =
  | { type: 'ready'; backend: string }
  | { type: 'init-error'; error: WireError }
  | { type: 'iteration'; id: number; info: Record<string, unknown> }
  | { type: 'tile'; id: number; info: Record<string, unknown> }
  | { type: 'queue'; id: number; position: number }
  | ({ type: 'step'; id: number } & WireStep)
  | { type: 'result'; id: number; value: unknown }
  | { type: 'error'; id: number; error: WireError };

/** An error as it crosses: code, message and details of a StyleTransferError; the message of anything else. */
export function toWire(e: unknown): WireError {
  if (e instanceof StyleTransferError) {
    let details = e.details;
    try {
      structuredClone(details);
    } catch {
      details = undefined; // details holding something that cannot cross (a function, a tensor)
    }
    return { code: e.code, message: e.message, ...(details && { details }) };
  }
  return { message: e instanceof Error ? e.message : String(e) };
}

/** The error back on the main thread: a StyleTransferError when it was one, else BACKEND naming the worker. */
export function fromWire(w: WireError): StyleTransferError {
  return w.code ? new StyleTransferError(w.code, w.message, w.details) : new StyleTransferError('BACKEND', `The stylizer's worker thread failed: ${w.message}`, { worker: true });
}
