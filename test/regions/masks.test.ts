/**
 * Region masks in JS memory: reading, area resizing, propagation through VGG-19's geometry (checked against the
 * receptive fields it implies), and colour-coded segmentation maps.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ready } from '../../src/adapters/node.js';
import { NETWORK_POINTS, resolveLayer } from '../../src/core/layers.js';
import { activationShape } from '../../src/core/network.js';
import { theoreticalReceptiveField } from '../../src/insight/receptive-field.js';
import { fullMask, maskSum, maxCoverage, readMask, resizeMask, uncovered, type Mask } from '../../src/regions/mask.js';
import { propagateMask } from '../../src/regions/propagate.js';
import { DEFAULT_PALETTE, regionsFromSegmentation, segmentationMasks } from '../../src/regions/segmentation.js';

/** A mask that is 1 left of column `edge` and 0 right of it. */
function halves(height: number, width: number, edge: number): Mask {
  const data = new Float32Array(height * width);
  for (let y = 0; y < height; y++) for (let x = 0; x < edge; x++) data[y * width + x] = 1;
  return { data, width, height };
}

const at = (m: Mask, y: number, x: number) => m.data[y * m.width + x];

beforeAll(async () => {
  await ready();
});

describe('masks', () => {
  it('reads images as grey levels and float masks as given; refuses values outside [0, 1]', async () => {
    const before = tf.memory().numTensors;
    const rgba = new Uint8ClampedArray([255, 255, 255, 255, 0, 0, 0, 255, 51, 51, 51, 0, 255, 0, 0, 255]);
    const m = await readMask({ data: rgba, width: 2, height: 2 }, 'mask');
    expect([...m.data].map((v) => +v.toFixed(3))).toEqual([1, 0, 0.2, 0.333]);
    const f = { data: Float32Array.from([0, 0.5, 1, 0.25]), width: 2, height: 2 };
    expect(await readMask(f, 'mask')).toBe(f);
    await expect(readMask({ data: Float32Array.from([0, 2, 1, 0]), width: 2, height: 2 }, 'regions[0].mask')).rejects.toMatchObject({ code: 'INVALID_OPTION', details: { field: 'regions[0].mask.data[1]' } });
    await expect(readMask('sky.png' as never, 'regions[0].mask')).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('resizes by area: the mean is kept, soft edges appear where a cell straddles the border', () => {
    const m = halves(8, 8, 3);
    const small = resizeMask(m, 4, 4);
    expect(maskSum(small) / 16).toBeCloseTo(maskSum(m) / 64, 6);
    expect([at(small, 0, 0), at(small, 0, 1), at(small, 0, 2)]).toEqual([1, 0.5, 0]);
    const big = resizeMask(small, 8, 8);
    expect(at(big, 5, 2)).toBe(0.5);
    const odd = resizeMask(m, 3, 5);
    expect(maskSum(odd) / 15).toBeCloseTo(3 / 8, 6);
  });

  it('coverage: uncovered is 1 − Σ, clamped; the largest overlap is found', () => {
    const a = halves(4, 4, 2);
    const b = halves(4, 4, 3);
    expect(maskSum(uncovered([a], 4, 4))).toBe(8);
    expect(maxCoverage([a, b])).toEqual({ value: 2, at: 0 });
  });
});

describe('propagation to a layer', () => {
  const H = 64;
  const W = 64;
  const points = ['conv1_1', 'pool1', 'conv3_1', 'relu4_1', 'conv5_1'].map((n) => resolveLayer(n, 'test'));

  it("has each layer's activation size", () => {
    const masks = propagateMask(fullMask(H, W - 5), points, { mode: 'area' });
    for (const p of points) {
      const m = masks.get(p.index)!;
      const [, h, w] = activationShape(p, H, W - 5);
      expect([m.height, m.width], p.name).toEqual([h, w]);
    }
  });

  it('keeps a full mask full in every mode (no erosion from the image edge)', () => {
    for (const mode of ['inside', 'all', 'area', 'nearest'] as const) {
      for (const m of propagateMask(fullMask(H, W), points, { mode }).values()) expect(maskSum(m), mode).toBe(m.width * m.height);
    }
  });

  it("'inside' erodes a border by half the receptive field, 'all' dilates it by as much, 'area' and 'nearest' keep it", () => {
    const edge = 32;
    const mask = halves(H, W, edge);
    for (const name of ['conv1_1', 'conv2_1', 'conv3_1']) {
      const p = resolveLayer(name, 'test');
      const rf = theoreticalReceptiveField(name);
      // A unit at column x covers input columns [x·jump − (size − jump)/2, …]: inside iff all of them are < edge.
      const reach = (rf.size - rf.jump) / 2;
      const row = (mode: 'inside' | 'all' | 'area') => {
        const m = propagateMask(mask, [p], { mode }).get(p.index)!;
        return Array.from({ length: m.width }, (_, x) => at(m, 5, x));
      };
      const inside = row('inside');
      const all = row('all');
      const lastInside = inside.lastIndexOf(1);
      const lastAll = all.lastIndexOf(1);
      expect((lastInside + 1) * rf.jump - 1 + Math.ceil(reach), name).toBeLessThan(edge + rf.jump);
      expect(lastInside, name).toBeLessThan(lastAll);
      expect(row('area').lastIndexOf(1), name).toBe(edge / rf.jump - 1);
      expect(lastAll * rf.jump - Math.floor(reach), name).toBeLessThan(edge);
    }
  });

  it('erodes further in feature pixels and thresholds soft masks', () => {
    const p = resolveLayer('relu3_1', 'test');
    const base = propagateMask(halves(H, W, 30), [p], { mode: 'area' }).get(p.index)!;
    expect(base.data.some((v) => v > 0 && v < 1)).toBe(true);
    const hard = propagateMask(halves(H, W, 30), [p], { mode: 'area', threshold: 0.5 }).get(p.index)!;
    expect(hard.data.every((v) => v === 0 || v === 1)).toBe(true);
    const eroded = propagateMask(halves(H, W, 30), [p], { mode: 'area', erode: 2, threshold: 0.5 }).get(p.index)!;
    expect(maskSum(eroded)).toBe(maskSum(hard) - 2 * hard.height);
  });
});

describe('segmentation maps', () => {
  it('finds each palette colour present, within the tolerance', async () => {
    const before = tf.memory().numTensors;
    const w = 4;
    const px = new Uint8ClampedArray(w * 2 * 4);
    const paint = (i: number, rgb: number[]) => px.set([...rgb, 255], i * 4);
    paint(0, [0, 0, 250]); // blue, within tolerance
    paint(1, [0, 0, 255]);
    paint(2, [10, 250, 5]); // green
    paint(3, [128, 128, 128]); // grey
    paint(4, [200, 100, 60]); // nothing near
    for (let i = 5; i < 8; i++) paint(i, [255, 255, 255]);
    const masks = await segmentationMasks({ data: px, width: w, height: 2 });
    expect([...masks.keys()]).toEqual(['blue', 'green', 'white', 'grey']);
    expect([...masks.get('blue')!.data]).toEqual([1, 1, 0, 0, 0, 0, 0, 0]);
    expect(maskSum(masks.get('white')!)).toBe(3);
    expect(DEFAULT_PALETTE.length).toBe(9);
    await expect(segmentationMasks({ data: px, width: w, height: 2 }, 'map', { palette: [{ name: 'a', rgb: [0, 0, 300] as never }] })).rejects.toMatchObject({ details: { field: 'palette[0].rgb[2]' } });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('builds regions from a content map and style maps: one per colour of the content map that a style has', async () => {
    const map = (colours: number[][]) => ({ data: new Uint8ClampedArray(colours.flatMap((c) => [...c, 255])), width: colours.length, height: 1 });
    const [blue, green, red] = [[0, 0, 255], [0, 255, 0], [255, 0, 0]];
    const regions = await regionsFromSegmentation(map([blue, blue, green, red]), [map([blue, green]), undefined]);
    expect(regions.map((r) => r.name)).toEqual(['blue', 'green', 'red']);
    expect(regions[0].styles!.map((s) => (typeof s === 'number' ? s : s.style))).toEqual([0, 1]);
    expect([...((regions[0].styles![0] as { mask: Mask }).mask.data)]).toEqual([1, 0]);
    // red is in no style map: only the style image without a map (all of it) paints it.
    expect(regions[2].styles).toEqual([{ style: 1 }]);
  });
});
