/**
 * The shapes of a sweep: what it can vary, its axes and cells, the JSON record and the result.
 * @module
 */
import type { StyleStatistic } from '../../core/style-statistics.js';
import type { ImageInput, RgbaImage } from '../../image/input.js';
import type { LossNetwork } from '../../core/model.js';
import type { Pooling } from '../../core/network.js';
import type { Stylizer } from '../../stylize/session.js';
import type { LayerWeights, LossBreakdown, StylizeRequest } from '../../stylize/options.js';
import type { StopReason } from '../../stylize/result.js';
import type { Color } from '../raster.js';

/** Settings a sweep can vary. */
export type SweepParameter = 'styleLayers' | 'contentLayers' | 'weightRatio' | 'iterations' | 'pooling' | 'init' | 'styleStatistic';

/**
 * Style layer sets to compare: `'single'` (conv1_1, conv2_1 … conv5_1, one at a time), `'cumulative'` (conv1_1;
 * conv1_1+conv2_1; … conv1_1…conv5_1, as in Gatys et al. 2016 Fig. 3), `'all'` (each of the 16 conv layers alone),
 * or an explicit list of sets (each a layer name, a list of names, or a map name → weight).
 */
export type StyleLayerSets = 'single' | 'cumulative' | 'all' | readonly (string | LayerWeights)[];

/** What to vary: one or two keys. The first varies down the rows, the second across the columns (iterations always across). */
export interface SweepVary {
  styleLayers?: StyleLayerSets;
  /** Content layers to compare: each entry a layer name, a list, or a map name → weight. */
  contentLayers?: readonly (string | LayerWeights)[];
  /** Ratios α/β = contentWeight / styleWeight; `styleWeight` stays at its (base) value. */
  weightRatio?: readonly number[];
  /** Iteration counts, all taken from one run per cell row (as `snapshots`), never by re-running. */
  iterations?: readonly number[];
  pooling?: readonly Pooling[];
  init?: readonly ('content' | 'style' | 'noise')[];
  /** Style statistics to compare (docs/style-statistics.md); their losses have different scales, so each run's style weight is its own. */
  styleStatistic?: readonly StyleStatistic[];
}

/** Progress of a sweep, after every iteration of every run. */
export interface SweepProgress {
  /** 0-based index of the run and the number of runs. */
  run: number;
  runs: number;
  /** Label of the run's settings, e.g. `"conv3_1"`. */
  label: string;
  iteration: number;
  iterations: number;
  loss: LossBreakdown;
  /** Milliseconds since `sweep()` was called. */
  elapsedMs: number;
}

/** Options of {@link sweep}: the base {@link StylizeOptions} every cell starts from, plus what to vary. */
export interface SweepOptions extends Omit<StylizeRequest, 'iterations' | 'snapshots' | 'onIteration' | 'previewEvery' | 'taps' | 'model' | 'onQueue'> {
  /** What to vary (one or two settings). */
  vary: SweepVary;
  /** Iterations of every cell (a number), or a list = `vary.iterations`. Default 100. */
  iterations?: number | readonly number[];
  /** Layer kind the `'single'`/`'cumulative'`/`'all'` presets use: `'conv'` (before ReLU, default) or `'relu'`. */
  presetKind?: 'conv' | 'relu';
  /** A stylizer session to run on (its model and style cache are shared). Default: one made for the sweep. */
  stylizer?: Stylizer;
  /** A loaded model for the sweep's stylizer (ignored when `stylizer` is given). Default: loaded once. */
  model?: LossNetwork;
  onProgress?: (p: SweepProgress) => void | Promise<void>;
}

/** One axis of the grid. */
export interface SweepAxis {
  parameter: SweepParameter;
  /** Human-readable value labels, e.g. `conv1_1..conv3_1`, `a/b=0.01`, `100 it`. */
  labels: string[];
  /** The values (JSON-able). */
  values: unknown[];
}

/** The JSON-able settings of one cell (the stylize() options it ran with, defaults filled in). */
export interface SweepSettings {
  size: number;
  styleScale: number;
  styleLayers: Record<string, number>;
  contentLayers: Record<string, number>;
  contentWeight: number;
  styleWeight: number;
  tvWeight: number;
  lossNormalization: string;
  pooling: Pooling;
  init: string;
  seed: number;
  optimizer: string;
  learningRate: number;
  iterations: number;
  lbfgs: { historySize: number; lineSearch: string; maxEvaluations?: number; initialStep: number | 'torch' };
  /** The pyramid's levels (0: automatic) and decay, or `'none'` for plain pixels. */
  precondition: { levels: number; decay: number } | 'none';
  normalizeGradients: boolean | 'per-evaluation';
  styleStatistic: string;
  preserveColors: string | false;
  scales: number[];
  styleBlendWeights: number[];
  tile: 'auto' | false | { size: number; halo: number | 'exact' };
  pixelRange: string;
  /** How region masks reach the layers (recorded whether or not the run had regions). */
  regionMasks: { mode: string; erode: number; threshold?: number };
  uncovered: 'content' | number;
}

/** One tile of the grid. */
export interface SweepCell {
  row: number;
  column: number;
  rowLabel: string;
  columnLabel: string;
  settings: SweepSettings;
  /** The image at `settings.iterations` (or where the run stopped, if earlier). */
  image: RgbaImage;
  /** Iterations actually done for this image (fewer than asked when the optimiser stopped early). */
  iterationsDone: number;
  loss: LossBreakdown;
  /** Milliseconds from the start of the run to this image (setup included). */
  elapsedMs: number;
  /** Milliseconds the whole run took (the run may have fed several tiles). */
  runMs: number;
  /** Median milliseconds per iteration of the run. */
  perIterationMs: number;
  stopReason: StopReason;
  /** Why the tile differs from what was asked, if it does. */
  note?: string;
}

/** Facts about an input image, to check a replay uses the same pixels. */
export interface InputInfo {
  width: number;
  height: number;
  /** sha256 of the RGB bytes (rounded 0–255, row-major). */
  sha256: string;
  /** Where it came from (set by the CLI). */
  path?: string;
}

/** Everything needed to reproduce a sweep; `JSON.stringify` it. */
export interface SweepRecord {
  format: 'neural-style-tfjs/sweep@1';
  library: { name: 'neural-style-tfjs'; version: string };
  created: string;
  backend: string;
  weightsSha256: string;
  /** The loss network's name (`model.architecture.name`); records without it were made with VGG-19. */
  network?: string;
  seed: number;
  /** The sweep options without images and callbacks: `sweep({ ...record.options, content, style })` re-runs it. */
  options: Record<string, unknown>;
  /** The images, and the masks of `options.regions` / `options.contentWeightMap` (which refer to them by index). */
  inputs: { content: InputInfo; style: InputInfo[]; masks?: InputInfo[] };
  rows?: SweepAxis;
  columns: SweepAxis;
  cells: Omit<SweepCell, 'image'>[];
  timings: { totalMs: number; runs: number };
  /** Contact sheet options (set by {@link renderContactSheet}'s `record`). */
  sheet?: ContactSheetOptions;
}

/** What {@link sweep} resolves to. */
export interface SweepResult {
  /** The row axis (absent when only one setting varies: one row). */
  rows?: SweepAxis;
  columns: SweepAxis;
  /** Every tile, row-major. */
  cells: SweepCell[];
  /** The tile at (row, column). */
  at(row: number, column: number): SweepCell;
  record: SweepRecord;
  timings: { totalMs: number; runs: number };
}

/** Options of {@link renderContactSheet}. */
export interface ContactSheetOptions {
  /** Scale tiles so their longest side is this many pixels. Default: the images' own size. */
  tileSize?: number;
  /** Pixels between tiles and around the sheet. Default 4. */
  gap?: number;
  /** Font pixel size multiplier (the font is 5×7). Default 1 for tiles under 160 px, else 2. */
  fontScale?: number;
  /** A title line on top; `false` for none. Default: what varies, size and seed. */
  title?: string | false;
  /** A caption under each tile with its loss and time. Default true. */
  captions?: boolean;
  /** Background colour. Default white. */
  background?: Color;
  /** Text colour. Default near-black. */
  color?: Color;
}
