/**
 * Reading a study record back (`study --replay`): the fields a replay uses are checked for type and range, so a
 * hand-edited or foreign file fails with a message naming the field, before anything runs.
 * @module
 */
import { StyleTransferError, describe } from '../errors.js';
import { resolveLayer } from '../core/layers.js';
import type { StudyOptions, StudyRecord } from './study.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function fail(source: string, field: string, got: unknown, expected: string): never {
  throw new StyleTransferError('INVALID_OPTION', `${source}: \`${field}\` is ${describe(got)}; expected ${expected}.`, { field, got, expected, source });
}

/**
 * Checks a parsed study record's format, options and each pair's inputs, and returns it typed. The measurements
 * are not checked: a replay recomputes them.
 */
export function validateStudyRecord(v: unknown, source = 'study record'): StudyRecord {
  if (!isObject(v)) fail(source, '(root)', v, 'an object');
  if (v.format !== 'neural-style-tfjs/study@1') fail(source, 'format', v.format, '"neural-style-tfjs/study@1" (a record written by "study")');
  const o = v.options;
  if (!isObject(o)) fail(source, 'options', o, 'an object');
  const int = (field: string, x: unknown, min: number, max: number) => {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) fail(source, `options.${field}`, x, `a whole number ${min}–${max}`);
  };
  int('size', o.size, 16, 4096);
  int('seed', o.seed, 0, 2 ** 32 - 1);
  if (!Array.isArray(o.iterations) || o.iterations.length === 0 || o.iterations.length > 16) fail(source, 'options.iterations', o.iterations, 'a list of 1–16 iteration counts');
  (o.iterations as unknown[]).forEach((n, i) => int(`iterations[${i}]`, n, 1, 100000));
  for (const f of ['styleLayers', 'contentLayers'] as const) {
    const list = o[f];
    if (!Array.isArray(list) || list.length > 64 || (f === 'styleLayers' && list.length === 0)) fail(source, `options.${f}`, list, 'a list of layer names');
    (list as unknown[]).forEach((n, i) => resolveLayer(String(n), `${source}: \`options.${f}[${i}]\``));
  }
  if (typeof o.cumulative !== 'boolean') fail(source, 'options.cumulative', o.cumulative, 'true or false');
  if (!isObject(o.stylize)) fail(source, 'options.stylize', o.stylize, 'an object of stylize() options');
  if (!Array.isArray(v.pairs) || v.pairs.length === 0 || v.pairs.length > 16) fail(source, 'pairs', v.pairs, 'a list of 1–16 pairs');
  (v.pairs as unknown[]).forEach((p, i) => {
    if (!isObject(p)) fail(source, `pairs[${i}]`, p, 'an object');
    if (typeof p.name !== 'string') fail(source, `pairs[${i}].name`, p.name, 'a string');
    if (!isObject(p.inputs)) fail(source, `pairs[${i}].inputs`, p.inputs, 'an object { content, style }');
    for (const k of ['content', 'style'] as const) {
      const info = p.inputs[k];
      if (!isObject(info) || typeof info.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(info.sha256)) fail(source, `pairs[${i}].inputs.${k}.sha256`, isObject(info) ? info.sha256 : info, 'a sha256 in hex');
      if (info.path !== undefined && (typeof info.path !== 'string' || info.path === '')) fail(source, `pairs[${i}].inputs.${k}.path`, info.path, 'a file path');
    }
  });
  return v as unknown as StudyRecord;
}

/** The {@link StudyOptions} (without images) a record was made with. */
export function studyOptionsOf(record: StudyRecord): Omit<StudyOptions, 'pairs'> {
  const o = record.options;
  return { size: o.size, iterations: o.iterations, styleLayers: o.styleLayers, cumulative: o.cumulative, contentLayers: o.contentLayers, seed: o.seed, stylize: o.stylize as StudyOptions['stylize'] };
}
