/**
 * The per-layer measurements of src/insight on synthetic inputs whose answers are known: receptive fields from the
 * layer table (hand-computed) and from the backward pass (inside the theoretical field, growing with depth), the
 * texture scale of stripes and checkerboards, PSNR/SSIM of known differences, and feature/Gram distances that are
 * 0 for an image against itself and shrink along a blend. Every tensor-making call is checked for leaks.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ready, loadVgg19, CONV_LAYERS, type RgbaImage, type Vgg19 } from '../src/adapters/node.js';
import { effectiveReceptiveField, theoreticalReceptiveField } from '../src/insight/receptive-field.js';
import { textureScale } from '../src/insight/texture-scale.js';
import { psnr, ssim } from '../src/insight/image-quality.js';
import { featureDistances, gramDistances } from '../src/insight/feature-distance.js';
import { loadImage } from './helpers/images.js';
import { mulberry32 as rng } from '../src/image/noise.js';

let model: Vgg19;
beforeAll(async () => {
  await ready();
  model = await loadVgg19();
});
afterAll(() => model?.dispose());

/** An RGBA image from a function of (x, y) → grey level or [r, g, b]. */
function synth(width: number, height: number, f: (x: number, y: number) => number | [number, number, number]): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = f(x, y);
      const [r, g, b] = typeof v === 'number' ? [v, v, v] : v;
      data.set([r, g, b, 255], (y * width + x) * 4);
    }
  }
  return { data, width, height };
}

/** Within 1% (the peak is interpolated between frequency rings). */
const near = (v: number, want: number, tol = 0.01): boolean => Math.abs(v - want) <= tol * want;

async function noLeak<T>(f: () => Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const r = await f();
  expect(tf.memory().numTensors).toBe(before);
  return r;
}

describe('theoretical receptive field', () => {
  it('matches the sizes computed by hand from the layer table', () => {
    // size += 2·jump per 3x3 conv; a 2x2/2 pool adds one jump and doubles it.
    const expected: Record<string, number> = {
      conv1_1: 3, relu1_1: 3, conv1_2: 5, pool1: 6, conv2_1: 10, conv2_2: 14, pool2: 16,
      conv3_1: 24, conv3_2: 32, conv3_3: 40, conv3_4: 48, pool3: 52,
      conv4_1: 68, conv4_2: 84, conv4_3: 100, conv4_4: 116, pool4: 124,
      conv5_1: 156, conv5_2: 188, conv5_3: 220, conv5_4: 252, pool5: 268,
    };
    for (const [layer, size] of Object.entries(expected)) expect(theoreticalReceptiveField(layer).size, layer).toBe(size);
    expect(theoreticalReceptiveField('pool3').jump).toBe(8);
    expect(theoreticalReceptiveField('block4_conv1')).toEqual({ layer: 'relu4_1', size: 68, jump: 8 });
    expect(() => theoreticalReceptiveField('conv6_1')).toThrow(/unknown VGG-19 layer/);
  });
});

describe('effective receptive field', () => {
  const photo = () => loadImage('tubingen', 64, { square: true });

  it('conv1_1 is exactly its 3x3 kernel', async () => {
    const erf = await noLeak(() => effectiveReceptiveField(model, photo(), 'conv1_1'));
    expect(erf.support).toBe(3);
    expect(erf.size).toBeLessThanOrEqual(3);
    expect(erf.unit).toEqual([31, 31]);
    expect(erf.centre).toEqual([31, 31]);
    expect(erf.clipped).toBe(false);
  });

  it('stays inside the theoretical field and grows with depth', async () => {
    const layers = ['conv1_2', 'pool1', 'conv2_1', 'conv2_2', 'conv3_1'];
    const sizes: number[] = [];
    const rms: number[] = [];
    for (const l of layers) {
      const erf = await noLeak(() => effectiveReceptiveField(model, photo(), l));
      expect(erf.support, l).toBeLessThanOrEqual(erf.theoretical);
      expect(erf.size, l).toBeLessThanOrEqual(erf.support);
      expect(erf.clipped, l).toBe(false);
      sizes.push(erf.size);
      rms.push(erf.rms);
      // The mass is centred on the unit's centre (within a pixel or two).
      let sy = 0, sx = 0, s = 0;
      for (let i = 0; i < erf.map.length; i++) {
        sy += erf.map[i] * Math.floor(i / erf.width);
        sx += erf.map[i] * (i % erf.width);
        s += erf.map[i];
      }
      expect(Math.abs(sy / s - erf.centre[0]), l).toBeLessThan(3);
      expect(Math.abs(sx / s - erf.centre[1]), l).toBeLessThan(3);
    }
    // Across conv layers (a max pool passes one unit's gradient on, so it need not widen it).
    const convs = layers.map((l, i) => [l, rms[i]] as const).filter(([l]) => l.startsWith('conv'));
    for (let i = 1; i < convs.length; i++) expect(convs[i][1], convs[i][0]).toBeGreaterThan(convs[i - 1][1]);
    expect(sizes[sizes.length - 1]).toBeGreaterThan(sizes[0]);
  });

  it('with average pooling the support is the whole theoretical field', async () => {
    const erf = await noLeak(() => effectiveReceptiveField(model, photo(), 'conv2_1', { pooling: 'avg' }));
    expect(erf.support).toBe(10);
  });

  it('rejects a bad unit or mass, without leaking', async () => {
    await noLeak(async () => {
      await expect(effectiveReceptiveField(model, photo(), 'pool2', { unit: [16, 0] })).rejects.toThrow(/unit/);
      await expect(effectiveReceptiveField(model, photo(), 'conv1_1', { mass: 1.5 })).rejects.toThrow(/mass/);
      await expect(effectiveReceptiveField(model, synth(8, 8, () => 0), 'conv5_1')).rejects.toThrow(/too small/);
    });
  });
});

describe('texture scale', () => {
  it('stripes of period p give p', async () => {
    for (const p of [4, 8, 16]) {
      const sine = synth(64, 64, (x) => 128 + 100 * Math.sin((2 * Math.PI * x) / p));
      const s = await noLeak(() => textureScale(sine));
      expect(near(s.peakPeriod, p), `sine ${p}: ${s.peakPeriod}`).toBe(true);
      expect(s.centroidPeriod, `sine ${p}`).toBeGreaterThan(p * 0.9);
      expect(s.centroidPeriod, `sine ${p}`).toBeLessThan(p * 1.1);
      const square = synth(64, 64, (_x, y) => (Math.floor(y / (p / 2)) % 2 ? 220 : 30)); // horizontal bars
      expect(near((await textureScale(square)).peakPeriod, p), `bars ${p}`).toBe(true);
    }
  });

  it('a period that does not divide the image is found between bins', async () => {
    const s = await textureScale(synth(96, 96, (x, y) => 128 + 100 * Math.sin((2 * Math.PI * (x + y)) / (10 * Math.SQRT2))));
    expect(s.peakPeriod).toBeGreaterThan(9.5);
    expect(s.peakPeriod).toBeLessThan(10.5);
  });

  it('a checkerboard of square side c gives √2·c (its fundamental is diagonal)', async () => {
    const c = 8;
    const s = await textureScale(synth(64, 64, (x, y) => ((Math.floor(x / c) + Math.floor(y / c)) % 2 ? 230 : 20)));
    expect(s.peakPeriod).toBeGreaterThan(Math.SQRT2 * c * 0.95);
    expect(s.peakPeriod).toBeLessThan(Math.SQRT2 * c * 1.05);
  });

  it('with a reference, measures only what was added', async () => {
    const base = synth(64, 64, (x) => 128 + 60 * Math.sin((2 * Math.PI * x) / 32));
    const added = synth(64, 64, (x, y) => 128 + 60 * Math.sin((2 * Math.PI * x) / 32) + 40 * Math.sin((2 * Math.PI * y) / 4));
    expect(near((await textureScale(added)).peakPeriod, 32)).toBe(true);
    expect(near((await textureScale(added, { reference: base })).peakPeriod, 4)).toBe(true);
    expect((await textureScale(base, { reference: base })).peakPeriod).toBeNaN();
  });
});

describe('PSNR and SSIM', () => {
  const grey = synth(48, 40, (x, y) => 60 + ((x * 7 + y * 13) % 120));

  it('identical images: PSNR ∞, SSIM 1', async () => {
    expect(await noLeak(() => psnr(grey, grey))).toBe(Infinity);
    expect(await noLeak(() => ssim(grey, grey))).toBeCloseTo(1, 12);
  });

  it('every value off by ±10: PSNR 10·log10(255²/100)', async () => {
    const r = rng(1);
    const noisy = synth(48, 40, (x, y) => {
      const v = 60 + ((x * 7 + y * 13) % 120);
      return [0, 1, 2].map(() => v + (r() < 0.5 ? -10 : 10)) as [number, number, number];
    });
    expect(await psnr(noisy, grey)).toBeCloseTo(10 * Math.log10((255 * 255) / 100), 10);
    const s = await ssim(noisy, grey);
    expect(s).toBeLessThan(1);
    expect(s).toBeGreaterThan(0);
  });

  it('SSIM of two flat images is (2ab + C1)/(a² + b² + C1)', async () => {
    const [a, b] = [100, 140];
    const c1 = (0.01 * 255) ** 2;
    expect(await ssim(synth(16, 16, () => a), synth(16, 16, () => b))).toBeCloseTo((2 * a * b + c1) / (a * a + b * b + c1), 10);
  });

  it('more noise, lower PSNR and SSIM', async () => {
    const r = rng(2);
    const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    const noisy = (sigma: number) => synth(48, 40, (x, y) => 60 + ((x * 7 + y * 13) % 120) + sigma * gauss());
    const [p5, p20] = [await psnr(noisy(5), grey), await psnr(noisy(20), grey)];
    expect(p5).toBeGreaterThan(p20);
    expect(await ssim(noisy(5), grey)).toBeGreaterThan(await ssim(noisy(20), grey));
  });

  it('refuses images of different sizes or smaller than the SSIM window', async () => {
    await expect(psnr(grey, synth(40, 48, () => 0))).rejects.toThrow(/differ in size/);
    await expect(ssim(synth(8, 8, () => 0), synth(8, 8, () => 0))).rejects.toThrow(/11x11/);
  });
});

describe('feature and Gram distances', () => {
  const a = () => loadImage('tubingen', 48);
  const b = () => loadImage('starry_night', 48);

  it('an image against itself is 0 at every layer', async () => {
    const f = await noLeak(() => featureDistances(model, a(), a()));
    expect(Object.keys(f)).toEqual(['relu1_1', 'relu2_1']);
    for (const d of Object.values(f)) expect(d).toEqual({ mse: 0, relative: 0 });
    const g = await noLeak(() => gramDistances(model, b(), b()));
    expect(Object.keys(g)).toEqual([...CONV_LAYERS]);
    for (const d of Object.values(g)) expect(d).toEqual({ mse: 0, relative: 0 });
  });

  it('shrinks monotonically as an image fades in from its mean colour', async () => {
    // A contrast ramp (1 − t)·mean + t·image. (A blend of two *different* images is not monotone in general: half
    // way, both images' contrast is halved, and conv1_1's Gram can first move away from either end.)
    const pb = b();
    const n = pb.width * pb.height;
    const mean = [0, 1, 2].map((c) => pb.data.reduce((s, v, i) => (i % 3 === c ? s + v : s), 0) / n);
    const fade = (t: number) => ({ data: Float32Array.from(pb.data, (v, i) => (1 - t) * mean[i % 3] + t * v), width: pb.width, height: pb.height, channels: 3 as const });
    const ts = [0, 0.25, 0.5, 0.75, 0.9, 1];
    const layers = ['conv1_1', 'relu1_1', 'conv2_1', 'relu2_1', 'conv3_1', 'conv4_1', 'conv5_1'];
    const grams = [];
    const feats = [];
    for (const t of ts) {
      grams.push(await noLeak(() => gramDistances(model, fade(t), pb, layers)));
      feats.push(await featureDistances(model, fade(t), pb));
    }
    for (const l of layers) {
      for (let i = 1; i < ts.length; i++) expect(grams[i][l].relative, `${l} at t=${ts[i]}`).toBeLessThan(grams[i - 1][l].relative);
      expect(grams[ts.length - 1][l].relative).toBe(0);
    }
    for (const l of ['relu1_1', 'relu2_1']) for (let i = 1; i < ts.length; i++) expect(feats[i][l].mse).toBeLessThan(feats[i - 1][l].mse);
  });

  it('featureDistances refuses images of different sizes, without leaking', async () => {
    await noLeak(() => expect(featureDistances(model, a(), loadImage('tubingen', 32))).rejects.toThrow(/differ in size/));
  });
});
