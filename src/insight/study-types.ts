/**
 * The shapes of the layer study (`study()` in `study.ts`): its options, progress, cache entries, runs and measurements, the
 * result and the JSON record.
 * @module
 */
import type { ImageInput, RgbaImage } from '../image/input.js';
import type { LossNetwork } from '../core/model.js';
import type { InputInfo, SweepRecord, SweepResult } from '../experiments/sweep/types.js';
import type { Stylizer } from '../stylize/session.js';
import type { StylizeOptions } from '../stylize/options.js';

/** One content/style pair of a study. */
export interface StudyPair {
  content: ImageInput;
  style: ImageInput;
  /** A label for the report, e.g. `tubingen + starry_night`. Default `pair N`. */
  name?: string;
}

/** The three experiments of a study. */
export type StudyExperimentName = 'single' | 'cumulative' | 'content';

/** Options of `study()`. */
export interface StudyOptions {
  pairs: readonly StudyPair[];
  /** Longest side of every result, in pixels. Default 128. */
  size?: number;
  /** The two (or more) iteration counts, taken from one run each as snapshots. Default [20, 80]. */
  iterations?: readonly number[];
  /** Layers that each give the style alone (the `single` experiment). Default all 16 conv layers. */
  styleLayers?: readonly string[];
  /** The cumulative sets conv1_1, conv1_1+conv2_1, … conv1_1..conv5_1 (Gatys et al. 2016, Fig. 3). Default true. */
  cumulative?: boolean;
  /** Layers the content is reconstructed from (from noise, content term only). Default conv1_2 … conv5_2; [] for none. */
  contentLayers?: readonly string[];
  /** Seed of every run. Default 0. */
  seed?: number;
  /**
   * Settings every style run shares (content layers and weights, TV weight, optimiser, pooling, …). Default: the
   * library's defaults (content relu4_2, α/β = 0.05, L-BFGS, start from the content image).
   */
  stylize?: Omit<StylizeOptions, 'iterations' | 'snapshots' | 'onIteration' | 'previewEvery' | 'taps' | 'onQueue' | 'signal' | 'styleLayers' | 'size' | 'seed'>;
  /** A session to run on. Default: one made for the study (from `model` when given). */
  stylizer?: Stylizer;
  model?: LossNetwork;
  /** Where finished runs are kept, so a study run again skips them. Default: none. */
  cache?: StudyCache;
  onProgress?: (p: StudyProgress) => void | Promise<void>;
  signal?: AbortSignal;
}

/** One run of a study, as {@link studyRuns} lists them (the order `study()` runs them in). */
export interface StudyRunInfo {
  /** Its index among the study's runs: what `select` takes. */
  index: number;
  pair: number;
  experiment: StudyExperimentName | 'receptive-fields';
  label: string;
}

/** `study()` options that compute one run only (e.g. on a queue worker): see {@link StudySelected}. */
export interface StudySelectOptions extends StudyOptions {
  /**
   * The index (in {@link studyRuns}) of the one run to compute; no other run is computed or assembled. A study
   * whose runs were all computed this way is assembled by `study()` with a `cache` holding them.
   */
  select: number;
}

/** What `study({ ..., select })` resolves to: the run, and the cache entry a whole `study()` looks up under `key`. */
export interface StudySelected {
  run: StudyRunInfo;
  key: string;
  entry: StudyCacheEntry;
  /** True when `cache` already held it (nothing was computed). */
  cached: boolean;
}

/** What a {@link StudyCache} keeps: a finished run, or one pair's receptive fields. */
export type StudyCacheEntry = { kind: 'run'; run: StudyRun } | { kind: 'receptive-fields'; rows: ReceptiveFieldRow[] };

/** Keeps finished work by key (entries hold RGBA images and JSON-able data), so a study run again skips it. */
export interface StudyCache {
  get(key: string): StudyCacheEntry | undefined | Promise<StudyCacheEntry | undefined>;
  put(key: string, entry: StudyCacheEntry): void | Promise<void>;
}

/** Progress of a study: after every iteration of every run, and once per run taken from the cache. */
export interface StudyProgress {
  /** 0-based run and the number of runs (receptive fields count as one per pair). */
  run: number;
  runs: number;
  pair: number;
  experiment: StudyExperimentName | 'receptive-fields';
  label: string;
  iteration: number;
  iterations: number;
  /** True when the run was found in the cache. */
  cached: boolean;
}

/** Measurements of one result image. */
export interface CellMeasurements {
  /** PSNR (dB) and SSIM against the content image at the result's size. */
  psnr: number;
  ssim: number;
  /** Texture scale (pixels) of the result, and of what it added to the content image (style experiments). */
  texture: { peak: number; centroid: number };
  addedTexture?: { peak: number; centroid: number };
  /** Relative Gram distance to the style image at each of the 16 conv layers (style experiments). */
  gram?: Record<string, number>;
  /** Relative feature distance to the content image at relu1_1 and relu2_1 (content experiment). */
  features?: Record<string, number>;
}

/** A finished run: one sweep row (its record), its images and their measurements, in column order. */
export interface StudyRun {
  record: SweepRecord;
  images: RgbaImage[];
  measurements: CellMeasurements[];
}

/** Receptive field of one conv layer, for one content image at the study's size. */
export interface ReceptiveFieldRow {
  layer: string;
  theoretical: number;
  /** Side of the centred square holding 95% of the centre unit's input gradient. */
  effective: number;
  rms: number;
  clipped: boolean;
}

/** One experiment of one pair: its sweep (all rows) and each cell's measurements (row-major, like `cells`). */
export interface StudyExperiment {
  name: StudyExperimentName;
  sweep: SweepResult;
  measurements: CellMeasurements[];
}

export interface StudyPairResult {
  name: string;
  /** The content and style images at the study's size (what the runs saw). */
  content: RgbaImage;
  style: RgbaImage;
  receptiveFields: ReceptiveFieldRow[];
  /** The content image's own relative Gram distance to the style at each conv layer: where every style run starts. */
  baseline: Record<string, number>;
  experiments: StudyExperiment[];
}

/** The JSON record of a study: its settings, and each pair's sweep records and measurements. */
export interface StudyRecord {
  format: 'neural-style-tfjs/study@1';
  library: { name: 'neural-style-tfjs'; version: string };
  created: string;
  backend: string;
  weightsSha256: string;
  /** The loss network's name (`model.architecture.name`); records without it were made with VGG-19. */
  network?: string;
  options: { size: number; iterations: number[]; styleLayers: string[]; cumulative: boolean; contentLayers: string[]; seed: number; stylize: Record<string, unknown> };
  pairs: {
    name: string;
    /** The pair's images as given (size and sha256 of the RGB bytes; `path` set by the CLI). */
    inputs: { content: InputInfo; style: InputInfo };
    receptiveFields: ReceptiveFieldRow[];
    baseline: Record<string, number>;
    /** Each experiment's sweep record (replayable with `replaySweep`) and its cells' measurements. */
    experiments: { name: StudyExperimentName; sweep: SweepRecord; measurements: CellMeasurements[] }[];
  }[];
  timings: { totalMs: number; runs: number; cached: number };
  /** The command line that made it (set by the CLI). */
  command?: string;
}

export interface StudyResult {
  pairs: StudyPairResult[];
  record: StudyRecord;
}
