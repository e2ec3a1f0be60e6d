import * as tf from '@tensorflow/tfjs-core';
import { STYLIZE_DEFAULTS } from '../defaults.js';
import { genericKernels } from './generic.js';
import { reluMaxPoolBackwardByMask } from './relu-max-pool.js';
import type { Kernels } from './types.js';
import { guardWasmMalloc } from './wasm-malloc-guard.js';
import { prepareWinograd, winogradBytes, winogradNeeds, winogradOrPlainConv, winogradTileFor, VGG19_CONV_SHAPES, type TileChoice } from './winograd-plan.js';

/**
 * `mᵀ` for a 2-D `[R, C]` tensor, blocked. On WASM (tfjs 4.22) a 2-D transpose of a tall matrix is a
 * cache-hostile loop (~57 ms for 65536x64); splitting R into blocks of B rows and transposing in two stages — each
 * block, then the block order — gives the same values in ~6 ms. Small or unblockable shapes get the plain one.
 */
export function blockedTranspose(m: tf.Tensor2D): tf.Tensor2D {
  const [r, c] = m.shape;
  const b = [64, 32, 16, 8].find((k) => r % k === 0 && r / k >= 2);
  if (b === undefined || r < 1024) return tf.transpose(m);
  return tf.tidy(() => tf.reshape(tf.transpose(tf.transpose(tf.reshape(m, [r / b, b, c]), [0, 2, 1]), [1, 0, 2]), [c, r]) as tf.Tensor2D);
}

/** Options of {@link wasmKernelsWith}. */
export interface WasmKernelOptions {
  /**
   * Winograd convolutions where they beat `tf.conv2d` (see `kernels/winograd-plan.ts`). Default: on, unless the
   * environment variable `NST_WINOGRAD` is `0`, `off` or `false`.
   */
  winograd?: boolean;
  /** Which tile each conv shape uses (for tests and experiments). Default: the measured table, `winogradTileFor`. */
  winogradTile?: TileChoice;
}

/** `NST_WINOGRAD=0|off|false` turns Winograd off by default (read where `process` exists: Node, some bundlers). */
function winogradFromEnv(): boolean {
  const v = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.NST_WINOGRAD;
  return !(v !== undefined && ['0', 'off', 'false'].includes(v.trim().toLowerCase()));
}

/**
 * tfjs-backend-wasm: the generic kernels with a blocked transpose for Grams, the fused ReLU + max-pool backward,
 * Winograd convolutions where they pay (unless `winograd: false`), and the 32-bit heap's cap.
 */
export function wasmKernelsWith(options: WasmKernelOptions = {}): Kernels {
  const winograd = options.winograd ?? winogradFromEnv();
  const choose = options.winogradTile ?? winogradTileFor;
  return {
    ...genericKernels,
    name: winograd ? 'wasm' : 'wasm (no winograd)',
    guardMalloc: guardWasmMalloc,
    // matMul(transpose(F), F) with the blocked transpose is 4–12x faster here than matMul(F, F, true).
    gram: (f) => tf.tidy(() => tf.matMul(blockedTranspose(f), f)),
    reluMaxPoolBackward: reluMaxPoolBackwardByMask,
    ...(winograd && {
      conv: (x, model, i, direction) => winogradOrPlainConv(x, model, i, direction, choose),
      prepareConvs: (model, use) => prepareWinograd(model, use, choose),
      preparedConvBytes: (use) => winogradNeeds(use, VGG19_CONV_SHAPES, choose).reduce((a, n) => a + winogradBytes(n.tile, n.inChannels, n.outChannels), 0),
    }),
    memoryLimit: STYLIZE_DEFAULTS.memoryBudget.wasm,
  };
}

/** The WASM kernels with the default options. */
export const wasmKernels: Kernels = wasmKernelsWith();
