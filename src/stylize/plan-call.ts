/**
 * `Stylizer.plan`: what a call would do, planned from the images' sizes alone against the active backend (see
 * plan.ts), with the errors the call would give before any work.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError, describe } from '../errors.js';
import { checkImageSize } from '../image/input.js';
import { resolveTapPoints } from '../core/network.js';
import { VGG19, type NetworkArchitecture } from '../core/architecture.js';
import { kernelsFor } from '../kernels/index.js';
import { assertFloat32Backend } from '../kernels/precision.js';
import type { ResolvedConfig } from './config.js';
import { resolveOptions, type StylizeOptions } from './options.js';
import { planRun } from './plan.js';
import { scaleReport, type StylizePlan } from './result.js';

/** An image's size in pixels, for `Stylizer.plan` (an image element or bitmap has these too). */
export interface ImageSize {
  width: number;
  height: number;
}

/**
 * Plans a call of a session whose config is `config`. `stylesOnBackend`: the styles are a prepared handle's, whose
 * images the backend holds already (they add nothing to the call's pending bytes). Allocates nothing.
 */
export function planCall(content: ImageSize, styles: readonly ImageSize[], options: StylizeOptions, config: Pick<ResolvedConfig, 'maxPixels' | 'winograd'>, stylesOnBackend: boolean, network: NetworkArchitecture = VGG19): StylizePlan {
  if (styles.length === 0) throw new StyleTransferError('INVALID_OPTION', '`style` is an empty list; give at least one style size.', { field: 'style' });
  const o = resolveOptions(options, styles.length, undefined, network);
  assertFloat32Backend();
  const sizeOf = (v: ImageSize, field: string): ImageSize => {
    if (typeof v !== 'object' || v === null || typeof v.width !== 'number' || typeof v.height !== 'number') {
      throw new StyleTransferError('INVALID_OPTION', `\`${field}\` is ${describe(v)}; expected the image's size, {width, height} in pixels (an image element or ImageData has them).`, { field });
    }
    checkImageSize(v.width, v.height, field, config.maxPixels);
    return { width: v.width, height: v.height };
  };
  const contentSize = sizeOf(content, 'content');
  const styleSizes = styles.map((s, i) => sizeOf(s, styles.length > 1 ? `style[${i}]` : 'style'));
  const backend = tf.getBackend();
  const kernels = kernelsFor(backend, { winograd: config.winograd });
  // The run holds its images as float32 RGB tensors (a handle's style images are on the backend already).
  const rgbBytes = (s: ImageSize) => s.width * s.height * 3 * 4;
  const plan = planRun({
    o, content: contentSize, styles: styleSizes, tapPoints: resolveTapPoints(o.taps, network), backend,
    memoryLimit: kernels.memoryLimit, deviceLimits: kernels.deviceLimits?.(), convBytes: kernels.preparedConvBytes,
    pendingBytes: rgbBytes(contentSize) + (stylesOnBackend ? 0 : styleSizes.reduce((a, s) => a + rgbBytes(s), 0)),
  });
  return { backend, scales: plan.scales.map(scaleReport), iterations: [...o.iterations], warnings: plan.warnings, ...(plan.budget && { memoryBudget: plan.budget }) };
}
