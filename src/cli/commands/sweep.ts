/**
 * `neural-style-tfjs sweep <content> <style…> --vary NAME=VALUES -o sheet.png`: a grid of stylisations as a
 * labelled contact sheet plus the JSON record that reproduces it (`--replay`).
 * @module
 */
import { STYLE_STATISTICS } from '../../core/style-statistics.js';
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createStylizer, STYLIZE_DEFAULTS, VERSION, type LayerWeights } from '../../adapters/node.js';
import type { NetworkPoint } from '../../core/layers.js';
import { VGG19, type NetworkArchitecture } from '../../core/architecture.js';
import { checkDefaultLayers, checkRecordNetwork, networkOf } from '../network-flag.js';
import { renderContactSheet, replaySweep, sweep, type ContactSheetOptions, type SweepOptions, type SweepRecord, type SweepVary } from '../../experiments.js';
import { checkSweepVary, validateSweepRecord } from '../../experiments/sweep/record-validate.js';
import { resolveOptions } from '../../stylize/options.js';
import { UsageError } from '../args.js';
import { numFlag, str, type Ctx } from '../context.js';
import { backendFlag, inputLimits, iterationsFlag, numberList, oneOf, parseLayerSpec } from '../flag-values.js';
import { OutputPlan } from '../outputs.js';
import { fmtMs } from '../progress.js';
import { commandLine } from '../reporting.js';
import { loadModel, modelInputs, PIXEL, readInputs, readReplay, requiredOutput } from '../run-io.js';
import { checkSizeFits, deepestOf } from '../size-check.js';
import { stylizeOptionsFromFlags } from '../stylize-options.js';
import { checkMaskFiles, checkMaskSizes, maskFilesOf, regionFlags, regionOptions, styleFilesOf } from '../region-flags.js';
import { queueFlags } from '../queue-run.js';
import { queuedSweep } from './queued.js';
import type { QueueSweepOptions } from '../../queue/types.js';

const VARY_NAMES: Record<string, keyof SweepVary> = {
  'style-layers': 'styleLayers',
  'content-layers': 'contentLayers',
  'weight-ratio': 'weightRatio',
  iterations: 'iterations',
  pooling: 'pooling',
  init: 'init',
  'style-statistic': 'styleStatistic',
};

/** Parses one `--vary NAME=VALUES`. */
export function parseVary(text: string, vary: SweepVary, network: NetworkArchitecture = VGG19): void {
  const eq = text.indexOf('=');
  const name = eq > 0 ? text.slice(0, eq).trim() : text.trim();
  const key = VARY_NAMES[name];
  if (!key) throw new UsageError(`--vary ${JSON.stringify(text)}: unknown setting "${name}"; use ${Object.keys(VARY_NAMES).join(', ')} (as NAME=VALUES)`);
  if (eq < 0 || text.slice(eq + 1).trim() === '') throw new UsageError(`--vary ${name} needs values, e.g. --vary ${name}=${name === 'style-layers' ? 'single' : name === 'weight-ratio' ? '1e-3,1e-2' : '…'}`);
  if (vary[key] !== undefined) throw new UsageError(`--vary ${name} is given twice`);
  const v = text.slice(eq + 1).trim();
  const sets = (): string[][] => (v.includes(';') ? v.split(';').filter((s) => s.trim()).map((s) => s.split(',').map((x) => x.trim()).filter(Boolean)) : v.split(',').map((x) => [x.trim()]));
  const checked = (field: string, ss: string[][]): (string | LayerWeights)[] =>
    ss.map((s) => {
      if (s.length === 0) throw new UsageError(`--vary ${field}: an empty layer set`);
      const joined = s.join(',');
      return parseLayerSpec(`vary ${field}`, joined, network);
    });
  switch (key) {
    case 'styleLayers':
      vary.styleLayers = v === 'single' || v === 'cumulative' || v === 'all' ? v : checked(name, sets());
      break;
    case 'contentLayers':
      vary.contentLayers = checked(name, sets());
      break;
    case 'weightRatio':
      vary.weightRatio = numberList(`vary ${name}`, v);
      break;
    case 'iterations':
      vary.iterations = numberList(`vary ${name}`, v, true);
      break;
    case 'pooling':
      vary.pooling = v.split(',').map((x) => oneOf(`vary ${name}`, x.trim(), ['max', 'avg'] as const)!);
      break;
    case 'init':
      vary.init = v.split(',').map((x) => oneOf(`vary ${name}`, x.trim(), ['content', 'style', 'noise'] as const)!);
      break;
    case 'styleStatistic':
      vary.styleStatistic = v.split(',').map((x) => oneOf(`vary ${name}`, x.trim(), STYLE_STATISTICS)!);
      break;
  }
}

/** The largest `--replay` record read (records of 64x64 cells are well under 1 MiB). */
const MAX_RECORD_BYTES = 64 * 2 ** 20;

const defaultRecordPath = (out: string): string => `${out.slice(0, out.length - extname(out).length)}.json`;

export async function runSweep(ctx: Ctx): Promise<void> {
  const f = ctx.flags;
  const outputs = new OutputPlan();
  const out = await requiredOutput(outputs, f);
  const recordPath = await outputs.output('--record', str(f, 'record') ?? defaultRecordPath(out), 'json');
  backendFlag(f);
  const queued = queueFlags(f, 'sweep');
  const replayPath = str(f, 'replay');
  const sheetFlags: ContactSheetOptions = {};
  if (numFlag(f, 'tile-size') !== undefined) sheetFlags.tileSize = numFlag(f, 'tile-size');
  if (numFlag(f, 'font-scale') !== undefined) sheetFlags.fontScale = numFlag(f, 'font-scale');
  if (str(f, 'title') !== undefined) sheetFlags.title = str(f, 'title');
  if (f.get('captions') !== undefined) sheetFlags.captions = f.get('captions') as boolean;

  let record: SweepRecord | undefined;
  let paths = ctx.positionals;
  let recordDir = '';
  const regionPlan = regionFlags(f);
  if (queued && regionPlan) throw new UsageError('--queue does not take region flags yet (--region, --content-weight-map): run without --queue');
  /** The mask files: the region flags' (a fresh sweep) or the record's (a replay), in record order. */
  let maskPaths = maskFilesOf(regionPlan).map((m) => m.file);
  if (replayPath !== undefined) {
    const json = await readReplay(outputs, replayPath, MAX_RECORD_BYTES, 'sweep');
    record = validateSweepRecord(json, `--replay ${replayPath}`);
    checkRecordNetwork(f, `--replay ${replayPath}`, record);
    if (record.options.init === 'image') throw new UsageError(`--replay ${replayPath}: this sweep started from an image (options.init "image"), which the command line cannot replay`, 'INVALID_RECORD');
    recordDir = dirname(resolve(replayPath));
    if (regionPlan) throw new UsageError(`--replay ${replayPath}: the record holds the regions; give no region flags`);
    const masks = record.inputs.masks ?? [];
    if (masks.some((m) => !m.path)) throw new UsageError(`--replay ${replayPath} names no mask files (inputs.masks[].path); replay it with replaySweep()`, 'INVALID_RECORD');
    maskPaths = masks.map((m) => (isAbsolute(m.path!) ? m.path! : join(recordDir, m.path!)));
    if (queued && masks.length) throw new UsageError(`--replay ${replayPath}: a sweep with regions cannot run on a --queue yet; run without --queue`);
    const recorded = [record.inputs.content, ...record.inputs.style];
    if (paths.length === 0) {
      if (recorded.some((i) => !i.path)) throw new UsageError(`--replay ${replayPath} names no image files; give <content> <style…> after it`);
      paths = recorded.map((i) => (isAbsolute(i.path!) ? i.path! : join(recordDir, i.path!)));
    } else if (paths.length !== recorded.length) {
      throw new UsageError(`--replay ${replayPath} was run on 1 content and ${recorded.length - 1} style image${recorded.length === 2 ? '' : 's'}; got ${paths.length} file${paths.length === 1 ? '' : 's'}`);
    }
  }
  const [contentPath, ...positionalStyles] = paths;
  const stylePaths = record ? positionalStyles : styleFilesOf(positionalStyles, regionPlan);
  if (contentPath === undefined || stylePaths.length === 0) throw new UsageError('sweep needs <content> and at least one <style> image (or --region MASK:STYLE, or --replay FILE)');

  let options: SweepOptions | undefined;
  let fits: (() => void) | undefined;
  if (!record) {
    const vary: SweepVary = {};
    const varies = (f.get('vary') as string[] | undefined) ?? [];
    for (const v of varies) parseVary(v, vary, networkOf(f));
    const iterations = iterationsFlag(f);
    if (Object.keys(vary).length === 0 && !Array.isArray(iterations)) throw new UsageError('sweep needs --vary NAME=VALUES (e.g. --vary style-layers=single) or a list of --iterations');
    if (vary.iterations && Array.isArray(iterations)) throw new UsageError('give the iteration counts once: --iterations 100,500 or --vary iterations=100,500');
    checkSweepVary({ ...vary, ...(Array.isArray(iterations) ? { iterations } : {}) }, '--vary/--iterations');
    checkDefaultLayers(f, { 'style-layers': STYLIZE_DEFAULTS.styleLayers, 'content-layers': STYLIZE_DEFAULTS.contentLayers });
    const { initPath, ...base } = stylizeOptionsFromFlags(f);
    if (initPath !== undefined) throw new UsageError('sweep: --init takes content, style or noise (an image file cannot be recorded for replay)');
    const pk = oneOf('preset-kind', str(f, 'preset-kind'), ['conv', 'relu'] as const);
    // The options every cell starts from, checked before any file is read (sweep() checks each cell again).
    // The region options with 1x1 stand-ins for the masks, so they are checked before any file is read too.
    const standIns = await regionOptions(regionPlan, { content: PIXEL, styleFiles: stylePaths, styles: stylePaths.map(() => PIXEL), mask: () => PIXEL }, false);
    const resolved = resolveOptions({ ...base, ...standIns, iterations: typeof iterations === 'number' ? iterations : 1 }, stylePaths.length, undefined, networkOf(f));
    // Every layer a cell may use, for the size check once the images are read.
    const style = [...resolved.styleLayers.map((l) => l.point), ...varyPoints(vary.styleLayers, pk ?? 'conv', networkOf(f))];
    const all = [...style, ...resolved.contentLayers.map((l) => l.point), ...varyPoints(vary.contentLayers, pk ?? 'conv', networkOf(f))];
    fits = () => checkSizeFits(resolved.size, content, styles, { deepest: deepestOf(all), deepestStyle: deepestOf(style), styleScale: resolved.styleScale, scalesAt: (size) => (size === resolved.size ? resolved.scales : resolveOptions({ ...base, size, iterations: 1 }, stylePaths.length, undefined, networkOf(f)).scales) });
    options = { ...base, content: undefined as never, style: undefined as never, vary, ...(iterations !== undefined ? { iterations } : {}), ...(pk ? { presetKind: pk } : {}) };
  }
  await outputs.input('the content image', contentPath);
  for (const p of stylePaths) await outputs.input('the style image', p);
  await checkMaskFiles(regionPlan, stylePaths.length);
  for (const p of maskPaths) await outputs.input('a mask', p);
  await modelInputs(outputs, f);
  await outputs.check();
  const [content, ...styles] = await readInputs(ctx, [contentPath, ...stylePaths]);
  const maskImages = await readInputs(ctx, maskPaths);
  fits?.();
  if (options && regionPlan) {
    const im = { content, styleFiles: stylePaths, styles, mask: (p: string) => maskImages[maskPaths.indexOf(p)] };
    checkMaskSizes(regionPlan, im);
    Object.assign(options, await regionOptions(regionPlan, im, false));
  }
  const style = styles.length === 1 ? styles[0] : styles;
  // Through a queue the workers hold the model; here it is only the contact sheet's assembly.
  const model = queued ? undefined : await loadModel(ctx);
  const stylizer = model ? await createStylizer({ model, maxPixels: inputLimits(f).maxPixels }) : undefined;
  const bar = ctx.progress('sweep');
  try {
    let perRun = 0;
    const onProgress = (p: { run: number; runs: number; label: string; iteration: number; iterations: number; loss: { total: number }; elapsedMs: number }) => {
      perRun = p.iterations;
      bar.update(p.run * perRun + p.iteration, p.runs * perRun, `run ${p.run + 1}/${p.runs} ${p.label}`);
      ctx.emit({ event: 'iteration', run: p.run, runs: p.runs, label: p.label, iteration: p.iteration, iterations: p.iterations, loss: p.loss, elapsedMs: Math.round(p.elapsedMs) });
    };
    ctx.emit({ event: 'start', command: 'sweep', content: contentPath, style: stylePaths, output: out, record: recordPath, ...(queued ? { queue: queued.name ?? 'neural-style-tfjs' } : { backend: tf.getBackend(), network: model!.architecture.name, weightsSha256: model!.weightsSha256 }), version: VERSION });
    const result = queued
      ? await queuedSweep(ctx, queued, { ...options!, content: contentPath, style: stylePaths.length === 1 ? stylePaths[0] : stylePaths } as QueueSweepOptions)
      : record
        ? await replaySweep(record, { content, style, stylizer, onProgress, signal: ctx.signal, masks: maskImages })
        : await sweep({ ...options!, content, style, stylizer, onProgress, signal: ctx.signal });
    const sheet = renderContactSheet(result, { ...(record?.sheet ?? {}), ...sheetFlags });
    const rec: SweepRecord & { command?: string } = sheet.record;
    // Image paths relative to the record, so the record and images can move together.
    const relTo = dirname(resolve(recordPath));
    rec.inputs.content.path = relative(relTo, resolve(contentPath)) || basename(contentPath);
    rec.inputs.style.forEach((s, i) => (s.path = relative(relTo, resolve(stylePaths[i])) || basename(stylePaths[i])));
    rec.inputs.masks?.forEach((m, i) => (m.path = relative(relTo, resolve(maskPaths[i])) || basename(maskPaths[i])));
    rec.command = commandLine(ctx.argv);
    await outputs.stageImage(out, sheet);
    await outputs.stage(recordPath, `${JSON.stringify(rec, null, 2)}\n`);
    await outputs.commit(ctx.signal);
    bar.done();
    const notes = result.cells.filter((c) => c.note);
    for (const c of notes) ctx.say(`note: ${c.rowLabel ? `${c.rowLabel}, ` : ''}${c.columnLabel}: ${c.note}`);
    ctx.say(`wrote ${out} (${sheet.rows}x${sheet.columns} tiles, ${sheet.width}x${sheet.height} px) and ${recordPath}; ${result.timings.runs} runs in ${fmtMs(result.timings.totalMs)}`);
    ctx.emit({ event: 'done', output: out, record: recordPath, rows: sheet.rows, columns: sheet.columns, width: sheet.width, height: sheet.height, runs: result.timings.runs, totalMs: Math.round(result.timings.totalMs), cells: rec.cells.map((c) => ({ row: c.row, column: c.column, rowLabel: c.rowLabel, columnLabel: c.columnLabel, loss: c.loss.total, iterationsDone: c.iterationsDone })) });
  } finally {
    await outputs.discard();
    bar.done();
    stylizer?.dispose();
    model?.dispose();
  }
}

/** The layers a `--vary style-layers` / `content-layers` value uses (the presets use up to block 5). */
function varyPoints(v: SweepVary['styleLayers'] | SweepVary['contentLayers'], kind: 'conv' | 'relu', network: NetworkArchitecture): NetworkPoint[] {
  if (v === undefined) return [];
  if (typeof v === 'string') return network.points.filter((p) => p.kind === kind);
  return v.flatMap((set): string[] => (typeof set === 'string' ? [set] : Array.isArray(set) ? [...(set as readonly string[])] : Object.keys(set))).map((l) => network.resolve(l));
}
