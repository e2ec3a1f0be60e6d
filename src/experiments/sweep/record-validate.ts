/**
 * Validation of sweep records read back from JSON (`sweep --replay`, {@link replaySweep}): a record is a file
 * anyone can edit, so every field is checked for its type and range before anything runs, and a wrong one is a
 * StyleTransferError (INVALID_OPTION, or UNKNOWN_LAYER for a layer name) whose message and `details.field` name
 * the field, e.g. `options.vary.iterations[1]`.
 * @module
 */
import { STYLE_STATISTICS } from '../../core/style-statistics.js';
import { StyleTransferError, describe } from '../../errors.js';
import { resolveLayer } from '../../core/layers.js';
import { Checker, isObject } from '../../options/check.js';
import { optionRows, rangeOf } from '../../options/table.js';
import { resolveOptions, type StylizeOptions } from '../../stylize/options.js';
import type { Mask } from '../../regions/mask.js';
import { PARAMS } from './axes.js';
import { restoreMasks } from './inputs.js';
import type { SweepParameter, SweepRecord, SweepVary } from './types.js';

/** A sweep axis holds at most this many values (as sweep() enforces). */
const MAX_AXIS = 64;
const HEX64 = /^[0-9a-f]{64}$/;

type Obj = Record<string, unknown>;

/** Whole numbers 1–100000 without repeats: the iteration counts of a sweep axis. */
function iterationList(c: Checker, field: string, v: unknown): void {
  const l = c.list(field, v, 1, MAX_AXIS);
  const r = rangeOf('iterations');
  l.forEach((n, i) => c.number(`${field}[${i}]`, n, r));
  if (new Set(l).size !== l.length) c.fail(field, v, 'iteration counts without repeats');
}

/** A layer set: a name, a list of names, or a map name → weight ≥ 0. */
function layerSet(c: Checker, field: string, v: unknown): void {
  const names = typeof v === 'string' ? [v] : Array.isArray(v) ? v : isObject(v) ? Object.keys(v) : c.fail(field, v, 'a layer name, a list of names or a map name → weight');
  if (names.length === 0) c.fail(field, v, 'at least one layer');
  const where = (i: number) => `${c.source ? `${c.source}: ` : ''}\`${c.name(field)}${Array.isArray(v) ? `[${i}]` : ''}\``;
  names.forEach((n, i) => resolveLayer(n as string, where(i)));
  if (isObject(v)) for (const [n, w] of Object.entries(v)) c.weight(`${field}.${n}`, w);
}

/**
 * Checks what a sweep varies: one or two known settings (counting an `iterations` list given beside `vary`), each
 * with 1–64 values of the right kind. `field` names the object in messages (e.g. `options.vary`).
 */
export function checkSweepVary(vary: unknown, source: string, field = 'vary', iterationsList = false): SweepVary {
  const c = new Checker(source);
  const v = c.object(field, vary);
  const keys = Object.keys(v).filter((k) => v[k] !== undefined);
  for (const k of keys) if (!PARAMS.includes(k as SweepParameter)) c.fail(`${field}.${k}`, v[k], `no such setting (a sweep varies ${PARAMS.join(', ')})`);
  const n = keys.length + (iterationsList && !keys.includes('iterations') ? 1 : 0);
  if (n === 0 || n > 2) c.fail(field, vary, `one or two settings to vary (got ${n})`);
  if (iterationsList && keys.includes('iterations')) c.fail(`${field}.iterations`, v.iterations, 'nothing: the iteration counts are given as a list in `iterations` already');
  for (const k of keys as SweepParameter[]) {
    const f = `${field}.${k}`;
    const value = v[k];
    switch (k) {
      case 'styleLayers':
        if (typeof value === 'string') c.oneOf(f, value, ['single', 'cumulative', 'all']);
        else c.list(f, value, 1, MAX_AXIS).forEach((s, i) => layerSet(c, `${f}[${i}]`, s));
        break;
      case 'contentLayers':
        c.list(f, value, 1, MAX_AXIS).forEach((s, i) => layerSet(c, `${f}[${i}]`, s));
        break;
      case 'weightRatio':
        c.list(f, value, 1, MAX_AXIS).forEach((x, i) => {
          if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) c.fail(`${f}[${i}]`, x, 'a ratio ≥ 0');
        });
        break;
      case 'iterations':
        iterationList(c, f, value);
        break;
      case 'pooling':
        c.list(f, value, 1, MAX_AXIS).forEach((x, i) => c.oneOf(`${f}[${i}]`, x, ['max', 'avg']));
        break;
      case 'init':
        c.list(f, value, 1, MAX_AXIS).forEach((x, i) => c.oneOf(`${f}[${i}]`, x, ['content', 'style', 'noise']));
        break;
      case 'styleStatistic':
        c.list(f, value, 1, MAX_AXIS).forEach((x, i) => c.oneOf(`${f}[${i}]`, x, STYLE_STATISTICS));
        break;
    }
  }
  return v as SweepVary;
}

const SHEET_FIELDS = ['tileSize', 'gap', 'fontScale', 'title', 'captions', 'background', 'color'] as const;

function checkSheet(c: Checker, sheet: unknown): void {
  const s = c.object('sheet', sheet, SHEET_FIELDS);
  if (s.tileSize !== undefined) c.int('sheet.tileSize', s.tileSize, 8, 4096);
  if (s.gap !== undefined) c.int('sheet.gap', s.gap, 0, 256);
  if (s.fontScale !== undefined) c.int('sheet.fontScale', s.fontScale, 1, 8);
  if (s.title !== undefined && s.title !== false && typeof s.title !== 'string') c.fail('sheet.title', s.title, 'a string or false');
  if (s.captions !== undefined && typeof s.captions !== 'boolean') c.fail('sheet.captions', s.captions, 'true or false');
  for (const k of ['background', 'color'] as const) {
    if (s[k] === undefined) continue;
    const rgb = c.list(`sheet.${k}`, s[k], 3, 3);
    rgb.forEach((x, i) => c.int(`sheet.${k}[${i}]`, x, 0, 255));
  }
}

function checkInput(c: Checker, field: string, v: unknown): void {
  const info = c.object(field, v, ['width', 'height', 'sha256', 'path']);
  c.int(`${field}.width`, info.width, 1, 2 ** 31 - 1);
  c.int(`${field}.height`, info.height, 1, 2 ** 31 - 1);
  c.string(`${field}.sha256`, info.sha256, HEX64, '64 lowercase hex digits');
  if (info.path !== undefined) c.string(`${field}.path`, info.path, undefined, 'a file path');
}

function checkAxis(c: Checker, field: string, v: unknown): void {
  const axis = c.object(field, v, ['parameter', 'labels', 'values']);
  c.oneOf(`${field}.parameter`, axis.parameter, PARAMS);
  const labels = c.list(`${field}.labels`, axis.labels, 1, MAX_AXIS);
  labels.forEach((l, i) => c.string(`${field}.labels[${i}]`, l));
  c.list(`${field}.values`, axis.values, labels.length, labels.length);
}

/** Options of a record that are not stylize() options, and the stylize() options a record cannot hold. */
export const SWEEP_ONLY = ['vary', 'iterations', 'presetKind'];
/** Options a record holds with their masks as indexes into `inputs.masks`. */
const MASKED = ['regions', 'contentWeightMap'];
const NOT_RECORDED = ['content', 'style', 'model', 'stylizer', 'onProgress', ...optionRows('call').filter((r) => !r.recorded && !r.name.includes('.') && !MASKED.includes(r.name)).map((r) => r.name)];

/** A stand-in for each recorded mask while the options are checked. */
const STAND_IN: Mask = { data: new Float32Array(1), width: 1, height: 1 };

function checkOptions(c: Checker, options: unknown, styleCount: number, maskCount: number): void {
  const o = c.object('options', options);
  for (const k of NOT_RECORDED) if (o[k] !== undefined) c.fail(`options.${k}`, o[k], 'nothing (a record holds no images, callbacks or models)');
  const list = Array.isArray(o.iterations);
  if (list) iterationList(c, 'options.iterations', o.iterations);
  else if (o.iterations !== undefined) c.int('options.iterations', o.iterations, 1, 100000);
  checkSweepVary(o.vary, c.source ?? 'the sweep record', 'options.vary', list);
  if (o.presetKind !== undefined) c.oneOf('options.presetKind', o.presetKind, ['conv', 'relu']);
  // Every other option is a stylize() option: resolveOptions checks them.
  const base: Obj = Object.fromEntries(Object.entries(o).filter(([k]) => !SWEEP_ONLY.includes(k)));
  if (base.init === 'image') delete base.init; // the start image is passed to the replay, not recorded
  Object.assign(base, restoreMasks(c, o, Array.from({ length: maskCount }, () => STAND_IN)));
  resolveOptions(base as StylizeOptions, styleCount, c.nested('options'));
}

/**
 * Checks that `value` (parsed JSON) is a sweep record as {@link sweep} writes it, field by field, and returns it
 * typed. `source` names the record in messages (e.g. its file name). Throws INVALID_OPTION (UNKNOWN_LAYER for a
 * layer name) naming the first wrong field in the message and in `details.field`.
 */
export function validateSweepRecord(value: unknown, source = 'the sweep record'): SweepRecord {
  const c = new Checker(source);
  if (!isObject(value)) {
    throw new StyleTransferError('INVALID_OPTION', `${source} is not a sweep record: it is ${describe(value)}, not an object with "format": "neural-style-tfjs/sweep@1".`, { field: 'record' });
  }
  const r = value;
  if (r.format !== 'neural-style-tfjs/sweep@1') c.fail('format', r.format, '"neural-style-tfjs/sweep@1" (a record written by sweep)');
  const lib = c.object('library', r.library, ['name', 'version']);
  c.oneOf('library.name', lib.name, ['neural-style-tfjs']);
  c.string('library.version', lib.version);
  c.string('created', r.created);
  c.string('backend', r.backend);
  c.string('weightsSha256', r.weightsSha256, HEX64, '64 lowercase hex digits');
  if (r.network !== undefined) c.string('network', r.network);
  c.int('seed', r.seed, 0, 2 ** 32 - 1);
  const inputs = c.object('inputs', r.inputs, ['content', 'style', 'masks']);
  checkInput(c, 'inputs.content', inputs.content);
  const styles = c.list('inputs.style', inputs.style, 1, MAX_AXIS);
  styles.forEach((s, i) => checkInput(c, `inputs.style[${i}]`, s));
  const masks = inputs.masks === undefined ? [] : c.list('inputs.masks', inputs.masks, 1, 32 * 65);
  masks.forEach((m, i) => checkInput(c, `inputs.masks[${i}]`, m));
  checkOptions(c, r.options, styles.length, masks.length);
  if (r.rows !== undefined) checkAxis(c, 'rows', r.rows);
  checkAxis(c, 'columns', r.columns);
  const cells = c.list('cells', r.cells, 1, MAX_AXIS * MAX_AXIS);
  cells.forEach((cell, i) => {
    const o = c.object(`cells[${i}]`, cell);
    c.int(`cells[${i}].row`, o.row, 0, MAX_AXIS - 1);
    c.int(`cells[${i}].column`, o.column, 0, MAX_AXIS - 1);
  });
  const timings = c.object('timings', r.timings);
  if (typeof timings.totalMs !== 'number' || !(timings.totalMs >= 0)) c.fail('timings.totalMs', timings.totalMs, 'milliseconds ≥ 0');
  c.int('timings.runs', timings.runs, 0, MAX_AXIS * MAX_AXIS);
  if (r.sheet !== undefined) checkSheet(c, r.sheet);
  return r as unknown as SweepRecord;
}
