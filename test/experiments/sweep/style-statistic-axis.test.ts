/**
 * The sweep axis `styleStatistic` (no model needed): `--vary style-statistic=…` parses into it, `buildAxes` labels
 * it and refuses an unknown statistic, `applyAxis` sets the option, records store the statistic and a replayed
 * record's `vary` is checked.
 */
import { describe, expect, it } from 'vitest';
import { parseVary } from '../../../src/cli/commands/sweep.js';
import { applyAxis, buildAxes, settingsOf } from '../../../src/experiments/sweep/axes.js';
import { checkSweepVary } from '../../../src/experiments/sweep/record-validate.js';
import type { SweepVary } from '../../../src/experiments/sweep/types.js';
import type { StylizeOptions } from '../../../src/stylize/options.js';

describe('the styleStatistic sweep axis', () => {
  it('parses, labels, applies and records', () => {
    const vary: SweepVary = {};
    parseVary('style-statistic=gram, mean-std,sliced-wasserstein', vary);
    expect(vary.styleStatistic).toEqual(['gram', 'mean-std', 'sliced-wasserstein']);
    expect(() => parseVary('style-statistic=gram,moments', {})).toThrow(/moments/);
    const [axis] = buildAxes({ vary } as Parameters<typeof buildAxes>[0]);
    expect(axis).toMatchObject({ parameter: 'styleStatistic', labels: ['gram', 'mean-std', 'sliced-wasserstein'] });
    const opts: StylizeOptions = {};
    applyAxis(opts, axis, 1);
    expect(opts.styleStatistic).toBe('mean-std');
    expect(settingsOf(opts, 10, 1).styleStatistic).toBe('mean-std');
    expect(settingsOf({}, 10, 1).styleStatistic).toBe('gram');
    expect(() => buildAxes({ vary: { styleStatistic: ['moments'] } } as unknown as Parameters<typeof buildAxes>[0])).toThrow(/expected one of gram, shifted-gram/);
    expect(checkSweepVary({ styleStatistic: ['covariance'] }, 'sheet.json').styleStatistic).toEqual(['covariance']);
    expect(() => checkSweepVary({ styleStatistic: ['moments'] }, 'sheet.json')).toThrow(/styleStatistic\[0\]/);
  });
});
