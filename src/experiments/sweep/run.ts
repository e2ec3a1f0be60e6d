/**
 * Runs a sweep: every cell validated first, then one stylisation per row on one stylizer, the iteration columns
 * taken as snapshots; and replays a sweep from its record.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError, describe } from '../../errors.js';
import { now } from '../../util/checks.js';
import type { ImageInput } from '../../image/input.js';
import type { MaskInput } from '../../regions/mask.js';
import { createStylizer, type Stylizer } from '../../stylize/session.js';
import type { StylizeOptions } from '../../stylize/options.js';
import { VERSION } from '../../version.js';
import { applyAxis, buildAxes, settingsOf, sweepNetwork } from './axes.js';
import { inputInfo, maskInfo, recordMasks, restoreMasks } from './inputs.js';
import { SWEEP_ONLY, validateSweepRecord } from './record-validate.js';
import { OPTIONS } from '../../options/check.js';
import { optionRows } from '../../options/table.js';
import type { InputInfo, SweepAxis, SweepCell, SweepOptions, SweepRecord, SweepResult } from './types.js';

/** What a record keeps of the sweep's options: its own (vary, iterations, presetKind) and the recorded stylize() options. */
const RECORD_KEYS = new Set([...SWEEP_ONLY, ...optionRows('call').filter((r) => r.recorded && !r.name.includes('.')).map((r) => r.name)]);

/** The JSON-able part of the options (what a replay needs besides the images). */
function recordOptions(o: SweepOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (!RECORD_KEYS.has(k) || v === undefined) continue;
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
/** `SweepResult.at`: the cell at a row and column of `cells`, or INVALID_OPTION. */
export function cellAt(cells: readonly SweepCell[]): SweepResult['at'] {
  return (r, c) => {
    const cell = cells.find((x) => x.row === r && x.column === c);
    if (!cell) throw new StyleTransferError('INVALID_OPTION', `No tile at row ${r}, column ${c}.`);
    return cell;
  };
}

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
    const settings = counts.map((n) => settingsOf(opts, n, styleCount, sweepNetwork(options))); // validates every cell up front
    const label = idx.map((vi, ai) => other[ai].labels[vi]).join(', ') || 'run';
    return { idx, opts, settings, label };
  });

  const stylizer = given ?? (await createStylizer({ model, signal: options.signal }));
  const cells: SweepCell[] = [];
  try {
    const vgg = stylizer.model;
    const styles = (Array.isArray(style) ? style : [style]) as ImageInput[];
    // Masks are recorded by size and sha256, the options referring to them by index (a record holds no images).
    const masked = recordMasks(options);
    const inputs = {
      content: await inputInfo(content, 'content'),
      style: await Promise.all(styles.map((s, i) => inputInfo(s, `style[${i}]`))),
      ...(masked.masks.length ? { masks: await Promise.all(masked.masks.map((m, i) => maskInfo(m, `masks[${i}]`))) } : {}),
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
      network: vgg.architecture.name,
      seed: options.seed ?? 0,
      options: { ...recordOptions(options), ...masked.options },
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
      at: cellAt(cells),
      record,
      timings,
    };
  } finally {
    if (!given) stylizer.dispose();
  }
}

/**
 * Re-runs a sweep from its JSON record on the same images: `replaySweep(record, { content, style })`, and for a
 * sweep with regions or a content weight map, its masks in the order of `record.inputs.masks` (`masks`). Throws
 * INVALID_IMAGE when the images' or masks' pixels differ from those recorded (`checkInputs: false` to allow it).
 */
export async function replaySweep(
  record: SweepRecord,
  run: Pick<SweepOptions, 'content' | 'style' | 'stylizer' | 'model' | 'onProgress' | 'signal'> & { checkInputs?: boolean; init?: ImageInput; masks?: readonly MaskInput[] },
): Promise<SweepResult> {
  record = validateSweepRecord(record); // field by field: a record is often read from a file
  const { checkInputs = true, init, masks = [], ...rest } = run;
  const recorded = record.inputs.masks ?? [];
  if (masks.length !== recorded.length) throw new StyleTransferError('INVALID_OPTION', `This sweep was recorded with ${recorded.length} mask${recorded.length === 1 ? '' : 's'} (record.inputs.masks); got ${masks.length}. Pass them as \`masks\`, in the record's order.`, { field: 'masks' });
  if (checkInputs) {
    const styles = Array.isArray(run.style) ? run.style : [run.style];
    const pairs: [ImageInput, InputInfo | undefined, string][] = [[run.content, record.inputs.content, 'content'], ...styles.map((s, i): [ImageInput, InputInfo | undefined, string] => [s as ImageInput, record.inputs.style[i], `style[${i}]`])];
    const all: [ImageInput | MaskInput, InputInfo | undefined, string][] = [...pairs, ...masks.map((m, i): [MaskInput, InputInfo, string] => [m, recorded[i], `masks[${i}]`])];
    for (const [img, info, field] of all) {
      const now = field.startsWith('masks') ? await maskInfo(img as MaskInput, field) : await inputInfo(img as ImageInput, field);
      if (!info || now.sha256 !== info.sha256) {
        throw new StyleTransferError('INVALID_IMAGE', `${field} differs from the recorded one (${info ? `${info.width}x${info.height}, sha256 ${info.sha256.slice(0, 12)}…` : 'none recorded'}; got ${now.width}x${now.height}, sha256 ${now.sha256.slice(0, 12)}…).`, { field });
      }
    }
  }
  const network = (rest.stylizer?.model ?? rest.model)?.architecture.name ?? 'VGG-19';
  if ((record.network ?? 'VGG-19') !== network) {
    throw new StyleTransferError('INVALID_OPTION', `This sweep was made with ${record.network ?? 'VGG-19'} (weights sha256 ${record.weightsSha256.slice(0, 12)}…); replaying it with ${network} would not reproduce it. Pass a model of ${record.network ?? 'VGG-19'} (loadNetwork).`, { field: 'model' });
  }
  const options = { ...(record.options as unknown as SweepOptions), ...restoreMasks(OPTIONS, record.options, masks), ...rest } as SweepOptions;
  if (record.options.init === 'image') {
    if (!init) throw new StyleTransferError('INVALID_OPTION', 'This sweep started from an image (`init`); pass it as `init`.', { field: 'init' });
    options.init = init;
  }
  return sweep(options);
}

