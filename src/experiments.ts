/**
 * `neural-style-tfjs/experiments`: looking inside VGG-19. Sweeps (grids of stylisations varying layers, weights,
 * iterations…) with contact sheets and replayable JSON records, feature-map and Gram pictures, and Gatys-style
 * reconstructions from one layer; plus the small RGBA drawing helpers they use. Registers no backend (import an
 * adapter too).
 * @packageDocumentation
 */
export { sweep, replaySweep } from './experiments/sweep/run.js';
export { layerSetLabel } from './experiments/sweep/axes.js';
export { renderContactSheet, type ContactSheetOptions, type ContactSheet, type TilePlacement } from './experiments/sweep/contact-sheet.js';
export type {
  SweepOptions,
  SweepVary,
  SweepParameter,
  StyleLayerSets,
  SweepProgress,
  SweepAxis,
  SweepSettings,
  SweepCell,
  SweepRecord,
  SweepResult,
  InputInfo,
} from './experiments/sweep/types.js';
export { renderFeatureMaps, renderGram, colorMapLut, type ColorMap, type FeatureMapOptions, type FeatureMapImage, type GramImageOptions, type GramImage } from './experiments/render.js';
export { reconstruct, reconstructionOptions, type ReconstructOptions } from './experiments/reconstruct.js';
export { drawText, measureText, fitText, wrapText } from './experiments/font.js';
export { createImage, blit, resizeRgba, type Color } from './experiments/raster.js';
