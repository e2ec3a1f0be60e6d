import { OPTIONS } from '../../options/check.js';
import { optionKeys, rangeOf } from '../../options/table.js';

/**
 * The `tile` option: whether and how an image is evaluated a tile at a time (see `tiling/evaluate.ts`).
 * - `'auto'` (default): tile only where the run's memory plan says the whole image does not fit the backend (on
 *   backends with a known cap: WASM's 4 GiB heap, a GPU's `memoryBudget`; on a GPU also when a tensor exceeds the
 *   device's per-allocation limit), with the largest tile that fits.
 * - `false`: never (a size that does not fit fails with OUT_OF_MEMORY or DEVICE_LIMIT, as before tiling existed).
 * - a number N, or `{ size: N, halo }`: always tile, with interiors of N px (rounded up to a multiple of the deepest
 *   loss layer's stride, 16 for the default layers). `halo`: pixels of context around each tile, `'exact'` (default:
 *   the loss and gradient equal the whole image's; 160 px for the default layers) or fewer, for speed.
 */
export type TileOption = 'auto' | false | number | { size: number; halo?: number | 'exact' };

export interface ResolvedTile {
  mode: 'auto' | 'off' | 'always';
  /** Interior side when `mode` is `'always'`. */
  size: number;
  halo: number | 'exact';
}

/** Checks the `tile` option (ranges from the option table's `tile.size` and `tile.halo` rows). */
export function resolveTile(v: unknown, check = OPTIONS): ResolvedTile {
  if (v === undefined || v === 'auto') return { mode: 'auto', size: 0, halo: 'exact' };
  if (v === false) return { mode: 'off', size: 0, halo: 'exact' };
  if (typeof v === 'number') return { mode: 'always', size: check.number('tile', v, rangeOf('tile.size')), halo: 'exact' };
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const o = check.object('tile', v, optionKeys('call', 'tile'));
    const halo = o.halo === undefined || o.halo === 'exact' ? 'exact' : check.number('tile.halo', o.halo, rangeOf('tile.halo'));
    return { mode: 'always', size: check.number('tile.size', o.size, rangeOf('tile.size')), halo };
  }
  return check.fail('tile', v, '"auto", false, a tile size in pixels, or { size, halo }');
}
