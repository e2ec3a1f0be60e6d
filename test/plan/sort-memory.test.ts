/**
 * The memory plan counts the sort buffers of the sorting style statistics (`SORT_TEMPORARIES`, plan/tuning.ts),
 * checked against `tf.profile`'s peak bytes (WASM; small sizes, the CPU is shared):
 * - one term: a histogram or sliced-Wasserstein term's peak over a Gram term's, on the same 24x24x64 activation with
 *   a style target of other positions (resampled), is at most the counted buffers and more than half of them;
 * - a whole `stylize()` step (64 px, relu1_1 and relu2_1, 1 iteration, real weights and images): the peak's growth
 *   from `'gram'` to each sorting statistic is at most the estimate's and more than half of it, and
 *   `estimateMemory` grows by exactly `sortBytes`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVgg19, ready, stylize, type Vgg19 } from '../../src/adapters/node.js';
import { wholeImageLoss } from '../../src/core/loss-spec.js';
import { statisticTerm, styleTargetOf, type StyleStatistic } from '../../src/core/style-statistics.js';
import { estimateMemory } from '../../src/plan/estimate.js';
import { resolveOptions } from '../../src/stylize/options.js';
import { sortBytes } from '../../src/plan/memory.js';
import { SORT_TEMPORARIES } from '../../src/plan/tuning.js';
import { loadImage, type RgbPixels } from '../helpers/images.js';

/**
 * The step: shallow layers, so that relu1_1's activations, not the Grams (C² floats: 1 MiB at relu5_1), make the
 * difference at this size (with the default layers at 64 px, the Gram run's peak is the higher one).
 */
const SIZE = 64;
const SHALLOW = { size: SIZE, styleLayers: ['relu1_1', 'relu2_1'], contentLayers: ['relu2_1'] };
const SORTING = ['histogram', 'sliced-wasserstein'] as const;

let model: Vgg19;
let content: RgbPixels;
let style: RgbPixels;
beforeAll(async () => {
  await ready();
  model = await loadVgg19();
  content = loadImage('tubingen', SIZE);
  style = loadImage('starry_night', SIZE);
});
afterAll(() => model?.dispose());

/** Bytes by which `f`'s peak passes the bytes held before it; frees what `f` returns. */
async function peakOver(f: () => tf.TensorContainer | Promise<tf.TensorContainer>): Promise<number> {
  const before = tf.memory().numBytes;
  const info = await tf.profile(f);
  tf.dispose(info.result);
  return info.peakBytes - before;
}

describe('sort buffers in the memory plan', () => {
  it('one sorting term: its peak over a Gram term is within the counted buffers', async () => {
    const before = tf.memory().numTensors;
    const a = tf.randomNormal([1, 24, 24, 64], 0, 1, 'float32', 1) as tf.Tensor4D;
    const styleAct = tf.randomNormal([1, 20, 24, 64], 0, 1, 'float32', 2) as tf.Tensor4D;
    const activation = 24 * 24 * 64 * 4;
    const peak = async (s: StyleStatistic) => {
      const target = styleTargetOf(s, styleAct);
      const loss = wholeImageLoss(statisticTerm(s, target, 1));
      const bytes = await peakOver(() => {
        const r = loss(a);
        return [r.value, r.grad];
      });
      target.dispose();
      return bytes;
    };
    const gram = await peak('gram');
    for (const s of SORTING) {
      const extra = (await peak(s)) - gram;
      console.log(`${s}: peak over a Gram term ${(extra / activation).toFixed(2)} activations, counted ${SORT_TEMPORARIES[s]}`);
      // (plus the term's few scalars)
      expect(extra).toBeLessThanOrEqual(SORT_TEMPORARIES[s] * activation + 1024);
      expect(extra).toBeGreaterThan(0.5 * SORT_TEMPORARIES[s] * activation);
    }
    tf.dispose([a, styleAct]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a stylize() step: the peak grows from Gram to a sorting statistic by no more than the estimate does', async () => {
    const o = resolveOptions(SHALLOW);
    const stylePoints = o.styleLayers.map((l) => l.point);
    const lossPoints = [...o.contentLayers.map((l) => l.point), ...stylePoints];
    const estimate = (styleStatistic: StyleStatistic) => estimateMemory({ height: SIZE, width: SIZE, lossPoints, stylePoints, optimizer: 'lbfgs', styleStatistic }).total;
    const run = (styleStatistic: StyleStatistic) => peakOver(async () => (await stylize({ content, style, model, ...SHALLOW, iterations: 1, styleStatistic })).dispose());
    const gram = await run('gram');
    for (const s of SORTING) {
      const measured = (await run(s)) - gram;
      const counted = estimate(s) - estimate('gram');
      console.log(`${s}: stylize() peak over Gram ${(measured / 1024).toFixed(0)} KiB, estimate over Gram ${(counted / 1024).toFixed(0)} KiB`);
      expect(counted).toBe(sortBytes(s, stylePoints, SIZE, SIZE));
      expect(measured).toBeLessThanOrEqual(counted);
      expect(measured).toBeGreaterThan(counted / 2);
    }
  }, 120_000);
});
