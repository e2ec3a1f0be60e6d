/**
 * The CLI's commands. Loaded only after the arguments parsed (so `--help` and usage errors answer at once), it
 * imports the Node adapter, which registers the backend.
 * @module
 */
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  createStylizer,
  extractFeatures,
  loadVgg19,
  ready,
  resolveLayer,
  StyleTransferError,
  STYLIZE_DEFAULTS,
  VERSION,
  type IterationInfo,
  type LayerWeights,
  type NodeBackendName,
  type RgbaImage,
  type StylizeOptions,
  type StylizeResult,
  type TileInfo,
  type Vgg19,
} from '../adapters/node.js';
import { fitSize, gramMatrix, resizeImage, toImageTensor, DEFAULT_MAX_INPUT_PIXELS } from '../core.js';
import {
  reconstruct,
  reconstructionOptions,
  renderContactSheet,
  renderFeatureMaps,
  renderGram,
  replaySweep,
  sweep,
  type ContactSheetOptions,
  type SweepOptions,
  type SweepRecord,
  type SweepVary,
  blit,
  createImage,
  drawText,
  fitText,
} from '../experiments.js';
import { DEFAULT_MAX_BYTES, formatFromPath, readImage, readRegularFile } from '../adapters/node/image-io.js';
import { resolveOptions } from '../stylize/options.js';
import { scaleSize } from '../stylize/plan.js';
import { checkSweepVary, validateSweepRecord } from '../experiments/sweep/record-validate.js';
import { parseLayerSpec, numberList, stylizeOptionsFromFlags } from './option-flags.js';
import { UsageError, parseNumber, type Parsed } from './args.js';
import { OutputPlan, throwIfAborted } from './outputs.js';
import { createProgress, fmtMs, silentProgress, type ProgressBar } from './progress.js';
import { runStudy } from './study.js';

export type Flags = Parsed['flags'];

export interface Ctx {
  flags: Flags;
  positionals: string[];
  signal: AbortSignal;
  /** One JSON object per line on stdout (--json). */
  emit: (event: Record<string, unknown>) => void;
  progress: (label: string) => ProgressBar;
  /** A line on stderr unless --quiet. */
  say: (line: string) => void;
  argv: readonly string[];
}

export const str = (f: Flags, name: string): string | undefined => {
  const v = f.get(name);
  return v === undefined || typeof v === 'boolean' ? (v === true ? '' : undefined) : String(v);
};
export const numFlag = (f: Flags, name: string): number | undefined => f.get(name) as number | undefined;

export function oneOf<T extends string>(flag: string, v: string | undefined, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!allowed.includes(v as T)) throw new UsageError(`--${flag} is ${JSON.stringify(v)}; use ${allowed.join(' or ')}`);
  return v as T;
}

/** The required `-o` output (its extension and folder checked). */
async function requiredOutput(outputs: OutputPlan, f: Flags): Promise<string> {
  const out = str(f, 'output');
  if (out === undefined || out === '') throw new UsageError('--output is required: where to write the result (e.g. -o out.png)');
  return outputs.output('-o', out);
}

/** A 1x1 image standing in for the real ones while options are checked, before any file is read. */
const PIXEL: RgbaImage = { data: new Uint8ClampedArray(4), width: 1, height: 1 };

/** `--weights` as a file, so no output can replace the manifest. */
export const weightsManifest = (f: Flags): string | undefined => {
  const w = str(f, 'weights');
  return w ? (extname(w).toLowerCase() === '.json' ? w : join(w, 'manifest.json')) : undefined;
};

/** Notes that `--quality` does nothing for a PNG output (not an error: scripts pass it for every format). Said
 * after every check, so a refused run still prints one line. */
function noteQuality(ctx: Ctx, quality: number | undefined, out: string): void {
  if (quality !== undefined && formatFromPath(out) !== 'jpeg') ctx.say(`note: --quality applies to JPEG outputs; ${out} is written as PNG`);
}

export function backendFlag(f: Flags): NodeBackendName | undefined {
  return oneOf('backend', str(f, 'backend'), ['tensorflow', 'wasm', 'cpu'] as const);
}

/** Loads VGG-19 (a `loading` event first, for --json readers); Ctrl-C during the load is honoured after it. */
export async function loadModel(ctx: Ctx): Promise<Vgg19> {
  throwIfAborted(ctx.signal);
  ctx.emit({ event: 'loading' });
  await ready(backendFlag(ctx.flags));
  const weights = str(ctx.flags, 'weights');
  const model = await loadVgg19(weights ? { weights } : {});
  if (ctx.signal.aborted) {
    model.dispose();
    throwIfAborted(ctx.signal);
  }
  return model;
}

/** Reports a tiled evaluation's progress (tile and scale) to the bar and, with --json, stdout. */
function tileReporter(ctx: Ctx, bar: ProgressBar, planned: number) {
  return (t: TileInfo): void => {
    bar.update(t.iteration - 1, planned, `scale ${t.scale + 1} ${t.width}x${t.height}, ${t.pass === 'grams' ? 'Grams' : 'gradient'} tile ${t.tile + 1}/${t.tiles}`);
    ctx.emit({ event: 'tile', iteration: t.iteration, scale: t.scale, width: t.width, height: t.height, tile: t.tile, tiles: t.tiles, pass: t.pass });
  };
}

/** The notes a finished run prints: its warnings, and each tiled scale's tiles and L-BFGS history. */
function sayRunNotes(ctx: Ctx, result: StylizeResult): void {
  for (const w of result.warnings) ctx.say(`note: ${w}`);
  for (const sc of result.scales) {
    if (sc.tiling) ctx.say(`note: ${sc.width}x${sc.height} was evaluated in ${sc.tiling.tiles} tiles of ${sc.tiling.tileSize} px (halo ${sc.tiling.halo} px${sc.tiling.exact ? ', exact' : ', approximate'}), L-BFGS history ${sc.historySize}.`);
  }
}

/** Reports a stylize run's iterations to the bar and, with --json, stdout. */
function iterationReporter(ctx: Ctx, bar: ProgressBar, extra: (info: IterationInfo) => Promise<void> | void = () => {}) {
  return async (info: IterationInfo): Promise<void> => {
    bar.update(info.iteration, info.iterations, `loss ${info.loss.total.toExponential(3)}`);
    ctx.emit({ event: 'iteration', iteration: info.iteration, iterations: info.iterations, scale: info.scale, width: info.width, height: info.height, loss: info.loss, evaluations: info.evaluations, elapsedMs: Math.round(info.elapsedMs) });
    await extra(info);
  };
}

/** The input limits the flags set: --max-megapixels (as pixels) and --max-file-mb (as bytes). */
export function inputLimits(f: Flags): { maxPixels: number; maxBytes: number } {
  const mp = numFlag(f, 'max-megapixels');
  const mb = numFlag(f, 'max-file-mb');
  return { maxPixels: mp === undefined ? DEFAULT_MAX_INPUT_PIXELS : Math.round(mp * 1e6), maxBytes: mb === undefined ? DEFAULT_MAX_BYTES : Math.round(mb * 2 ** 20) };
}

/** Reads input images within --max-megapixels and --max-file-mb; a refusal names the flag to raise. */
export async function readInputs(ctx: Ctx, paths: string[]): Promise<RgbaImage[]> {
  const limits = inputLimits(ctx.flags);
  const out: RgbaImage[] = [];
  for (const p of paths) {
    try {
      out.push(await readImage(p, limits));
    } catch (e) {
      if (!(e instanceof StyleTransferError && e.code === 'IMAGE_TOO_LARGE')) throw e;
      const flag = e.details?.maxPixels !== undefined ? `--max-megapixels (now ${limits.maxPixels / 1e6})` : `--max-file-mb (now ${+(limits.maxBytes / 2 ** 20).toPrecision(4)})`;
      throw new StyleTransferError('IMAGE_TOO_LARGE', e.message.replace(/; raise the \w+ option.*$/, `; raise ${flag} to read it.`), e.details, { cause: e });
    }
    throwIfAborted(ctx.signal);
  }
  return out;
}

// ── stylize ─────────────────────────────────────────────────────────────────────────────────────────────────

export async function runStylize(ctx: Ctx): Promise<void> {
  const f = ctx.flags;
  const [contentPath, ...stylePaths] = ctx.positionals;
  const outputs = new OutputPlan();
  const out = await requiredOutput(outputs, f);
  const saveEvery = numFlag(f, 'save-every');
  const quality = numFlag(f, 'quality');
  backendFlag(f);
  const { initPath, ...base } = stylizeOptionsFromFlags(f);
  const it = str(f, 'iterations');
  const iterations = it === undefined ? undefined : it.includes(',') ? numberList('iterations', it, true) : parseNumber('iterations', it, true);
  // Every option checked before any file is read (a 1x1 stand-in for an --init image).
  const options: StylizeOptions = { ...base, ...(iterations !== undefined ? { iterations } : {}), ...(saveEvery ? { previewEvery: saveEvery } : {}) };
  const resolved = resolveOptions({ ...options, ...(initPath !== undefined ? { init: PIXEL } : {}) }, stylePaths.length);
  await outputs.input('the content image', contentPath);
  for (const p of stylePaths) await outputs.input('the style image', p);
  if (initPath !== undefined) await outputs.input('the --init image', initPath);
  const manifest = weightsManifest(f);
  if (manifest) await outputs.input('the --weights manifest', manifest);
  const planned = resolved.iterations.reduce((a, b) => a + b, 0);
  if (saveEvery) outputs.snapshots('--save-every', out, saveEvery, planned);
  await outputs.check();
  const [content, ...styles] = await readInputs(ctx, [contentPath, ...stylePaths]);
  const style = styles.length === 1 ? styles[0] : styles;
  if (initPath !== undefined) [options.init] = await readInputs(ctx, [initPath]);
  noteQuality(ctx, quality, out);
  const model = await loadModel(ctx);
  if (options.scales === undefined && resolved.scales.length > 1) {
    const sizes = resolved.scales.map((s) => scaleSize(resolved.size, s));
    ctx.say(`note: coarse-to-fine at ${sizes.join(' → ')} px, ${resolved.iterations.join(' + ')} iterations (--scales 1 for one scale).`);
  }
  const bar = ctx.progress('stylize');
  ctx.emit({ event: 'start', command: 'stylize', content: contentPath, style: stylePaths, output: out, iterations: planned, scales: resolved.scales, size: resolved.size, backend: tf.getBackend(), weightsSha256: model.weightsSha256, version: VERSION });
  const stylizer = await createStylizer({ model, cacheSize: 0, maxPixels: inputLimits(f).maxPixels });
  try {
    const result = await stylizer.stylize(content, style, {
      ...options,
      signal: ctx.signal,
      onTile: tileReporter(ctx, bar, planned),
      onIteration: iterationReporter(ctx, bar, async (info) => {
        if (saveEvery && info.preview && info.iteration % saveEvery === 0) {
          const p = OutputPlan.numbered(out, info.iteration);
          await outputs.writeImageNow(p, info.preview, quality);
          ctx.emit({ event: 'saved', path: p, iteration: info.iteration });
        }
      }),
    });
    try {
      await outputs.stageImage(out, await result.toPixels(), quality);
      await outputs.commit(ctx.signal);
      bar.done();
      sayRunNotes(ctx, result);
      const last = result.history[result.history.length - 1];
      ctx.say(`wrote ${out} (${result.width}x${result.height}, ${result.iterations} iterations, loss ${last?.loss.total.toExponential(3) ?? '?'}, ${fmtMs(result.timings.totalMs)} on ${result.backend})`);
      ctx.emit({ event: 'done', output: out, width: result.width, height: result.height, iterations: result.iterations, evaluations: result.evaluations, stopReason: result.stopReason, loss: last?.loss, timings: result.timings, backend: result.backend, warnings: result.warnings, scales: result.scales });
    } finally {
      result.dispose();
    }
  } finally {
    await outputs.discard();
    bar.done();
    stylizer.dispose();
    model.dispose();
  }
}

// ── sweep ───────────────────────────────────────────────────────────────────────────────────────────────────

const VARY_NAMES: Record<string, keyof SweepVary> = {
  'style-layers': 'styleLayers',
  'content-layers': 'contentLayers',
  'weight-ratio': 'weightRatio',
  iterations: 'iterations',
  pooling: 'pooling',
  init: 'init',
};

/** Parses one `--vary NAME=VALUES`. */
export function parseVary(text: string, vary: SweepVary): void {
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
      return parseLayerSpec(`vary ${field}`, joined);
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
  const replayPath = str(f, 'replay');
  const sheetFlags: ContactSheetOptions = {};
  if (numFlag(f, 'tile-size') !== undefined) sheetFlags.tileSize = numFlag(f, 'tile-size');
  if (numFlag(f, 'font-scale') !== undefined) sheetFlags.fontScale = numFlag(f, 'font-scale');
  if (str(f, 'title') !== undefined) sheetFlags.title = str(f, 'title');
  if (f.get('captions') !== undefined) sheetFlags.captions = f.get('captions') as boolean;

  let record: SweepRecord | undefined;
  let paths = ctx.positionals;
  let recordDir = '';
  if (replayPath !== undefined) {
    await outputs.input('the --replay record', replayPath);
    const text = Buffer.from(await readRegularFile(replayPath, MAX_RECORD_BYTES, 'INVALID_OPTION')).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`--replay ${replayPath} is not JSON (${(e as Error).message.split('\n')[0]}); expected a record written by "sweep"`, 'INVALID_RECORD');
    }
    record = validateSweepRecord(json, `--replay ${replayPath}`);
    if (record.options.init === 'image') throw new UsageError(`--replay ${replayPath}: this sweep started from an image (options.init "image"), which the command line cannot replay`, 'INVALID_RECORD');
    recordDir = dirname(resolve(replayPath));
    const recorded = [record.inputs.content, ...record.inputs.style];
    if (paths.length === 0) {
      if (recorded.some((i) => !i.path)) throw new UsageError(`--replay ${replayPath} names no image files; give <content> <style…> after it`);
      paths = recorded.map((i) => (isAbsolute(i.path!) ? i.path! : join(recordDir, i.path!)));
    } else if (paths.length !== recorded.length) {
      throw new UsageError(`--replay ${replayPath} was run on 1 content and ${recorded.length - 1} style image${recorded.length === 2 ? '' : 's'}; got ${paths.length} file${paths.length === 1 ? '' : 's'}`);
    }
  }
  if (paths.length < 2) throw new UsageError('sweep needs <content> and at least one <style> image (or --replay FILE)');
  const [contentPath, ...stylePaths] = paths;

  let options: SweepOptions | undefined;
  if (!record) {
    const vary: SweepVary = {};
    const varies = (f.get('vary') as string[] | undefined) ?? [];
    for (const v of varies) parseVary(v, vary);
    const it = str(f, 'iterations');
    const iterations = it === undefined ? undefined : it.includes(',') ? numberList('iterations', it, true) : parseNumber('iterations', it, true);
    if (Object.keys(vary).length === 0 && !Array.isArray(iterations)) throw new UsageError('sweep needs --vary NAME=VALUES (e.g. --vary style-layers=single) or a list of --iterations');
    if (vary.iterations && Array.isArray(iterations)) throw new UsageError('give the iteration counts once: --iterations 100,500 or --vary iterations=100,500');
    checkSweepVary({ ...vary, ...(Array.isArray(iterations) ? { iterations } : {}) }, '--vary/--iterations');
    const { initPath, ...base } = stylizeOptionsFromFlags(f);
    if (initPath !== undefined) throw new UsageError('sweep: --init takes content, style or noise (an image file cannot be recorded for replay)');
    const pk = oneOf('preset-kind', str(f, 'preset-kind'), ['conv', 'relu'] as const);
    // The options every cell starts from, checked before any file is read (sweep() checks each cell again).
    resolveOptions({ ...base, iterations: typeof iterations === 'number' ? iterations : 1 }, stylePaths.length);
    options = { ...base, content: undefined as never, style: undefined as never, vary, ...(iterations !== undefined ? { iterations } : {}), ...(pk ? { presetKind: pk } : {}) };
  }
  await outputs.input('the content image', contentPath);
  for (const p of stylePaths) await outputs.input('the style image', p);
  const manifest = weightsManifest(f);
  if (manifest) await outputs.input('the --weights manifest', manifest);
  await outputs.check();
  const [content, ...styles] = await readInputs(ctx, [contentPath, ...stylePaths]);
  const style = styles.length === 1 ? styles[0] : styles;
  const model = await loadModel(ctx);
  const stylizer = await createStylizer({ model, maxPixels: inputLimits(f).maxPixels });
  const bar = ctx.progress('sweep');
  try {
    let perRun = 0;
    const onProgress = (p: { run: number; runs: number; label: string; iteration: number; iterations: number; loss: { total: number }; elapsedMs: number }) => {
      perRun = p.iterations;
      bar.update(p.run * perRun + p.iteration, p.runs * perRun, `run ${p.run + 1}/${p.runs} ${p.label}`);
      ctx.emit({ event: 'iteration', run: p.run, runs: p.runs, label: p.label, iteration: p.iteration, iterations: p.iterations, loss: p.loss, elapsedMs: Math.round(p.elapsedMs) });
    };
    ctx.emit({ event: 'start', command: 'sweep', content: contentPath, style: stylePaths, output: out, record: recordPath, backend: tf.getBackend(), weightsSha256: model.weightsSha256, version: VERSION });
    const result = record
      ? await replaySweep(record, { content, style, stylizer, onProgress, signal: ctx.signal })
      : await sweep({ ...options!, content, style, stylizer, onProgress, signal: ctx.signal });
    const sheet = renderContactSheet(result, { ...(record?.sheet ?? {}), ...sheetFlags });
    const rec: SweepRecord & { command?: string } = sheet.record;
    // Image paths relative to the record, so the record and images can move together.
    const relTo = dirname(resolve(recordPath));
    rec.inputs.content.path = relative(relTo, resolve(contentPath)) || basename(contentPath);
    rec.inputs.style.forEach((s, i) => (s.path = relative(relTo, resolve(stylePaths[i])) || basename(stylePaths[i])));
    rec.command = ['neural-style-tfjs', ...ctx.argv].map((a) => (/^[\w./:=,+-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
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
    stylizer.dispose();
    model.dispose();
  }
}

// ── features ────────────────────────────────────────────────────────────────────────────────────────────────

/** Puts a header line above an image. */
function withHeader(img: RgbaImage, text: string, scale = 1): RgbaImage {
  const h = 10 * scale + 4;
  const out = createImage(Math.max(img.width, 40), img.height + h, [255, 255, 255]);
  drawText(out, fitText(text, out.width - 4, scale), 2, 3, [24, 24, 24], scale);
  blit(out, img, 0, h);
  return out;
}

export async function runFeatures(ctx: Ctx): Promise<void> {
  const f = ctx.flags;
  const layer = str(f, 'layer');
  if (!layer) throw new UsageError('features needs --layer NAME, e.g. --layer conv3_1');
  const point = resolveLayer(layer, '--layer');
  const outputs = new OutputPlan();
  const outFlag = str(f, 'output');
  const gramFlag = str(f, 'gram');
  if (!outFlag && !gramFlag) throw new UsageError('features needs -o FILE (feature maps) and/or --gram FILE');
  const out = outFlag ? await outputs.output('-o', outFlag) : undefined;
  const gramOut = gramFlag ? await outputs.output('--gram', gramFlag) : undefined;
  backendFlag(f);
  const size = numFlag(f, 'size') ?? STYLIZE_DEFAULTS.size;
  const chText = str(f, 'channels');
  const channels = chText === undefined ? undefined : chText.includes(',') ? numberList('channels', chText, true) : parseNumber('channels', chText, true);
  if (typeof channels === 'number' && channels < 1) throw new UsageError(`--channels is ${channels}; give a count ≥ 1`);
  const wrongChannel = Array.isArray(channels) ? channels.find((c) => c < 0 || c >= point.channels) : undefined;
  if (wrongChannel !== undefined) throw new UsageError(`--channels names channel ${wrongChannel}, but ${point.name} has channels 0–${point.channels - 1}`);
  const sort = oneOf('sort', str(f, 'sort'), ['energy', 'index'] as const);
  const cmaps = ['gray', 'viridis', 'magma', 'inferno', 'coolwarm'] as const;
  const gramSort = oneOf('gram-sort', str(f, 'gram-sort'), ['index', 'energy'] as const);
  const colorMap = oneOf('colormap', str(f, 'colormap'), cmaps);
  const gramColorMap = oneOf('gram-colormap', str(f, 'gram-colormap'), cmaps);
  const pooling = oneOf('pooling', str(f, 'pooling'), ['max', 'avg'] as const);
  const label = f.get('label') !== false;
  await outputs.input('the image', ctx.positionals[0]);
  const manifest = weightsManifest(f);
  if (manifest) await outputs.input('the --weights manifest', manifest);
  await outputs.check();
  const [image] = await readInputs(ctx, ctx.positionals);
  const model = await loadModel(ctx);
  const made: tf.Tensor[] = [];
  try {
    const full = toImageTensor(image, ctx.positionals[0], { maxPixels: inputLimits(f).maxPixels });
    made.push(full);
    const [h, w] = fitSize(full.shape[1], full.shape[2], size);
    const small = resizeImage(full, h, w);
    made.push(small);
    const acts = await extractFeatures(model, small, [layer], { pooling });
    const act = acts[layer];
    made.push(act);
    throwIfAborted(ctx.signal);
    const [, ah, aw, ac] = act.shape;
    ctx.emit({ event: 'start', command: 'features', image: ctx.positionals[0], layer: point.name, shape: act.shape });
    let summary = '';
    if (out) {
      const scale = numFlag(f, 'scale') ?? Math.min(16, Math.max(1, Math.ceil(32 / Math.min(ah, aw))));
      const grid = await renderFeatureMaps(act, { channels, sort, columns: numFlag(f, 'columns'), scale, colorMap });
      const shown = Array.isArray(channels) ? 'chosen channels' : `the ${grid.channels.length} ${(sort ?? 'energy') === 'energy' ? 'most active' : 'first'} of ${ac} channels`;
      const img = label ? withHeader(grid, `${point.name} (${layer === point.name ? '' : `${layer}, `}${aw}x${ah}x${ac}): ${shown}`) : grid;
      await outputs.stageImage(out, img);
      summary += `wrote ${out} (${grid.rows}x${grid.columns} tiles of ${aw}x${ah})`;
      ctx.emit({ event: 'saved', path: out, kind: 'features', channels: grid.channels, energy: grid.energy, rows: grid.rows, columns: grid.columns, width: img.width, height: img.height });
    }
    if (gramOut) {
      const g = gramMatrix(act);
      made.push(g);
      const heat = await renderGram(g, { colorMap: gramColorMap, sort: gramSort });
      const img = label ? withHeader(heat, `${point.name} Gram ${ac}x${ac}${gramSort === 'energy' ? ', by energy' : ''}`) : heat;
      await outputs.stageImage(gramOut, img);
      summary += `${summary ? '; ' : 'wrote '}${gramOut} (Gram ${ac}x${ac}, range ${heat.min.toExponential(2)}…${heat.max.toExponential(2)})`;
      ctx.emit({ event: 'saved', path: gramOut, kind: 'gram', channels: ac, min: heat.min, max: heat.max, width: img.width, height: img.height });
    }
    await outputs.commit(ctx.signal);
    ctx.say(summary);
    ctx.emit({ event: 'done' });
  } finally {
    await outputs.discard();
    tf.dispose(made);
    model.dispose();
  }
}

// ── reconstruct ─────────────────────────────────────────────────────────────────────────────────────────────

export async function runReconstruct(ctx: Ctx): Promise<void> {
  const f = ctx.flags;
  const outputs = new OutputPlan();
  const out = await requiredOutput(outputs, f);
  backendFlag(f);
  const layer = str(f, 'layer');
  const layersText = str(f, 'layers');
  if ((layer === undefined) === (layersText === undefined)) throw new UsageError('reconstruct needs --layer NAME or --layers LIST (one of them)');
  if (layer !== undefined) resolveLayer(layer, '--layer');
  const layers = layersText !== undefined ? parseLayerSpec('layers', layersText) : undefined;
  const kind = oneOf('kind', str(f, 'kind') ?? 'content', ['content', 'style'] as const)!;
  const saveEvery = numFlag(f, 'save-every');
  const quality = numFlag(f, 'quality');
  const opts = {
    image: PIXEL as RgbaImage,
    kind,
    ...(layer !== undefined ? { layer } : { layers }),
    iterations: numFlag(f, 'iterations'),
    size: numFlag(f, 'size'),
    seed: numFlag(f, 'seed'),
    weight: numFlag(f, 'weight'),
    tvWeight: numFlag(f, 'tv-weight'),
    optimizer: oneOf('optimizer', str(f, 'optimizer'), ['lbfgs', 'adam'] as const),
    learningRate: numFlag(f, 'learning-rate'),
    pooling: oneOf('pooling', str(f, 'pooling'), ['max', 'avg'] as const),
    lossNormalization: oneOf('loss-normalization', str(f, 'loss-normalization'), ['mean', 'paper'] as const),
  };
  for (const k of Object.keys(opts) as (keyof typeof opts)[]) if (opts[k] === undefined) delete opts[k];
  // Every option checked before the image is read (a 1x1 stand-in for it).
  const stylizeOpts = reconstructionOptions(opts);
  if (saveEvery) stylizeOpts.previewEvery = saveEvery;
  const { content: _c, style: _s, ...runOpts } = stylizeOpts;
  void _c, void _s;
  const resolved = resolveOptions(runOpts);
  await outputs.input('the image', ctx.positionals[0]);
  const manifest = weightsManifest(f);
  if (manifest) await outputs.input('the --weights manifest', manifest);
  if (saveEvery) outputs.snapshots('--save-every', out, saveEvery, resolved.iterations[0]);
  await outputs.check();
  [opts.image] = await readInputs(ctx, ctx.positionals);
  noteQuality(ctx, quality, out);
  const model = await loadModel(ctx);
  const bar = ctx.progress(`reconstruct ${kind}`);
  ctx.emit({ event: 'start', command: 'reconstruct', image: ctx.positionals[0], kind, layers: layer ?? layers, output: out, iterations: resolved.iterations[0], size: resolved.size, backend: tf.getBackend() });
  const stylizer = await createStylizer({ model, cacheSize: 0, maxPixels: inputLimits(f).maxPixels });
  try {
    const result = await reconstruct({
      ...opts,
      stylizer,
      signal: ctx.signal,
      onIteration: iterationReporter(ctx, bar, async (info) => {
        if (saveEvery && info.preview && info.iteration % saveEvery === 0) {
          const p = OutputPlan.numbered(out, info.iteration);
          await outputs.writeImageNow(p, info.preview, quality);
          ctx.emit({ event: 'saved', path: p, iteration: info.iteration });
        }
      }),
    } as Parameters<typeof reconstruct>[0]);
    try {
      await outputs.stageImage(out, await result.toPixels(), quality);
      await outputs.commit(ctx.signal);
      bar.done();
      const last = result.history[result.history.length - 1];
      sayRunNotes(ctx, result);
      ctx.say(`wrote ${out} (${kind} reconstruction from ${layer ?? layersText}, ${result.width}x${result.height}, ${result.iterations} iterations, loss ${last?.loss.total.toExponential(3) ?? '?'}, ${fmtMs(result.timings.totalMs)})`);
      ctx.emit({ event: 'done', output: out, width: result.width, height: result.height, iterations: result.iterations, stopReason: result.stopReason, loss: last?.loss, timings: result.timings });
    } finally {
      result.dispose();
    }
  } finally {
    await outputs.discard();
    bar.done();
    stylizer.dispose();
    model.dispose();
  }
}

export function makeCtx(parsed: Parsed, argv: readonly string[], signal: AbortSignal): Ctx {
  const json = parsed.flags.get('json') === true;
  const quiet = parsed.flags.get('quiet') === true;
  return {
    flags: parsed.flags,
    positionals: parsed.positionals,
    signal,
    argv,
    emit: json ? (e) => void process.stdout.write(`${JSON.stringify(e)}\n`) : () => {},
    // With --json on a pipe, stderr stays quiet but for the final summary and errors.
    progress: (label) => (quiet || (json && !process.stderr.isTTY) ? silentProgress : createProgress(process.stderr, label)),
    say: quiet ? () => {} : (line) => void process.stderr.write(`${line}\n`),
  };
}

export const RUNNERS: Record<string, (ctx: Ctx) => Promise<void>> = {
  stylize: runStylize,
  sweep: runSweep,
  features: runFeatures,
  reconstruct: runReconstruct,
  study: runStudy,
};
