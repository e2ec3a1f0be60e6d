/**
 * neural-style-tfjs — optimisation-based neural style transfer (Gatys et al.) on TensorFlow.js, with taps on
 * every VGG-19 layer. This entry point is backend-agnostic: it registers no backend. Import an adapter
 * (`neural-style-tfjs/node`, `/webgl`, `/wasm`) once, or register a backend yourself.
 *
 * @packageDocumentation
 */
export { StyleTransferError, isStyleTransferError, type StyleTransferErrorCode } from './errors.js';
export {
  CONV_LAYERS,
  LAYER_NAMES,
  NETWORK_POINTS,
  resolveLayer,
  type ConvName,
  type LayerName,
  type NetworkPoint,
  type PointKind,
  type PoolName,
  type ReluName,
} from './layers.js';
export { Vgg19, loadVgg19, type LoadVgg19Options } from './model.js';
export type { LoadProgress, WeightsSource } from './weights/source.js';
export { urlWeightsSource } from './weights/source.js';
export type { WeightsManifest } from './weights/manifest.js';
export { extractFeatures, type ExtractOptions } from './features.js';
export { BGR_MEAN, preprocess, type Pooling, type TapInfo, type Taps } from './network.js';
export { gramMatrix } from './gram.js';
export { contentLoss, styleLoss, tvLoss, type LossNormalization, type LossTerm } from './losses.js';
export {
  toImageTensor,
  readImageInput,
  resizeImage,
  fitSize,
  toRgba,
  toImageData,
  DEFAULT_MAX_INPUT_PIXELS,
  type ImageInput,
  type ImageInputOptions,
  type PixelData,
  type PixelRange,
  type RgbaImage,
} from './image.js';
export { configurePlatform, getPlatform, type Platform } from './platform.js';
export { VERSION } from './version.js';
export { stylize, createStylizer, type Stylizer, type StyleInput, type PrepareStyleOptions } from './stylize/session.js';
export type { StylizerConfig } from './stylize/config.js';
export type { StyleHandle } from './stylize/style-handle.js';
export type { StylizeOptions, StylizeRequest, IterationInfo, StepInfo, LossBreakdown, LayerWeights, TileInfo, TilingInfo, TileOption } from './stylize/options.js';
export { DEFAULT_CONTENT_LAYERS, DEFAULT_STYLE_LAYERS } from './stylize/options.js';
export type { StylizeResult, StylizeStep, HistoryEntry, Snapshot, StopReason, ScaleReport } from './stylize/result.js';
export { lbfgs, type LbfgsOptions } from './optim/lbfgs.js';
export { adam, type AdamOptions } from './optim/adam.js';
export type { Objective, Evaluation, OptimizerStep } from './optim/types.js';
export { lossAndGradient, type PointLoss } from './network.js';
export { matchColorHistogram, combineLuminance, luminanceImage, colorStats, type PreserveColors } from './color.js';
export { noiseImage } from './stylize/noise.js';
export { estimateMemory, backendMemoryLimit, type MemoryEstimate, type MemoryEstimateInput } from './memory.js';
export {
  sweep,
  replaySweep,
  renderContactSheet,
  layerSetLabel,
  type SweepOptions,
  type SweepVary,
  type SweepParameter,
  type StyleLayerSets,
  type SweepProgress,
  type SweepAxis,
  type SweepSettings,
  type SweepCell,
  type SweepRecord,
  type SweepResult,
  type InputInfo,
  type ContactSheetOptions,
  type ContactSheet,
  type TilePlacement,
} from './experiments/sweep.js';
export { renderFeatureMaps, renderGram, colorMapLut, type ColorMap, type FeatureMapOptions, type FeatureMapImage, type GramImageOptions, type GramImage } from './experiments/render.js';
export { reconstruct, reconstructionOptions, type ReconstructOptions } from './experiments/reconstruct.js';
export { drawText, measureText, fitText, wrapText, createImage, blit, resizeRgba, type Color } from './experiments/font.js';
