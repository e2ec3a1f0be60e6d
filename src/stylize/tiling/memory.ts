import type { NetworkPoint } from '../../core/layers.js';
import { activationBytes, stepMemory, type MemoryEstimate } from '../../core/memory.js';
import type { PassPlan } from '../../core/network.js';
import type { TileLayout } from './layout.js';

const F32 = 4;

/**
 * Image-sized float32 RGB tensors alive during a tiled evaluation besides the optimiser's vectors: the image, its
 * gradient's tiles and their assembly, the TV loss's temporaries, the pyramid's decode. Measured at 2048x1536 on
 * WASM (`scratch` run of 2026-12-01, 768 px tiles): 740–790 MB of tensors between evaluations against 386 MB
 * counted by the optimiser and target terms, and the heap at its 4 GiB cap in the second evaluation (10 were
 * counted then; a 2048 px run died when its heap overflowed).
 */
const IMAGE_SIZED_TENSORS = 20;

/**
 * The same when the optimiser's state is in JS memory (`stateOn: 'host'`): the device keeps only the current image
 * (for progress and the result) and the content image in grey and in colour.
 */
const IMAGE_SIZED_TENSORS_HOST_STATE = 3;

/**
 * Peak memory on the device of one step evaluated a tile at a time: one crop's pass (its activations and backward
 * sweep, at the largest crop), the content targets at the whole image's size, and — with the optimiser's state on
 * the device — that state and the image-sized tensors that live through an evaluation (the image, its gradient's
 * tiles and their assembly, the TV loss's temporaries: {@link IMAGE_SIZED_TENSORS} images); with the state in JS
 * memory, {@link IMAGE_SIZED_TENSORS_HOST_STATE} images. The targets are the content activations at the whole size
 * and the Grams.
 */
export function tiledStepMemory(
  pass: PassPlan,
  layout: TileLayout,
  input: { optimizer: 'lbfgs' | 'adam'; historySize: number; pyramid: boolean; stateOn: 'device' | 'host'; contentPoints: readonly NetworkPoint[]; stylePoints: readonly NetworkPoint[] },
): MemoryEstimate {
  const crop = stepMemory(pass, { height: layout.maxCrop.height, width: layout.maxCrop.width, optimizer: input.optimizer, historySize: 0 });
  const whole = stepMemory(pass, { height: layout.height, width: layout.width, optimizer: input.optimizer, historySize: input.historySize, pyramid: input.pyramid });
  const targets =
    input.contentPoints.reduce((a, p) => a + activationBytes(p, layout.height, layout.width), 0) + input.stylePoints.reduce((a, p) => a + p.channels ** 2 * F32, 0);
  const host = input.stateOn === 'host';
  const backward = crop.backward + (host ? IMAGE_SIZED_TENSORS_HOST_STATE : IMAGE_SIZED_TENSORS) * layout.height * layout.width * 3 * F32;
  const activations = crop.activations;
  const optimizer = host ? 0 : whole.optimizer;
  // Not counted here: WASM's Winograd weights, prepared per scale (≤ ~0.3 GB at 512 px; docs/performance.md).
  return { activations, backward, optimizer, targets, convWeights: 0, total: activations + backward + optimizer + targets };
}
