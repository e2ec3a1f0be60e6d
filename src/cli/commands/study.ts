/**
 * `neural-style-tfjs study`: the layer study on one or more content/style pairs, measured, written as one HTML
 * report plus its JSON record. Every finished run is kept in a state file beside the report (study-state.ts), so an
 * interrupted study run again skips what is done; `--replay` re-runs a record. Progress counts runs.
 * @module
 */
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createStylizer, StyleTransferError, VERSION, type RgbaImage } from '../../adapters/node.js';
import { encodeImage } from '../../adapters/node/image-io.js';
import { checkDefaultLayers, checkRecordNetwork, networkOf } from '../network-flag.js';
import { STYLIZE_DEFAULTS } from '../../defaults.js';
import { resolveOptions } from '../../stylize/options.js';
import { study, type StudyOptions, type StudyPair, type StudyProgress, type StudyRecord } from '../../insight/study.js';
import { studyOptionsOf, validateStudyRecord } from '../../insight/record.js';
import { renderStudyReport } from '../../insight/report.js';
import { sha256Hex } from '../../weights/sha256.js';
import { UsageError } from '../args.js';
import { numFlag, str, type Ctx } from '../context.js';
import { backendFlag, inputLimits, numberList } from '../flag-values.js';
import { OutputPlan } from '../outputs.js';
import { fmtMs } from '../progress.js';
import { commandLine } from '../reporting.js';
import { loadModel, modelInputs, readInputs, readReplay } from '../run-io.js';
import { checkSizeFits, deepestOf } from '../size-check.js';
import { stylizeOptionsFromFlags } from '../stylize-options.js';
import { layerList, MAX_FILE_BYTES, parsePairs, stateCache, stemOf } from './study-state.js';
import { queueFlags } from '../queue-run.js';
import { queuedStudy } from './queued.js';
import { runStatisticsStudy } from './study-statistics.js';

/**
 * The progress bar's position for a study, counted in runs: `[runs done, runs, "run 2/4: single conv3_1 12/80"]`
 * (runs differ in length — receptive fields count layers, the others iterations — so the count is of runs).
 */
export function studyBar(p: StudyProgress): [number, number, string] {
  return [p.run, p.runs, `run ${p.run + 1}/${p.runs}: ${p.experiment} ${p.label}${p.cached ? ' (kept)' : ` ${p.iteration}/${p.iterations}`}`];
}

export async function runStudy(ctx: Ctx): Promise<void> {
  const f = ctx.flags;
  if (f.get('statistics') !== undefined) return runStatisticsStudy(ctx);
  const outputs = new OutputPlan();
  if (str(f, 'out') !== undefined && str(f, 'output') !== undefined) throw new UsageError('give the report once: --out or -o/--output');
  const out = await outputs.output(str(f, 'out') !== undefined ? '--out' : '-o', str(f, 'out') ?? str(f, 'output') ?? 'study.html', 'html');
  const recordPath = await outputs.output('--record', str(f, 'record') ?? `${stemOf(out)}.json`, 'json');
  const statePath = await outputs.output('--state', str(f, 'state') ?? `${stemOf(out)}.state.json`, 'json');
  backendFlag(f);
  const queued = queueFlags(f, 'study');

  let paths: [string, string][] = [];
  let options: Omit<StudyOptions, 'pairs'>;
  let names: string[] | undefined;
  let replayed: StudyRecord | undefined;
  const replayPath = str(f, 'replay');
  if (replayPath !== undefined) {
    for (const fl of ['layers', 'reconstruct-layers', 'iterations', 'size', 'seed', 'cumulative', 'pairs']) if (f.get(fl) !== undefined) throw new UsageError(`--replay takes its settings from the record; drop --${fl}`);
    const json = await readReplay(outputs, replayPath, MAX_FILE_BYTES, 'study');
    // The network first: a record of another network's layers would otherwise fail on a layer name.
    if (isRecordLike(json)) checkRecordNetwork(f, `--replay ${replayPath}`, json);
    const record = (replayed = validateStudyRecord(json, `--replay ${replayPath}`, networkOf(f)));
    options = studyOptionsOf(record);
    names = record.pairs.map((p) => p.name);
    const dir = dirname(resolve(replayPath));
    if (ctx.positionals.length === 2) {
      if (record.pairs.length !== 1) throw new UsageError(`--replay ${replayPath} has ${record.pairs.length} pairs; give no images (they are read from the record)`);
      paths = [[ctx.positionals[0], ctx.positionals[1]]];
    } else if (ctx.positionals.length === 0) {
      paths = record.pairs.map((p, i) => {
        const [c, s] = [p.inputs.content.path, p.inputs.style.path];
        if (!c || !s) throw new UsageError(`--replay ${replayPath}: pair ${i + 1} names no image files; give <content> <style> after it`);
        return [isAbsolute(c) ? c : join(dir, c), isAbsolute(s) ? s : join(dir, s)];
      });
    } else throw new UsageError('study --replay takes no images, or <content> <style> for a one-pair record');
  } else {
    if (ctx.positionals.length === 1) throw new UsageError('study takes <content> <style> (two images), and/or --pairs content:style,…');
    if (ctx.positionals.length === 2) paths.push([ctx.positionals[0], ctx.positionals[1]]);
    const pairsText = str(f, 'pairs');
    if (pairsText !== undefined) paths.push(...parsePairs(pairsText));
    if (paths.length === 0) throw new UsageError('study needs <content> <style>, or --pairs content:style,… (or --replay FILE)');
    if (paths.length > 16) throw new UsageError(`study takes at most 16 pairs; got ${paths.length}`);
    const it = str(f, 'iterations');
    const iterations = it === undefined ? undefined : numberList('iterations', it, true);
    const layersText = str(f, 'layers');
    const recText = str(f, 'reconstruct-layers');
    const { initPath, size: _s, seed: _d, styleLayers: _l, ...base } = stylizeOptionsFromFlags(f);
    void _s, void _d, void _l;
    if (initPath !== undefined) throw new UsageError('study: --init takes content, style or noise (an image file cannot be recorded for replay)');
    options = {
      size: numFlag(f, 'size'),
      seed: numFlag(f, 'seed'),
      iterations,
      styleLayers: layersText === undefined ? undefined : layerList('layers', layersText, networkOf(f)),
      contentLayers: recText === undefined ? undefined : recText.trim() === 'none' ? [] : layerList('reconstruct-layers', recText, networkOf(f)),
      cumulative: f.get('cumulative') as boolean | undefined,
      stylize: base,
    };
    if (iterations && (new Set(iterations).size !== iterations.length || iterations.some((n) => n < 1))) throw new UsageError(`--iterations ${it}: give distinct counts ≥ 1, e.g. 20,80`);
  }
  // Every stylize option checked before any file is read (the runs' content layers default to stylize()'s).
  checkDefaultLayers(f, { 'content-layers': STYLIZE_DEFAULTS.contentLayers });
  // Each run sets its own style layers: the check stands in the network's first conv for stylize()'s VGG default.
  resolveOptions({ styleLayers: [networkOf(f).convs[0].name], ...options.stylize, size: options.size, seed: options.seed, iterations: 1 }, undefined, undefined, networkOf(f));
  for (const l of options.styleLayers ?? []) networkOf(f).resolve(l, '--layers');
  for (const [c, s] of paths) {
    await outputs.input('the content image', c);
    await outputs.input('the style image', s);
  }
  await modelInputs(outputs, f);
  await outputs.check();
  const images = await readInputs(ctx, paths.flat());
  if (replayed) await checkSameImages(replayed, paths.flat(), images);
  // An impossible size is refused before the model loads: every pair at the study's size and deepest layers.
  const size = options.size ?? 128;
  // The library's defaults in the chosen network: every conv; each block's second conv (VGG: DEFAULT_STUDY_CONTENT_LAYERS).
  const net = networkOf(f);
  const styleLayers = (options.styleLayers ?? net.convs.map((c) => c.name)).map((l) => net.resolve(l));
  const all = [...styleLayers, ...(options.contentLayers ?? net.convBlocks.map((b) => b[Math.min(1, b.length - 1)])).map((l) => net.resolve(l))];
  for (let i = 0; i < images.length; i += 2) checkSizeFits(size, images[i], [images[i + 1]], { deepest: deepestOf(all), deepestStyle: deepestOf(styleLayers), styleScale: options.stylize?.styleScale });
  const pairs: StudyPair[] = paths.map(([c, s], i) => ({ content: images[2 * i], style: images[2 * i + 1], name: names?.[i] ?? `${basename(c, extname(c))} + ${basename(s, extname(s))}` }));
  // Through a queue, the workers compute the runs (the queue keeps them: no state file); here only the assembly.
  const cache = queued ? await queuedStudy(ctx, queued, { ...options, pairs: paths.map(([content, style]) => ({ content, style })) }) : await stateCache(statePath, f.get('fresh') === true);
  const model = await loadModel(ctx);
  const stylizer = await createStylizer({ model, maxPixels: inputLimits(f).maxPixels });
  const bar = ctx.progress('study');
  try {
    ctx.emit({ event: 'start', command: 'study', pairs: paths, output: out, record: recordPath, state: statePath, cachedEntries: 'entries' in cache ? cache.entries : cache.size, backend: tf.getBackend(), network: model.architecture.name, weightsSha256: model.weightsSha256, version: VERSION });
    let current = -1;
    const result = await study({
      ...options,
      pairs,
      stylizer,
      cache,
      signal: ctx.signal,
      onProgress: (p) => {
        bar.update(...studyBar(p));
        if (p.run !== current) {
          current = p.run;
          ctx.emit({ event: 'run', run: p.run, runs: p.runs, pair: p.pair, experiment: p.experiment, label: p.label, cached: p.cached });
        }
        if (!p.cached) ctx.emit({ event: 'iteration', run: p.run, runs: p.runs, experiment: p.experiment, label: p.label, iteration: p.iteration, iterations: p.iterations });
      },
    });
    const rec: StudyRecord = result.record;
    // Image paths relative to the record, so the record and the images can move together.
    const relTo = dirname(resolve(recordPath));
    const rel = (p: string) => relative(relTo, resolve(p)) || basename(p);
    rec.pairs.forEach((p, i) => {
      p.inputs.content.path = rel(paths[i][0]);
      p.inputs.style.path = rel(paths[i][1]);
      for (const e of p.experiments) {
        e.sweep.inputs.content.path = rel(paths[i][0]);
        e.sweep.inputs.style.forEach((s) => (s.path = rel(e.name === 'content' ? paths[i][0] : paths[i][1])));
      }
    });
    rec.command = commandLine(ctx.argv);
    const html = renderStudyReport(result, { encodePng: (img: RgbaImage) => encodeImage(img, 'png'), title: `Layer study: ${pairs.map((p) => p.name).join('; ')}` });
    await outputs.stage(out, html);
    await outputs.stage(recordPath, `${JSON.stringify(rec, null, 2)}\n`);
    await outputs.commit(ctx.signal);
    bar.done();
    ctx.say(`wrote ${out} (${(html.length / 2 ** 20).toFixed(1)} MiB) and ${recordPath}; ${rec.timings.runs} runs (${rec.timings.cached} ${queued ? 'from the queue' : `kept from ${statePath}`}) in ${fmtMs(rec.timings.totalMs)}`);
    ctx.emit({ event: 'done', output: out, record: recordPath, state: statePath, runs: rec.timings.runs, cached: rec.timings.cached, totalMs: Math.round(rec.timings.totalMs) });
  } finally {
    await outputs.discard();
    bar.done();
    stylizer.dispose();
    model.dispose();
  }
}

/** A replay runs on the recorded images: their pixels' sha256 must match the record's. */
async function checkSameImages(record: StudyRecord, paths: string[], images: RgbaImage[]): Promise<void> {
  for (let i = 0; i < images.length; i++) {
    const img = images[i];
    const rgb = new Uint8Array(img.width * img.height * 3);
    for (let k = 0; k < img.width * img.height; k++) rgb.set(img.data.subarray(4 * k, 4 * k + 3), 3 * k);
    const want = i % 2 ? record.pairs[i >> 1].inputs.style : record.pairs[i >> 1].inputs.content;
    if ((await sha256Hex(rgb)) !== want.sha256) throw new StyleTransferError('INVALID_IMAGE', `${paths[i]} differs from the image the record was made with (sha256 ${want.sha256.slice(0, 12)}…); give the recorded images.`, { path: paths[i] });
  }
}

/** A parsed record with the fields the network check reads. */
const isRecordLike = (v: unknown): v is { network?: string; weightsSha256: string } =>
  typeof v === 'object' && v !== null && typeof (v as Record<string, unknown>).weightsSha256 === 'string' && ['undefined', 'string'].includes(typeof (v as Record<string, unknown>).network);
