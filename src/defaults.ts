/**
 * The default values of style transfer. The option table (src/options/table.ts) reads each option's default from
 * here, and validation, the CLI's help, sweeps, the page and docs/defaults.md read the table; the optimisers and
 * kernels read their own defaults here. Change a default here and nowhere else.
 * @module
 */

/** Every default of {@link StylizeOptions}, by option name (nested as the options are). */
export const STYLIZE_DEFAULTS = {
  size: 256,
  styleScale: 1,
  contentLayers: ['relu4_2'],
  styleLayers: ['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1'],
  /** jcjohnson/neural-style's defaults, with the `'mean'` normalisation. */
  contentWeight: 5,
  styleWeight: 100,
  /**
   * `styleWeight` with `normalizeGradients: true` (each term's gradient starts a scale at an L1 norm of its weight):
   * 300 ended nearer the style than the plain run on all four quality pairs at 128 px and 40 iterations (mean Gram
   * distance 0.097 vs 0.141) with less content given up (0.57 vs 0.84), where 100 trailed it in style
   * (docs/quality.md).
   */
  styleWeightNormalized: 300,
  tvWeight: 1e-3,
  /** Weight of the temporal loss (video): manuelruder/artistic-videos' default, with these content and style weights. */
  temporalWeight: 1e3,
  lossNormalization: 'mean',
  pooling: 'max',
  init: 'content',
  seed: 0,
  optimizer: 'lbfgs',
  /** L-BFGS: a step multiplier; Adam: a step size in 0–255 pixel units. */
  learningRate: { lbfgs: 1, adam: 10 },
  iterations: 100,
  lbfgs: {
    /**
     * torch's default is 100; at 256x256 with the pyramid, 50 and 100 reached the same loss after 100 iterations
     * (2.446e6 vs 2.445e6) and 20 reached 2.458e6; 50 halves the optimiser's memory and per-iteration vector work.
     */
    historySize: 50,
    lineSearch: 'strong-wolfe',
    /** The first step moves the largest pixel value by this much (0–255 units). */
    initialStep: 1,
    /** Evaluations per scale: `2 · iterations + this` (the run stops early, with a warning, once used up). */
    extraEvaluations: 25,
  },
  /** What the optimiser moves, per optimiser. */
  precondition: { lbfgs: 'pyramid', adam: 'none' },
  /** The pyramid's decay per level (levels: automatic, down to ~4 px, at most 8). */
  pyramidDecay: 0.6,
  normalizeGradients: false,
  styleStatistic: 'gram',
  preserveColors: false,
  /** Styles by region: how masks reach the layers (Gatys et al. 2017's default), and what styles the rest. */
  regionMasks: { mode: 'inside', erode: 0 },
  uncovered: 'content',
  /**
   * `'auto'`: one scale up to {@link STYLIZE_DEFAULTS.coarseToFine}`.above` px; above it, coarse-to-fine (see
   * `coarseToFine`). A list of fractions ending in 1 sets the scales.
   */
  scales: 'auto',
  /**
   * The automatic coarse-to-fine schedule (`scales` not given): above `above` px the run starts at the smallest
   * halving of `size` that is still ≥ `coarsest` px and doubles up to `size` (2048 → 512, 1024, 2048); a single
   * `iterations` count N is spent at the coarsest scale and each doubling gets `iterationDecay` times the one before
   * (100 → 100, 18, 3), since an evaluation costs ~4.6x more per doubling, and ~12x at a tiled doubling (2048 px on
   * WASM): so `size: 2048` finishes within an hour on 2 cores (docs/performance.md). An `iterations` list without `scales` gives one scale per count, halving from the last (`[100, 20]` →
   * scales `[0.5, 1]`).
   */
  coarseToFine: { above: 1024, coarsest: 512, iterationDecay: 0.18 },
  /** 0 = never. */
  previewEvery: 0,
  tapEvery: 10,
  pixelRange: '0-255',
  /**
   * Bytes a call may hold, per backend: browsers report no GPU memory, so a conservative 2 GiB on WebGL and WebGPU
   * (a 4 GB card or an integrated GPU sharing 8 GB gives a tab that); WASM: its 4 GiB heap; CPU, tensorflow: none.
   */
  memoryBudget: { webgl: 2 * 1024 ** 3, webgpu: 2 * 1024 ** 3, wasm: 4 * 1024 ** 3 },
} as const;

/** `styleWeight`'s default: `styleWeightNormalized` with `normalizeGradients: true`, else `styleWeight`. */
export function defaultStyleWeight(normalizeGradients: unknown): number {
  return normalizeGradients === true ? STYLIZE_DEFAULTS.styleWeightNormalized : STYLIZE_DEFAULTS.styleWeight;
}

/** A default as the CLI and docs print it: lists comma-joined, objects per optimiser as `1 (lbfgs), 10 (adam)`. */
export function defaultText(value: unknown): string {
  if (Array.isArray(value)) return value.join(',');
  if (value && typeof value === 'object') return Object.entries(value).map(([k, v]) => `${String(v)} (${k})`).join(', ');
  return String(value);
}
