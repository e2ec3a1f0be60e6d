import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError } from '../errors.js';

/** How many bits the active backend stores each float in. */
export interface FloatPrecision {
  backend: string;
  floatBits: 16 | 32;
}

/**
 * The active backend's storage precision. Only WebGL can be float16: it keeps tensors in textures, and on GPUs that
 * cannot render to float32 textures (or with the TF.js flag `WEBGL_FORCE_F16_TEXTURES`) TF.js sets
 * `WEBGL_RENDER_FLOAT32_ENABLED` false and falls back to half-float textures. Then TF.js's own probe,
 * `floatPrecision()` (does 1e-8 survive a round trip?), decides, so a driver that quietly keeps 32 bits in its
 * "half-float" textures counts as float32. (The probe alone is no test: in tfjs-backend-webgl 4.22 it answers 16
 * whenever float32 rendering is enabled.)
 */
export function floatPrecision(): FloatPrecision {
  const backend = tf.getBackend();
  if (backend !== 'webgl' || tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED')) return { backend, floatBits: 32 };
  const impl = tf.backend() as unknown as { floatPrecision?: () => number };
  return { backend, floatBits: impl.floatPrecision?.() === 32 ? 32 : 16 };
}

/**
 * Refuses to stylize on a float16 backend, with a FLOAT16_BACKEND error that says what to use instead.
 *
 * Why refuse rather than run: half floats end at 65504. At 224 px the unnormalised Gram product FᵀF of relu2_1
 * and deeper reaches 1e6–1e9 and the per-layer style losses 1e2–1e6 before weighting (shared/golden), so on
 * float16 WebGL the Grams and the loss are Inf or NaN from the first evaluation (measured: docs/browser.md,
 * "Numerics on the GPU backends") and a run would return the content image unchanged after minutes of work.
 * Scaling the Grams alone does not help: the squared Gram differences and the weighted loss overflow as well.
 * Feature extraction is not affected: activations stay below ~1e4 and are accurate to ~1e-3.
 */
export function assertFloat32Backend(precision: FloatPrecision = floatPrecision()): void {
  const { backend, floatBits } = precision;
  if (floatBits === 32) return;
  throw new StyleTransferError(
    'FLOAT16_BACKEND',
    `The "${backend}" backend stores tensors as 16-bit floats on this device (no float32 render targets), and style ` +
      'transfer overflows them: Gram matrices and style losses exceed 65504, the largest float16 value. Use WebGPU ' +
      '("neural-style-tfjs/browser" picks it where the browser has it) or WASM ("neural-style-tfjs/wasm"), which ' +
      'compute in float32. extractFeatures() still works on this backend.',
    { backend, floatBits },
  );
}
