/**
 * Whether a scale is evaluated a tile at a time, and how: the tile size (`tile` option, or the largest that fits the
 * budget and the device), and where the L-BFGS history and the optimiser's vectors live then.
 */
import { StyleTransferError } from '../errors.js';
import { isTileable, untileableMessage } from '../core/style-statistics.js';
import type { NetworkPoint } from '../core/layers.js';
import type { PassPlan } from '../core/network.js';
import type { ResolvedOptions } from '../stylize/options.js';
import { tileLayout, withHalo, type TileLayout } from '../stylize/tiling/layout.js';
import { tiledStepMemory, type MemoryEstimate, type TiledMemoryInput } from './memory.js';
import { AUTO_TILE_SIZES, HOST_STATE_MIN_SAVING, MIN_HISTORY_ON_DEVICE, MIN_HISTORY_UNTILED } from './tuning.js';
import type { StateHome, StepKind } from './types.js';

export interface TilingInput {
  o: ResolvedOptions;
  height: number;
  width: number;
  lossPoints: readonly NetworkPoint[];
  pass: PassPlan;
  /** Whether taps observe this run (they need whole activations). */
  taps: boolean;
  /** Whether a step's memory fits the backend (with the plan's headroom for its kind of step); undefined: no cap known. */
  fits: ((m: MemoryEstimate, kind?: StepKind) => boolean) | undefined;
  /** The whole image's step memory with a given L-BFGS history. */
  untiled: (historySize: number) => MemoryEstimate;
  /**
   * A GPU's per-allocation limit (texture side, buffer size): whether the whole image's pass stays within it, and
   * whether a crop of `height`x`width` does. Undefined: no such limit (WASM, CPU, tfjs-node).
   */
  device?: { wholeFits: boolean; cropFits: (height: number, width: number) => boolean };
}

/** How a scale is evaluated when it is tiled: the tiles, and where the optimiser's state lives. */
export interface TilingChoice {
  layout: TileLayout;
  /** `'host'` when the backend cannot hold enough correction pairs next to the tiles' pass. */
  historyOn: StateHome;
  /**
   * Where the optimiser's working vectors (image, gradient, direction, pyramid) live: `'host'` (JS memory, the
   * history there too) when even without correction pairs they do not fit next to the tiles' pass (L-BFGS only).
   */
  stateOn: StateHome;
}

/**
 * Decides whether a scale is evaluated a tile at a time, and how: as `o.tile` says, or with `'auto'` when the
 * whole image does not fit — not in the memory budget with {@link MIN_HISTORY_UNTILED} pairs, or not within a GPU's
 * per-allocation limit — the largest tile whose pass fits the budget and whose crop fits the device, with the
 * L-BFGS history on the device when {@link MIN_HISTORY_ON_DEVICE} pairs fit there too, else on the host; and when
 * no tile fits with the optimiser's vectors on the device, L-BFGS keeps its whole state on the host and the largest
 * tile that fits then is taken. Undefined: the whole image at once (also when no tile's crop fits the device: the
 * caller then refuses the size with DEVICE_LIMIT).
 */
export function chooseTiling(input: TilingInput): TilingChoice | undefined {
  const { o, height, width, lossPoints, pass, fits, device } = input;
  const layoutOf = (size: number) => tileLayout({ height, width, lossPoints, tileSize: size, halo: o.tile.halo, network: o.network });
  const want = o.optimizer === 'lbfgs' ? o.lbfgs.historySize : 0;
  const enough = Math.min(want, MIN_HISTORY_ON_DEVICE);
  const memory = (l: TileLayout, h: number) => tiledStepMemory(pass, l, tiledMemoryInput(o, h));
  const hostStateFits = (l: TileLayout) => want > 0 && fits!(tiledStepMemory(pass, l, tiledMemoryInput(o, 0, 'host')), 'host-state');
  // With a memory cap and L-BFGS, a history that does not fit next to the tiles goes to the host; vectors that do
  // not fit either go with it.
  const where = (l: TileLayout): Omit<TilingChoice, 'layout'> => {
    if (!fits || want === 0 || fits(memory(l, enough), 'tiled')) return { historyOn: 'device', stateOn: 'device' };
    return { historyOn: 'host', stateOn: fits(memory(l, 0), 'tiled') || !hostStateFits(l) ? 'device' : 'host' };
  };
  const needsWhole = input.taps || o.normalizeGradients || !isTileable(o.styleStatistic);
  let choice: TilingChoice | undefined;
  if (o.tile.mode === 'always') {
    const layout = layoutOf(o.tile.size);
    choice = { layout, ...where(layout) };
  } else if (o.tile.mode === 'auto' && !needsWhole) {
    // 'auto' never tiles a run that needs whole activations: it keeps the whole image (and may run out of memory).
    const wholeFitsBudget = !fits || fits(input.untiled(Math.min(want, MIN_HISTORY_UNTILED)));
    if (wholeFitsBudget && (device?.wholeFits ?? true)) return undefined;
    const candidates = AUTO_TILE_SIZES.filter((s) => s < Math.max(height, width))
      .map(layoutOf)
      .filter((l) => device?.cropFits(l.maxCrop.height, l.maxCrop.width) ?? true);
    if (candidates.length === 0) return undefined;
    // The largest tile wins (halos and the second forward pass cost less): its history stays on the device when
    // enough pairs fit there, else moves to the host (one read-back per iteration, far cheaper than smaller tiles).
    // With the whole state on the host the device has room for larger tiles: taken when no tile fits otherwise, or
    // when they save a quarter of the evaluation's pixels (the host state costs an upload and a read-back per tile
    // and the vector algebra in JS).
    const onDevice = candidates.find((l) => !fits || fits(memory(l, want > 0 ? 0 : enough), 'tiled'));
    const onHost = fits && candidates.find((l) => hostStateFits(l));
    if (onHost && (!onDevice || evaluationPixels(onHost) < HOST_STATE_MIN_SAVING * evaluationPixels(onDevice))) {
      choice = { layout: onHost, historyOn: 'host', stateOn: 'host' };
    } else {
      const layout = onDevice ?? candidates[candidates.length - 1];
      choice = { layout, ...where(layout) };
    }
  }
  if (choice && !isTileable(o.styleStatistic) && !input.taps && !o.normalizeGradients) {
    throw new StyleTransferError('INVALID_OPTION', untileableMessage(o.styleStatistic), { field: 'styleStatistic', width, height });
  }
  if (choice && needsWhole) {
    const what = input.taps ? '`taps`' : '`normalizeGradients`';
    throw new StyleTransferError(
      'INVALID_OPTION',
      `The \`tile\` option evaluates the image in tiles, and ${what} needs whole-image activations: leave out one or the other.`,
      { field: input.taps ? 'taps' : 'normalizeGradients', width, height },
    );
  }
  return choice;
}

/** Pixels a tiled evaluation feeds the network: each tile's crop with the forward halo (pass 1) and the exact one (pass 2). */
export function evaluationPixels(l: TileLayout): number {
  return l.tiles.reduce((a, t) => {
    const f = withHalo(t, l.forwardHalo, l);
    return a + (t.y.cropEnd - t.y.cropStart) * (t.x.cropEnd - t.x.cropStart) + (f.y.cropEnd - f.y.cropStart) * (f.x.cropEnd - f.x.cropStart);
  }, 0);
}

/** The largest tile side {@link chooseTiling} would try whose crop fits `cropFits` (for DEVICE_LIMIT's advice). */
export function largestFittingTile(input: Pick<TilingInput, 'o' | 'height' | 'width' | 'lossPoints'>, cropFits: (height: number, width: number) => boolean): number | undefined {
  return AUTO_TILE_SIZES.find((s) => {
    const l = tileLayout({ height: input.height, width: input.width, lossPoints: input.lossPoints, tileSize: s, halo: input.o.tile.halo, network: input.o.network });
    return cropFits(l.maxCrop.height, l.maxCrop.width);
  });
}

/** What {@link tiledStepMemory} needs from the options, with a given L-BFGS history and optimiser state's home. */
export function tiledMemoryInput(o: ResolvedOptions, historySize: number, stateOn: StateHome = 'device'): TiledMemoryInput {
  return {
    optimizer: o.optimizer,
    historySize,
    stateOn,
    pyramid: o.precondition !== undefined,
    contentPoints: o.contentLayers.map((l) => l.point),
    stylePoints: o.styleLayers.map((l) => l.point),
  };
}
