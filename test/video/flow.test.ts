/**
 * The built-in optical flow (src/video/flow.ts) on synthetic motions of an analytic texture with known flow
 * (test/helpers/motion.ts), 48x48 on the test backend: average endpoint error (EPE) over the pixels whose true
 * correspondence lies inside the second frame, against stated bounds. Measured here (48x48, WASM): 0.012, 0.065,
 * 0.037, 0.079 and 0.055 px in the order of the cases below; the bounds (0.1–0.2 px) leave room for other backends
 * (the cpu backend passes too). Also: the options are validated, the pyramid stops at 8 px, no tensor leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ready } from '../../src/adapters/node.js';
import { isStyleTransferError } from '../../src/errors.js';
import { endpointError, opticalFlow, pyramidSizes, resolveFlowOptions } from '../../src/video/flow.js';
import { framePair, rotation, translation, zoom, type Motion } from '../helpers/motion.js';

beforeAll(async () => {
  await ready();
});

const S = 48;

async function measure(motion: Motion): Promise<{ epe: number; zeroEpe: number }> {
  const p = framePair(motion, S, S, 2);
  const a = tf.tensor4d(p.frame1, [1, S, S, 3]);
  const b = tf.tensor4d(p.frame2, [1, S, S, 3]);
  const truth = tf.tensor4d(p.flow, [1, S, S, 2]);
  const inside = tf.tensor4d(p.inside, [1, S, S, 1]);
  const zero = tf.zerosLike(truth);
  const flow = opticalFlow(a, b);
  const epe = await endpointError(flow, truth, inside);
  const zeroEpe = await endpointError(zero, truth, inside);
  tf.dispose([a, b, truth, inside, zero, flow]);
  return { epe, zeroEpe };
}

describe('opticalFlow: EPE on synthetic motion', () => {
  const cases: [Motion, number][] = [
    [translation(2, 0), 0.1],
    [translation(2.5, -1.5), 0.15],
    [translation(5, 3), 0.15],
    [rotation(5), 0.2],
    [zoom(1.06), 0.2],
  ];
  for (const [motion, bound] of cases) {
    it(`${motion.name}: EPE < ${bound} px`, async () => {
      const before = tf.memory().numTensors;
      const { epe, zeroEpe } = await measure(motion);
      expect(zeroEpe).toBeGreaterThan(0.9); // the motion is real: a zero flow is off by about a pixel or more
      expect(epe).toBeLessThan(bound);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('identical frames give a zero flow', async () => {
    const before = tf.memory().numTensors;
    const p = framePair(translation(0, 0), S, S, 3);
    const a = tf.tensor4d(p.frame1, [1, S, S, 3]);
    const flow = opticalFlow(a, a);
    const largest = tf.tidy(() => tf.max(tf.abs(flow)));
    expect((await largest.data())[0]).toBeLessThan(1e-3);
    tf.dispose([a, flow, largest]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('opticalFlow: options and shapes', () => {
  it('validates options in one place, naming the field', () => {
    const codeOf = (o: unknown): string => {
      try {
        resolveFlowOptions(o as never);
        return 'no error';
      } catch (e) {
        return isStyleTransferError(e) ? `${e.code}:${String(e.details?.field)}` : String(e);
      }
    };
    expect(codeOf({ alpha: 0 })).toBe('INVALID_OPTION:alpha');
    expect(codeOf({ levels: 2.5 })).toBe('INVALID_OPTION:levels');
    expect(codeOf({ iterations: 0 })).toBe('INVALID_OPTION:iterations');
    expect(codeOf({ sigma: Number.NaN })).toBe('INVALID_OPTION:sigma');
    expect(codeOf({ alhpa: 3 })).toBe('INVALID_OPTION:alhpa');
    expect(resolveFlowOptions({ warps: 2 })).toEqual({ alpha: 8, levels: 6, warps: 2, iterations: 40, sigma: 1 });
  });

  it('halves the pyramid until a side would drop below 8 px', () => {
    expect(pyramidSizes(64, 48, 6)).toEqual([[64, 48], [32, 24], [16, 12]]);
    expect(pyramidSizes(300, 500, 4)).toEqual([[300, 500], [150, 250], [75, 125], [38, 63]]);
    expect(pyramidSizes(10, 10, 6)).toEqual([[10, 10]]);
  });

  it('refuses frames of different shapes, without leaking', () => {
    const before = tf.memory().numTensors;
    const a = tf.zeros([1, 16, 16, 3]) as tf.Tensor4D;
    const b = tf.zeros([1, 16, 17, 3]) as tf.Tensor4D;
    let code = 'no error';
    try {
      opticalFlow(a, b);
    } catch (e) {
      code = isStyleTransferError(e) ? e.code : String(e);
    }
    expect(code).toBe('INVALID_IMAGE');
    tf.dispose([a, b]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
