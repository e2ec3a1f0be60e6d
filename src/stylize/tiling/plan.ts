import { StyleTransferError } from '../../errors.js';
import type { MemoryEstimate } from '../../core/memory.js';
import type { NetworkPoint } from '../../core/layers.js';
import type { PassPlan } from '../../core/network.js';
import type { ResolvedOptions } from '../options.js';
import { tileLayout, withHalo, type TileLayout } from './layout.js';
import { tiledStepMemory } from './memory.js';

/** How a step is evaluated, for its headroom: whole, tiled, or tiled with the optimiser's state in JS memory. */
export type StepKind = 'whole' | 'tiled' | 'host-state';

/** Interior sides `'auto'` tries, largest first (larger tiles waste less on halos). */
const AUTO_SIZES = [2048, 1536, 1024, 768, 640, 512, 384, 256, 192, 128, 64];

/**
 * The fewest L-BFGS pairs a whole image runs with: the run plan shortens longer histories down to this before it
 * tiles a scale (`'auto'`) or refuses the size. A tiled evaluation costs a second forward pass and its halos (2.2x
 * a whole evaluation at 1024x1024 in 4 tiles of 768 px on WASM: 65 s, where 1024x768 whole took 21.4 s), far more than a shorter
 * history loses.
 */
export const MIN_HISTORY_UNTILED = 3;

/** A tiled scale keeps its L-BFGS history on the device when this many pairs fit there next to the tiles' pass. */
export const MIN_HISTORY_ON_DEVICE = 10;

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

/**
 * The most JS memory an L-BFGS history kept on the host may take (2 GiB): at 2048x2048 with the pyramid, 15 pairs.
 */
export const HOST_HISTORY_BYTES = 2 * 2 ** 30;

/**
 * Optimiser-sized vectors an L-BFGS with its state in JS memory holds besides its pairs: the image, its gradient,
 * the direction, the previous gradient, the line search's point and the gradients it keeps, the pyramid's decoded
 * image and adjoint.
 */
export const HOST_STATE_VECTORS = 10;

/** The share of the host's memory ({@link Platform.hostMemory}) that optimiser state in JS memory may take. */
export const HOST_MEMORY_SHARE = 0.5;

/** Bytes of one optimiser vector (the image, or the pyramid's levels: 4/3 of it) as float32. */
export const optimiserVectorBytes = (height: number, width: number, pyramid: boolean): number => height * width * 3 * 4 * (pyramid ? 4 / 3 : 1);

/**
 * JS memory the correction pairs may take: {@link HOST_HISTORY_BYTES}, or less when the host's memory is known and
 * its {@link HOST_MEMORY_SHARE}, after the working vectors (when they are in JS memory too), holds less.
 */
export function hostPairBytes(vectorBytes: number, stateOn: 'device' | 'host', hostMemory: number | undefined): number {
  if (hostMemory === undefined) return HOST_HISTORY_BYTES;
  const working = stateOn === 'host' ? HOST_STATE_VECTORS * vectorBytes : 0;
  return Math.min(HOST_HISTORY_BYTES, hostMemory * HOST_MEMORY_SHARE - working);
}

/** Correction pairs (at most `want`; 0 when not one fits) in `pairBytes` of JS memory (each: two optimiser vectors). */
export function hostHistoryPairs(height: number, width: number, pyramid: boolean, want: number, pairBytes = HOST_HISTORY_BYTES): number {
  return Math.max(0, Math.min(want, Math.floor(pairBytes / (2 * optimiserVectorBytes(height, width, pyramid)))));
}

/** How a scale is evaluated when it is tiled: the tiles, and where the optimiser's state lives. */
export interface TilingChoice {
  layout: TileLayout;
  /** `'host'` when the backend cannot hold enough correction pairs next to the tiles' pass. */
  historyOn: 'device' | 'host';
  /**
   * Where the optimiser's working vectors (image, gradient, direction, pyramid) live: `'host'` (JS memory, the
   * history there too) when even without correction pairs they do not fit next to the tiles' pass (L-BFGS only).
   */
  stateOn: 'device' | 'host';
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
  const layoutOf = (size: number) => tileLayout({ height, width, lossPoints, tileSize: size, halo: o.tile.halo });
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
  const needsWhole = input.taps || o.normalizeGradients;
  let choice: TilingChoice | undefined;
  if (o.tile.mode === 'always') {
    const layout = layoutOf(o.tile.size);
    choice = { layout, ...where(layout) };
  } else if (o.tile.mode === 'auto' && !needsWhole) {
    // 'auto' never tiles a run that needs whole activations: it keeps the whole image (and may run out of memory).
    const wholeFitsBudget = !fits || fits(input.untiled(Math.min(want, MIN_HISTORY_UNTILED)));
    if (wholeFitsBudget && (device?.wholeFits ?? true)) return undefined;
    const candidates = AUTO_SIZES.filter((s) => s < Math.max(height, width))
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

/** A tiled scale keeps the optimiser's state on the host for larger tiles when they need this share of the pixels or less. */
const HOST_STATE_MIN_SAVING = 0.75;

/** Pixels a tiled evaluation feeds the network: each tile's crop with the forward halo (pass 1) and the exact one (pass 2). */
export function evaluationPixels(l: TileLayout): number {
  return l.tiles.reduce((a, t) => {
    const f = withHalo(t, l.forwardHalo, l);
    return a + (t.y.cropEnd - t.y.cropStart) * (t.x.cropEnd - t.x.cropStart) + (f.y.cropEnd - f.y.cropStart) * (f.x.cropEnd - f.x.cropStart);
  }, 0);
}

/** The largest tile side {@link chooseTiling} would try whose crop fits `cropFits` (for DEVICE_LIMIT's advice). */
export function largestFittingTile(input: Pick<TilingInput, 'o' | 'height' | 'width' | 'lossPoints'>, cropFits: (height: number, width: number) => boolean): number | undefined {
  return AUTO_SIZES.find((s) => {
    const l = tileLayout({ height: input.height, width: input.width, lossPoints: input.lossPoints, tileSize: s, halo: input.o.tile.halo });
    return cropFits(l.maxCrop.height, l.maxCrop.width);
  });
}

/** What {@link tiledStepMemory} needs from the options, with a given L-BFGS history and optimiser state's home. */
export function tiledMemoryInput(o: ResolvedOptions, historySize: number, stateOn: 'device' | 'host' = 'device'): Parameters<typeof tiledStepMemory>[2] {
  return {
    optimizer: o.optimizer,
    historySize,
    stateOn,
    pyramid: o.precondition !== undefined,
    contentPoints: o.contentLayers.map((l) => l.point),
    stylePoints: o.styleLayers.map((l) => l.point),
  };
}
