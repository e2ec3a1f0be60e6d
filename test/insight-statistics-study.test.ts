/**
 * The layer study's per-statistic comparison, `statisticsStudy()`, at a tiny size (32 px, 3 L-BFGS iterations,
 * 2 layers × 2 statistics): every cell measured with real values, consistent with the measures computed again on
 * its own, each statistic a different picture, nothing left behind; bad options refused before any work.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ready, loadVgg19, type Vgg19 } from '../src/adapters/node.js';
import { gramDistances } from '../src/insight/feature-distance.js';
import { slicedWassersteinDistances } from '../src/insight/sliced-wasserstein.js';
import { statisticsStudy } from '../src/insight/statistics-study.js';
import { loadImage } from './helpers/images.js';

let model: Vgg19;
const content = () => loadImage('tubingen', 40);
const style = () => loadImage('starry_night', 40);

beforeAll(async () => {
  await ready();
  model = await loadVgg19();
}, 600_000);

afterAll(() => model?.dispose());

const meanAbs = (a: Uint8ClampedArray, b: Uint8ClampedArray) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;

describe('statisticsStudy()', () => {
  it('reconstructs the texture from each layer with each statistic and measures every result', async () => {
    const before = tf.memory().numTensors;
    const progress: string[] = [];
    const s = await statisticsStudy({
      pairs: [{ content: content(), style: style(), name: 'starry' }],
      layers: ['conv1_1', 'relu3_1'],
      statistics: ['gram', 'histogram'],
      size: 32,
      iterations: 3,
      model,
      onProgress: (p) => void (p.iteration === p.iterations && progress.push(p.label)),
    });
    expect(tf.memory().numTensors).toBe(before);
    const pair = s.pairs[0];
    expect(pair.cells.map((c) => [c.layer, c.statistic])).toEqual([['conv1_1', 'gram'], ['conv1_1', 'histogram'], ['relu3_1', 'gram'], ['relu3_1', 'histogram']]);
    expect(pair.sweep.cells.map((c) => [c.rowLabel, c.columnLabel, c.settings.styleStatistic, c.settings.contentWeight, c.settings.init])).toEqual([
      ['conv1_1', 'gram', 'gram', 0, 'noise'], ['conv1_1', 'histogram', 'histogram', 0, 'noise'],
      ['relu3_1', 'gram', 'gram', 0, 'noise'], ['relu3_1', 'histogram', 'histogram', 0, 'noise'],
    ]);
    expect(progress).toHaveLength(4);
    // The texture task: results at the style's size, measured against the style at that size.
    expect([pair.style.width, pair.style.height]).toEqual([32, 20]);
    for (const [i, c] of pair.cells.entries()) {
      const img = pair.sweep.cells[i].image;
      expect([img.width, img.height]).toEqual([32, 20]);
      for (const v of [c.gram, c.gramMean, c.slicedWasserstein, c.slicedWassersteinMean, c.labHistogram, c.loss]) {
        expect(Number.isFinite(v)).toBe(true);
        expect(v).toBeGreaterThan(0);
      }
      expect(c.labHistogram).toBeLessThanOrEqual(1);
      expect(c.content).toBeUndefined();
      // The same measures computed again from the image alone (5 significant digits kept).
      const layer = c.layer;
      const g = (await gramDistances(model, img, pair.style, [layer]))[layer].relative;
      const w = (await slicedWassersteinDistances(model, img, pair.style, [layer]))[layer];
      expect(c.gram).toBeCloseTo(g, 4);
      expect(c.slicedWasserstein / w).toBeCloseTo(1, 4);
    }
    // Each statistic gets closer to the style in its own terms: at each layer, histogram matching gives the lower
    // sliced Wasserstein distance there (measured 0.033 vs 0.067 at conv1_1, 0.100 vs 0.119 at relu3_1); at
    // relu3_1, Gram matching the lower Gram distance (0.207 vs 0.226).
    const at = (layer: string, statistic: string) => pair.cells.find((c) => c.layer === layer && c.statistic === statistic)!;
    for (const l of ['conv1_1', 'relu3_1']) expect(at(l, 'histogram').slicedWasserstein).toBeLessThan(at(l, 'gram').slicedWasserstein);
    expect(at('relu3_1', 'gram').gram).toBeLessThan(at('relu3_1', 'histogram').gram);
    // Each statistic makes its own picture from the same start.
    expect(meanAbs(pair.sweep.cells[0].image.data, pair.sweep.cells[1].image.data)).toBeGreaterThan(1);
    expect(meanAbs(pair.sweep.cells[2].image.data, pair.sweep.cells[3].image.data)).toBeGreaterThan(1);
    expect(s.record).toMatchObject({ format: 'neural-style-tfjs/statistics-study@1', options: { task: 'texture', statistics: ['gram', 'histogram'], layers: ['conv1_1', 'relu3_1'], size: 32, iterations: 3, seed: 0 }, timings: { runs: 4 } });
    expect(s.record.pairs[0].sweep.rows!.labels).toEqual(['conv1_1', 'relu3_1']);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad options before any work', async () => {
    const pairs = [{ content: content(), style: style() }];
    await expect(statisticsStudy({ pairs, statistics: ['gram', 'gramm' as 'gram'], model })).rejects.toMatchObject({ code: 'INVALID_OPTION', details: { field: 'statistics' } });
    await expect(statisticsStudy({ pairs, statistics: [], model })).rejects.toMatchObject({ details: { field: 'statistics' } });
    await expect(statisticsStudy({ pairs, layers: ['conv1_1', 'conv1_1'], model })).rejects.toMatchObject({ details: { field: 'layers' } });
    await expect(statisticsStudy({ pairs, layers: ['conv9_1'], model })).rejects.toThrow(/unknown VGG-19 layer/);
    await expect(statisticsStudy({ pairs, task: 'paint' as 'texture', model })).rejects.toMatchObject({ details: { field: 'task' } });
    await expect(statisticsStudy({ pairs: [], model })).rejects.toMatchObject({ details: { field: 'pairs' } });
  });
});
