/**
 * Values crossing the worker stylizer's thread boundary, on both sides: the caller's images going in
 * ({@link toWireImage}), results and steps coming back ({@link workerResult}, {@link workerStep}: their pixels are
 * float32 RGB, rounded on the calling thread as the session's `toPixels()` rounds), and an {@link Inbox} that
 * hands a stream of messages to an async loop.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError, describe } from '../../errors.js';
import { imageDataOf, rgbToRgba, toImageTensor, type ImageInput } from '../../image/input.js';
import { expiringStep, type StylizeResult, type StylizeStep } from '../../stylize/result.js';
import type { WireImage, WireStep } from './worker-protocol.js';

/** The caller's pixels in a buffer of their own, ready to transfer (the caller's array is never detached). */
export async function toWireImage(img: ImageInput, field: string): Promise<WireImage> {
  if (img instanceof tf.Tensor) {
    // Checked (dtype, shape, disposed) and made [1,H,W,3] float32 as an in-thread session would; the worker
    // checks the values and its size limit.
    const t = toImageTensor(img, field, { maxPixels: Infinity });
    try {
      return { data: new Float32Array(await t.data()), width: t.shape[2], height: t.shape[1], channels: 3 };
    } finally {
      t.dispose();
    }
  }
  const p = img as { data?: unknown; width?: unknown; height?: unknown; channels?: unknown };
  if (typeof p !== 'object' || p === null || !ArrayBuffer.isView(p.data) || typeof p.width !== 'number' || typeof p.height !== 'number') {
    throw new StyleTransferError('UNSUPPORTED_IMAGE', `\`${field}\` is ${describe(img)}; a worker stylizer takes {data, width, height} pixels (typed arrays), ImageData or a tensor.`, { field });
  }
  const src = p.data as Uint8Array | Uint8ClampedArray | Float32Array;
  const data = src instanceof Float32Array ? new Float32Array(src) : src instanceof Uint8ClampedArray ? new Uint8ClampedArray(src) : new Uint8Array(src);
  const n = p.width * p.height;
  const channels = p.channels === 3 || p.channels === 4 ? p.channels : data.length === n * 3 ? 3 : 4;
  return { data, width: p.width, height: p.height, channels };
}

/**
 * A call's options ready to cross: tensors anywhere in them (`init`, `contentWeightMap`, a region's mask) become
 * pixels the worker reads as it would the tensor (a tensor cannot cross a thread); the buffers to transfer.
 */
export async function toWireOptions(options: Record<string, unknown>): Promise<{ options: Record<string, unknown>; transfer: ArrayBuffer[] }> {
  const transfer: ArrayBuffer[] = [];
  const walk = async (v: unknown, field: string): Promise<unknown> => {
    if (v instanceof tf.Tensor) {
      const w = await toWireImage(v as ImageInput, field);
      transfer.push(w.data.buffer as ArrayBuffer);
      return w;
    }
    if (Array.isArray(v)) return v.some((x) => typeof x === 'object' && x !== null) ? Promise.all(v.map((x, i) => walk(x, `${field}[${i}]`))) : v;
    const proto = typeof v === 'object' && v !== null ? Object.getPrototypeOf(v) : undefined;
    if (proto !== Object.prototype && proto !== null) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = await walk(x, field ? `${field}.${k}` : k);
    return out;
  };
  return { options: (await walk(options, '')) as Record<string, unknown>, transfer };
}

/** A result as the worker sends it: the image's float32 RGB values and the fields that describe the run. */
export type WireResult = { values: Float32Array; width: number; height: number } & Omit<StylizeResult, 'image' | 'width' | 'height' | 'toTensor' | 'toPixels' | 'toImageData' | 'dispose'>;

/** A result whose image is read lazily: toPixels never touches this thread's TF.js; `image` makes a tensor once. */
export function workerResult(v: WireResult): StylizeResult {
  const { values, ...fields } = v;
  let image: tf.Tensor3D | undefined;
  const tensor = (): tf.Tensor3D => (image ??= tf.tensor3d(values, [v.height, v.width, 3]));
  return {
    ...fields,
    get image() {
      return tensor();
    },
    toTensor: () => tf.clone(tensor()),
    toPixels: async () => rgbToRgba(values, v.width, v.height),
    toImageData: async () => imageDataOf(rgbToRgba(values, v.width, v.height)),
    dispose: () => image?.dispose(),
  };
}

/** A step as the worker sent it, readable until `expire()` (then STEP_EXPIRED, as in the in-thread session). */
export function workerStep({ info, values }: WireStep): { step: StylizeStep; expire(): void } {
  const { width, height } = info;
  return expiringStep(info as unknown as Parameters<typeof expiringStep>[0], {
    toTensor: () => tf.tensor3d(values, [height, width, 3]),
    toPixels: async () => rgbToRgba(values, width, height),
    toImageData: async () => imageDataOf(rgbToRgba(values, width, height)),
  });
}

/**
 * Messages in arrival order for an async loop, until `end()` or `fail(e)`. A failure is seen before messages
 * still waiting (an abort does not wait behind a step nobody will read).
 */
export class Inbox<T> {
  private readonly items: T[] = [];
  private wake?: () => void;
  private state: { ended: false } | { ended: true; error?: unknown } = { ended: false };

  push(item: T): void {
    this.items.push(item);
    this.notify();
  }

  end(): void {
    if (!this.state.ended) this.state = { ended: true };
    this.notify();
  }

  fail(error: unknown): void {
    if (!this.state.ended) this.state = { ended: true, error };
    this.notify();
  }

  /** The next message; `undefined` once ended; rejects once failed. */
  async next(): Promise<T | undefined> {
    for (;;) {
      if (this.state.ended && 'error' in this.state) throw this.state.error;
      if (this.items.length > 0) return this.items.shift();
      if (this.state.ended) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
