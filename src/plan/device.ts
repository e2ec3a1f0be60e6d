/**
 * A GPU's per-allocation limit (WebGL's texture side, WebGPU's buffer size) against a run's passes, and the
 * DEVICE_LIMIT error that says which tensor is over it and what would fit.
 */
import { StyleTransferError } from '../errors.js';
import type { DeviceLimits, PlannedTensor } from '../kernels/index.js';
import type { PassPlan } from '../core/network.js';
import { largestTensor, passTensors } from './memory.js';

/** A tensor of a run that exceeds the device's per-allocation limit, and where. */
export interface OverLimit {
  tensor: PlannedTensor;
  /** Its size in the limit's unit. */
  size: number;
  /** The image it belongs to: the content (the loss pass) or a style image (its forward pass for the Grams). */
  image: string;
  width: number;
  height: number;
}

/** A run's passes checked against a device's limit; see {@link deviceCheck}. */
export interface DeviceCheck {
  /** The first tensor over the limit for content `height`x`width` with these style sizes, or undefined. */
  over(height: number, width: number, styles: readonly { height: number; width: number }[]): OverLimit | undefined;
}

/**
 * Checks a run's passes against a device's per-allocation limit: the loss pass at the content's size, the style
 * pass (forward only, with Grams) at each style image's size.
 */
export function deviceCheck(limits: DeviceLimits, pass: PassPlan, stylePass: PassPlan): DeviceCheck {
  const check = (p: PassPlan, image: string, height: number, width: number): OverLimit | undefined => {
    const { tensor, size } = largestTensor(passTensors(p, height, width, limits), limits);
    return size > limits.maxAllocation ? { tensor, size, image, width, height } : undefined;
  };
  return {
    over(height: number, width: number, styles: readonly { height: number; width: number }[]): OverLimit | undefined {
      const content = check(pass, 'content', height, width);
      if (content) return content;
      for (const [i, s] of styles.entries()) {
        const o = check(stylePass, styles.length > 1 ? `style[${i}]` : 'style', s.height, s.width);
        if (o) return o;
      }
      return undefined;
    },
  };
}

/** Bytes in GiB with one decimal, for messages. */
export const gib = (bytes: number): string => (bytes / 2 ** 30).toFixed(1);

/**
 * DEVICE_LIMIT: which tensor is too large for which limit, and what would fit: the largest `size` (undefined: none)
 * and, where the run could be tiled, the largest tile side whose crop fits.
 */
export function deviceLimitError(over: OverLimit, limits: DeviceLimits, backend: string, fitSize: number | undefined, fitTile?: number): StyleTransferError {
  const { tensor, size, image, width, height } = over;
  const sizeFix = fitSize === undefined ? undefined : `\`size: ${fitSize}\` is the largest that fits${image === 'content' ? '' : ' (or lower `styleScale`)'}`;
  const tileFix = fitTile === undefined ? undefined : `\`tile: ${fitTile}\` evaluates this size in tiles that fit`;
  const fixes = [sizeFix, tileFix].filter((f) => f !== undefined);
  const fix = fixes.length ? `${fixes.join('; ')}.` : 'No smaller `size` fits either: use layers that stop earlier or another backend.';
  return new StyleTransferError(
    'DEVICE_LIMIT',
    `At ${width}x${height} the ${image}'s ${tensor.what} [${tensor.shape.join(', ')}] would need ${limits.describe(size)} on the ${backend} backend, over its limit (${limits.limitName}). ${fix}`,
    { image, width, height, tensor: tensor.what, shape: [...tensor.shape], size, limit: limits.maxAllocation, limitName: limits.limitName, fitSize, ...(fitTile !== undefined ? { fitTile } : {}) },
  );
}
