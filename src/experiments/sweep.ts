/**
 * Experiment sweeps: a grid of stylisations that vary one or two settings, every result kept with its settings,
 * losses and timing, a contact sheet that lays the grid out as one labelled picture, and a JSON record that
 * holds everything needed to run it again.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError, describe } from '../errors.js';
import { toImageTensor, type ImageInput, type RgbaImage } from '../image.js';
import { CONV_LAYERS } from '../layers.js';
import type { Vgg19 } from '../model.js';
import type { Pooling } from '../network.js';
import { createStylizer, type Stylizer } from '../stylize/session.js';
import { resolveOptions, type LayerWeights, type LossBreakdown, type StylizeOptions, type StylizeRequest } from '../stylize/options.js';
import type { StopReason } from '../stylize/result.js';
import { VERSION } from '../version.js';
import { validateSweepRecord } from './record-validate.js';
import { sha256Hex } from '../weights/sha256.js';
import { blit, createImage, drawText, fitText, measureText, resizeRgba, wrapText, type Color } from './font.js';

/** Settings a sweep can vary. */
export type SweepParameter = 'styleLayers' | 'contentLayers' | 'weightRatio' | 'iterations' | 'pooling' | 'init';

/**
 * Style layer sets to compare: `'single'` (conv1_1, conv2_1 … conv5_1, one at a time), `'cumulative'` (conv1_1;
 * conv1_1+conv2_1; … conv1_1…conv5_1, as in Gatys et al. 2016 Fig. 3), `'all'` (each of the 16 conv layers alone),
 * or an explicit list of sets (each a layer name, a list of names, or a map name → weight).
 */
export type StyleLayerSets = 'single' | 'cumulative' | 'all' | readonly (string | LayerWeights)[];

/** What to vary: one or two keys. The first varies down the rows, the second across the columns (iterations always across). */
export interface SweepVary {
  styleLayers?: StyleLayerSets;
  /** Content layers to compare: each entry a layer name, a list, or a map name → weight. */
  contentLayers?: readonly (string | LayerWeights)[];
  /** Ratios α/β = contentWeight / styleWeight; `styleWeight` stays at its (base) value. */
  weightRatio?: readonly number[];
  /** Iteration counts, all taken from one run per cell row (as `snapshots`), never by re-running. */
  iterations?: readonly number[];
  pooling?: readonly Pooling[];
  init?: readonly ('content' | 'style' | 'noise')[];
}

/** Progress of a sweep, after every iteration of every run. */
export interface SweepProgress {
  /** 0-based index of the run and the number of runs. */
  run: number;
  runs: number;
  /** Label of the run's settings, e.g. `"conv3_1"`. */
  label: string;
  iteration: number;
  iterations: number;
  loss: LossBreakdown;
  /** Milliseconds since `sweep()` was called. */
  elapsedMs: number;
}

/** Options of {@link sweep}: the base {@link StylizeOptions} every cell starts from, plus what to vary. */
export interface SweepOptions extends Omit<StylizeRequest, 'iterations' | 'snapshots' | 'onIteration' | 'previewEvery' | 'taps' | 'model' | 'onQueue'> {
  /** What to vary (one or two settings). */
  vary: SweepVary;
  /** Iterations of every cell (a number), or a list = `vary.iterations`. Default 100. */
  iterations?: number | readonly number[];
  /** Layer kind the `'single'`/`'cumulative'`/`'all'` presets use: `'conv'` (before ReLU, default) or `'relu'`. */
  presetKind?: 'conv' | 'relu';
  /** A stylizer session to run on (its model and style cache are shared). Default: one made for the sweep. */
  stylizer?: Stylizer;
  /** A loaded model for the sweep's stylizer (ignored when `stylizer` is given). Default: loaded once. */
  model?: Vgg19;
  onProgress?: (p: SweepProgress) => void | Promise<void>;
}

/** One axis of the grid. */
export interface SweepAxis {
  parameter: SweepParameter;
  /** Human-readable value labels, e.g. `conv1_1..conv3_1`, `a/b=0.01`, `100 it`. */
  labels: string[];
  /** The values (JSON-able). */
  values: unknown[];
}

/** The JSON-able settings of one cell (the stylize() options it ran with, defaults filled in). */
export interface SweepSettings {
  size: number;
  styleScale: number;
  styleLayers: Record<string, number>;
  contentLayers: Record<string, number>;
  contentWeight: number;
  styleWeight: number;
  tvWeight: number;
  lossNormalization: string;
  pooling: Pooling;
  init: string;
  seed: number;
  optimizer: string;
  learningRate: number;
  iterations: number;
  lbfgs: { historySize: number; lineSearch: string };
  normalizeGradients: boolean;
  preserveColors: string | false;
  scales: number[];
  styleBlendWeights: number[];
}

/** One tile of the grid. */
export interface SweepCell {
  row: number;
  column: number;
  rowLabel: string;
  columnLabel: string;
  settings: SweepSettings;
  /** The image at `settings.iterations` (or where the run stopped, if earlier). */
  image: RgbaImage;
  /** Iterations actually done for this image (fewer than asked when the optimiser stopped early). */
  iterationsDone: number;
  loss: LossBreakdown;
  /** Milliseconds from the start of the run to this image (setup included). */
  elapsedMs: number;
  /** Milliseconds the whole run took (the run may have fed several tiles). */
  runMs: number;
  /** Median milliseconds per iteration of the run. */
  perIterationMs: number;
  stopReason: StopReason;
  /** Why the tile differs from what was asked, if it does. */
  note?: string;
}

/** Facts about an input image, to check a replay uses the same pixels. */
export interface InputInfo {
  width: number;
  height: number;
  /** sha256 of the RGB bytes (rounded 0–255, row-major). */
  sha256: string;
  /** Where it came from (set by the CLI). */
  path?: string;
}

/** Everything needed to reproduce a sweep; `JSON.stringify` it. */
export interface SweepRecord {
  format: 'neural-style-tfjs/sweep@1';
  library: { name: 'neural-style-tfjs'; version: string };
  created: string;
  backend: string;
  weightsSha256: string;
  seed: number;
  /** The sweep options without images and callbacks: `sweep({ ...record.options, content, style })` re-runs it. */
  options: Record<string, unknown>;
  inputs: { content: InputInfo; style: InputInfo[] };
  rows?: SweepAxis;
  columns: SweepAxis;
  cells: Omit<SweepCell, 'image'>[];
  timings: { totalMs: number; runs: number };
  /** Contact sheet options (set by {@link renderContactSheet}'s `record`). */
  sheet?: ContactSheetOptions;
}

/** What {@link sweep} resolves to. */
export interface SweepResult {
  /** The row axis (absent when only one setting varies: one row). */
  rows?: SweepAxis;
  columns: SweepAxis;
  /** Every tile, row-major. */
  cells: SweepCell[];
  /** The tile at (row, column). */
  at(row: number, column: number): SweepCell;
  record: SweepRecord;
  timings: { totalMs: number; runs: number };
}

const PARAMS: readonly SweepParameter[] = ['styleLayers', 'contentLayers', 'weightRatio', 'iterations', 'pooling', 'init'];

const num = (v: number): string => {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e5) return String(Number(v.toPrecision(3)));
  return v.toExponential(1).replace('e+', 'e');
};

/** A label for a layer set: `conv3_1`, `conv1_1..conv3_1` (a run of first layers), `a+b`, `relu1_1:1+relu2_1:0.5`. */
export function layerSetLabel(set: string | LayerWeights): string {
  if (typeof set === 'string') return set;
  if (Array.isArray(set)) {
    const names = set as readonly string[];
    if (names.length > 2) {
      const firsts = names.every((n, i) => new RegExp(`^(conv|relu)${i + 1}_1$`).test(n) && n.slice(0, 4) === names[0].slice(0, 4));
      if (firsts) return `${names[0]}..${names[names.length - 1]}`;
    }
    return names.join('+');
  }
  return Object.entries(set as Record<string, number>).map(([n, w]) => `${n}:${num(w)}`).join('+');
}

function presetSets(preset: string, kind: 'conv' | 'relu'): string[][] {
  const firsts = [1, 2, 3, 4, 5].map((b) => `${kind}${b}_1`);
  if (preset === 'single') return firsts.map((n) => [n]);
  if (preset === 'cumulative') return firsts.map((_, i) => firsts.slice(0, i + 1));
  if (preset === 'all') return CONV_LAYERS.map((n) => [kind === 'conv' ? n : n.replace('conv', 'relu')]);
  throw new StyleTransferError('INVALID_OPTION', `\`vary.styleLayers\` is ${JSON.stringify(preset)}; expected "single", "cumulative", "all" or a list of layer sets.`, { field: 'vary.styleLayers' });
}

/** Turns `vary` into axes (values + labels), validating them. */
function buildAxes(o: SweepOptions): SweepAxis[] {
  if (!o.vary || typeof o.vary !== 'object') {
    throw new StyleTransferError('INVALID_OPTION', '`vary` must name one or two settings to vary, e.g. { styleLayers: "single", iterations: [100, 500] }.', { field: 'vary' });
  }
  const vary: Record<string, unknown> = { ...o.vary };
  if (Array.isArray(o.iterations)) {
    if (vary.iterations !== undefined) throw new StyleTransferError('INVALID_OPTION', 'Give the iteration counts either as `iterations: [..]` or `vary.iterations`, not both.', { field: 'iterations' });
    vary.iterations = o.iterations;
  }
  const keys = Object.keys(vary).filter((k) => vary[k] !== undefined);
  for (const k of keys) {
    if (!PARAMS.includes(k as SweepParameter)) throw new StyleTransferError('INVALID_OPTION', `\`vary.${k}\` is not a setting a sweep can vary; use ${PARAMS.join(', ')}.`, { field: `vary.${k}` });
  }
  if (keys.length === 0 || keys.length > 2) {
    throw new StyleTransferError('INVALID_OPTION', `\`vary\` names ${keys.length} settings (${keys.join(', ') || 'none'}); a sweep varies one or two.`, { field: 'vary' });
  }
  // Iterations go across (columns), the other setting down.
  keys.sort((a, b) => (a === 'iterations' ? 1 : 0) - (b === 'iterations' ? 1 : 0));
  const kind = o.presetKind ?? 'conv';
  if (kind !== 'conv' && kind !== 'relu') throw new StyleTransferError('INVALID_OPTION', `\`presetKind\` is ${describe(kind)}; expected "conv" or "relu".`, { field: 'presetKind' });
  return keys.map((k): SweepAxis => {
    const v = vary[k];
    const field = `vary.${k}`;
    const list = (): unknown[] => {
      if (!Array.isArray(v) || v.length === 0) throw new StyleTransferError('INVALID_OPTION', `\`${field}\` is ${describe(v)}; expected a non-empty list.`, { field });
      if (v.length > 64) throw new StyleTransferError('INVALID_OPTION', `\`${field}\` has ${v.length} values; a sweep axis holds at most 64.`, { field });
      return [...v];
    };
    switch (k as SweepParameter) {
      case 'styleLayers': {
        const sets: (string | LayerWeights)[] = typeof v === 'string' ? presetSets(v, kind) : (list() as (string | LayerWeights)[]);
        const values = sets.map((s) => (typeof s === 'string' ? [s] : s));
        return { parameter: 'styleLayers', values, labels: sets.map(layerSetLabel) };
      }
      case 'contentLayers': {
        const sets = list() as (string | LayerWeights)[];
        return { parameter: 'contentLayers', values: sets.map((s) => (typeof s === 'string' ? [s] : s)), labels: sets.map(layerSetLabel) };
      }
      case 'weightRatio': {
        const r = list();
        r.forEach((x, i) => {
          if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) throw new StyleTransferError('INVALID_OPTION', `\`${field}[${i}]\` is ${describe(x)}; expected a ratio ≥ 0.`, { field });
        });
        return { parameter: 'weightRatio', values: r, labels: r.map((x) => `a/b=${num(x as number)}`) };
      }
      case 'iterations': {
        const r = list();
        r.forEach((x, i) => {
          if (typeof x !== 'number' || !Number.isInteger(x) || x < 1 || x > 100000) throw new StyleTransferError('INVALID_OPTION', `\`${field}[${i}]\` is ${describe(x)}; expected an integer 1–100000.`, { field });
        });
        if (new Set(r).size !== r.length) throw new StyleTransferError('INVALID_OPTION', `\`${field}\` repeats a count.`, { field });
        return { parameter: 'iterations', values: r, labels: r.map((x) => `${x} it`) };
      }
      case 'pooling': {
        const r = list();
        r.forEach((x) => {
          if (x !== 'max' && x !== 'avg') throw new StyleTransferError('INVALID_OPTION', `\`${field}\` holds ${describe(x)}; expected "max" or "avg".`, { field });
        });
        return { parameter: 'pooling', values: r, labels: r.map((x) => `${x} pool`) };
      }
      default: {
        const r = list();
        r.forEach((x) => {
          if (x !== 'content' && x !== 'style' && x !== 'noise') throw new StyleTransferError('INVALID_OPTION', `\`${field}\` holds ${describe(x)}; expected "content", "style" or "noise".`, { field });
        });
        return { parameter: 'init', values: r, labels: r.map((x) => `init ${x}`) };
      }
    }
  });
}

function applyAxis(opts: StylizeOptions, axis: SweepAxis, i: number): void {
  const v = axis.values[i];
  switch (axis.parameter) {
    case 'styleLayers':
      opts.styleLayers = v as LayerWeights;
      break;
    case 'contentLayers':
      opts.contentLayers = v as LayerWeights;
      break;
    case 'weightRatio':
      opts.contentWeight = (v as number) * (opts.styleWeight ?? 100);
      break;
    case 'pooling':
      opts.pooling = v as Pooling;
      break;
    case 'init':
      opts.init = v as 'content';
      break;
    case 'iterations':
      break;
  }
}

function settingsOf(opts: StylizeOptions, iterations: number, styleCount: number): SweepSettings {
  const r = resolveOptions(opts, styleCount);
  const layers = (ls: typeof r.styleLayers) => Object.fromEntries(ls.map((l) => [l.name, l.weight]));
  return {
    size: r.size,
    styleScale: r.styleScale,
    styleLayers: layers(r.styleLayers),
    contentLayers: layers(r.contentLayers),
    contentWeight: r.contentWeight,
    styleWeight: r.styleWeight,
    tvWeight: r.tvWeight,
    lossNormalization: r.lossNormalization,
    pooling: r.pooling,
    init: typeof r.init === 'string' ? r.init : 'image',
    seed: r.seed,
    optimizer: r.optimizer,
    learningRate: r.learningRate,
    iterations,
    lbfgs: { ...r.lbfgs },
    normalizeGradients: r.normalizeGradients,
    preserveColors: r.preserveColors,
    scales: r.scales,
    styleBlendWeights: r.blend,
  };
}

async function inputInfo(img: ImageInput, field: string): Promise<InputInfo> {
  const t = toImageTensor(img, field);
  try {
    const v = await t.data();
    const bytes = new Uint8Array(v.length);
    for (let i = 0; i < v.length; i++) bytes[i] = Math.max(0, Math.min(255, Math.round(v[i])));
    return { width: t.shape[2], height: t.shape[1], sha256: await sha256Hex(bytes) };
  } finally {
    t.dispose();
  }
}

/** The JSON-able part of the options (what a replay needs besides the images). */
function recordOptions(o: SweepOptions): Record<string, unknown> {
  const skip = new Set(['content', 'style', 'stylizer', 'model', 'onProgress', 'signal']);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (skip.has(k) || v === undefined) continue;
    if (k === 'init' && typeof v !== 'string') {
      out.init = 'image';
      continue;
    }
    out[k] = v;
  }
  return JSON.parse(JSON.stringify(out)) as Record<string, unknown>;
}

/**
 * Runs a grid of stylisations varying one or two settings, on one stylizer (so the model is loaded once and style
 * targets are reused where the layers allow). Iteration counts are taken from one run as snapshots. Every option
 * is validated for every cell before the first run starts.
 *
 * @example
 * ```ts
 * const result = await sweep({ content, style, size: 128, seed: 0,
 *   vary: { styleLayers: 'single' }, iterations: [50, 200] });      // 5 rows × 2 columns, 5 runs
 * const sheet = renderContactSheet(result);                          // one labelled RGBA image
 * await writeImage('sheet.png', sheet);
 * await writeFile('sheet.json', JSON.stringify(sheet.record, null, 2));
 * ```
 */
export async function sweep(options: SweepOptions): Promise<SweepResult> {
  const t0 = now();
  if (!options || typeof options !== 'object') throw new StyleTransferError('INVALID_OPTION', '`sweep()` takes an options object with content, style and vary.', { field: 'options' });
  const axes = buildAxes(options);
  const iterAxis = axes.find((a) => a.parameter === 'iterations');
  const other = axes.filter((a) => a.parameter !== 'iterations');
  const rows: SweepAxis | undefined = axes.length === 2 ? axes[0] : undefined;
  const columns = axes.length === 2 ? axes[1] : axes[0];
  const counts = iterAxis ? (iterAxis.values as number[]) : [typeof options.iterations === 'number' ? options.iterations : 100];
  const maxIter = Math.max(...counts);

  const { vary: _v, presetKind: _p, stylizer: given, model, onProgress, iterations: _i, content, style, ...base } = options;
  void _v, void _p, void _i;
  const styleCount = Array.isArray(style) ? style.length : 1;
  // One run per combination of the non-iteration settings.
  const combos: number[][] = other.length === 0 ? [[]] : other.length === 1 ? other[0].values.map((_, i) => [i]) : other[0].values.flatMap((_, i) => other[1].values.map((_, j) => [i, j]));
  const plans = combos.map((idx) => {
    const opts: StylizeOptions = { ...base } as StylizeOptions;
    idx.forEach((vi, ai) => applyAxis(opts, other[ai], vi));
    const nScales = (opts.scales ?? [1]).length;
    opts.iterations = Math.ceil(maxIter / nScales);
    const settings = counts.map((n) => settingsOf(opts, n, styleCount)); // validates every cell up front
    const label = idx.map((vi, ai) => other[ai].labels[vi]).join(', ') || 'run';
    return { idx, opts, settings, label };
  });

  const stylizer = given ?? (await createStylizer({ model, signal: options.signal }));
  const cells: SweepCell[] = [];
  try {
    const vgg = stylizer.model;
    const styles = (Array.isArray(style) ? style : [style]) as ImageInput[];
    const inputs = {
      content: await inputInfo(content, 'content'),
      style: await Promise.all(styles.map((s, i) => inputInfo(s, `style[${i}]`))),
    };
    // One style handle for every run: the Grams of each layer set are computed once per size.
    const handle = await stylizer.prepareStyle(styles, { pixelRange: options.pixelRange, signal: options.signal });
    try {
    for (let run = 0; run < plans.length; run++) {
      const plan = plans[run];
      const result = await stylizer.stylize(content, handle, {
        ...plan.opts,
        snapshots: counts,
        onIteration: onProgress
          ? (info) => onProgress({ run, runs: plans.length, label: plan.label, iteration: info.iteration, iterations: info.iterations, loss: info.loss, elapsedMs: now() - t0 })
          : undefined,
      });
      try {
        const finalImage = await result.toPixels();
        const last = result.history[result.history.length - 1];
        counts.forEach((n, ci) => {
          const snap = result.snapshots.find((s) => s.iteration === n);
          const cell: SweepCell = {
            row: 0,
            column: 0,
            rowLabel: '',
            columnLabel: '',
            settings: plan.settings[ci],
            image: snap?.image ?? finalImage,
            iterationsDone: snap ? n : result.iterations,
            loss: snap?.loss ?? last.loss,
            elapsedMs: snap?.elapsedMs ?? last.elapsedMs,
            runMs: result.timings.totalMs,
            perIterationMs: result.timings.perIterationMs,
            stopReason: snap ? 'completed' : result.stopReason,
          };
          if (!snap) cell.note = `stopped at iteration ${result.iterations} of ${n}${result.warnings.length ? `: ${result.warnings[result.warnings.length - 1]}` : ''}`;
          // Place the tile: the iteration axis (if any) or the other setting picks the column.
          const pos = (a: SweepAxis | undefined): number => {
            if (!a) return 0;
            if (a.parameter === 'iterations') return ci;
            return plan.idx[other.indexOf(a)];
          };
          cell.row = pos(rows);
          cell.column = pos(columns);
          cell.rowLabel = rows ? rows.labels[cell.row] : '';
          cell.columnLabel = columns.labels[cell.column];
          cells.push(cell);
        });
      } finally {
        result.dispose();
      }
    }
    } finally {
      handle.dispose();
    }
    cells.sort((a, b) => a.row - b.row || a.column - b.column);
    const timings = { totalMs: now() - t0, runs: plans.length };
    const record: SweepRecord = {
      format: 'neural-style-tfjs/sweep@1',
      library: { name: 'neural-style-tfjs', version: VERSION },
      created: new Date().toISOString(),
      backend: tf.getBackend(),
      weightsSha256: vgg.weightsSha256,
      seed: options.seed ?? 0,
      options: recordOptions(options),
      inputs,
      rows,
      columns,
      cells: cells.map(({ image: _img, ...rest }) => rest),
      timings,
    };
    return {
      rows,
      columns,
      cells,
      at: (r, c) => {
        const cell = cells.find((x) => x.row === r && x.column === c);
        if (!cell) throw new StyleTransferError('INVALID_OPTION', `No tile at row ${r}, column ${c}.`);
        return cell;
      },
      record,
      timings,
    };
  } finally {
    if (!given) stylizer.dispose();
  }
}

/**
 * Re-runs a sweep from its JSON record on the same images: `replaySweep(record, { content, style })`. Throws
 * INVALID_IMAGE when the images' pixels differ from those recorded (`checkInputs: false` to allow it).
 */
export async function replaySweep(
  record: SweepRecord,
  run: Pick<SweepOptions, 'content' | 'style' | 'stylizer' | 'model' | 'onProgress' | 'signal'> & { checkInputs?: boolean; init?: ImageInput },
): Promise<SweepResult> {
  record = validateSweepRecord(record); // field by field: a record is often read from a file
  const { checkInputs = true, init, ...rest } = run;
  if (checkInputs) {
    const styles = Array.isArray(run.style) ? run.style : [run.style];
    const pairs: [ImageInput, InputInfo | undefined, string][] = [[run.content, record.inputs.content, 'content'], ...styles.map((s, i): [ImageInput, InputInfo | undefined, string] => [s as ImageInput, record.inputs.style[i], `style[${i}]`])];
    for (const [img, info, field] of pairs) {
      const now = await inputInfo(img, field);
      if (!info || now.sha256 !== info.sha256) {
        throw new StyleTransferError('INVALID_IMAGE', `${field} differs from the recorded one (${info ? `${info.width}x${info.height}, sha256 ${info.sha256.slice(0, 12)}…` : 'none recorded'}; got ${now.width}x${now.height}, sha256 ${now.sha256.slice(0, 12)}…).`, { field });
      }
    }
  }
  const options = { ...(record.options as unknown as SweepOptions), ...rest } as SweepOptions;
  if (record.options.init === 'image') {
    if (!init) throw new StyleTransferError('INVALID_OPTION', 'This sweep started from an image (`init`); pass it as `init`.', { field: 'init' });
    options.init = init;
  }
  return sweep(options);
}

/** Options of {@link renderContactSheet}. */
export interface ContactSheetOptions {
  /** Scale tiles so their longest side is this many pixels. Default: the images' own size. */
  tileSize?: number;
  /** Pixels between tiles and around the sheet. Default 4. */
  gap?: number;
  /** Font pixel size multiplier (the font is 5×7). Default 1 for tiles under 160 px, else 2. */
  fontScale?: number;
  /** A title line on top; `false` for none. Default: what varies, size and seed. */
  title?: string | false;
  /** A caption under each tile with its loss and time. Default true. */
  captions?: boolean;
  /** Background colour. Default white. */
  background?: Color;
  /** Text colour. Default near-black. */
  color?: Color;
}

/** Where a tile sits on the sheet. */
export interface TilePlacement {
  row: number;
  column: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A rendered contact sheet: the RGBA picture, where each tile is, and the sweep's record with the sheet options. */
export interface ContactSheet extends RgbaImage {
  tiles: TilePlacement[];
  rows: number;
  columns: number;
  record: SweepRecord;
}

const AXIS_NAMES: Record<SweepParameter, string> = {
  styleLayers: 'style layers',
  contentLayers: 'content layer',
  weightRatio: 'content/style weight',
  iterations: 'iterations',
  pooling: 'pooling',
  init: 'init',
};

/** Title: what varies, then the settings every tile shares. */
function defaultTitle(result: SweepResult): string {
  const s = result.cells[0].settings;
  const varied = new Set([result.rows?.parameter, result.columns.parameter]);
  const what = result.rows ? `${AXIS_NAMES[result.rows.parameter]} (rows) x ${AXIS_NAMES[result.columns.parameter]} (columns).` : `${AXIS_NAMES[result.columns.parameter]}.`;
  const layers = (m: Record<string, number>) => layerSetLabel(Object.values(m).every((w) => w === Object.values(m)[0]) ? Object.keys(m) : m);
  const parts = [`${s.size}px`, `seed ${s.seed}`, s.optimizer];
  if (!varied.has('iterations')) parts.push(`${s.iterations} it`);
  if (!varied.has('styleLayers')) parts.push(`style ${layers(s.styleLayers)}`);
  if (!varied.has('contentLayers')) parts.push(`content ${layers(s.contentLayers)}`);
  if (!varied.has('weightRatio')) parts.push(`a/b=${num(s.contentWeight / (s.styleWeight || 1))}`);
  if (!varied.has('init')) parts.push(`init ${s.init}`);
  if (!varied.has('pooling') && s.pooling !== 'max') parts.push(`${s.pooling} pool`);
  return `${what} ${parts.join(', ')}`;
}

const compact = (v: number): string => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(1).replace('e+', 'e') : String(Number(v.toPrecision(3))));

/**
 * Lays a sweep out as one labelled RGBA image: a title, column headers on top, row headers on the left, and
 * under each tile its loss and time. Text is drawn with a built-in 5×7 bitmap font (no canvas needed).
 */
export function renderContactSheet(result: SweepResult, options: ContactSheetOptions = {}): ContactSheet {
  if (!result || !Array.isArray(result.cells) || result.cells.length === 0) {
    throw new StyleTransferError('INVALID_OPTION', '`renderContactSheet` takes the result of sweep().', { field: 'result' });
  }
  const nRows = result.rows ? result.rows.labels.length : 1;
  const nCols = result.columns.labels.length;
  const gap = options.gap ?? 4;
  const bg = options.background ?? [255, 255, 255];
  const ink = options.color ?? [24, 24, 24];
  const first = result.cells[0].image;
  let tw = Math.max(...result.cells.map((c) => c.image.width));
  let th = Math.max(...result.cells.map((c) => c.image.height));
  if (options.tileSize !== undefined) {
    const s = options.tileSize;
    if (!Number.isInteger(s) || s < 8 || s > 4096) throw new StyleTransferError('INVALID_OPTION', `\`tileSize\` is ${s}; expected an integer 8–4096.`, { field: 'tileSize' });
    const k = s / Math.max(first.width, first.height);
    tw = Math.max(1, Math.round(first.width * k));
    th = Math.max(1, Math.round(first.height * k));
  }
  const fs = options.fontScale ?? (Math.max(tw, th) >= 160 ? 2 : 1);
  if (!Number.isInteger(fs) || fs < 1 || fs > 8) throw new StyleTransferError('INVALID_OPTION', `\`fontScale\` is ${fs}; expected an integer 1–8.`, { field: 'fontScale' });
  const lineH = 10 * fs;
  const captions = options.captions ?? true;
  const rowHeaderW = result.rows ? Math.min(Math.max(...result.rows.labels.map((l) => measureText(l, fs).width)), 24 * 6 * fs) + 2 * gap : 0;
  const width = gap + rowHeaderW + nCols * (tw + gap);
  const titleLines = options.title === false ? [] : wrapText(options.title ?? defaultTitle(result), width - 2 * gap, fs);
  const titleH = titleLines.length ? titleLines.length * lineH + gap : 0;
  const colHeaderH = lineH;
  const captionH = captions ? lineH : 0;
  const cellW = tw + gap;
  const cellH = th + captionH + gap;
  const height = gap + titleH + colHeaderH + nRows * cellH;
  const img = createImage(width, height, bg);
  const ox = gap + rowHeaderW;
  const oy = gap + titleH + colHeaderH;
  titleLines.forEach((l, i) => drawText(img, l, gap, gap + i * lineH, ink, fs));
  const y = gap + titleH;
  result.columns.labels.forEach((l, c) => {
    const text = fitText(l, tw, fs);
    drawText(img, text, ox + c * cellW + Math.max(0, (tw - measureText(text, fs).width) >> 1), y, ink, fs);
  });
  if (result.rows) {
    result.rows.labels.forEach((l, r) => {
      const text = fitText(l, rowHeaderW - 2 * gap, fs);
      drawText(img, text, gap, oy + r * cellH + Math.max(0, (th - 8 * fs) >> 1), ink, fs);
    });
  }
  const tiles: TilePlacement[] = [];
  for (const cell of result.cells) {
    const src = cell.image.width === tw && cell.image.height === th ? cell.image : resizeRgba(cell.image, tw, th);
    const x = ox + cell.column * cellW;
    const yy = oy + cell.row * cellH;
    blit(img, src, x, yy);
    tiles.push({ row: cell.row, column: cell.column, x, y: yy, width: tw, height: th });
    if (captions) {
      // As many of these as fit: loss, time to this image, iterations actually done (when fewer than asked).
      const pieces = [`L=${compact(cell.loss.total)}`, `${(cell.elapsedMs / 1000).toFixed(1)}s`];
      if (cell.iterationsDone !== cell.settings.iterations) pieces.splice(1, 0, `@${cell.iterationsDone}`);
      let cap = pieces[0];
      for (const p of pieces.slice(1)) if (measureText(`${cap} ${p}`, fs).width <= tw) cap = `${cap} ${p}`;
      drawText(img, fitText(cap, tw, fs), x, yy + th + Math.max(1, fs), cell.note ? [180, 40, 40] : [90, 90, 90], fs);
    }
  }
  const sheetOptions: ContactSheetOptions = { tileSize: options.tileSize, gap, fontScale: fs, title: options.title, captions, background: options.background, color: options.color };
  const record: SweepRecord = { ...result.record, sheet: JSON.parse(JSON.stringify(sheetOptions)) as ContactSheetOptions };
  return { ...img, tiles, rows: nRows, columns: nCols, record };
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

