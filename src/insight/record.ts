/**
 * Reading a study record back (`study --replay`): the fields a replay uses are checked for type and range, so a
 * hand-edited or foreign file fails with a message naming the field, before anything runs.
 * @module
 */
import { resolveLayer } from '../core/layers.js';
import { VGG19, type NetworkArchitecture } from '../core/architecture.js';
import { Checker, isObject } from '../options/check.js';
import { rangeOf } from '../options/table.js';
import { resolveOptions, type StylizeOptions } from '../stylize/options.js';
import type { StudyOptions, StudyRecord } from './study.js';

/**
 * Checks a parsed study record's format, options and each pair's inputs, and returns it typed. The measurements
 * are not checked: a replay recomputes them.
 */
export function validateStudyRecord(v: unknown, source = 'study record', network: NetworkArchitecture = VGG19): StudyRecord {
  const c: Checker = new Checker(source);
  if (!isObject(v)) c.fail('(root)', v, 'an object');
  if (v.format !== 'neural-style-tfjs/study@1') c.fail('format', v.format, '"neural-style-tfjs/study@1" (a record written by "study")');
  if (v.network !== undefined && (typeof v.network !== 'string' || v.network === '')) c.fail('network', v.network, 'the name of the loss network that made it');
  const o = v.options;
  if (!isObject(o)) c.fail('options', o, 'an object');
  const opts = c.nested('options');
  opts.number('size', o.size, rangeOf('size'));
  opts.number('seed', o.seed, rangeOf('seed'));
  if (!Array.isArray(o.iterations) || o.iterations.length === 0 || o.iterations.length > 16) c.fail('options.iterations', o.iterations, 'a list of 1–16 iteration counts');
  (o.iterations as unknown[]).forEach((n, i) => opts.number(`iterations[${i}]`, n, rangeOf('iterations')));
  for (const f of ['styleLayers', 'contentLayers'] as const) {
    const list = o[f];
    if (!Array.isArray(list) || list.length > 64 || (f === 'styleLayers' && list.length === 0)) c.fail(`options.${f}`, list, 'a list of layer names');
    (list as unknown[]).forEach((n, i) => resolveLayer(String(n), `${source}: \`options.${f}[${i}]\``, network));
  }
  if (typeof o.cumulative !== 'boolean') c.fail('options.cumulative', o.cumulative, 'true or false');
  if (!isObject(o.stylize)) c.fail('options.stylize', o.stylize, 'an object of stylize() options');
  // The stylize() options every run shares: the option table's checks, naming `options.stylize.<field>`.
  resolveOptions({ ...(o.stylize as StylizeOptions), size: o.size as number, seed: o.seed as number, iterations: 1 }, 1, opts.nested('stylize'));
  if (!Array.isArray(v.pairs) || v.pairs.length === 0 || v.pairs.length > 16) c.fail('pairs', v.pairs, 'a list of 1–16 pairs');
  (v.pairs as unknown[]).forEach((p, i) => {
    if (!isObject(p)) c.fail(`pairs[${i}]`, p, 'an object');
    if (typeof p.name !== 'string') c.fail(`pairs[${i}].name`, p.name, 'a string');
    if (!isObject(p.inputs)) c.fail(`pairs[${i}].inputs`, p.inputs, 'an object { content, style }');
    for (const k of ['content', 'style'] as const) {
      const info = p.inputs[k];
      if (!isObject(info) || typeof info.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(info.sha256)) c.fail(`pairs[${i}].inputs.${k}.sha256`, isObject(info) ? info.sha256 : info, 'a sha256 in hex');
      if (info.path !== undefined && (typeof info.path !== 'string' || info.path === '')) c.fail(`pairs[${i}].inputs.${k}.path`, info.path, 'a file path');
    }
  });
  return v as unknown as StudyRecord;
}

/** The {@link StudyOptions} (without images) a record was made with. */
export function studyOptionsOf(record: StudyRecord): Omit<StudyOptions, 'pairs'> {
  const o = record.options;
  return { size: o.size, iterations: o.iterations, styleLayers: o.styleLayers, cumulative: o.cumulative, contentLayers: o.contentLayers, seed: o.seed, stylize: o.stylize as StudyOptions['stylize'] };
}
