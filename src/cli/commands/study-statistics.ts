/**
 * `neural-style-tfjs study --statistics gram,mean-std,…`: the layer study's per-statistic comparison
 * (`statisticsStudy()`): each of `--layers` alone with each statistic, one HTML report plus its JSON record.
 * Progress counts the runs of each pair (layers × statistics).
 * @module
 */
import { basename, dirname, extname, relative, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createStylizer, VERSION, type RgbaImage } from '../../adapters/node.js';
import { encodeImage } from '../../adapters/node/image-io.js';
import { STYLE_STATISTICS, type StyleStatistic } from '../../core/style-statistics.js';
import { resolveOptions } from '../../stylize/options.js';
import { checkDefaultLayers, networkOf } from '../network-flag.js';
import { STYLIZE_DEFAULTS } from '../../defaults.js';
import { DEFAULT_STATISTICS_LAYERS, statisticsStudy, type StatisticsStudyOptions } from '../../insight/statistics-study.js';
import { renderStatisticsReport } from '../../insight/statistics-report.js';
import { parseNumber, UsageError } from '../args.js';
import { numFlag, str, type Ctx } from '../context.js';
import { backendFlag, inputLimits, oneOf } from '../flag-values.js';
import { OutputPlan } from '../outputs.js';
import { fmtMs } from '../progress.js';
import { commandLine } from '../reporting.js';
import { loadModel, modelInputs, readInputs } from '../run-io.js';
import { checkSizeFits, deepestOf } from '../size-check.js';
import { stylizeOptionsFromFlags } from '../stylize-options.js';
import { layerList, parsePairs, stemOf } from './study-state.js';

/** Study flags that belong to the layer experiments only. */
const LAYER_STUDY_ONLY = ['reconstruct-layers', 'cumulative', 'state', 'fresh', 'replay', 'queue', 'queue-name', 'storage'];

/** `--statistics all` or a comma-separated list of statistic names. */
function statisticsFlag(text: string): StyleStatistic[] {
  if (text.trim() === 'all') return [...STYLE_STATISTICS];
  const names = text.split(',').map((s) => s.trim());
  for (const n of names) oneOf('statistics', n, STYLE_STATISTICS);
  if (new Set(names).size !== names.length) throw new UsageError(`--statistics ${text}: name each statistic once`);
  return names as StyleStatistic[];
}

export async function runStatisticsStudy(ctx: Ctx): Promise<void> {
  const f = ctx.flags;
  for (const fl of LAYER_STUDY_ONLY) if (f.get(fl) !== undefined) throw new UsageError(`--${fl} is for the layer experiments; a study with --statistics does not take it`);
  const outputs = new OutputPlan();
  if (str(f, 'out') !== undefined && str(f, 'output') !== undefined) throw new UsageError('give the report once: --out or -o/--output');
  const out = await outputs.output(str(f, 'out') !== undefined ? '--out' : '-o', str(f, 'out') ?? str(f, 'output') ?? 'statistics.html', 'html');
  const recordPath = await outputs.output('--record', str(f, 'record') ?? `${stemOf(out)}.json`, 'json');
  backendFlag(f);

  const paths: [string, string][] = [];
  if (ctx.positionals.length === 1) throw new UsageError('study takes <content> <style> (two images), and/or --pairs content:style,…');
  if (ctx.positionals.length === 2) paths.push([ctx.positionals[0], ctx.positionals[1]]);
  const pairsText = str(f, 'pairs');
  if (pairsText !== undefined) paths.push(...parsePairs(pairsText));
  if (paths.length === 0) throw new UsageError('study --statistics needs <content> <style>, or --pairs content:style,…');
  if (paths.length > 16) throw new UsageError(`study takes at most 16 pairs; got ${paths.length}`);
  const it = str(f, 'iterations');
  if (it !== undefined && it.includes(',')) throw new UsageError(`--iterations ${it}: a study with --statistics takes one count, e.g. --iterations 100`);
  const layersText = str(f, 'layers');
  const { initPath, size: _s, seed: _d, styleLayers: _l, ...base } = stylizeOptionsFromFlags(f);
  void _s, void _d, void _l;
  if (initPath !== undefined) throw new UsageError('study: --init takes content, style or noise (an image file cannot be recorded for replay)');
  const options: Omit<StatisticsStudyOptions, 'pairs'> = {
    statistics: statisticsFlag(str(f, 'statistics')!),
    layers: layersText === undefined ? undefined : layerList('layers', layersText, networkOf(f)),
    task: oneOf('statistics-task', str(f, 'statistics-task'), ['texture', 'stylize'] as const),
    size: numFlag(f, 'size'),
    seed: numFlag(f, 'seed'),
    iterations: it === undefined ? undefined : parseNumber('iterations', it, true),
    stylize: base,
  };
  // Every stylize option checked before any file is read (the stylize() options' content layers too).
  checkDefaultLayers(f, { layers: DEFAULT_STATISTICS_LAYERS, 'content-layers': STYLIZE_DEFAULTS.contentLayers });
  // Each run sets its own style layers: the check stands in the network's first conv for stylize()'s VGG default.
  resolveOptions({ styleLayers: [networkOf(f).convs[0].name], ...options.stylize, size: options.size, seed: options.seed, iterations: 1 }, undefined, undefined, networkOf(f));
  const layers = (options.layers ?? DEFAULT_STATISTICS_LAYERS).map((l) => networkOf(f).resolve(l, '--layers'));
  for (const [c, s] of paths) {
    await outputs.input('the content image', c);
    await outputs.input('the style image', s);
  }
  await modelInputs(outputs, f);
  await outputs.check();
  const images = await readInputs(ctx, paths.flat());
  const size = options.size ?? 128;
  for (let i = 0; i < images.length; i += 2) checkSizeFits(size, images[i], [images[i + 1]], { deepest: deepestOf(layers), deepestStyle: deepestOf(layers), styleScale: options.stylize?.styleScale });
  // A texture reads only the style image: the pair is named after it.
  const stem = (p: string) => basename(p, extname(p));
  const pairs = paths.map(([c, s], i) => ({ content: images[2 * i], style: images[2 * i + 1], name: options.task === 'stylize' ? `${stem(c)} + ${stem(s)}` : stem(s) }));
  const model = await loadModel(ctx);
  const stylizer = await createStylizer({ model, maxPixels: inputLimits(f).maxPixels });
  const bar = ctx.progress('study');
  try {
    ctx.emit({ event: 'start', command: 'study', statistics: options.statistics, pairs: paths, output: out, record: recordPath, backend: tf.getBackend(), network: model.architecture.name, weightsSha256: model.weightsSha256, version: VERSION });
    let current = '';
    const result = await statisticsStudy({
      ...options,
      pairs,
      stylizer,
      signal: ctx.signal,
      onProgress: (p) => {
        bar.update(p.pair * p.runs + p.run, p.pairs * p.runs, `pair ${p.pair + 1}/${p.pairs} run ${p.run + 1}/${p.runs}: ${p.label} ${p.iteration}/${p.iterations}`);
        if (`${p.pair}:${p.run}` !== current) {
          current = `${p.pair}:${p.run}`;
          ctx.emit({ event: 'run', pair: p.pair, run: p.run, runs: p.runs, label: p.label });
        }
      },
    });
    const rec = result.record;
    // Image paths relative to the record, so the record and the images can move together.
    const rel = (p: string) => relative(dirname(resolve(recordPath)), resolve(p)) || basename(p);
    rec.pairs.forEach((p, i) => {
      p.sweep.inputs.content.path = rel(options.task === 'stylize' ? paths[i][0] : paths[i][1]);
      p.sweep.inputs.style.forEach((s) => (s.path = rel(paths[i][1])));
    });
    rec.command = commandLine(ctx.argv);
    const html = renderStatisticsReport(result, { encodePng: (img: RgbaImage) => encodeImage(img, 'png'), title: `Style statistics per layer: ${pairs.map((p) => p.name).join('; ')}` });
    await outputs.stage(out, html);
    await outputs.stage(recordPath, `${JSON.stringify(rec, null, 2)}\n`);
    await outputs.commit(ctx.signal);
    bar.done();
    ctx.say(`wrote ${out} (${(html.length / 2 ** 20).toFixed(1)} MiB) and ${recordPath}; ${rec.timings.runs} runs in ${fmtMs(rec.timings.totalMs)}`);
    ctx.emit({ event: 'done', output: out, record: recordPath, runs: rec.timings.runs, totalMs: Math.round(rec.timings.totalMs), cells: rec.pairs.map((p) => p.cells) });
  } finally {
    await outputs.discard();
    bar.done();
    stylizer.dispose();
    model.dispose();
  }
}
