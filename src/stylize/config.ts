import { StyleTransferError } from '../errors.js';
import { OPTIONS } from '../options/check.js';
import { optionKeys, optionRow } from '../options/table.js';
import { LossNetwork, type LoadVgg19Options } from '../core/model.js';

/** Configuration of {@link createStylizer}. Every field has a default. */
export interface StylizerConfig {
  /**
   * A loaded model to use (VGG-19 from `loadVgg19()`, or another network from `loadNetwork()`); the session does
   * not dispose it. Layer names in the options are this model's. Default: VGG-19, loaded by `createStylizer` and owned.
   */
  model?: LossNetwork;
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
  model?: LossNetwork;
  load: LoadVgg19Options;
  cacheSize: number;
  maxQueue: number;
  maxPixels: number;
  signal?: AbortSignal;
  winograd?: boolean;
}

/** Validates a {@link StylizerConfig} and fills in defaults from the option table (`session` rows); every error names the field and what it accepts. */
export function resolveConfig(c: StylizerConfig = {}): ResolvedConfig {
  const check = OPTIONS;
  if (!c || typeof c !== 'object' || Array.isArray(c)) check.fail('config', c, 'an object');
  check.knownKeys(c as Record<string, unknown>, optionKeys('session'), 'for createStylizer()');
  if (c.model !== undefined && !(c.model instanceof LossNetwork)) check.fail('model', c.model, 'a model from loadVgg19() or loadNetwork()');
  if (c.model?.disposed) throw new StyleTransferError('MODEL_DISPOSED', 'The `model` given to createStylizer() was disposed: load a new one with loadVgg19().', { field: 'model' });
  if (c.model !== undefined && c.load !== undefined) check.fail('load', c.load, 'nothing when `model` is given (the model is already loaded)');
  if (c.load !== undefined && (typeof c.load !== 'object' || c.load === null)) check.fail('load', c.load, 'an object of loadVgg19() options');
  const int = (field: 'cacheSize' | 'maxPixels' | 'maxQueue') => {
    const row = optionRow(field, 'session');
    const v = c[field];
    // maxQueue's range ends at Infinity (no limit), which is not an integer.
    if (field === 'maxQueue' && v === Infinity) return v;
    return check.number(field, v, row.range!, row.default as number);
  };
  return {
    model: c.model,
    load: c.load ?? {},
    cacheSize: int('cacheSize'),
    maxQueue: int('maxQueue'),
    maxPixels: int('maxPixels'),
    signal: check.signal('signal', c.signal),
    winograd: c.winograd === undefined ? undefined : check.oneOf('winograd', c.winograd, [true, false]),
  };
}
