/**
 * `neural-style-tfjs/core`: the building blocks under `stylize()`, for people who compose their own objective or
 * loop: preprocessing, Gram matrices, the losses, one loss+gradient pass through VGG-19, the optimisers (L-BFGS,
 * Adam), colour transfer, image conversion helpers, memory estimates and the backend kernels. Registers no backend
 * (import an adapter too).
 * @packageDocumentation
 */
export { BGR_MEAN, preprocess, lossAndGradient, type PointLoss } from './core/network.js';
export { gramMatrix } from './core/gram.js';
export { contentLoss, styleLoss, tvLoss, contentTerm, styleTerm, tvTerm, temporalTerm, type LossNormalization, type LossTerm, type TemporalTarget } from './core/losses.js';
export { STYLE_STATISTICS, statisticTerm, styleTargetOf, isTileable, type StyleStatistic } from './core/style-statistics.js';
export { wholeImageLoss, type ActivationTerm, type ImageTerm, type LossSpec, type PointTerm, type FinishedTerm, type At } from './core/loss-spec.js';
export { estimateMemory, backendMemoryLimit } from './plan/estimate.js';
export type { LargestAllocation, MemoryEstimate, MemoryEstimateInput } from './plan/memory.js';
export { lbfgs, type LbfgsOptions } from './optim/lbfgs.js';
export { adam, type AdamOptions } from './optim/adam.js';
export type { Objective, Evaluation, OptimizerStep } from './optim/types.js';
export { matchColorHistogram, combineLuminance, luminanceImage, colorStats, srgbToLab, type PreserveColors } from './image/color.js';
export { noiseImage } from './image/noise.js';
export {
  toImageTensor,
  readImageInput,
  resizeImage,
  fitSize,
  toRgba,
  toImageData,
  DEFAULT_MAX_INPUT_PIXELS,
  type ImageInputOptions,
} from './image/input.js';
export { kernelsFor, genericKernels, wasmKernels, wasmKernelsWith, webglKernels, webgpuKernels, type Kernels, type DeviceLimits, type PlannedTensor, type WasmKernelOptions } from './kernels/index.js';
export { transformWeights, winogradConv2d, winogradTensors, type WinogradTile, type WinogradWeights } from './kernels/winograd.js';
export { STYLIZE_DEFAULTS } from './defaults.js';
export { STYLIZE_RANGES, OPTION_TABLE, type OptionRow, type OptionScope } from './options/table.js';
export { urlWeightsSource } from './weights/source.js';
export { configurePlatform, getPlatform, type Platform } from './platform.js';
export { propagateMask, MASK_PROPAGATIONS } from './regions/propagate.js';
export { readMask, resizeMask } from './regions/mask.js';
