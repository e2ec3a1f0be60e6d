/**
 * One table of defaults (src/defaults.ts): option validation, the CLI's help and docs/defaults.md all read it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STYLIZE_DEFAULTS as D, STYLIZE_RANGES as R, defaultText } from '../src/defaults.js';
import { resolveOptions } from '../src/stylize/options.js';
import { STYLIZE } from '../src/cli/specs.js';
// @ts-expect-error — a plain .mjs script without types
import { renderDefaultsDoc } from '../scripts/defaults-doc.mjs';

describe('the defaults table', () => {
  it('is what resolveOptions fills in', () => {
    const r = resolveOptions({});
    expect(r.size).toBe(D.size);
    expect(r.styleLayers.map((l) => l.name)).toEqual([...D.styleLayers]);
    expect(r.contentLayers.map((l) => l.name)).toEqual([...D.contentLayers]);
    expect([r.contentWeight, r.styleWeight, r.tvWeight]).toEqual([D.contentWeight, D.styleWeight, D.tvWeight]);
    expect(r.lbfgs).toEqual({ historySize: D.lbfgs.historySize, lineSearch: D.lbfgs.lineSearch, maxEvaluations: undefined, initialStep: D.lbfgs.initialStep });
    expect(r.learningRate).toBe(D.learningRate.lbfgs);
    expect(resolveOptions({ optimizer: 'adam' }).learningRate).toBe(D.learningRate.adam);
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
    expect(flag('style-weight')).toBe(defaultText(D.styleWeight));
    expect(flag('lbfgs-history')).toBe(defaultText(D.lbfgs.historySize));
    expect(flag('learning-rate')).toBe('1 (lbfgs), 10 (adam)');
    expect(flag('iterations')).toBe(defaultText(D.iterations));
    expect(flag('scales')).toBe('auto');
  });

  it('docs/defaults.md is current (npm run docs:defaults)', () => {
    const doc = readFileSync(new URL('../docs/defaults.md', import.meta.url), 'utf8');
    expect(doc).toBe(renderDefaultsDoc(D, R));
  });
});
