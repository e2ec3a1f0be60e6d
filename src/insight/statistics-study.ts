/**
 * The layer study's per-statistic comparison (issue #29, item 5): for each chosen layer, the style image's texture
 * reconstructed from that layer alone (or the content stylised from it) with each style statistic
 * (docs/style-statistics.md), and every result measured with yardsticks that are no statistic's own objective — the
 * Gram and sliced Wasserstein distances to the style at that layer and averaged over relu1_1…relu5_1, and the Lab
 * colour-histogram distance (the quality harness's measures, docs/quality.md). Each pair is one {@link sweep}
 * (rows: layers, columns: statistics), so its record replays and its contact sheet is the figure.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError, describe } from '../errors.js';
import { now, throwIfAborted } from '../util/checks.js';
import { fitSize, readImageInput, resizeImage, toRgba, type RgbaImage } from '../image/input.js';
import { resolveLayer } from '../core/layers.js';
import { VGG19 } from '../core/architecture.js';
import { STYLE_STATISTICS, type StyleStatistic } from '../core/style-statistics.js';
import type { LossNetwork } from '../core/model.js';
import { QUALITY_CONTENT_LAYER, QUALITY_STYLE_LAYERS } from '../experiments/quality.js';
import { reconstructionOptions } from '../experiments/reconstruct.js';
import { sweep } from '../experiments/sweep/run.js';
import type { SweepRecord, SweepResult } from '../experiments/sweep/types.js';
import { createStylizer, type Stylizer } from '../stylize/session.js';
import { VERSION } from '../version.js';
import { featureDistances, gramDistances } from './feature-distance.js';
import { labHistogramDistance } from './lab-histogram.js';
import { slicedWassersteinDistances } from './sliced-wasserstein.js';
import type { StudyOptions, StudyPair } from './study-types.js';

/** One layer per block, as in Gatys et al.'s style layers. */
export const DEFAULT_STATISTICS_LAYERS = ['conv1_1', 'conv2_1', 'conv3_1', 'conv4_1', 'conv5_1'] as const;

/** Options of {@link statisticsStudy}. */
export interface StatisticsStudyOptions {
  pairs: readonly StudyPair[];
  /** The statistics compared (the columns). Default all six. */
  statistics?: readonly StyleStatistic[];
  /** The layers each statistic is taken at, one at a time (the rows). Default conv1_1 … conv5_1. */
  layers?: readonly string[];
  /**
   * `'texture'` (default): the style image reconstructed from white noise through the style term alone (the
   * recipe of `reconstruct({ kind: 'style' })`: content weight 0, TV 0), so only the statistic decides what comes
   * out and the statistics' different loss scales do not matter. `'stylize'`: the content image stylised with the
   * settings of `stylize` (their style weight weighs differently per statistic: docs/style-statistics.md).
   */
  task?: 'texture' | 'stylize';
  /** Longest side of every result, in pixels. Default 128. */
  size?: number;
  /** Iterations of every run. Default 100. */
  iterations?: number;
  /** Seed of every run (the noise start, sliced Wasserstein's directions). Default 0. */
  seed?: number;
  /** Settings every run shares, over the task's recipe (optimiser, pooling, weights, …). Default none. */
  stylize?: StudyOptions['stylize'];
  /** A session to run on. Default: one made for the study (from `model` when given). */
  stylizer?: Stylizer;
  model?: LossNetwork;
  onProgress?: (p: StatisticsStudyProgress) => void | Promise<void>;
  signal?: AbortSignal;
}

export interface StatisticsStudyProgress {
  pair: number;
  pairs: number;
  /** The sweep's run (one per layer × statistic) and its label, e.g. `conv3_1 · histogram`. */
  run: number;
  runs: number;
  label: string;
  iteration: number;
  iterations: number;
}

/** The measures of one result; every distance is 0 for a perfect match, lower is better. */
export interface StatisticsCell {
  layer: string;
  statistic: StyleStatistic;
  /** Relative Gram distance to the style at `layer`, and its mean over relu1_1…relu5_1. */
  gram: number;
  gramMean: number;
  /** Relative squared sliced Wasserstein distance (seed 2021, 64 directions) at `layer`, and its mean over relu1_1…relu5_1. */
  slicedWasserstein: number;
  slicedWassersteinMean: number;
  /** Hellinger distance of the Lab colour histograms (8³ cells) to the style's, 0…1. */
  labHistogram: number;
  /** relu4_2's relative distance to the content's (task `'stylize'` only). */
  content?: number;
  /** The run's own final loss (its statistic's scale: not comparable across statistics), and its wall time. */
  loss: number;
  runMs: number;
}

export interface StatisticsPairResult {
  name: string;
  /** The style (and content) image at the study's size: what results are measured against. */
  style: RgbaImage;
  content: RgbaImage;
  /** Rows: layers; columns: statistics. */
  sweep: SweepResult;
  /** Row-major, like the sweep's cells. */
  cells: StatisticsCell[];
}

/** The JSON record: settings, and per pair the sweep record (replayable with `replaySweep`) and the measures. */
export interface StatisticsStudyRecord {
  format: 'neural-style-tfjs/statistics-study@1';
  library: { name: 'neural-style-tfjs'; version: string };
  created: string;
  backend: string;
  weightsSha256: string;
  /** The loss network's name (`model.architecture.name`). */
  network: string;
  options: { task: 'texture' | 'stylize'; statistics: StyleStatistic[]; layers: string[]; size: number; iterations: number; seed: number; stylize: Record<string, unknown> };
  pairs: { name: string; sweep: SweepRecord; cells: StatisticsCell[] }[];
  timings: { totalMs: number; runs: number };
  /** The command line that made it (set by the CLI). */
  command?: string;
}

export interface StatisticsStudyResult {
  pairs: StatisticsPairResult[];
  record: StatisticsStudyRecord;
}

/** Checked and defaulted options. */
function resolve(o: StatisticsStudyOptions) {
  if (!o || typeof o !== 'object') throw new StyleTransferError('INVALID_OPTION', '`statisticsStudy()` takes an options object with pairs.', { field: 'options' });
  if (!Array.isArray(o.pairs) || o.pairs.length === 0 || o.pairs.length > 16) throw new StyleTransferError('INVALID_OPTION', `\`pairs\` is ${describe(o.pairs)}; expected a list of 1–16 { content, style } pairs.`, { field: 'pairs' });
  o.pairs.forEach((p, i) => {
    if (!p || typeof p !== 'object' || !p.style || (o.task === 'stylize' && !p.content)) throw new StyleTransferError('INVALID_OPTION', `\`pairs[${i}]\` needs a style image${o.task === 'stylize' ? ' and a content image' : ''}.`, { field: `pairs[${i}]` });
  });
  const statistics = [...(o.statistics ?? STYLE_STATISTICS)];
  if (statistics.length === 0 || statistics.some((s) => !(STYLE_STATISTICS as readonly unknown[]).includes(s)) || new Set(statistics).size !== statistics.length) {
    throw new StyleTransferError('INVALID_OPTION', `\`statistics\` is ${describe(o.statistics)}; expected distinct names among ${STYLE_STATISTICS.join(', ')}.`, { field: 'statistics' });
  }
  // Layer names are the model's network's (VGG-19 unless a stylizer or model says otherwise).
  const network = o.stylizer?.model.architecture ?? o.model?.architecture;
  const layers = (o.layers ?? DEFAULT_STATISTICS_LAYERS).map((l) => resolveLayer(l, 'layers', network).name);
  if (layers.length === 0 || new Set(layers).size !== layers.length) throw new StyleTransferError('INVALID_OPTION', `\`layers\` is ${describe(o.layers)}; expected distinct layer names, e.g. ["conv1_1", "conv3_1"].`, { field: 'layers' });
  const task = o.task ?? 'texture';
  if (task !== 'texture' && task !== 'stylize') throw new StyleTransferError('INVALID_OPTION', `\`task\` is ${describe(o.task)}; expected "texture" or "stylize".`, { field: 'task' });
  const size = o.size ?? 128;
  if (!Number.isInteger(size) || size < 16 || size > 4096) throw new StyleTransferError('INVALID_OPTION', `\`size\` is ${describe(size)}; expected a whole number 16–4096.`, { field: 'size' });
  const iterations = o.iterations ?? 100;
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 100000) throw new StyleTransferError('INVALID_OPTION', `\`iterations\` is ${describe(o.iterations)}; expected a whole number 1–100000.`, { field: 'iterations' });
  return { statistics, layers, task, size, iterations, seed: o.seed ?? 0, stylize: JSON.parse(JSON.stringify(o.stylize ?? {})) as Record<string, unknown> };
}

type Resolved = ReturnType<typeof resolve>;

/** The settings every run of a pair shares: the texture recipe (reconstruct()'s, through all layers) or none, then the user's. */
function baseOptions(r: Resolved, style: RgbaImage): Record<string, unknown> {
  if (r.task === 'stylize') return { ...r.stylize, size: r.size, seed: r.seed };
  const recipe = reconstructionOptions({ image: style, kind: 'style', layers: r.layers, size: r.size, seed: r.seed, iterations: r.iterations });
  const { content: _c, style: _s, styleLayers: _l, iterations: _i, snapshots: _n, onIteration: _o, signal: _g, ...rest } = recipe;
  void _c, void _s, void _l, void _i, void _n, void _o, void _g;
  return { ...JSON.parse(JSON.stringify(rest)), ...r.stylize, size: r.size, seed: r.seed };
}

/** An image resized as a run resizes it (longest side `size`), as RGBA. */
async function atSize(img: StudyPair['content'], field: string, size: number): Promise<RgbaImage> {
  const t = await readImageInput(img, field);
  try {
    const [h, w] = fitSize(t.shape[1], t.shape[2], size);
    const resized = resizeImage(t, h, w);
    try {
      return await toRgba(resized);
    } finally {
      resized.dispose();
    }
  } finally {
    t.dispose();
  }
}

/**
 * Compares the style statistics layer by layer: per pair, one run per layer × statistic (rows × columns of one
 * sweep), each result measured by {@link StatisticsCell}'s yardsticks. Resolves to the sweeps (images included, for
 * contact sheets), the measures and a JSON record. Leaves no tensor behind.
 *
 * @example
 * ```ts
 * const s = await statisticsStudy({ pairs: [{ content, style }], layers: ['conv1_1', 'conv3_1'], statistics: ['gram', 'histogram'], size: 64, iterations: 50 });
 * s.pairs[0].cells.map((c) => `${c.layer} ${c.statistic}: SW ${c.slicedWasserstein}`);
 * ```
 */
export async function statisticsStudy(options: StatisticsStudyOptions): Promise<StatisticsStudyResult> {
  const t0 = now();
  const r = resolve(options);
  const stylizer = options.stylizer ?? (await createStylizer({ model: options.model, signal: options.signal }));
  const pairs: StatisticsPairResult[] = [];
  try {
    const model = stylizer.model;
    for (const [pi, pair] of options.pairs.entries()) {
      throwIfAborted(options.signal, 'The statistics study');
      const style = await atSize(pair.style, `pairs[${pi}].style`, r.size);
      const content = r.task === 'stylize' ? await atSize(pair.content, `pairs[${pi}].content`, r.size) : style;
      const base = baseOptions(r, style);
      const res = await sweep({
        ...(base as object),
        content: r.task === 'stylize' ? pair.content : pair.style,
        style: pair.style,
        vary: { styleLayers: r.layers, styleStatistic: r.statistics },
        iterations: r.iterations,
        stylizer,
        signal: options.signal,
        onProgress: (p) => options.onProgress?.({ pair: pi, pairs: options.pairs.length, run: p.run, runs: p.runs, label: p.label, iteration: p.iteration, iterations: p.iterations }),
      });
      const cells: StatisticsCell[] = [];
      for (const cell of res.cells) {
        throwIfAborted(options.signal, 'The statistics study');
        cells.push(await measure(model, cell.image, style, r.task === 'stylize' ? content : undefined, r.layers[cell.row], r.statistics[cell.column], cell.loss.total, cell.runMs));
      }
      pairs.push({ name: pair.name ?? `pair ${pi + 1}`, style, content, sweep: res, cells });
    }
    const record: StatisticsStudyRecord = {
      format: 'neural-style-tfjs/statistics-study@1',
      library: { name: 'neural-style-tfjs', version: VERSION },
      created: new Date().toISOString(),
      backend: tf.getBackend(),
      weightsSha256: model.weightsSha256,
      network: model.architecture.name,
      options: { task: r.task, statistics: r.statistics, layers: r.layers, size: r.size, iterations: r.iterations, seed: r.seed, stylize: r.stylize },
      pairs: pairs.map((p) => ({ name: p.name, sweep: p.sweep.record, cells: p.cells })),
      timings: { totalMs: now() - t0, runs: pairs.length * r.layers.length * r.statistics.length },
    };
    return { pairs, record };
  } finally {
    if (!options.stylizer) stylizer.dispose();
  }
}

/** Rounds to 5 significant digits (the record stays short); keeps 0, ∞ and NaN. */
const round = (v: number): number => (Number.isFinite(v) && v !== 0 ? Number(v.toPrecision(5)) : v);
const mean = (vs: readonly number[]): number => vs.reduce((s, v) => s + v, 0) / vs.length;

/** One result's measures against the style (and the content, when stylised). */
async function measure(model: LossNetwork, image: RgbaImage, style: RgbaImage, content: RgbaImage | undefined, layer: string, statistic: StyleStatistic, loss: number, runMs: number): Promise<StatisticsCell> {
  // The quality harness's layers (VGG: relu1_1 … relu5_1, relu4_2) in the model's network: each block's first ReLU,
  // and relu4_2 where it exists, else the fourth block's (or the last) first ReLU.
  const net = model.architecture;
  const styleLayers: readonly string[] = net === VGG19 ? QUALITY_STYLE_LAYERS : net.firstRelus;
  const contentLayer = net.point(QUALITY_CONTENT_LAYER) ? QUALITY_CONTENT_LAYER : styleLayers[Math.min(3, styleLayers.length - 1)];
  const layers = [...new Set([layer, ...styleLayers])];
  const grams = await gramDistances(model, image, style, layers);
  const sw = await slicedWassersteinDistances(model, image, style, layers);
  const cell: StatisticsCell = {
    layer,
    statistic,
    gram: round(grams[layer].relative),
    gramMean: round(mean(styleLayers.map((l) => grams[l].relative))),
    slicedWasserstein: round(sw[layer]),
    slicedWassersteinMean: round(mean(styleLayers.map((l) => sw[l]))),
    labHistogram: round(await labHistogramDistance(image, style)),
    loss: round(loss),
    runMs: Math.round(runMs),
  };
  if (content) cell.content = round((await featureDistances(model, image, content, [contentLayer]))[contentLayer].relative);
  return cell;
}
