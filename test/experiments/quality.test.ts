/**
 * The quality harness's measures on tiny synthetic images with known answers: Lab of known colours, a histogram
 * distance that is 0 to itself, symmetric and 1 for disjoint palettes, and VGG-19 measures that are 0 for an image
 * against itself and grow as the image moves away. Checks that no tensor is left behind.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ready, loadVgg19, type RgbaImage, type Vgg19 } from '../../src/adapters/node.js';
import { srgbToLab } from '../../src/image/color.js';
import { labHistogramDistance } from '../../src/insight/lab-histogram.js';
import { slicedWassersteinDistances } from '../../src/insight/sliced-wasserstein.js';
import { qualityMeasures, QUALITY_STYLE_LAYERS } from '../../src/experiments/quality.js';
import { mulberry32 } from '../../src/image/noise.js';

let model: Vgg19;
beforeAll(async () => {
  await ready();
  model = await loadVgg19();
});
afterAll(() => model?.dispose());

function synth(width: number, height: number, f: (x: number, y: number) => [number, number, number]): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([...f(x, y), 255], (y * width + x) * 4);
  return { data, width, height };
}
const rand = mulberry32(7);
const noise = synth(32, 32, () => [rand() * 255, rand() * 255, rand() * 255]);
const stripes = synth(32, 32, (x) => (x % 8 < 4 ? [200, 40, 30] : [20, 60, 190]));
const flat = (c: [number, number, number], w = 16, h = 16): RgbaImage => synth(w, h, () => c);

describe('srgbToLab', () => {
  it('gives the known Lab of white, black, grey and the primaries', () => {
    const close = (got: number[], want: number[], tol: number) => got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(tol));
    close(srgbToLab(255, 255, 255), [100, 0, 0], 0.01);
    close(srgbToLab(0, 0, 0), [0, 0, 0], 0.01);
    close(srgbToLab(128, 128, 128), [53.585, 0, 0], 0.01);
    // Reference values (D65, sRGB companding): e.g. brucelindbloom.com's calculator.
    close(srgbToLab(255, 0, 0), [53.24, 80.09, 67.2], 0.05);
    close(srgbToLab(0, 255, 0), [87.73, -86.18, 83.18], 0.05);
    close(srgbToLab(0, 0, 255), [32.3, 79.19, -107.86], 0.05);
  });
});

describe('labHistogramDistance', () => {
  it('is 0 to itself, symmetric, 1 for disjoint palettes and blind to size', async () => {
    expect(await labHistogramDistance(stripes, stripes)).toBe(0);
    const ab = await labHistogramDistance(stripes, noise);
    expect(ab).toBeGreaterThan(0);
    expect(ab).toBeLessThanOrEqual(1);
    expect(await labHistogramDistance(noise, stripes)).toBeCloseTo(ab, 12);
    expect(await labHistogramDistance(flat([255, 0, 0]), flat([0, 0, 255]))).toBeCloseTo(1, 12);
    expect(await labHistogramDistance(flat([10, 200, 10], 8, 8), flat([10, 200, 10], 20, 12))).toBe(0);
    // Half the pixels shared: p = (½, ½), q = (1, 0) → √(1 − √½).
    const half = synth(16, 16, (x) => (x < 8 ? [255, 0, 0] : [0, 0, 255]));
    expect(await labHistogramDistance(half, flat([255, 0, 0]))).toBeCloseTo(Math.sqrt(1 - Math.SQRT1_2), 12);
  });
});

describe('qualityMeasures', () => {
  it('is 0 for an image against itself (as content and style) and leaves no tensor behind', async () => {
    const before = tf.memory().numTensors;
    const m = await qualityMeasures(stripes, { content: stripes, style: stripes, model });
    expect(tf.memory().numTensors).toBe(before);
    expect(Object.keys(m.gram)).toEqual([...QUALITY_STYLE_LAYERS]);
    for (const l of QUALITY_STYLE_LAYERS) {
      expect(m.gram[l]).toBeLessThan(1e-9);
      expect(m.slicedWasserstein[l]).toBeLessThan(1e-9);
    }
    expect(m.content).toBeLessThan(1e-9);
    expect(m.labHistogram).toBe(0);
  });

  it('measures a different result as farther from the style than the style itself', async () => {
    const m = await qualityMeasures(noise, { content: stripes, style: stripes, model });
    expect(m.gramMean).toBeGreaterThan(0.01);
    expect(m.slicedWassersteinMean).toBeGreaterThan(0.01);
    expect(m.content).toBeGreaterThan(0.01);
    expect(m.labHistogram).toBeGreaterThan(0.5);
  });

  it('compares the sliced Wasserstein distance across sizes and with a fixed seed', async () => {
    const big = synth(48, 48, (x) => (x % 8 < 4 ? [200, 40, 30] : [20, 60, 190]));
    const a = await slicedWassersteinDistances(model, big, stripes, ['relu1_1'], { directions: 16 });
    const b = await slicedWassersteinDistances(model, big, stripes, ['relu1_1'], { directions: 16 });
    expect(a).toEqual(b);
    const far = await slicedWassersteinDistances(model, noise, stripes, ['relu1_1'], { directions: 16 });
    expect(a.relu1_1).toBeLessThan(far.relu1_1);
    await expect(slicedWassersteinDistances(model, big, stripes, ['relu1_1'], { directions: 65 })).rejects.toThrow(/64 channels/);
  });
});
