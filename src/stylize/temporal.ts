/**
 * The `temporal` option (Ruder et al.'s temporal loss for video): checked here, read when the run starts and brought
 * to each scale's size as the {@link temporalTerm}'s targets. `src/video/stylize-video.ts` fills it in frame by frame.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { luminanceImage } from '../image/color.js';
import { readImageInput, resizeImage, type ImageInput, type PixelRange } from '../image/input.js';
import type { Checker } from '../options/check.js';
import { isMask, readMask, resizeMask, type Mask, type MaskInput } from '../regions/mask.js';
import type { TemporalTarget } from '../core/losses.js';
import type { PreserveColors } from '../image/color.js';

/** A previous frame of the temporal loss: its stylised image warped into this frame, and where that warp holds. */
export interface TemporalFrame {
  /** ω(x_prev): the previous stylised frame warped into this one (0–255), at the content's size or resized to it. */
  warped: ImageInput;
  /** c: the weight of each pixel in [0, 1] (0 at disocclusions and motion boundaries; the long-term weights). */
  weights: MaskInput;
}

const MAX_TEMPORAL_FRAMES = 16;

/** Checks `temporal` (a list of {@link TemporalFrame}s); the images themselves are read when the run starts. */
export function resolveTemporal(check: Checker, v: unknown): readonly TemporalFrame[] | undefined {
  if (v === undefined) return undefined;
  return check.list('temporal', v, 0, MAX_TEMPORAL_FRAMES).map((f, i) => {
    const e = check.object(`temporal[${i}]`, f, ['warped', 'weights']);
    if (typeof e.warped !== 'object' || e.warped === null) check.fail(`temporal[${i}].warped`, e.warped, 'an image (the previous stylised frame warped into this one)');
    if (!isMask(e.weights) && (typeof e.weights !== 'object' || e.weights === null)) check.fail(`temporal[${i}].weights`, e.weights, 'a mask in [0, 1]: an image or { data: Float32Array, width, height }');
    return e as unknown as TemporalFrame;
  });
}

/** The temporal frames of a run, read once: images at the content's size, weights in JS memory. Owns the tensors. */
export interface ReadTemporal {
  frames: { warped: tf.Tensor4D; weights: Mask }[];
  dispose(): void;
}

export async function readTemporal(frames: readonly TemporalFrame[], size: { height: number; width: number }, maxPixels: number, pixelRange: PixelRange): Promise<ReadTemporal> {
  const out: ReadTemporal['frames'] = [];
  const dispose = () => tf.dispose(out.map((f) => f.warped));
  try {
    for (let i = 0; i < frames.length; i++) {
      const img = await readImageInput(frames[i].warped, `temporal[${i}].warped`, { maxPixels, pixelRange });
      const warped = img.shape[1] === size.height && img.shape[2] === size.width ? img : resizeImage(img, size.height, size.width);
      if (warped !== img) img.dispose();
      out.push({ warped, weights: resizeMask(await readMask(frames[i].weights, `temporal[${i}].weights`, maxPixels), size.height, size.width) });
    }
  } catch (e) {
    dispose();
    throw e;
  }
  return { frames: out, dispose };
}

/**
 * The temporal term's targets at a scale's size (new tensors, the caller's): each warped frame resized (and grey
 * when the run optimises luminance only) and its weights as `[1,H,W,1]`.
 */
export function temporalTargetsAt(t: ReadTemporal, height: number, width: number, preserveColors: PreserveColors): TemporalTarget[] {
  return t.frames.map((f) =>
    tf.tidy(() => {
      const sized = resizeImage(f.warped, height, width);
      const warped = preserveColors === 'luminance' ? luminanceImage(sized) : sized;
      const m = resizeMask(f.weights, height, width);
      return { warped, weights: tf.tensor4d(m.data, [1, height, width, 1]) };
    }),
  );
}
