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
 * `WEBGL_RENDER_FLOAT32_ENABLED` false and falls back to half-float textures. A probe then decides, so a driver
 * that quietly keeps 32 bits in its "half-float" textures counts as float32: 1e-8 (below float16's smallest
 * value) stored and read back. TF.js's own `floatPrecision()` is no help: in tfjs-backend-webgl 4.22 it answers 16
 * whenever float32 rendering is on, and its one-element probe runs on the CPU (small ops are forwarded there).
 */
export function floatPrecision(): FloatPrecision {
  const backend = tf.getBackend();
  if (backend !== 'webgl' || tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED')) return { backend, floatBits: 32 };
  // 1024 values: large enough that WebGL runs the op itself rather than forwarding it to the CPU backend. DEBUG
  // mode would reject the upload of a value float16 cannot hold, so it is off for the probe (as TF.js does).
  const debug = tf.env().getBool('DEBUG');
  tf.env().set('DEBUG', false);
  try {
    const probe = tf.tidy(() => tf.abs(tf.fill([1024], 1e-8)));
    const survived = (probe.dataSync() as Float32Array)[0] > 0;
    probe.dispose();
    return { backend, floatBits: survived ? 32 : 16 };
  } finally {
    tf.env().set('DEBUG', debug);
  }
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
