import { StyleTransferError } from '../../errors.js';
import type { MemoryEstimate } from '../../memory.js';
import type { NetworkPoint } from '../../layers.js';
import type { PassPlan } from '../../network.js';
import type { ResolvedOptions } from '../options.js';
import { tileLayout, type TileLayout } from './layout.js';
import { tiledStepMemory } from './memory.js';

/** Interior sides `'auto'` tries, largest first (larger tiles waste less on halos). */
const AUTO_SIZES = [2048, 1536, 1024, 768, 640, 512, 384, 256, 192, 128, 64];

/**
 * With `'auto'`, L-BFGS keeps the whole image as long as it can hold this many correction pairs (the run plan
 * shortens longer histories); below that, tiling is chosen. At 256x256 a history of 20 reached a loss 0.5% above
 * that of 50 after 100 iterations (see `lbfgs.historySize`), while tiling costs a second forward pass per step.
 */
export const MIN_HISTORY_UNTILED = 20;

export interface TilingInput {
  o: ResolvedOptions;
  height: number;
  width: number;
  lossPoints: readonly NetworkPoint[];
  pass: PassPlan;
  /** Whether taps observe this run (they need whole activations). */
  taps: boolean;
  /** Whether a step's memory fits the backend (with the plan's headroom); undefined: no cap known. */
  fits: ((m: MemoryEstimate) => boolean) | undefined;
  /** The whole image's step memory with a given L-BFGS history. */
  untiled: (historySize: number) => MemoryEstimate;
}

/**
 * Decides whether a scale is evaluated a tile at a time, and the layout: as `o.tile` says, or with `'auto'` when
 * the whole image does not fit with {@link MIN_HISTORY_UNTILED} pairs (the largest tile that fits with that many,
 * else with 5). Undefined: the whole image at once.
 */
export function chooseTiling(input: TilingInput): TileLayout | undefined {
  const { o, height, width, lossPoints, pass, fits } = input;
  const layoutOf = (size: number) => tileLayout({ height, width, lossPoints, tileSize: size, halo: o.tile.halo });
  let layout: TileLayout | undefined;
  if (o.tile.mode === 'always') layout = layoutOf(o.tile.size);
  // 'auto' never tiles a run that needs whole activations: it keeps the whole image (and may run out of memory).
  else if (o.tile.mode === 'auto' && fits && !input.taps && !o.normalizeGradients) {
    const want = o.optimizer === 'lbfgs' ? o.lbfgs.historySize : 0;
    const enough = Math.min(want, MIN_HISTORY_UNTILED);
    if (fits(input.untiled(enough))) return undefined;
    const memory = (l: TileLayout, h: number) => tiledStepMemory(pass, l, tiledMemoryInput(o, h));
    const candidates = AUTO_SIZES.filter((s) => s < Math.max(height, width)).map(layoutOf);
    layout =
      candidates.find((l) => fits(memory(l, enough))) ??
      candidates.find((l) => fits(memory(l, Math.min(want, 5)))) ??
      candidates[candidates.length - 1];
  }
  if (layout && (input.taps || o.normalizeGradients)) {
    const what = input.taps ? '`taps`' : '`normalizeGradients`';
    throw new StyleTransferError(
      'INVALID_OPTION',
      `The \`tile\` option evaluates the image in tiles, and ${what} needs whole-image activations: leave out one or the other.`,
      { field: input.taps ? 'taps' : 'normalizeGradients', width, height },
    );
  }
  return layout;
}

/** What {@link tiledStepMemory} needs from the options, with a given L-BFGS history. */
export function tiledMemoryInput(o: ResolvedOptions, historySize: number): Parameters<typeof tiledStepMemory>[2] {
  return {
    optimizer: o.optimizer,
    historySize,
    pyramid: o.precondition !== undefined,
    contentPoints: o.contentLayers.map((l) => l.point),
    stylePoints: o.styleLayers.map((l) => l.point),
  };
}
