import { invalidOption } from '../../errors.js';
import { rejectUnknownKeys } from '../../util/checks.js';

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

/** Range of a tile's interior side and of a halo, in pixels. */
export const TILE_SIZE_RANGE = [16, 4096] as const;
export const HALO_RANGE = [0, 1024] as const;

export function resolveTile(v: unknown): ResolvedTile {
  if (v === undefined || v === 'auto') return { mode: 'auto', size: 0, halo: 'exact' };
  if (v === false) return { mode: 'off', size: 0, halo: 'exact' };
  const size = (field: string, n: unknown): number => {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < TILE_SIZE_RANGE[0] || n > TILE_SIZE_RANGE[1]) {
      invalidOption(field, n, `an integer tile side in [${TILE_SIZE_RANGE.join(', ')}] px`);
    }
    return n;
  };
  if (typeof v === 'number') return { mode: 'always', size: size('tile', v), halo: 'exact' };
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    rejectUnknownKeys(v, ['size', 'halo'], 'tile');
    const o = v as { size?: unknown; halo?: unknown };
    const halo = o.halo;
    if (halo !== undefined && halo !== 'exact' && (typeof halo !== 'number' || !Number.isInteger(halo) || halo < HALO_RANGE[0] || halo > HALO_RANGE[1])) {
      invalidOption('tile.halo', halo, `"exact" or an integer in [${HALO_RANGE.join(', ')}] px`);
    }
    return { mode: 'always', size: size('tile.size', o.size), halo: (halo as number | 'exact' | undefined) ?? 'exact' };
  }
  return invalidOption('tile', v, '"auto", false, a tile size in pixels, or { size, halo }');
}
