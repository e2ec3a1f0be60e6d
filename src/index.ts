/**
 * neural-style-tfjs — optimisation-based neural style transfer (Gatys et al.) on TensorFlow.js, with taps on
 * every VGG-19 layer. This entry holds the essentials: the session (`createStylizer`) and one-shot `stylize`,
 * feature extraction, the model loader, layer names, errors, the defaults, and the option and result types. It is
 * backend-agnostic and registers no backend: import an adapter (`neural-style-tfjs/node`, `/browser`, `/webgl`,
 * `/wasm`), which re-exports all of this. The maths building blocks (losses, Gram, optimisers, image helpers,
 * memory estimates, kernels) are in `neural-style-tfjs/core`; sweeps, layer pictures and reconstructions in
 * `neural-style-tfjs/experiments`.
 *
 * @packageDocumentation
 */
export { stylize, createStylizer, type Stylizer, type StyleInput, type PrepareStyleOptions, type ImageSize } from './stylize/session.js';
export type { StylizerConfig } from './stylize/config.js';
export type { StyleHandle } from './stylize/style-handle.js';
export type { StylizeOptions, StylizeRequest, IterationInfo, StepInfo, LossBreakdown, LayerWeights, TileInfo, TilingInfo, TileOption } from './stylize/options.js';
export type { StylizeResult, StylizeStep, HistoryEntry, Snapshot, StopReason, ScaleReport, StylizePlan } from './stylize/result.js';
export { STYLIZE_DEFAULTS } from './defaults.js';
export { extractFeatures, type ExtractOptions } from './core/features.js';
export type { Pooling, TapInfo, Taps } from './core/network.js';
export type { LossNormalization } from './core/losses.js';
export type { StyleStatistic } from './core/style-statistics.js';
export type { PreserveColors } from './image/color.js';
export type { StyleRegion, RegionStyle } from './regions/types.js';
export type { Mask, MaskInput } from './regions/mask.js';
export type { MaskPropagation, PropagationOptions } from './regions/propagate.js';
export { regionsFromSegmentation, segmentationMasks, DEFAULT_PALETTE, type PaletteColor, type SegmentationOptions } from './regions/segmentation.js';
export { LossNetwork, Vgg19, loadVgg19, type LoadVgg19Options } from './core/model.js';
// Other loss networks (docs/networks.md): a spec → its architecture, weights from a manifest or from memory.
export { loadNetwork, networkFromWeights, type LoadNetworkOptions, type ConvWeightsInput } from './core/load-network.js';
export { encodeWeights, type EncodedWeights } from './core/encode-weights.js';
export {
  NetworkArchitecture,
  defineNetwork,
  vggSpec,
  VGG19,
  VGG16,
  VGG19_SPEC,
  VGG16_SPEC,
  CAFFE_INPUT,
  type NetworkSpec,
  type LayerSpec,
  type InputConvention,
  type ConvLayerShape,
} from './core/architecture.js';
export type { LoadProgress, WeightsSource } from './weights/source.js';
export type { WeightsManifest } from './weights/manifest.js';
export {
  CONV_LAYERS,
  LAYER_NAMES,
  NETWORK_POINTS,
  resolveLayer,
  type AnyLayerName,
  type ConvName,
  type LayerName,
  type NetworkPoint,
  type PointKind,
  type PoolName,
  type ReluName,
} from './core/layers.js';
export type { ImageInput, PixelData, PixelRange, RgbaImage } from './image/input.js';
export { stylizeFrames, stylizeVideo, temporalError, type VideoOptions, type VideoConsistency, type StylizedFrame, type StylizeVideoRequest, type FrameStylizer } from './video/stylize-video.js';
export { stylizeFramesMultiPass, type MultiPassOptions } from './video/multi-pass.js';
export type { TemporalFrame } from './stylize/temporal.js';
export { tfjsFlowSource, type FlowSource, type FramePair } from './video/flow-source.js';
export { opticalFlow, endpointError, OPTICAL_FLOW_DEFAULTS, type OpticalFlowOptions } from './video/flow.js';
export { warp, warpImage, type Warped, type WarpOptions } from './video/warp.js';
export { consistency, consistencyParts, type ConsistencyParts } from './video/consistency.js';
export { decodeFlo, encodeFlo, flowFieldToTensor, flowTensorToField, type FlowField } from './video/flo.js';
export { framesFromIterable, type Frame, type FrameIterable } from './video/frames.js';
export { StyleTransferError, isStyleTransferError, type StyleTransferErrorCode } from './errors.js';
export { VERSION } from './version.js';
