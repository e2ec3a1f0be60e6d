/**
 * The options of `Stylizer.prepareStyle`, checked in one place for the in-thread session and the worker thread's
 * (which runs the same session): unknown keys refused with a "did you mean" hint, `pixelRange` against its row
 * of the option table, `signal` a real AbortSignal (a look-alike would be read later and crash, as in `stylize`).
 * @module
 */
import { STYLIZE_DEFAULTS as D } from '../defaults.js';
import type { PixelRange } from '../image/input.js';
import { OPTIONS, isObject } from '../options/check.js';
import { optionRow } from '../options/table.js';

/** Options of `Stylizer.prepareStyle`. */
export interface PrepareStyleOptions {
  /** The range of float pixel values (see `StylizeOptions.pixelRange`). Default `'0-255'`. */
  pixelRange?: PixelRange;
  /** Aborts preparing (rejects with ABORTED). */
  signal?: AbortSignal;
}

const KEYS: readonly (keyof PrepareStyleOptions)[] = ['pixelRange', 'signal'];

/** Checks prepareStyle's options (INVALID_OPTION naming the field) and fills in the default `pixelRange`. */
export function resolvePrepareOptions(o: PrepareStyleOptions = {}): Required<Pick<PrepareStyleOptions, 'pixelRange'>> & Pick<PrepareStyleOptions, 'signal'> {
  if (!isObject(o)) OPTIONS.fail('options', o, 'an object');
  OPTIONS.knownKeys(o as Record<string, unknown>, KEYS, 'for prepareStyle()');
  return {
    pixelRange: OPTIONS.oneOf('pixelRange', o.pixelRange, optionRow('pixelRange').choices as readonly PixelRange[], D.pixelRange),
    signal: OPTIONS.signal('signal', o.signal),
  };
}
