/** Messages between the page (main.ts) and the worker (worker.ts). Pixels travel as transferred buffers. */
import type { StyleStatistic } from 'neural-style-tfjs';

export interface Pixels {
  data: Uint8ClampedArray<ArrayBuffer>;
  width: number;
  height: number;
}

export interface StylizeParams {
  size: number;
  iterations: number;
  previewEvery: number;
  optimizer: 'lbfgs' | 'adam';
  contentLayers: string[];
  styleLayers: string[];
  contentWeight: number;
  styleWeight: number;
  tvWeight: number;
  preserveColors: false | 'luminance' | 'histogram';
  init: 'content' | 'noise';
  /** What the style terms match (the library's `styleStatistic`). */
  styleStatistic: StyleStatistic;
  /** The library's `normalizeGradients: true` (each term's loss scaled by its gradient's L1 norm at the start). */
  normalizeGradients: boolean;
  /** Bytes of GPU memory the run may use (the library's `memoryBudget`; browsers do not report it). */
  memoryBudget: number;
}

/** A mask over the content image: one value in [0, 1] per pixel, row by row (its buffer is transferred). */
export interface MaskData {
  data: Float32Array<ArrayBuffer>;
  width: number;
  height: number;
}

/** How a region's mask reaches each layer (the library's `regionMasks.mode`). */
export type MaskMode = 'inside' | 'all' | 'area' | 'nearest';

/** Styles by region: the run's style images, each region's mask and style, and what the rest gets. */
export interface RegionsParams {
  /** The style images; regions and `uncovered` index into it. `key` names the pixels, as `styleKey` does. */
  styles: { pixels: Pixels; key: string }[];
  regions: { name: string; mask: MaskData; style: number }[];
  /** Where no region covers: no style (`'content'`) or the index of a style image. */
  uncovered: 'content' | number;
  mode: MaskMode;
}

/** One layer of the Layers view's region masks: each region's mask carried to that layer. */
export interface RegionLayer {
  layer: string;
  width: number;
  height: number;
  /** Region after region, `width`·`height` bytes each (0–255 for mask values 0–1). */
  masks: Uint8ClampedArray<ArrayBuffer>;
  /** Each region's mean mask value at the layer (0 when it vanished there). */
  coverage: number[];
}

/** What the library plans for a run (`Stylizer.plan`), or why it refuses, for the line under Size. */
export type PlanSummary =
  | {
      fits: true;
      /** The largest scale's estimated bytes per step, and the budget they were planned against. */
      memoryBytes: number;
      budgetBytes?: number;
      tiles: number;
      tileSize?: number;
      /** Where the optimiser's state lives (host: the worker's JS memory, not the GPU). */
      stateOn: 'device' | 'host';
      /** Work per iteration over the whole image's in one pass: the tiles' halos and their second forward pass. */
      cost: number;
    }
  /** OUT_OF_MEMORY gives what was needed, the budget left and the largest size that fits (when one does). */
  | { fits: false; code?: string; message: string; width?: number; height?: number; needBytes?: number; budgetBytes?: number; fitSize?: number };

export type ToWorker =
  | { type: 'init'; backend: 'webgl' | 'webgpu'; weightsUrl: string }
  /** `contentKey`/`styleKey` name the images: the same key means the same pixels (the worker reuses targets). */
  /** With `regions`, the run paints by region with `regions.styles` (`style` is then not used). */
  | { type: 'stylize'; id: number; content: Pixels; contentKey: string; style: Pixels; styleKey: string; params: StylizeParams; regions?: RegionsParams }
  | { type: 'cancel'; id: number }
  /** What a run with `params` on these images' sizes would need (the worker asks the library's planner). */
  | { type: 'estimate'; id: number; content: { width: number; height: number }; style: { width: number; height: number }; params: StylizeParams }
  | { type: 'features'; id: number; image: Pixels; imageKey: string; layer: string; size: number; maxTiles: number }
  /** The receptive field of `layer`'s centre unit on `image` at `size` (the Layers view). */
  | { type: 'receptive-field'; id: number; image: Pixels; layer: string; size: number }
  /** The masks (over a content image of `content`'s size) carried to each of `layers` for a run at `size`. */
  | { type: 'region-masks'; id: number; masks: MaskData[]; content: { width: number; height: number }; size: number; layers: string[]; mode: MaskMode }
  /** Stylise a clip frame by frame (the library's `stylizeFrames`); cancelled by `cancel` with the same id. */
  | { type: 'video'; id: number; frames: Pixels[]; style: Pixels; styleKey: string; params: StylizeParams; video: VideoParams };

/** The Video card's settings: iterations of each frame after the first, and how frames are tied together. */
export interface VideoParams {
  iterations: number;
  consistency: 'temporal' | 'warped-start' | 'independent';
}

export interface LossParts {
  total: number;
  content: number;
  style: number;
  tv: number;
}

export interface FeatureTile {
  channel: number;
  /** Mean squared activation of the channel (what the tiles are sorted by). */
  energy: number;
  min: number;
  max: number;
}

export type FromWorker =
  /** The library's defaults (its option table) for the form's fields, sent once the library has loaded. */
  | { type: 'defaults'; values: FormDefaults; styleWeightNormalized: number }
  | { type: 'backend'; backend: string; renderer?: string }
  | { type: 'weights-progress'; loaded: number; total: number }
  | { type: 'weights-loaded'; bytes: number; ms: number; fromCache: boolean }
  | { type: 'started'; id: number; width: number; height: number; iterations: number }
  | { type: 'iteration'; id: number; iteration: number; iterations: number; loss: LossParts; evaluations: number; elapsedMs: number; preview?: Pixels }
  | { type: 'done'; id: number; image: Pixels; iterations: number; stopReason: string; perIterationMs: number; totalMs: number; warnings: string[] }
  | { type: 'cancelled'; id: number; image?: Pixels; iterations: number }
  | { type: 'features'; id: number; layer: string; width: number; height: number; channels: number; tiles: FeatureTile[]; pixels: Uint8ClampedArray<ArrayBuffer> }
  | { type: 'estimate'; id: number; size: number; plan: PlanSummary }
  /** `map`: Σ|∂unit/∂pixel| per pixel, square-rooted and scaled to 0–255 (`width`·`height` bytes). */
  | { type: 'receptive-field'; id: number; layer: string; width: number; height: number; theoretical: number; effective: number; centre: [number, number]; map: Uint8ClampedArray<ArrayBuffer> }
  /** During a run, every `previewEvery` iterations: ‖G − A‖²/‖A‖² of the current image at each of the 16 style layers. */
  | { type: 'gram-distances'; id: number; iteration: number; distances: { layer: string; value: number; optimised: boolean }[] }
  | { type: 'region-masks'; id: number; layers: RegionLayer[] }
  /** A video run: an iteration of frame `frame` (0-based) of `frames`. */
  | { type: 'video-iteration'; id: number; frame: number; frames: number; iteration: number; iterations: number }
  /** A video run: one stylised frame, with Ruder et al.'s temporal error against the previous one (none for the first). */
  | { type: 'video-frame'; id: number; index: number; frames: number; image: Pixels; iterations: number; temporalError?: number; reliable?: number; ms: number }
  /** A video run ended: all frames done, or cancelled after `done` of them. */
  | { type: 'video-end'; id: number; done: number; cancelled: boolean; totalMs: number }
  | { type: 'error'; id?: number; message: string; code?: string };

/** The form fields whose starting values are the library's defaults. */
export interface FormDefaults {
  size: number;
  iterations: number;
  contentWeight: number;
  styleWeight: number;
  tvWeight: number;
}
