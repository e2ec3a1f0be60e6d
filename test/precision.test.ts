/**
 * The float16 guard (src/kernels/precision.ts). The real float16 backend (WebGL with WEBGL_FORCE_F16_TEXTURES) is
 * exercised in Chromium by test/browser/golden.test.ts; here: the decision and the error, on the Node backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ready } from '../src/adapters/node.js';
import { isStyleTransferError } from '../src/errors.js';
import { assertFloat32Backend, floatPrecision } from '../src/kernels/precision.js';

beforeAll(async () => {
  await ready();
});

describe('float precision guard', () => {
  it('sees the Node backend as float32 and lets it stylize', () => {
    expect(floatPrecision()).toEqual({ backend: tf.getBackend(), floatBits: 32 });
    expect(() => assertFloat32Backend()).not.toThrow();
  });

  it('refuses a float16 backend with FLOAT16_BACKEND, saying what to use instead', () => {
    let error: unknown;
    try {
      assertFloat32Backend({ backend: 'webgl', floatBits: 16 });
    } catch (e) {
      error = e;
    }
    expect(isStyleTransferError(error, 'FLOAT16_BACKEND')).toBe(true);
    const e = error as Error & { details?: Record<string, unknown> };
    expect(e.message).toMatch(/65504/);
    expect(e.message).toMatch(/WebGPU/);
    expect(e.message).toMatch(/neural-style-tfjs\/wasm/);
    expect(e.details).toEqual({ backend: 'webgl', floatBits: 16 });
  });
});
