import type { PreserveColors } from '../image/color.js';
import { describe } from '../errors.js';
import type { ImageInput, PixelRange, RgbaImage } from '../image/input.js';
import { resolveLayer, type LayerName, type NetworkPoint } from '../core/layers.js';
import type { LossNormalization } from '../core/losses.js';
import type { Vgg19 } from '../core/model.js';
import type { Pooling, Taps } from '../core/network.js';
import { STYLIZE_DEFAULTS as D } from '../defaults.js';
import { OPTIONS, type Checker } from '../options/check.js';
import { optionKeys, optionRow, rangeOf } from '../options/table.js';
import type { TileProgress, TilingInfo } from './tiling/layout.js';
import { resolveTile, type ResolvedTile, type TileOption } from './tiling/options.js';
import type { MaskInput } from '../regions/mask.js';
import type { PropagationOptions } from '../regions/propagate.js';
import type { StyleRegion } from '../regions/types.js';
import { resolveContentWeightMap, resolveRegions, type ResolvedRegions } from '../regions/options.js';

/** Layers as a list (equal weights) or a map name → weight. */
export type LayerWeights = readonly string[] | Readonly<Record<string, number>>;

/** Loss values reported per iteration (weighted, as optimised). */
export interface LossBreakdown {
  total: number;
  content: number;
  style: number;
  tv: number;
  /** Weighted content loss per content layer. */
  contentLayers: Partial<Record<LayerName, number>>;
  /** Weighted style loss per style layer. */
  styleLayers: Partial<Record<LayerName, number>>;
}

/** Where a run is after one iteration: shared by `onIteration`, the step iterator and the loop itself. */
export interface StepInfo {
  /** 1-based iteration within the whole run (across scales). */
  iteration: number;
  /** Iterations planned in all. */
  iterations: number;
  /** Index into `scales` (0 for a single-scale run) and the size being optimised. */
  scale: number;
  width: number;
  height: number;
  loss: LossBreakdown;
  /** Objective evaluations so far (L-BFGS's line search may use more than one per iteration). */
  evaluations: number;
  /** Milliseconds since the call started (time waiting in the session's queue excluded). */
  elapsedMs: number;
  /** When this scale is evaluated a tile at a time (see {@link StylizeOptions.tile}): how. */
  tiling?: TilingInfo;
}

/** What `onTile` receives before each tile of a tiled evaluation. */
export interface TileInfo extends TileProgress {
  /** The iteration the evaluation belongs to, and the scale (index, size) it runs at. */
  iteration: number;
  scale: number;
  width: number;
  height: number;
}

/** What `onIteration` receives after each iteration. */
export interface IterationInfo extends StepInfo {
  /** The current image, every `previewEvery` iterations (and on the last). */
  preview?: RgbaImage;
}

/**
 * Options of one style transfer ({@link Stylizer.stylize}, {@link Stylizer.steps}, and with `content` and `style`
 * the one-shot {@link stylize}). Every field has a default.
 */
export interface StylizeOptions {
  /** Relative weights of several style images (normalised to sum 1). Default: equal. */
  styleBlendWeights?: readonly number[];
  /**
   * Styles by region (Gatys et al. 2017): each region is a mask over the output and the style(s) it takes its
   * statistics from, optionally a region of a style image. See docs/regions.md.
   */
  regions?: readonly StyleRegion[];
  /** How each region's mask reaches the style layers: `mode` (default `'inside'`), `erode`, `threshold`. */
  regionMasks?: PropagationOptions;
  /** Where no region covers the output: `'content'` (default: no style there) or the index of a style image. */
  uncovered?: 'content' | number;
  /** A mask in [0, 1] that scales the content weight per pixel (0: only the style decides there). Default: uniform. */
  contentWeightMap?: MaskInput;
  /**
   * The range of the input images' values when they are floats (tensors, Float32Array or number[] pixels):
   * `'0-255'` (default) or `'0-1'`. Bytes (Uint8Array, ImageData, decoded files) are always 0–255. Values outside
   * the range, NaN and Infinity are refused, and so are floats that all lie within 0–1 when 0–255 is declared.
   */
  pixelRange?: PixelRange;
  /** Longest side of the output in pixels (content resized, aspect kept). Range 16–4096. Default 256. */
  size?: number;
  /** Style images are resized to `size · styleScale` on their longest side. Range 0.05–8. Default 1. */
  styleScale?: number;
  /** Content layers (any tappable point). Default `['relu4_2']`. */
  contentLayers?: LayerWeights;
  /** Style layers. Default `['relu1_1','relu2_1','relu3_1','relu4_1','relu5_1']`, equal weights. */
  styleLayers?: LayerWeights;
  /** Default 5 (jcjohnson/neural-style's defaults with the `'mean'` normalisation). */
  contentWeight?: number;
  /** Default 100. */
  styleWeight?: number;
  /** Total-variation weight (smoothness). Default 1e-3. */
  tvWeight?: number;
  /**
   * Loss constants: `'mean'` (default; content MSE, style MSE of C·H·W-normalised Grams, equal layer weights 1)
   * or `'paper'` (Gatys 2016: ½·Σ content, ¼·Σ Gram differences, layer weights summing to 1).
   */
  lossNormalization?: LossNormalization;
  /** Default `'max'`. */
  pooling?: Pooling;
  /**
   * Bytes this call may hold on the backend, checked before any work (OUT_OF_MEMORY, or a shortened L-BFGS history,
   * when a step would not fit). Default: WebGL and WebGPU 2 GiB (browsers report no GPU memory: raise it for a
   * larger GPU); WASM its 4 GiB heap (a larger value is capped there); CPU and tensorflow unchecked.
   */
  memoryBudget?: number;
  /** Starting image: the content (default), the (first) style resized to the output, seeded noise, or an image. */
  init?: 'content' | 'style' | 'noise' | ImageInput;
  /** Seed for `init: 'noise'`. Default 0. */
  seed?: number;
  /** Default `'lbfgs'`. */
  optimizer?: 'lbfgs' | 'adam';
  /** L-BFGS: step multiplier (default 1). Adam: step size in pixel units (default 10). */
  learningRate?: number;
  /** Iterations (L-BFGS: search directions; Adam: evaluations, i.e. iterations − 1 updates). Range 1–100000. Default 100. Or one count per scale (without `scales`: that many scales, halving from 1). */
  iterations?: number | readonly number[];
  /**
   * L-BFGS tuning: `historySize` 50 correction pairs (torch's default is 100; at 256x256 with the pyramid, 50 and
   * 100 reached the same loss after 100 iterations, 2.446e6 vs 2.445e6, and 20 reached 2.458e6; 50 halves the
   * optimiser's memory and its per-iteration vector work); `lineSearch` `'strong-wolfe'` (default)
   * or `'none'`; `maxEvaluations` per scale, default 2 · iterations + 25 (the run stops early, with a warning,
   * once it is used up; the first direction's line search usually takes ~10). torch.optim.LBFGS's default budget
   * is ⌊1.25 · iterations⌋: pass that to reproduce it exactly. `initialStep`: the first step moves the largest
   * pixel value by this much (default 1, in 0–255 units); `'torch'` uses torch's min(1, 1/‖g‖₁), which for image
   * losses is ~1e-8 and costs ~10 extra evaluations per scale (and can stall on large images).
   */
  lbfgs?: { historySize?: number; lineSearch?: 'strong-wolfe' | 'none'; maxEvaluations?: number; initialStep?: 'torch' | number };
  /**
   * How the optimiser sees the image. `'pyramid'` (default with L-BFGS): it optimises a multi-scale
   * parametrisation, x = z₀ + Σₖ decayᵏ·upsample(zₖ) with zₖ at 1/2ᵏ of the size, so coarse structure moves as
   * readily as fine detail. The loss is the same function of the image; only the optimiser's geometry changes
   * (a preconditioner). Measured at 256x256: the loss that 100 plain L-BFGS iterations reach is reached in ~80.
   * `'none'` (default with Adam): plain pixels, as torch.optim.LBFGS would. An object sets `levels` (default: down
   * to ~4 px, at most 8) and `decay` (default 0.6).
   */
  precondition?: 'pyramid' | 'none' | { levels?: number; decay?: number };
  /** Divide each layer's gradient by its L1 norm (jcjohnson's -normalize_gradients). Default false. */
  normalizeGradients?: boolean;
  /** Keep the content's colours: `'luminance'` or `'histogram'` (Gatys et al. 2017). Default false. */
  preserveColors?: PreserveColors;
  /**
   * Coarse-to-fine: fractions of `size` optimised in turn, each starting from the previous result upsampled,
   * e.g. `[0.5, 1]`. The last must be 1. Default: one scale up to 1024 px; above it, coarse-to-fine from the
   * smallest halving still ≥ 512 px (2048 → `[0.25, 0.5, 1]`), with a single `iterations` count N spent at the
   * coarsest scale and 0.18x as many at each doubling (100 → 100, 18, 3). An `iterations` list without `scales`
   * gives one scale per count, halving from the last. See `STYLIZE_DEFAULTS.coarseToFine`. `'auto'` is the default.
   */
  scales?: readonly number[] | 'auto';
  /**
   * Evaluate the loss a tile at a time, for images larger than the backend holds (see `docs/performance.md`):
   * `'auto'` (default) tiles a scale only when the memory plan says the whole image does not fit (backends with a
   * known cap: WASM's 4 GiB heap, the GPU's `memoryBudget`) or, on a GPU, exceeds the device's per-allocation
   * limit; `false` never tiles (too large is then refused: OUT_OF_MEMORY, DEVICE_LIMIT); a number N (or `{ size: N, halo }`) always tiles, with
   * interiors of N px rounded up to a multiple of 16 (for the default layers). `halo`: context around each tile in
   * px, `'exact'` (default; 160 px for the default layers: the loss and gradient equal the whole image's) or less
   * for speed, at a measured error. Not combinable with `taps` or `normalizeGradients`.
   */
  tile?: TileOption;
  /** Called before each tile of each evaluation when a scale is tiled (progress within a long iteration). */
  onTile?: (info: TileInfo) => void | Promise<void>;
  /** Called after every iteration. May be async (awaited). */
  onIteration?: (info: IterationInfo) => void | Promise<void>;
  /** Attach a preview image to `onIteration` every N iterations (and on the last). Default: never. */
  previewEvery?: number;
  /** Keep the image at these iterations in `result.snapshots` (e.g. for sweeps over iteration count). */
  snapshots?: readonly number[];
  /** Observe activations of the current image every `taps.every` iterations (default 10) and on the last. */
  taps?: Taps;
  /**
   * Aborting rejects with an ABORTED StyleTransferError within one network pass, whether the call is waiting in
   * the session's queue, computing targets or optimising. The error owns no tensor; `error.details.partial` holds
   * the last image as RGBA bytes (when an iteration was done).
   */
  signal?: AbortSignal;
  /**
   * Called while the call waits in the session's queue: with its place in the line (1 = next) whenever that
   * changes, and with 0 when it starts. Not called when it starts at once.
   */
  onQueue?: (position: number) => void;
}

/** The one-shot {@link stylize}'s options: the images, an optional model to use, and the {@link StylizeOptions}. */
export interface StylizeRequest extends StylizeOptions {
  /** The image whose content is kept. */
  content: ImageInput;
  /** One style image, or several blended with `styleBlendWeights`. */
  style: ImageInput | readonly ImageInput[];
  /** A loaded model to use (left loaded). Default: one is loaded for this call and freed after it. */
  model?: Vgg19;
}

export interface ResolvedLayer {
  point: NetworkPoint;
  /** Name as the user gave it (for reporting). */
  name: LayerName;
  weight: number;
}

export interface ResolvedOptions {
  size: number;
  styleScale: number;
  contentLayers: ResolvedLayer[];
  styleLayers: ResolvedLayer[];
  contentWeight: number;
  styleWeight: number;
  tvWeight: number;
  lossNormalization: LossNormalization;
  pooling: Pooling;
  init: 'content' | 'style' | 'noise' | ImageInput;
  seed: number;
  optimizer: 'lbfgs' | 'adam';
  learningRate: number;
  iterations: number[];
  lbfgs: { historySize: number; lineSearch: 'strong-wolfe' | 'none'; maxEvaluations?: number; initialStep: 'torch' | number };
  /** The pyramid parametrisation's settings, or undefined for plain pixels. `levels` 0 = automatic. */
  precondition?: { levels: number; decay: number };
  normalizeGradients: boolean;
  preserveColors: PreserveColors;
  scales: number[];
  previewEvery: number;
  snapshots: Set<number>;
  blend: number[];
  /** Styles by region, when given. */
  regions?: ResolvedRegions;
  contentWeightMap?: MaskInput;
  pixelRange: PixelRange;
  taps?: Taps;
  tapEvery: number;
  memoryBudget?: number;
  tile: ResolvedTile;
  onTile?: (info: TileInfo) => void | Promise<void>;
}

export type { TilingInfo, TileOption };

/** A number option checked against its range in the option table (`row`: the table's name, when not `field`). */
function num(check: Checker, field: string, v: unknown, def: number | undefined, row = field): number {
  return check.number(field, v, rangeOf(row), def);
}

/** A choice option checked against its choices in the option table. */
function choice<T extends string | boolean>(check: Checker, field: string, v: unknown, def: T): T {
  return check.oneOf(field, v, optionRow(field).choices as readonly T[], def);
}

function layers(check: Checker, field: string, v: unknown, def: readonly string[], norm: LossNormalization): ResolvedLayer[] {
  const spec = v ?? def;
  let entries: [string, unknown][];
  if (Array.isArray(spec)) {
    if (spec.length === 0) check.fail(field, spec, 'at least one layer name');
    const w = norm === 'paper' ? 1 / spec.length : 1;
    entries = spec.map((n) => [n as string, w]);
  } else if (spec && typeof spec === 'object') {
    entries = Object.entries(spec as Record<string, unknown>);
    if (entries.length === 0) check.fail(field, spec, 'at least one layer');
  } else return check.fail(field, spec, 'a list of layer names or a map name → weight');
  const seen = new Set<number>();
  return entries.map(([name, weight]) => {
    const point = resolveLayer(name, check.name(field));
    const w = check.weight(`${field}.${name}`, weight);
    if (seen.has(point.index)) check.fail(field, spec, `each layer once (${point.name} is named twice)`, `\`${check.name(field)}\` names ${point.name} twice.`);
    seen.add(point.index);
    return { point, name: name as LayerName, weight: w };
  });
}

/**
 * The scales when `scales` is not given: with `counts` (an `iterations` list), that many, halving from 1; else
 * one scale up to `STYLIZE_DEFAULTS.coarseToFine.above` px and, above it, halvings from the smallest still ≥
 * `coarsest` px (2048 → [0.25, 0.5, 1]).
 */
export function autoScales(size: number, counts?: number): number[] {
  const { above, coarsest } = D.coarseToFine;
  let levels = counts ?? 1;
  if (counts === undefined && size > above) while (size / 2 ** levels >= coarsest) levels++;
  return Array.from({ length: Math.max(1, levels) }, (_, i) => 1 / 2 ** (levels - 1 - i));
}

function blendWeights(check: Checker, b: unknown, styleCount: number): number[] {
  if (b === undefined) return Array.from({ length: styleCount }, () => 1 / styleCount);
  if (!Array.isArray(b) || b.length !== styleCount) {
    const images = styleCount === 1 ? 'is 1 style image' : `are ${styleCount} style images`;
    check.fail('styleBlendWeights', b, `one weight per style image (${styleCount})`, `\`${check.name('styleBlendWeights')}\` has ${Array.isArray(b) ? b.length : describe(b)} entries but there ${images}; give one weight per style image.`);
  }
  const weights = b.map((w, i) => check.weight(`styleBlendWeights[${i}]`, w));
  const sum = weights.reduce((a, w) => a + w, 0);
  if (!(sum > 0)) check.fail('styleBlendWeights', b, 'weights with a positive sum');
  return weights.map((w) => w / sum);
}

function scaleList(check: Checker, o: StylizeOptions, size: number): number[] {
  const r = rangeOf('scales');
  const expected = `a list of ${r.min}–${r.max} fractions ending in 1, e.g. [0.5, 1]`;
  const given = o.scales === 'auto' ? undefined : o.scales;
  if (given !== undefined && !Array.isArray(given)) check.fail('scales', o.scales, expected);
  const scales = given === undefined ? autoScales(size, Array.isArray(o.iterations) ? o.iterations.length : undefined) : [...given];
  if (scales.length < r.min || scales.length > r.max) check.fail('scales', o.scales, expected);
  scales.forEach((s, i) => {
    if (typeof s !== 'number' || !(s > 0 && s <= 1)) check.fail(`scales[${i}]`, s, 'a fraction in (0, 1]');
    if (i > 0 && s <= scales[i - 1]) check.fail('scales', o.scales, 'increasing fractions ending in 1');
  });
  if (scales[scales.length - 1] !== 1) check.fail('scales', o.scales, 'a list whose last entry is 1');
  return scales;
}

function iterationCounts(check: Checker, o: StylizeOptions, scales: number[]): number[] {
  if (Array.isArray(o.iterations)) {
    if (o.iterations.length !== scales.length) check.fail('iterations', o.iterations, `one count per scale (${scales.length})`);
    return o.iterations.map((n, i) => num(check, `iterations[${i}]`, n, D.iterations, 'iterations'));
  }
  const n = num(check, 'iterations', o.iterations, D.iterations);
  // The automatic schedule spends N at the coarsest scale and fewer at each finer one; given scales get N each.
  const decay = o.scales === undefined || o.scales === 'auto' ? D.coarseToFine.iterationDecay : 1;
  return scales.map((_, i) => Math.max(1, Math.round(n * decay ** i)));
}

function precondition(check: Checker, pc: unknown): ResolvedOptions['precondition'] {
  if (pc === 'pyramid') return { levels: 0, decay: D.pyramidDecay };
  if (pc === 'none') return undefined;
  if (typeof pc !== 'object' || pc === null || Array.isArray(pc)) return check.fail('precondition', pc, '"pyramid", "none" or { levels, decay }');
  const p = check.object('precondition', pc, optionKeys('call', 'precondition'));
  return { levels: num(check, 'precondition.levels', p.levels, 0), decay: num(check, 'precondition.decay', p.decay, D.pyramidDecay) };
}

/**
 * Validates and fills in defaults in one place, from the option table (src/options/table.ts); every error is
 * INVALID_OPTION (UNKNOWN_LAYER for a layer name) with `details` `{ field, expected, got }`. `styleCount` is the
 * number of style images the call blends (for `styleBlendWeights`). `check` names where the options came from (a
 * record's file and `options.` prefix); default: a function's own options.
 */
export function resolveOptions(o: StylizeOptions = {}, styleCount = 1, check: Checker = OPTIONS): ResolvedOptions {
  if (!o || typeof o !== 'object' || Array.isArray(o)) check.fail('options', o, 'an object');
  check.knownKeys(o as Record<string, unknown>, optionKeys('call'), 'for stylize()');
  const lossNormalization = choice(check, 'lossNormalization', o.lossNormalization, D.lossNormalization);
  const optimizer = choice(check, 'optimizer', o.optimizer, D.optimizer);
  const size = num(check, 'size', o.size, D.size);
  const scales = scaleList(check, o, size);
  const init = o.init ?? D.init;
  if (typeof init === 'string' && !optionRow('init').choices!.includes(init)) check.fail('init', init, '"content", "style", "noise" or an image');
  const snapshots = new Set<number>();
  if (o.snapshots !== undefined) for (const s of check.list('snapshots', o.snapshots, 0)) snapshots.add(num(check, 'snapshots[]', s, undefined, 'snapshots'));
  const blend = blendWeights(check, o.styleBlendWeights, styleCount);
  const lb = o.lbfgs === undefined ? {} : check.object('lbfgs', o.lbfgs, optionKeys('call', 'lbfgs'));
  if (o.taps !== undefined) check.object('taps', o.taps);
  // Checked here, used by the session (not part of the resolved options).
  check.fn('onIteration', o.onIteration);
  check.fn('onQueue', o.onQueue);
  check.signal('signal', o.signal);
  return {
    size,
    styleScale: num(check, 'styleScale', o.styleScale, D.styleScale),
    contentLayers: layers(check, 'contentLayers', o.contentLayers, D.contentLayers, lossNormalization),
    styleLayers: layers(check, 'styleLayers', o.styleLayers, D.styleLayers, lossNormalization),
    contentWeight: num(check, 'contentWeight', o.contentWeight, D.contentWeight),
    styleWeight: num(check, 'styleWeight', o.styleWeight, D.styleWeight),
    tvWeight: num(check, 'tvWeight', o.tvWeight, D.tvWeight),
    lossNormalization,
    pooling: choice(check, 'pooling', o.pooling, D.pooling),
    init,
    seed: num(check, 'seed', o.seed, D.seed),
    optimizer,
    learningRate: num(check, 'learningRate', o.learningRate, D.learningRate[optimizer]),
    iterations: iterationCounts(check, o, scales),
    lbfgs: {
      historySize: num(check, 'lbfgs.historySize', lb.historySize, D.lbfgs.historySize),
      lineSearch: choice(check, 'lbfgs.lineSearch', lb.lineSearch, D.lbfgs.lineSearch),
      maxEvaluations: lb.maxEvaluations === undefined ? undefined : num(check, 'lbfgs.maxEvaluations', lb.maxEvaluations, undefined),
      initialStep: lb.initialStep === 'torch' ? 'torch' : num(check, 'lbfgs.initialStep', lb.initialStep, D.lbfgs.initialStep),
    },
    precondition: precondition(check, o.precondition ?? D.precondition[optimizer]),
    normalizeGradients: choice(check, 'normalizeGradients', o.normalizeGradients, D.normalizeGradients),
    preserveColors: choice(check, 'preserveColors', o.preserveColors, D.preserveColors),
    scales,
    previewEvery: num(check, 'previewEvery', o.previewEvery, D.previewEvery),
    snapshots,
    blend,
    regions: resolveRegions(check, o, styleCount, blend),
    contentWeightMap: resolveContentWeightMap(check, o.contentWeightMap),
    pixelRange: choice(check, 'pixelRange', o.pixelRange, D.pixelRange),
    taps: o.taps,
    tapEvery: num(check, 'taps.every', o.taps?.every, D.tapEvery),
    // The default depends on the backend (STYLIZE_DEFAULTS.memoryBudget); the run plan fills it in.
    memoryBudget: o.memoryBudget === undefined ? undefined : num(check, 'memoryBudget', o.memoryBudget, undefined),
    tile: resolveTile(o.tile, check),
    onTile: check.fn('onTile', o.onTile),
  };
}
