/** The types of `stylize`'s options, progress reports and resolved options; `./options.ts` resolves them. */
import type { PreserveColors } from '../image/color.js';
import type { ImageInput, PixelRange, RgbaImage } from '../image/input.js';
import type { AnyLayerName, NetworkPoint } from '../core/layers.js';
import type { NetworkArchitecture } from '../core/architecture.js';
import type { LossNormalization } from '../core/losses.js';
import type { StyleStatistic } from '../core/style-statistics.js';
import type { LossNetwork } from '../core/model.js';
import type { Pooling, Taps } from '../core/network.js';
import type { TileProgress, TilingInfo } from './tiling/layout.js';
import type { ResolvedTile, TileOption } from './tiling/options.js';
import type { MaskInput } from '../regions/mask.js';
import type { PropagationOptions } from '../regions/propagate.js';
import type { StyleRegion } from '../regions/types.js';
import type { ResolvedRegions } from '../regions/options.js';
import type { TemporalFrame } from './temporal.js';

/** Layers as a list (equal weights) or a map name → weight. */
export type LayerWeights = readonly string[] | Readonly<Record<string, number>>;

/** Loss values reported per iteration (weighted, as optimised). */
export interface LossBreakdown {
  total: number;
  content: number;
  style: number;
  tv: number;
  /** The temporal loss (video: the `temporal` option), when the run has one. */
  temporal?: number;
  /** Weighted content loss per content layer. */
  contentLayers: Partial<Record<AnyLayerName, number>>;
  /** Weighted style loss per style layer. */
  styleLayers: Partial<Record<AnyLayerName, number>>;
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
  /** Video: previous stylised frames warped into this one and their weights c (Ruder et al.'s temporal loss). See docs/video.md. */
  temporal?: readonly TemporalFrame[];
  /** Weight of the temporal loss. Default 1e3. */
  temporalWeight?: number;
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
  /** Default 100; 300 with `normalizeGradients: true` (docs/quality.md). */
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
  /**
   * Balance the layers by their gradients. `true`: each term's loss (content and style, per layer) is multiplied by
   * a factor fixed at the start of each scale so that its activation gradient starts the scale at an L1 norm equal
   * to the term's weight (`contentWeight`, `styleWeight` times the layer's): a scaled loss, so L-BFGS's curvature
   * pairs and line search stay consistent. `'per-evaluation'` (Adam only): jcjohnson's `-normalize_gradients`,
   * which divides every evaluation's layer gradients by their L1 norms and multiplies them by the weights (not the
   * gradient of any loss, so L-BFGS refuses it). Default false. Not combinable with tiling.
   */
  normalizeGradients?: boolean | 'per-evaluation';
  /**
   * What each style term matches (docs/style-statistics.md): `'gram'` (default), `'shifted-gram'`, `'mean-std'`,
   * `'covariance'` (exact under tiling), `'histogram'` or `'sliced-wasserstein'` (whole image only: they refuse
   * tiling). Not combinable with `regions` yet.
   */
  styleStatistic?: StyleStatistic;
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
  model?: LossNetwork;
}

export interface ResolvedLayer {
  point: NetworkPoint;
  /** Name as the user gave it (for reporting). */
  name: string;
  weight: number;
}

export interface ResolvedOptions {
  /** The network the layer names were resolved in (the model's). */
  network: NetworkArchitecture;
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
  normalizeGradients: boolean | 'per-evaluation';
  styleStatistic: StyleStatistic;
  preserveColors: PreserveColors;
  scales: number[];
  previewEvery: number;
  snapshots: Set<number>;
  blend: number[];
  /** Styles by region, when given. */
  regions?: ResolvedRegions;
  contentWeightMap?: MaskInput;
  temporal?: readonly TemporalFrame[];
  temporalWeight: number;
  pixelRange: PixelRange;
  taps?: Taps;
  tapEvery: number;
  memoryBudget?: number;
  tile: ResolvedTile;
  onTile?: (info: TileInfo) => void | Promise<void>;
}

export type { TilingInfo, TileOption };
