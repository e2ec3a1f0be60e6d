/**
 * `styleStatistic` end to end with the real VGG-19 weights and real images (../shared/images at ≤ 48 px, a few
 * L-BFGS iterations; the CPU is shared):
 * - each statistic's run lowers its own style loss, with two styles blended 0.7/0.3, and leaves no tensor behind;
 * - `'gram'` given explicitly is the default bit for bit;
 * - tiled equals whole for a sum-type statistic (`'covariance'`, the style image itself taken in tiles): the first
 *   iteration's loss parts agree to 1e-3 relative;
 * - the sorting statistics refuse a tiled run, and no statistic but Gram combines with regions (INVALID_OPTION).
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVgg19, ready, stylize, StyleTransferError, type StylizeRequest, type Vgg19 } from '../../src/adapters/node.js';
import { STYLE_STATISTICS } from '../../src/core/style-statistics.js';
import { loadImage, type RgbPixels } from '../helpers/images.js';

let model: Vgg19;
let content: RgbPixels;
let starry: RgbPixels;
let scream: RgbPixels;

beforeAll(async () => {
  await ready();
  model = await loadVgg19();
  content = loadImage('tubingen', 48);
  starry = loadImage('starry_night', 48);
  scream = loadImage('the_scream', 40);
});
afterAll(() => model?.dispose());

const request = (extra: Partial<StylizeRequest>): StylizeRequest => ({ content, style: starry, model, size: 32, iterations: 4, ...extra });

async function rejection(p: Promise<{ dispose(): void }>): Promise<StyleTransferError> {
  const e = await p.then(
    (r) => {
      r.dispose();
      return undefined;
    },
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(StyleTransferError);
  return e as StyleTransferError;
}

describe('styleStatistic', () => {
  for (const s of STYLE_STATISTICS) {
    it(`${s}: a short run with two blended styles lowers its style loss, no tensor left`, async () => {
      const before = tf.memory().numTensors;
      const r = await stylize(request({ style: [starry, scream], styleBlendWeights: [0.7, 0.3], styleStatistic: s }));
      const first = r.history[0].loss.style;
      const last = r.history[r.history.length - 1].loss.style;
      expect(Number.isFinite(first)).toBe(true);
      expect(last).toBeLessThan(0.9 * first);
      r.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it("'gram' given is the default bit for bit", async () => {
    const a = await stylize(request({ iterations: 2 }));
    const b = await stylize(request({ iterations: 2, styleStatistic: 'gram' }));
    expect(Array.from(b.image.dataSync())).toEqual(Array.from(a.image.dataSync()));
    expect(b.history.map((h) => h.loss.total)).toEqual(a.history.map((h) => h.loss.total));
    a.dispose();
    b.dispose();
  });

  it('covariance: tiled (style image in tiles too) equals whole', async () => {
    const opts = request({ size: 48, iterations: 1, styleStatistic: 'covariance', styleLayers: ['relu1_1', 'relu2_1'], contentLayers: ['relu2_1'] });
    const whole = await stylize({ ...opts, tile: false });
    const tiled = await stylize({ ...opts, tile: 16 });
    expect(tiled.scales[0].tiling).toBeDefined();
    const [w, t] = [whole.history[0].loss, tiled.history[0].loss];
    for (const k of ['total', 'content', 'style'] as const) expect(Math.abs(t[k] - w[k]) / w[k]).toBeLessThan(1e-3);
    whole.dispose();
    tiled.dispose();
  });

  it('histogram and sliced-wasserstein refuse tiling; only gram combines with regions', async () => {
    const before = tf.memory().numTensors;
    for (const s of ['histogram', 'sliced-wasserstein'] as const) {
      const e = await rejection(stylize(request({ styleStatistic: s, tile: 16 })));
      expect(e.code).toBe('INVALID_OPTION');
      expect(e.details?.field).toBe('styleStatistic');
      expect(e.message).toMatch(/cannot be evaluated a tile at a time: use tile: false/);
    }
    const mask = { data: new Uint8Array(48 * 36).fill(255), width: 48, height: 36 };
    const e = await rejection(stylize(request({ styleStatistic: 'mean-std', regions: [{ mask }] })));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.message).toMatch(/does not combine with `regions` yet/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
