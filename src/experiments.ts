/**
 * `neural-style-tfjs/experiments`: looking inside VGG-19. Sweeps (grids of stylisations varying layers, weights,
 * iterations…) with contact sheets and replayable JSON records, feature-map and Gram pictures, and Gatys-style
 * reconstructions from one layer; the layer study and its measurements (feature and Gram distances, PSNR/SSIM,
 * receptive fields, texture scale); plus the small RGBA drawing helpers they use. Registers no backend (import an
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
// The layer study (`neural-style-tfjs study`, docs/layers.md) and the measurements it is made of.
export { study, studyRuns, type StudyOptions, type StudySelectOptions, type StudySelected, type StudyRunInfo, type StudyPair, type StudyExperimentName, type StudyCache, type StudyCacheEntry, type StudyProgress, type StudyRun, type StudyResult, type StudyRecord, type StudyExperiment, type StudyPairResult, type CellMeasurements, type ReceptiveFieldRow } from './insight/study.js';
export { renderStudyReport, type StudyReportOptions } from './insight/report.js';
export { validateStudyRecord } from './insight/record.js';
// The study's per-statistic comparison (`study --statistics`, docs/layers.md).
export { statisticsStudy, DEFAULT_STATISTICS_LAYERS, type StatisticsStudyOptions, type StatisticsStudyProgress, type StatisticsCell, type StatisticsPairResult, type StatisticsStudyRecord, type StatisticsStudyResult } from './insight/statistics-study.js';
export { renderStatisticsReport } from './insight/statistics-report.js';
export { featureDistances, gramDistances, styleGrams, type LayerDistance, type DistanceOptions } from './insight/feature-distance.js';
export { regionGramDistances, type RegionDistanceOptions } from './insight/region-distance.js';
export { psnr, ssim } from './insight/image-quality.js';
export { theoreticalReceptiveField, effectiveReceptiveField, type TheoreticalReceptiveField, type EffectiveReceptiveField, type EffectiveReceptiveFieldOptions } from './insight/receptive-field.js';
export { textureScale, radialPowerSpectrum, type TextureScale, type RadialSpectrum, type SpectrumOptions } from './insight/texture-scale.js';
// The quality harness (`npm run bench -- --quality`, docs/quality.md) and its measures.
export { qualityMeasures, QUALITY_STYLE_LAYERS, QUALITY_CONTENT_LAYER, type QualityReference, type QualityMeasures } from './experiments/quality.js';
export { slicedWassersteinDistances, SLICED_WASSERSTEIN_DEFAULTS, type SlicedWassersteinOptions } from './insight/sliced-wasserstein.js';
export { labHistogramDistance } from './insight/lab-histogram.js';
