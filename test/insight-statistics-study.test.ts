/**
 * The layer study's per-statistic comparison, `statisticsStudy()`, at a tiny size (32 px, 3 L-BFGS iterations,
 * 2 layers × 2 statistics): every cell measured with real values, consistent with the measures computed again on
 * its own, each statistic a different picture, nothing left behind; bad options refused before any work. And
 * `study --statistics` as a user runs it — the BUILT dist/cli.js (run `npx tsup` first): one self-contained HTML
 * report with the record embedded and beside it, whose sweep replays to the same numbers.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ready, loadVgg19, type Vgg19 } from '../src/adapters/node.js';
import { gramDistances } from '../src/insight/feature-distance.js';
import { slicedWassersteinDistances } from '../src/insight/sliced-wasserstein.js';
import { statisticsStudy, type StatisticsStudyRecord } from '../src/insight/statistics-study.js';
import { replaySweep } from '../src/experiments.js';
import { encodeImage } from '../src/adapters/node/image-io.js';
import { loadImage } from './helpers/images.js';

const CLI = join(fileURLToPath(new URL('../', import.meta.url)), 'dist', 'cli.js');
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

  it('stylises the content instead with task "stylize", and measures the content distance too', async () => {
    const before = tf.memory().numTensors;
    const s = await statisticsStudy({ pairs: [{ content: content(), style: style() }], task: 'stylize', layers: ['relu2_1'], statistics: ['gram', 'mean-std'], size: 32, iterations: 2, stylize: { styleWeight: 1000 }, model });
    expect(tf.memory().numTensors).toBe(before);
    const pair = s.pairs[0];
    // The content's size and settings (from the content image, its content term on, the given style weight).
    expect(pair.sweep.cells.map((c) => [c.image.width, c.image.height, c.settings.init, c.settings.contentWeight, c.settings.styleWeight, c.settings.styleStatistic])).toEqual([
      [32, 24, 'content', 5, 1000, 'gram'], [32, 24, 'content', 5, 1000, 'mean-std'],
    ]);
    for (const c of pair.cells) {
      // Started from the content image, two iterations keep it close to it at relu4_2, but not equal.
      expect(c.content).toBeGreaterThan(0);
      expect(c.content).toBeLessThan(0.5);
    }
    expect(s.record.pairs[0].name).toBe('pair 1');
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

describe('neural-style-tfjs study --statistics', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nst-statistics-'));
  const rgba = (p: ReturnType<typeof style>) => {
    const data = new Uint8ClampedArray(p.width * p.height * 4);
    for (let i = 0; i < p.width * p.height; i++) data.set([p.data[3 * i], p.data[3 * i + 1], p.data[3 * i + 2], 255], 4 * i);
    return { data, width: p.width, height: p.height };
  };
  const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, 'study', 'content.png', 'style.png', ...args], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes one self-contained report with its record, whose sweep replays to the same losses', async () => {
    writeFileSync(join(dir, 'content.png'), encodeImage(rgba(content()), 'png'));
    writeFileSync(join(dir, 'style.png'), encodeImage(rgba(style()), 'png'));
    const r = cli('--statistics', 'gram,mean-std', '--layers', 'conv1_1,conv2_1', '--size', '32', '--iterations', '2', '-o', 'stats.html', '--json');
    expect(r.status, r.stderr).toBe(0);
    const html = readFileSync(join(dir, 'stats.html'), 'utf8');
    const record = JSON.parse(readFileSync(join(dir, 'stats.json'), 'utf8')) as StatisticsStudyRecord;
    expect(html).not.toMatch(/<script(?![^>]*type="application\/json")/);
    expect(html).not.toMatch(/\b(src|href)="(?!data:)/);
    expect(html.match(/<svg /g)!.length).toBe(2); // SW and Gram at the layer, one line per statistic
    expect(JSON.parse(/<script type="application\/json" id="statistics-study-record">([\s\S]*?)<\/script>/.exec(html)![1])).toEqual(record);
    expect(record.options).toMatchObject({ task: 'texture', statistics: ['gram', 'mean-std'], layers: ['conv1_1', 'conv2_1'], size: 32, iterations: 2 });
    expect(record.command).toContain('--statistics gram,mean-std');
    expect(record.pairs[0].name).toBe('style'); // a texture reads the style image alone
    const cells = record.pairs[0].cells;
    expect(cells.map((c) => `${c.layer} ${c.statistic}`)).toEqual(['conv1_1 gram', 'conv1_1 mean-std', 'conv2_1 gram', 'conv2_1 mean-std']);
    for (const c of cells) expect(c.slicedWasserstein).toBeGreaterThan(0);
    // The texture task reads the style image alone (the sweep's content is the style file).
    expect(record.pairs[0].sweep.inputs.content.path).toBe('style.png');
    const replay = await replaySweep(record.pairs[0].sweep, { content: rgba(style()), style: rgba(style()), model });
    expect(replay.cells.map((c) => c.loss.total)).toEqual(record.pairs[0].sweep.cells.map((c) => c.loss.total));
  });

  it('refuses a bad statistic, a list of counts and the layer experiments\' flags with exit 2 and one line', () => {
    for (const [args, message] of [
      [['--statistics', 'gram,gramm'], /--statistics is "gramm"/],
      [['--statistics', 'gram', '--iterations', '1,2'], /takes one count/],
      [['--statistics', 'gram', '--no-cumulative'], /--cumulative is for the layer experiments/],
      [['--statistics', 'gram', '--statistics-task', 'paint'], /--statistics-task is "paint"/],
    ] as const) {
      const r = cli(...args);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
