/**
 * **The option table**: one row per option of `stylize()` (scope `call`), `createStylizer()` (scope `session`) and
 * the options only the CLI has (scope `cli`). A row holds the option's name (a path: `lbfgs.historySize`), its type
 * as the docs print it, its default (the value from {@link STYLIZE_DEFAULTS}, or words when it depends on
 * something), its range or choices, a one-line doc, its CLI flag, and whether sweep and study records store it.
 *
 * Read from it: option validation (the known keys, ranges and choices: `resolveOptions`, `resolveConfig`), the
 * CLI's stylize flags and their help, the settings a sweep records, the stylize options a study passes on,
 * docs/defaults.md (`npm run docs:defaults`) and {@link STYLIZE_RANGES}. test/options/table.test.ts fails (under
 * `npm run typecheck`) when the rows and the `StylizeOptions` / `StylizerConfig` types disagree. Adding an option is one row here plus
 * its implementation.
 * @module
 */
import { STYLIZE_DEFAULTS as D } from '../defaults.js';
import type { Range } from './check.js';
import { DEFAULT_MAX_INPUT_PIXELS } from '../image/input.js';
import { STYLE_STATISTICS } from '../core/style-statistics.js';

/** Where an option is given: `stylize()`'s options, `createStylizer()`'s config, or only on the command line. */
export type OptionScope = 'call' | 'session' | 'cli';

/**
 * How the CLI reads a flag's text into the option: a number, a whole number, a word the library checks, a layer
 * list (`relu1_1,relu2_1` or `relu1_1:1,relu2_1:0.5`), a comma-separated number list, a switch (`--x`/`--no-x`), or a
 * rule of the option's own (`special`: `init`, `iterations`, `scales`, `tile`, `preserveColors`, `normalizeGradients`).
 */
export type FlagValue = 'number' | 'int' | 'word' | 'layers' | 'numbers' | 'switch' | 'special';

export interface OptionRow {
  /** The option's path in its options object: `size`, `lbfgs.historySize`. */
  readonly name: string;
  readonly scope: OptionScope;
  /** The type, as the docs print it. */
  readonly type: string;
  /** The default value (from `STYLIZE_DEFAULTS`), when it is one value. */
  readonly default?: unknown;
  /** The default in words, when it depends on something (the optimiser, the backend, another option). */
  readonly defaultText?: string;
  /** Inclusive numeric range (for lists: each entry's). */
  readonly range?: Range;
  /** The words (or `false`) the option accepts, when it is a choice. */
  readonly choices?: readonly (string | boolean)[];
  /** One line for `--help` and docs/defaults.md. */
  readonly doc: string;
  /** Stored in sweep and study records (settings that change the picture; not images, callbacks or signals). */
  readonly recorded: boolean;
  /** The CLI flag (`--name`), its value placeholder in help, and how its text is read. */
  readonly cli?: { readonly flag: string; readonly arg?: string; readonly value: FlagValue };
}

const LAYER_FLAG = 'LAYERS';

/** Every option, in the order help and docs list them. */
export const OPTION_TABLE = [
  // ── stylize() ──────────────────────────────────────────────────────────────────────────────────────────────────
  { name: 'size', scope: 'call', type: 'number', default: D.size, range: { min: 16, max: 4096, integer: true }, doc: 'longest side of the output in pixels (content resized, aspect kept)', recorded: true, cli: { flag: 'size', arg: 'N', value: 'int' } },
  { name: 'iterations', scope: 'call', type: 'number | number[]', default: D.iterations, range: { min: 1, max: 100000, integer: true }, doc: 'iterations: one count (with automatic scales: at the coarsest, fewer per doubling), or one per scale', recorded: true, cli: { flag: 'iterations', arg: 'N[,N…]', value: 'special' } },
  { name: 'styleLayers', scope: 'call', type: 'string[] | Record<string, number>', default: D.styleLayers, doc: 'style layers: a list (equal weights) or name → weight', recorded: true, cli: { flag: 'style-layers', arg: LAYER_FLAG, value: 'layers' } },
  { name: 'contentLayers', scope: 'call', type: 'string[] | Record<string, number>', default: D.contentLayers, doc: 'content layers, same form as styleLayers', recorded: true, cli: { flag: 'content-layers', arg: LAYER_FLAG, value: 'layers' } },
  { name: 'contentWeight', scope: 'call', type: 'number', default: D.contentWeight, range: { min: 0, max: 1e12 }, doc: 'content loss weight (alpha)', recorded: true, cli: { flag: 'content-weight', arg: 'X', value: 'number' } },
  { name: 'styleWeight', scope: 'call', type: 'number', defaultText: `${D.styleWeight}; ${D.styleWeightNormalized} with normalizeGradients: true`, range: { min: 0, max: 1e12 }, doc: 'style loss weight (beta)', recorded: true, cli: { flag: 'style-weight', arg: 'X', value: 'number' } },
  { name: 'tvWeight', scope: 'call', type: 'number', default: D.tvWeight, range: { min: 0, max: 1e12 }, doc: 'total-variation (smoothness) weight', recorded: true, cli: { flag: 'tv-weight', arg: 'X', value: 'number' } },
  { name: 'lossNormalization', scope: 'call', type: 'string', default: D.lossNormalization, choices: ['mean', 'paper'], doc: "loss constants: 'mean' (jcjohnson's) or 'paper' (Gatys 2016)", recorded: true, cli: { flag: 'loss-normalization', arg: 'mean|paper', value: 'word' } },
  { name: 'optimizer', scope: 'call', type: 'string', default: D.optimizer, choices: ['lbfgs', 'adam'], doc: 'optimiser', recorded: true, cli: { flag: 'optimizer', arg: 'lbfgs|adam', value: 'word' } },
  { name: 'learningRate', scope: 'call', type: 'number', default: D.learningRate, range: { min: 1e-12, max: 1e6 }, doc: 'L-BFGS step multiplier / Adam step size (0–255 units)', recorded: true, cli: { flag: 'learning-rate', arg: 'X', value: 'number' } },
  { name: 'lbfgs', scope: 'call', type: 'object', doc: 'L-BFGS tuning (the lbfgs.* rows)', recorded: true },
  { name: 'lbfgs.historySize', scope: 'call', type: 'number', default: D.lbfgs.historySize, range: { min: 1, max: 1000, integer: true }, doc: 'L-BFGS correction pairs kept', recorded: true, cli: { flag: 'lbfgs-history', arg: 'N', value: 'int' } },
  { name: 'lbfgs.lineSearch', scope: 'call', type: 'string', default: D.lbfgs.lineSearch, choices: ['strong-wolfe', 'none'], doc: 'L-BFGS line search', recorded: true, cli: { flag: 'line-search', arg: 'strong-wolfe|none', value: 'word' } },
  { name: 'lbfgs.maxEvaluations', scope: 'call', type: 'number', defaultText: `2 · iterations + ${D.lbfgs.extraEvaluations} per scale`, range: { min: 1, max: 1e7, integer: true }, doc: 'objective evaluations per scale (the run stops early, with a warning, once used up)', recorded: true },
  { name: 'lbfgs.initialStep', scope: 'call', type: "number | 'torch'", default: D.lbfgs.initialStep, range: { min: 1e-12, max: 1e6 }, doc: "the first step moves the largest pixel by this much (0–255 units); 'torch': min(1, 1/‖g‖₁)", recorded: true },
  { name: 'precondition', scope: 'call', type: "'pyramid' | 'none' | { levels, decay }", default: D.precondition, choices: ['pyramid', 'none'], doc: 'what the optimiser moves: a multi-scale pyramid or plain pixels', recorded: true, cli: { flag: 'precondition', arg: 'pyramid|none', value: 'word' } },
  { name: 'precondition.levels', scope: 'call', type: 'number', defaultText: 'down to ~4 px, at most 8', range: { min: 1, max: 12, integer: true }, doc: 'pyramid levels', recorded: true },
  { name: 'precondition.decay', scope: 'call', type: 'number', default: D.pyramidDecay, range: { min: 0, max: 4 }, doc: "the pyramid's decay per level", recorded: true },
  { name: 'normalizeGradients', scope: 'call', type: "boolean | 'per-evaluation'", default: D.normalizeGradients, choices: [true, false, 'per-evaluation'], doc: "scale each layer's loss so that its gradient starts each scale at an L1 norm equal to its weight (factors fixed per scale); 'per-evaluation' (Adam only): jcjohnson's -normalize_gradients", recorded: true, cli: { flag: 'normalize-gradients', arg: 'per-evaluation', value: 'special' } },
  { name: 'styleStatistic', scope: 'call', type: 'string', default: D.styleStatistic, choices: STYLE_STATISTICS, doc: 'what style terms match: Gram, mean-shifted Gram, mean/std, mean + covariance, histogram or sliced Wasserstein (docs/style-statistics.md)', recorded: true, cli: { flag: 'style-statistic', arg: 'NAME', value: 'word' } },
  { name: 'preserveColors', scope: 'call', type: "false | 'luminance' | 'histogram'", default: D.preserveColors, choices: [false, 'luminance', 'histogram'], doc: "keep the content's colours (the flag alone: luminance)", recorded: true, cli: { flag: 'preserve-colors', arg: 'luminance|histogram', value: 'special' } },
  { name: 'pooling', scope: 'call', type: 'string', default: D.pooling, choices: ['max', 'avg'], doc: 'pooling between blocks', recorded: true, cli: { flag: 'pooling', arg: 'max|avg', value: 'word' } },
  { name: 'init', scope: 'call', type: "'content' | 'style' | 'noise' | image", default: D.init, choices: ['content', 'style', 'noise'], doc: 'start image (the CLI also takes a file)', recorded: true, cli: { flag: 'init', arg: 'content|style|noise|FILE', value: 'special' } },
  { name: 'seed', scope: 'call', type: 'number', default: D.seed, range: { min: 0, max: 2 ** 32 - 1, integer: true }, doc: 'seed for init: noise', recorded: true, cli: { flag: 'seed', arg: 'N', value: 'int' } },
  { name: 'styleScale', scope: 'call', type: 'number', default: D.styleScale, range: { min: 0.05, max: 8 }, doc: 'style images resized to size · styleScale', recorded: true, cli: { flag: 'style-scale', arg: 'X', value: 'number' } },
  { name: 'styleBlendWeights', scope: 'call', type: 'number[]', defaultText: 'equal', doc: 'relative weights of several style images', recorded: true, cli: { flag: 'style-blend-weights', arg: 'W,W,…', value: 'numbers' } },
  { name: 'regions', scope: 'call', type: 'StyleRegion[]', defaultText: 'none', doc: 'styles by region: each a mask over the output and the style(s) it takes statistics from (the CLI: MASK:STYLE, or rest:STYLE for where no mask covers; repeat it)', recorded: false, cli: { flag: 'region', arg: 'MASK:STYLE[#SMASK][,…][@W]', value: 'special' } },
  { name: 'regionMasks', scope: 'call', type: '{ mode, erode, threshold }', doc: "how each region's mask reaches the style layers", recorded: true },
  { name: 'regionMasks.mode', scope: 'call', type: 'string', default: D.regionMasks.mode, choices: ['inside', 'all', 'area', 'nearest'], doc: "inside: eroded by each unit's receptive field (Gatys et al. 2017); all: dilated; area: soft; nearest: zoomed", recorded: true, cli: { flag: 'propagation', arg: 'inside|all|area|nearest', value: 'word' } },
  { name: 'regionMasks.erode', scope: 'call', type: 'number', default: D.regionMasks.erode, range: { min: 0, max: 64, integer: true }, doc: 'extra erosion at each layer, in feature pixels', recorded: true, cli: { flag: 'region-erode', arg: 'N', value: 'int' } },
  { name: 'regionMasks.threshold', scope: 'call', type: 'number', defaultText: 'none (soft masks stay soft)', range: { min: 0, max: 1 }, doc: 'layer masks become 1 where ≥ this, else 0', recorded: true, cli: { flag: 'region-threshold', arg: 'T', value: 'number' } },
  { name: 'uncovered', scope: 'call', type: "'content' | number", default: D.uncovered, doc: 'where no region covers: content (no style loss there) or the index of a style image', recorded: true },
  { name: 'contentWeightMap', scope: 'call', type: 'MaskInput', defaultText: 'uniform', doc: 'a mask in [0, 1] scaling the content weight per pixel', recorded: false, cli: { flag: 'content-weight-map', arg: 'MASK', value: 'special' } },
  { name: 'temporal', scope: 'call', type: 'TemporalFrame[]', defaultText: 'none', doc: 'video: previous stylised frames warped into this one, with weights c (the temporal loss)', recorded: false },
  { name: 'temporalWeight', scope: 'call', type: 'number', default: D.temporalWeight, range: { min: 0, max: 1e12 }, doc: 'weight of the temporal loss (video)', recorded: false, cli: { flag: 'temporal-weight', arg: 'X', value: 'number' } },
  { name: 'scales', scope: 'call', type: 'number[]', default: D.scales, range: { min: 1, max: 8, integer: true }, doc: `coarse-to-fine fractions of size ending in 1; auto: 1 up to ${D.coarseToFine.above} px, above it halvings from ≥ ${D.coarseToFine.coarsest} px`, recorded: true, cli: { flag: 'scales', arg: 'F,F,…', value: 'special' } },
  { name: 'tile', scope: 'call', type: "'auto' | false | number | { size, halo }", default: 'auto', doc: 'evaluate in tiles of N px (images larger than the backend holds); auto: only when the whole image does not fit', recorded: true, cli: { flag: 'tile', arg: 'N|auto|off', value: 'special' } },
  { name: 'tile.size', scope: 'call', type: 'number', defaultText: 'the largest that fits', range: { min: 16, max: 4096, integer: true }, doc: "a tile's interior side in px (rounded up to the deepest loss layer's stride)", recorded: true },
  { name: 'tile.halo', scope: 'call', type: "number | 'exact'", default: 'exact', range: { min: 0, max: 1024, integer: true }, doc: 'with --tile N: context around each tile in px; fewer than exact is faster but approximate', recorded: true, cli: { flag: 'tile-halo', arg: 'N|exact', value: 'special' } },
  { name: 'memoryBudget', scope: 'call', type: 'number', default: D.memoryBudget, range: { min: 2 ** 20, max: 1e15, integer: true }, doc: 'bytes a call may hold on the backend (checked before any work)', recorded: false },
  { name: 'pixelRange', scope: 'call', type: 'string', default: D.pixelRange, choices: ['0-255', '0-1'], doc: 'the range of float input pixels', recorded: true },
  { name: 'previewEvery', scope: 'call', type: 'number', default: D.previewEvery, range: { min: 0, max: 1e6, integer: true }, doc: 'a preview image every N iterations (0: never)', recorded: false },
  { name: 'snapshots', scope: 'call', type: 'number[]', defaultText: 'none', range: { min: 1, max: 1e6, integer: true }, doc: 'iterations whose image is kept in result.snapshots', recorded: false },
  { name: 'taps', scope: 'call', type: '{ layers, onActivation, every }', defaultText: 'none', doc: 'observe activations of the current image', recorded: false },
  { name: 'taps.every', scope: 'call', type: 'number', default: D.tapEvery, range: { min: 1, max: 1e6, integer: true }, doc: 'taps observe every N iterations (and the last)', recorded: false },
  { name: 'onIteration', scope: 'call', type: 'function', doc: 'called after every iteration (may be async)', recorded: false },
  { name: 'onTile', scope: 'call', type: 'function', doc: 'called before each tile of a tiled evaluation', recorded: false },
  { name: 'onQueue', scope: 'call', type: 'function', doc: "called with the call's place in the session's queue", recorded: false },
  { name: 'signal', scope: 'call', type: 'AbortSignal', doc: 'aborting rejects with ABORTED within one network pass', recorded: false },
  // ── createStylizer() ──────────────────────────────────────────────────────────────────────────────────────────
  { name: 'model', scope: 'session', type: 'LossNetwork', defaultText: 'loaded and owned by the session', doc: 'a loaded model to use (not disposed by the session)', recorded: false },
  { name: 'load', scope: 'session', type: 'LoadVgg19Options', defaultText: 'the shipped weights', doc: 'how to load the model when none is given', recorded: false },
  { name: 'cacheSize', scope: 'session', type: 'number', default: 4, range: { min: 0, max: 64, integer: true }, doc: 'styles given as images whose Grams are kept for the next call (least recently used dropped)', recorded: false },
  { name: 'maxQueue', scope: 'session', type: 'number', default: Infinity, range: { min: 0, max: Infinity, integer: true }, doc: 'calls that may wait while one runs; one more is refused with QUEUE_FULL', recorded: false },
  { name: 'maxPixels', scope: 'session', type: 'number', default: DEFAULT_MAX_INPUT_PIXELS, range: { min: 1, max: 1_000_000_000, integer: true }, doc: 'largest width · height accepted for any input image', recorded: false },
  { name: 'signal', scope: 'session', type: 'AbortSignal', doc: 'aborts loading the model', recorded: false },
  { name: 'winograd', scope: 'session', type: 'boolean', defaultText: 'on, unless NST_WINOGRAD is 0, off or false', choices: [true, false], doc: 'Winograd convolutions on WASM where they are faster', recorded: false },
] as const satisfies readonly OptionRow[];

type Row = (typeof OPTION_TABLE)[number];
type Top<N extends string> = N extends `${infer A}.${string}` ? A : N;
/** The top-level option names of a scope, as a type (test/options/table.test.ts checks them against the option types). */
export type OptionNames<S extends OptionScope> = Top<Extract<Row, { scope: S }>['name']>;
/** The top-level `stylize()` options that sweep and study records store. */
export type RecordedOption = Top<Extract<Row, { scope: 'call'; recorded: true }>['name']>;

/** The rows of one scope. */
export function optionRows(scope: OptionScope): OptionRow[] {
  return OPTION_TABLE.filter((r) => r.scope === scope);
}

/** The row of `name` in `scope`. Throws for a name the table lacks (a programming error). */
export function optionRow(name: string, scope: OptionScope = 'call'): OptionRow {
  const row = OPTION_TABLE.find((r) => r.name === name && r.scope === scope);
  if (!row) throw new Error(`no ${scope} option ${name} in the option table`);
  return row;
}

/** The option names at the top level of a scope's options object, or of a nested object (`lbfgs`). */
export function optionKeys(scope: OptionScope, parent?: string): string[] {
  const names = optionRows(scope).map((r) => r.name);
  if (parent === undefined) return names.filter((n) => !n.includes('.'));
  return names.filter((n) => n.startsWith(`${parent}.`)).map((n) => n.slice(parent.length + 1));
}

/** The range of a numeric option (a programming error when it has none). */
export function rangeOf(name: string, scope: OptionScope = 'call'): Range {
  const r = optionRow(name, scope).range;
  if (!r) throw new Error(`option ${name} has no range in the option table`);
  return r;
}

type Ranged = Extract<Extract<Row, { scope: 'call' }>, { range: Range }>;

/** Inclusive ranges of the numeric `stylize()` options, by option path (from {@link OPTION_TABLE}). */
export const STYLIZE_RANGES = Object.fromEntries(
  OPTION_TABLE.filter((r): r is Ranged => r.scope === 'call' && 'range' in r).map((r) => [r.name, r.range]),
) as { readonly [R in Ranged as R['name']]: Range };
