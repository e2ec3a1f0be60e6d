/**
 * The option table (src/options/table.ts) and the values it reads (src/defaults.ts): option validation, the CLI's
 * flags and help, sweep records and docs/defaults.md all come from it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STYLIZE_DEFAULTS as D, defaultText } from '../../src/defaults.js';
import { OPTION_TABLE, STYLIZE_RANGES as R, optionRows, type OptionNames, type RecordedOption } from '../../src/options/table.js';
import { resolveOptions, type StylizeOptions } from '../../src/stylize/options.js';
import { resolveConfig, type StylizerConfig } from '../../src/stylize/config.js';
import { settingsOf } from '../../src/experiments/sweep/axes.js';
import type { SweepSettings } from '../../src/experiments/sweep/types.js';
import { STYLIZE } from '../../src/cli/specs.js';
import { STYLIZE_FLAGS, flagForField } from '../../src/cli/flags.js';
import { stylizeOptionsFromFlags } from '../../src/cli/stylize-options.js';
import { StyleTransferError } from '../../src/errors.js';
// @ts-expect-error — a plain .mjs script without types
import { renderDefaultsDoc } from '../../scripts/defaults-doc.mjs';

// Type-level: `npm run typecheck` fails here when the table and the option types disagree.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const rowsMatchTypes: [Same<OptionNames<'call'>, keyof StylizeOptions>, Same<OptionNames<'session'>, keyof StylizerConfig>, Same<RecordedOption | 'iterations', keyof SweepSettings>] = [true, true, true];

describe('the option table', () => {
  it('has a row for every option of the types (checked by the compiler) and one row per name and scope', () => {
    expect(rowsMatchTypes).toEqual([true, true, true]);
    const keys = OPTION_TABLE.map((r) => `${r.scope}:${r.name}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('gives every default a value its own validation accepts', () => {
    for (const r of optionRows('call')) {
      if (r.default === undefined || r.name.includes('.') || typeof r.default === 'object') continue;
      expect(() => resolveOptions({ [r.name]: r.default } as StylizeOptions), r.name).not.toThrow();
    }
    for (const r of optionRows('session')) if (r.default !== undefined) expect(() => resolveConfig({ [r.name]: r.default } as StylizerConfig), r.name).not.toThrow();
  });

  it('refuses values outside each range with details { field, expected, got }', () => {
    for (const [name, range] of Object.entries(R)) {
      if (name.includes('.') || name === 'snapshots' || name === 'scales') continue;
      const bad = range.max + (range.integer ? 1 : range.max);
      try {
        resolveOptions({ [name]: bad } as StylizeOptions);
        expect.unreachable(name);
      } catch (e) {
        expect(e, name).toBeInstanceOf(StyleTransferError);
        expect((e as StyleTransferError).details, name).toMatchObject({ field: name, got: bad, expected: expect.stringContaining(String(range.min)) });
      }
    }
  });

  it('refuses an AbortSignal look-alike', () => {
    expect(() => resolveOptions({ signal: { aborted: false } as AbortSignal })).toThrow(/signal.*expected an AbortSignal/);
    expect(() => resolveConfig({ signal: { aborted: false } as AbortSignal })).toThrow(/signal.*expected an AbortSignal/);
    expect(() => resolveOptions({ signal: new AbortController().signal })).not.toThrow();
  });

  it('records every recorded option in a sweep cell (precondition included)', () => {
    const s = settingsOf({ precondition: 'none', optimizer: 'lbfgs' }, 10, 1);
    for (const r of optionRows('call')) if (r.recorded && !r.name.includes('.')) expect(s, r.name).toHaveProperty(r.name);
    expect(s.precondition).toBe('none');
    expect(settingsOf({}, 10, 1).precondition).toEqual({ levels: 0, decay: D.pyramidDecay });
  });

  it("derives the CLI's flags, their reading and the flag an error names", () => {
    const flags = OPTION_TABLE.filter((r) => r.scope === 'call' && 'cli' in r && r.name !== 'iterations' && r.name !== 'temporalWeight').map((r) => ('cli' in r ? r.cli.flag : ''));
    expect(STYLIZE_FLAGS.map((f) => f.name)).toEqual(flags);
    const f = new Map<string, string | number | boolean>([['lbfgs-history', 20], ['line-search', 'none'], ['style-layers', 'relu1_1:1,relu2_1:0.5'], ['preserve-colors', true], ['init', 'start.png'], ['scales', '0.5,1'], ['tile', '256'], ['tile-halo', '32'], ['precondition', 'none']]);
    expect(stylizeOptionsFromFlags(f)).toEqual({ lbfgs: { historySize: 20, lineSearch: 'none' }, styleLayers: { relu1_1: 1, relu2_1: 0.5 }, preserveColors: 'luminance', initPath: 'start.png', scales: [0.5, 1], tile: { size: 256, halo: 32 }, precondition: 'none' });
    expect(flagForField('lbfgs.historySize', STYLIZE_FLAGS)).toBe('--lbfgs-history');
    expect(flagForField('scales[2]', STYLIZE_FLAGS)).toBe('--scales[2]');
    expect(flagForField('styleLayers.relu1_1', STYLIZE_FLAGS)).toBe('--style-layers.relu1_1');
    expect(flagForField('memoryBudget', STYLIZE_FLAGS)).toBeUndefined();
  });

  it('is what resolveOptions fills in', () => {
    const r = resolveOptions({});
    expect(r.size).toBe(D.size);
    expect(r.styleLayers.map((l) => l.name)).toEqual([...D.styleLayers]);
    expect(r.contentLayers.map((l) => l.name)).toEqual([...D.contentLayers]);
    expect([r.contentWeight, r.styleWeight, r.tvWeight]).toEqual([D.contentWeight, D.styleWeight, D.tvWeight]);
    expect(r.lbfgs).toEqual({ historySize: D.lbfgs.historySize, lineSearch: D.lbfgs.lineSearch, maxEvaluations: undefined, initialStep: D.lbfgs.initialStep });
    expect(r.learningRate).toBe(D.learningRate.lbfgs);
    expect(resolveOptions({ optimizer: 'adam' }).learningRate).toBe(D.learningRate.adam);
    // styleWeight's default depends on normalizeGradients (true only); a given weight is kept.
    expect(resolveOptions({ normalizeGradients: true }).styleWeight).toBe(D.styleWeightNormalized);
    expect(resolveOptions({ normalizeGradients: true, styleWeight: 100 }).styleWeight).toBe(100);
    expect(resolveOptions({ normalizeGradients: 'per-evaluation', optimizer: 'adam' }).styleWeight).toBe(D.styleWeight);
    expect(r.iterations).toEqual([D.iterations]);
    expect(r.precondition).toEqual({ levels: 0, decay: D.pyramidDecay });
    expect(resolveOptions({ optimizer: 'adam' }).precondition).toBeUndefined();
  });

  it('runs sizes above coarseToFine.above coarse-to-fine unless scales are given', () => {
    const at = (o: Parameters<typeof resolveOptions>[0]) => {
      const r = resolveOptions(o);
      return [r.scales, r.iterations];
    };
    expect(at({ size: D.coarseToFine.above })).toEqual([[1], [100]]);
    expect(at({ size: 2048 })).toEqual([[0.25, 0.5, 1], [100, 18, 3]]);
    expect(at({ size: 1536, iterations: 40 })).toEqual([[0.5, 1], [40, 7]]);
    expect(at({ size: 4096, iterations: 10 })).toEqual([[0.125, 0.25, 0.5, 1], [10, 2, 1, 1]]);
    // Given scales get the count each; an iterations list without scales sets how many, halving from 1.
    expect(at({ size: 2048, scales: [1], iterations: 5 })).toEqual([[1], [5]]);
    expect(at({ size: 2048, scales: [0.5, 1], iterations: 5 })).toEqual([[0.5, 1], [5, 5]]);
    expect(at({ size: 256, iterations: [100, 20] })).toEqual([[0.5, 1], [100, 20]]);
    expect(() => resolveOptions({ scales: 0.5 as never })).toThrow(/scales/);
  });

  it('bounds what resolveOptions accepts', () => {
    expect(resolveOptions({ size: R.size.max }).size).toBe(R.size.max);
    expect(() => resolveOptions({ size: R.size.max + 1 })).toThrow(/size/);
    expect(() => resolveOptions({ lbfgs: { historySize: R['lbfgs.historySize'].max + 1 } })).toThrow(/historySize/);
  });

  it("is what the CLI's help prints", () => {
    const flag = (name: string) => STYLIZE.flags.find((f) => f.name === name)?.default;
    expect(flag('size')).toBe(defaultText(D.size));
    expect(flag('style-layers')).toBe(defaultText(D.styleLayers));
    expect(flag('style-weight')).toBe(`${D.styleWeight}; ${D.styleWeightNormalized} with normalizeGradients: true`);
    expect(flag('lbfgs-history')).toBe(defaultText(D.lbfgs.historySize));
    expect(flag('learning-rate')).toBe('1 (lbfgs), 10 (adam)');
    expect(flag('precondition')).toBe('pyramid (lbfgs), none (adam)');
    expect(flag('iterations')).toBe(defaultText(D.iterations));
    expect(flag('scales')).toBe('auto');
  });

  it('docs/defaults.md is current (npm run docs:defaults)', () => {
    const doc = readFileSync(new URL('../../docs/defaults.md', import.meta.url), 'utf8');
    expect(doc).toBe(renderDefaultsDoc(OPTION_TABLE));
  });
});
