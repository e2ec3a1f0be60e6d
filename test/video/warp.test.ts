/**
 * The bilinear warp (src/video/warp.ts): exact for integer shifts, bilinear for fractional ones, out-of-frame
 * samples marked invalid and filled from the border, batches, no leaked tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ready } from '../../src/adapters/node.js';
import { isStyleTransferError } from '../../src/errors.js';
import { warp, warpImage } from '../../src/video/warp.js';
import { mulberry32 } from '../../src/image/noise.js';

beforeAll(async () => {
  await ready();
});

const H = 12;
const W = 16;
const C = 3;
const rand = mulberry32(7);
const pixels = Float32Array.from({ length: H * W * C }, () => Math.round(rand() * 255));
const px = (y: number, x: number, c: number): number => pixels[(y * W + x) * C + c];
const constantFlow = (u: number, v: number) => tf.tidy(() => tf.mul(tf.ones([1, H, W, 2]), tf.tensor1d([u, v])) as tf.Tensor4D);

describe('warp', () => {
  it('is exact for integer shifts and marks out-of-frame samples invalid', async () => {
    const before = tf.memory().numTensors;
    const image = tf.tensor4d(pixels, [1, H, W, C]);
    const flow = constantFlow(3, -2); // out(y, x) = image(y - 2, x + 3)
    const { warped, valid } = warp(image, flow);
    const out = await warped.data();
    const ok = await valid.data();
    let checked = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const sy = y - 2;
        const sx = x + 3;
        const inside = sy >= 0 && sx < W;
        expect(ok[y * W + x]).toBe(inside ? 1 : 0);
        for (let c = 0; c < C; c++) {
          // Outside: the nearest border pixel (clamped coordinates).
          const want = px(Math.min(H - 1, Math.max(0, sy)), Math.min(W - 1, Math.max(0, sx)), c);
          expect(out[(y * W + x) * C + c]).toBe(want);
          checked++;
        }
      }
    }
    expect(checked).toBe(H * W * C);
    tf.dispose([image, flow, warped, valid]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('interpolates bilinearly for fractional shifts, per pixel', async () => {
    const before = tf.memory().numTensors;
    const image = tf.tensor4d(pixels, [1, H, W, C]);
    // A different fractional displacement at every pixel, all inside the frame.
    const r = mulberry32(3);
    const flowValues = new Float32Array(H * W * 2);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        flowValues[(y * W + x) * 2] = r() * (W - 1) - x;
        flowValues[(y * W + x) * 2 + 1] = r() * (H - 1) - y;
      }
    }
    const flow = tf.tensor4d(flowValues, [1, H, W, 2]);
    const { warped, valid } = warp(image, flow);
    const out = await warped.data();
    expect(Array.from(await valid.data()).every((v) => v === 1)).toBe(true);
    let worst = 0;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const sx = x + flowValues[(y * W + x) * 2];
        const sy = y + flowValues[(y * W + x) * 2 + 1];
        const x0 = Math.floor(sx);
        const y0 = Math.floor(sy);
        const x1 = Math.min(x0 + 1, W - 1);
        const y1 = Math.min(y0 + 1, H - 1);
        const fx = sx - x0;
        const fy = sy - y0;
        for (let c = 0; c < C; c++) {
          const want = (1 - fy) * ((1 - fx) * px(y0, x0, c) + fx * px(y0, x1, c)) + fy * ((1 - fx) * px(y1, x0, c) + fx * px(y1, x1, c));
          worst = Math.max(worst, Math.abs(out[(y * W + x) * C + c] - want));
        }
      }
    }
    expect(worst).toBeLessThan(1e-3); // float32 on 0–255 values
    tf.dispose([image, flow, warped, valid]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a half-pixel shift averages neighbours; a batch of two frames warps each with its own flow', async () => {
    const before = tf.memory().numTensors;
    const two = tf.tensor4d([...pixels, ...pixels.map((v) => 255 - v)], [2, H, W, C]);
    const flow = tf.tidy(() => tf.concat([constantFlow(0.5, 0), constantFlow(0, 1)]) as tf.Tensor4D);
    const warped = warpImage(two, flow);
    const out = await warped.array();
    expect(out[0][4][5][1]).toBeCloseTo((px(4, 5, 1) + px(4, 6, 1)) / 2, 3);
    expect(out[1][4][5][2]).toBeCloseTo(255 - px(5, 5, 2), 3);
    tf.dispose([two, flow, warped]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses a flow whose shape does not match the image', () => {
    const before = tf.memory().numTensors;
    const image = tf.zeros([1, H, W, C]) as tf.Tensor4D;
    const flow = tf.zeros([1, H, W + 1, 2]) as tf.Tensor4D;
    let code = 'no error';
    try {
      warp(image, flow);
    } catch (e) {
      code = isStyleTransferError(e) ? e.code : String(e);
    }
    expect(code).toBe('INVALID_OPTION');
    tf.dispose([image, flow]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
