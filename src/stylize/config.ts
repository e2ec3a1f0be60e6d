import { StyleTransferError, invalidOption } from '../errors.js';
import { DEFAULT_MAX_INPUT_PIXELS } from '../image/input.js';
import { Vgg19, type LoadVgg19Options } from '../core/model.js';
import { isAbortSignal } from '../util/signal.js';

/** Configuration of {@link createStylizer}. Every field has a default. */
export interface StylizerConfig {
  /** A loaded model to use; the session does not dispose it. Default: loaded by `createStylizer` and owned. */
  model?: Vgg19;
  /** How to load the model when none is given (weights location, fetch, progress, integrity). */
  load?: LoadVgg19Options;
  /**
   * How many styles passed as images (not as a {@link StyleHandle}) keep their Gram matrices for the next call,
   * least recently used dropped. `0` keeps none. Range 0–64. Default 4. They are recognised by the identity of
   * the image objects: pass a new object when the pixels change, or use {@link Stylizer.prepareStyle} to decide.
   */
  cacheSize?: number;
  /** How many calls may wait while one runs; one more is refused with QUEUE_FULL. Default `Infinity`. */
  maxQueue?: number;
  /**
   * Largest width·height accepted for any input image (content, style, init). Default 50 000 000 (50 MP).
   */
  maxPixels?: number;
  /** Aborts loading the model (rejects with ABORTED). */
  signal?: AbortSignal;
  /**
   * Winograd convolutions on the WASM backend where they are faster than `tf.conv2d` (docs/performance.md). Other
   * backends ignore it. Default: on, unless the environment variable `NST_WINOGRAD` is `0`, `off` or `false`.
   */
  winograd?: boolean;
}

export interface ResolvedConfig {
  model?: Vgg19;
  load: LoadVgg19Options;
  cacheSize: number;
  maxQueue: number;
  maxPixels: number;
  signal?: AbortSignal;
  winograd?: boolean;
}

const KNOWN = ['model', 'load', 'cacheSize', 'maxQueue', 'maxPixels', 'signal', 'winograd'];

/** Validates a {@link StylizerConfig} and fills in defaults; every error names the field and what it accepts. */
export function resolveConfig(c: StylizerConfig = {}): ResolvedConfig {
  if (!c || typeof c !== 'object' || Array.isArray(c)) invalidOption('config', c, 'an object');
  for (const k of Object.keys(c)) {
    if (!KNOWN.includes(k)) throw new StyleTransferError('INVALID_OPTION', `Unknown stylizer option \`${k}\`. Known: ${KNOWN.join(', ')}.`, { field: k });
  }
  if (c.model !== undefined && !(c.model instanceof Vgg19)) invalidOption('model', c.model, 'a Vgg19 from loadVgg19()');
  if (c.model?.disposed) throw new StyleTransferError('MODEL_DISPOSED', 'The `model` given to createStylizer() was disposed: load a new one with loadVgg19().', { field: 'model' });
  if (c.model !== undefined && c.load !== undefined) invalidOption('load', c.load, 'nothing when `model` is given (the model is already loaded)');
  if (c.load !== undefined && (typeof c.load !== 'object' || c.load === null)) invalidOption('load', c.load, 'an object of loadVgg19() options');
  const int = (field: 'cacheSize' | 'maxPixels', def: number, min: number, max: number): number => {
    const v = c[field];
    if (v === undefined) return def;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) invalidOption(field, v, `an integer in [${min}, ${max}]`);
    return v;
  };
  const maxQueue = c.maxQueue ?? Infinity;
  if (typeof maxQueue !== 'number' || !(maxQueue === Infinity || (Number.isInteger(maxQueue) && maxQueue >= 0))) invalidOption('maxQueue', c.maxQueue, 'an integer ≥ 0 or Infinity');
  if (c.signal !== undefined && !isAbortSignal(c.signal)) invalidOption('signal', c.signal, 'an AbortSignal');
  if (c.winograd !== undefined && typeof c.winograd !== 'boolean') invalidOption('winograd', c.winograd, 'true or false');
  return {
    model: c.model,
    load: c.load ?? {},
    cacheSize: int('cacheSize', 4, 0, 64),
    maxQueue,
    maxPixels: int('maxPixels', DEFAULT_MAX_INPUT_PIXELS, 1, 1_000_000_000),
    signal: c.signal,
    winograd: c.winograd,
  };
}
