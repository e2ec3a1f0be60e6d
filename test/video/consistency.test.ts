/**
 * Ruder et al.'s forward/backward consistency check (src/video/consistency.ts) on an occluding square moving
 * 4 px to the right over a static textured background, 48x48: with the true flows, the disoccluded strip (the
 * background the square uncovers) is 0 everywhere and exactly the strip is flagged as disoccluded; the square's
 * edges are motion boundaries; everything else is 1. With flows estimated by opticalFlow, the strip is still
 * mostly 0 and the background 10 px or more from the square mostly 1 (measured fractions in the comments).
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ready } from '../../src/adapters/node.js';
import { consistency, consistencyParts } from '../../src/video/consistency.js';
import { opticalFlow } from '../../src/video/flow.js';
import { texture } from '../helpers/motion.js';

beforeAll(async () => {
  await ready();
});

const S = 48;
const SHIFT = 4;
const X0 = 14; // the square's left column in frame i−1
const Y0 = 18;
const SIDE = 14;
const inSquare = (x: number, y: number, left: number): boolean => x >= left && x < left + SIDE && y >= Y0 && y < Y0 + SIDE;

/** Frames i−1 and i (RGB 0–255) and the true forward and backward flows. */
function scene() {
  const bg = texture(5);
  const fg = texture(9);
  const prev = new Float32Array(S * S * 3);
  const next = new Float32Array(S * S * 3);
  const forward = new Float32Array(S * S * 2);
  const backward = new Float32Array(S * S * 2);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const i = y * S + x;
      // The square carries its own texture (and is brighter, so it stands out from the background).
      prev.set(inSquare(x, y, X0) ? fg(x - X0, y).map((v) => 0.5 * v + 120) : bg(x, y), i * 3);
      next.set(inSquare(x, y, X0 + SHIFT) ? fg(x - X0 - SHIFT, y).map((v) => 0.5 * v + 120) : bg(x, y), i * 3);
      if (inSquare(x, y, X0)) forward[i * 2] = SHIFT;
      if (inSquare(x, y, X0 + SHIFT)) backward[i * 2] = -SHIFT;
    }
  }
  return { prev, next, forward, backward };
}

const strip = (x: number, y: number): boolean => x >= X0 && x < X0 + SHIFT && y >= Y0 && y < Y0 + SIDE;
/** Farther than `d` px (Chebyshev) from both positions of the square. */
const farFromSquare = (x: number, y: number, d: number): boolean => x < X0 - d || x >= X0 + SHIFT + SIDE + d || y < Y0 - d || y >= Y0 + SIDE + d;

describe('consistency check on an occluding square', () => {
  it('with the true flows: the disoccluded strip is 0, the rest 1 but for the motion boundaries', async () => {
    const before = tf.memory().numTensors;
    const s = scene();
    const forward = tf.tensor4d(s.forward, [1, S, S, 2]);
    const backward = tf.tensor4d(s.backward, [1, S, S, 2]);
    const parts = consistencyParts(forward, backward);
    const [mask, disoccluded, boundary, outside] = await Promise.all([parts.mask.data(), parts.disoccluded.data(), parts.motionBoundary.data(), parts.outside.data()]);
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        const i = y * S + x;
        expect(disoccluded[i], `disoccluded at (${x}, ${y})`).toBe(strip(x, y) ? 1 : 0);
        if (strip(x, y)) expect(mask[i]).toBe(0);
        // The backward flow jumps from −4 to 0 at the square's edges in frame i: central differences flag the
        // pixel on each side of each edge, nothing farther away.
        const nearEdge = !farFromSquare(x, y, 1) && (x <= X0 + SHIFT || x >= X0 + SHIFT + SIDE - 1 || y <= Y0 || y >= Y0 + SIDE - 1);
        if (!nearEdge) expect(boundary[i], `boundary at (${x}, ${y})`).toBe(0);
        if (!strip(x, y) && !nearEdge) expect(mask[i], `mask at (${x}, ${y})`).toBe(1);
      }
    }
    expect(boundary[(Y0 + 5) * S + X0 + SHIFT]).toBe(1); // the square's left edge in frame i
    expect(boundary[(Y0 + 5) * S + X0 + SHIFT - 1]).toBe(1);
    expect(Array.from(outside).every((v) => v === 0)).toBe(true); // the square moves within the frame
    tf.dispose([forward, backward, parts.mask, parts.disoccluded, parts.motionBoundary, parts.outside]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('marks pixels whose backward flow leaves the frame', async () => {
    const before = tf.memory().numTensors;
    const forward = tf.tidy(() => tf.mul(tf.ones([1, 8, 8, 2]), tf.tensor1d([2, 0])) as tf.Tensor4D);
    const backward = tf.tidy(() => tf.mul(tf.ones([1, 8, 8, 2]), tf.tensor1d([-2, 0])) as tf.Tensor4D);
    const c = consistency(forward, backward);
    const rows = (await c.array())[0];
    for (const row of rows) expect(row.map((v) => v[0])).toEqual([0, 0, 1, 1, 1, 1, 1, 1]);
    tf.dispose([forward, backward, c]);
    // Within half a pixel of the border still counts as inside.
    const slightly = tf.tidy(() => tf.mul(tf.ones([1, 8, 8, 2]), tf.tensor1d([-0.4, 0])) as tf.Tensor4D);
    const still = tf.tidy(() => tf.mul(slightly, -1) as tf.Tensor4D);
    const c2 = consistency(still, slightly);
    expect(Array.from(await c2.data()).every((v) => v === 1)).toBe(true);
    tf.dispose([slightly, still, c2]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('with flows estimated by opticalFlow: the strip is mostly 0, the background 10 px away mostly 1', async () => {
    const before = tf.memory().numTensors;
    const s = scene();
    const prev = tf.tensor4d(s.prev, [1, S, S, 3]);
    const next = tf.tensor4d(s.next, [1, S, S, 3]);
    const forward = opticalFlow(prev, next);
    const backward = opticalFlow(next, prev);
    const c = consistency(forward, backward);
    const mask = await c.data();
    let stripZero = 0;
    let stripCount = 0;
    let farOne = 0;
    let farCount = 0;
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        if (strip(x, y)) {
          stripCount++;
          if (mask[y * S + x] === 0) stripZero++;
        } else if (farFromSquare(x, y, 10)) {
          farCount++;
          if (mask[y * S + x] === 1) farOne++;
        }
      }
    }
    console.log(`estimated flows: ${stripZero}/${stripCount} strip pixels 0, ${farOne}/${farCount} far background pixels 1`);
    // Measured on WASM: 45/56 strip pixels 0 and 958/1012 background pixels 1. Horn–Schunck smooths the flow
    // across the square's edges, so a band of 5–8 px around it is flagged as motion boundary (conservative: those
    // pixels are just not tied to the previous frame); 10 px away the background is mostly reliable.
    expect(stripZero / stripCount).toBeGreaterThan(0.7);
    expect(farOne / farCount).toBeGreaterThan(0.9);
    tf.dispose([prev, next, forward, backward, c]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
