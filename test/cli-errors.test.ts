/**
 * The CLI's pieces that need no process: errors mapped by code and details (never by message text), the one
 * exit-code table, flag names from option fields, the size check that runs before the model loads, study progress
 * in runs, and the shared checks in src/util/checks.ts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { StyleTransferError, invalidOption, type StyleTransferErrorCode } from '../src/errors.js';
import { errorLine, exitCodeOf, EXIT_CODES } from '../src/cli/errors.js';
import { COMMON_FLAGS, STYLIZE_FLAGS, flagForField } from '../src/cli/flags.js';
import { COMMANDS, DOCS_URL, mainHelp, RECONSTRUCT, STYLIZE } from '../src/cli/specs.js';
import { checkSizeFits } from '../src/cli/size-check.js';
import { studyBar } from '../src/cli/commands/study.js';
import { resolveLayer } from '../src/core/layers.js';
import { resolveOptions } from '../src/stylize/options.js';
import { closest, now, throwIfAborted } from '../src/util/checks.js';
import { OPTIONS } from '../src/options/check.js';

const FLAGS = [...STYLIZE.flags, ...COMMON_FLAGS];
/** The error a function throws. */
const thrown = (f: () => unknown): StyleTransferError => {
  try {
    f();
  } catch (e) {
    return e as StyleTransferError;
  }
  throw new Error('nothing thrown');
};

describe('exit codes: one table', () => {
  it('every bad-weights code exits 2 (WEIGHTS_UNSAFE_FILE and WEIGHTS_TOO_LARGE too)', () => {
    const weights = Object.keys(EXIT_CODES).filter((c) => c.startsWith('WEIGHTS_'));
    expect(weights).toEqual(expect.arrayContaining(['WEIGHTS_UNSAFE_FILE', 'WEIGHTS_TOO_LARGE', 'WEIGHTS_MISSING', 'WEIGHTS_CHECKSUM']));
    for (const c of weights) expect(exitCodeOf(c), c).toBe(2);
  });

  it('lists every error code of errors.ts, and gives 1 for a code it does not know', () => {
    const source = readFileSync(new URL('../src/errors.ts', import.meta.url), 'utf8');
    const union = source.slice(source.indexOf('export type StyleTransferErrorCode'), source.indexOf('export class StyleTransferError'));
    const codes = [...union.matchAll(/\| '([A-Z0-9_]+)'/g)].map((m) => m[1]).sort();
    expect(Object.keys(EXIT_CODES).sort()).toEqual(codes);
    expect(exitCodeOf('ABORTED')).toBe(130);
    expect(exitCodeOf('INVALID_OPTION')).toBe(2);
    expect(exitCodeOf('DISPOSED' satisfies StyleTransferErrorCode)).toBe(1);
    expect(exitCodeOf('SOMETHING_NEW')).toBe(1);
    expect(exitCodeOf(undefined)).toBe(1);
  });
});

describe('errors named as flags, from details', () => {
  it('maps option fields to flags through the specs', () => {
    expect(flagForField('styleWeight', FLAGS)).toBe('--style-weight');
    expect(flagForField('lbfgs.historySize', FLAGS)).toBe('--lbfgs-history');
    expect(flagForField('lbfgs.lineSearch', FLAGS)).toBe('--line-search');
    expect(flagForField('styleBlendWeights[1]', FLAGS)).toBe('--style-blend-weights[1]');
    expect(flagForField('tile.size', FLAGS)).toBe('--tile.size');
    expect(flagForField('tile.halo', FLAGS)).toBe('--tile-halo');
    expect(flagForField('pixelRange', FLAGS)).toBeUndefined();
    // Every stylize flag names its option field, and no two flags of a command share one.
    for (const f of STYLIZE_FLAGS) expect(f.field, f.name).toBeTruthy();
    for (const c of COMMANDS) {
      const fields = c.flags.map((f) => f.field).filter(Boolean);
      expect(new Set(fields).size, c.name).toBe(fields.length);
    }
  });

  it('says `--flag is X; expected Y` from details.got and details.expected, whatever the message says', () => {
    const e = new StyleTransferError('INVALID_OPTION', 'any wording at all', { field: 'lbfgs.historySize', got: 0, expected: 'a whole number 1–100' });
    expect(errorLine(e, FLAGS)).toBe('--lbfgs-history is 0; expected a whole number 1–100.');
    const lib = thrown(() => resolveOptions({ styleWeight: -1 }));
    expect(lib.details).toMatchObject({ field: 'styleWeight', got: -1 });
    expect(errorLine(lib, FLAGS)).toMatch(/^--style-weight is -1; expected /);
  });

  it('without details.expected: the flag, then the library message as it is', () => {
    const e = new StyleTransferError('INVALID_OPTION', '`styleBlendWeights` has 2 entries but there is 1 style image.', { field: 'styleBlendWeights' });
    expect(errorLine(e, FLAGS)).toBe('--style-blend-weights: `styleBlendWeights` has 2 entries but there is 1 style image.');
  });

  it('keeps the message when no flag sets the field, or the field is a record file’s', () => {
    expect(errorLine(new StyleTransferError('INVALID_OPTION', 'Option `pixelRange` is 3.', { field: 'pixelRange', got: 3, expected: 'x' }), FLAGS)).toBe('Option `pixelRange` is 3.');
    const rec = new StyleTransferError('INVALID_OPTION', 'rec.json: `seed` is -1; expected a whole number.', { field: 'seed', got: -1, expected: 'a whole number', source: 'rec.json' });
    expect(errorLine(rec, FLAGS)).toBe('rec.json: `seed` is -1; expected a whole number.');
    expect(errorLine(new StyleTransferError('INVALID_IMAGE', 'x.png is broken.'), FLAGS)).toBe('x.png is broken.');
  });

  it('uses each command’s own flags (reconstruct: --weight)', () => {
    const e = new StyleTransferError('INVALID_OPTION', '…', { field: 'weight', got: -2, expected: 'a number ≥ 0' });
    expect(errorLine(e, [...RECONSTRUCT.flags, ...COMMON_FLAGS])).toBe('--weight is -2; expected a number ≥ 0.');
  });

  it('the CLI reads no error message with a regular expression', () => {
    for (const f of ['main.ts', 'errors.ts', 'run-io.ts']) {
      const src = readFileSync(new URL(`../src/cli/${f}`, import.meta.url), 'utf8');
      expect(src, f).not.toMatch(/message\.(replace|match)\(|\.exec\((e|err)\.message/);
    }
    const rv = readFileSync(new URL('../src/experiments/sweep/record-validate.ts', import.meta.url), 'utf8');
    expect(rv).not.toMatch(/message\.replace\(/);
  });
});

describe('impossible sizes, refused from the images’ sizes', () => {
  const conv5 = resolveLayer('conv5_1');
  it('names the smallest size that works for a 48x36 image and conv5_1 (16 px on each side)', () => {
    const e = thrown(() => checkSizeFits(16, { width: 48, height: 36 }, [], { deepest: conv5 }));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.details).toMatchObject({ field: 'size', got: 16, minimum: 21 });
    expect(errorLine(e, FLAGS)).toMatch(/^--size is 16; expected 21 or more for these images \(at 16, the 48x36 image becomes 16x12 px, and conv5_1 needs 16 px on each side\)\.$/);
    expect(() => checkSizeFits(21, { width: 48, height: 36 }, [], { deepest: conv5 })).not.toThrow();
  });

  it('checks style images at size·styleScale and every coarse-to-fine scale', () => {
    const e = thrown(() => checkSizeFits(64, { width: 64, height: 64 }, [{ width: 100, height: 20 }], { deepest: conv5, deepestStyle: conv5 }));
    expect(e.details?.minimum).toBe(78); // 100x20 at a longest side of 78: 78x16 (15.6 rounds up)
    expect(e.message).toMatch(/the 100x20 style image becomes 64x13 px/);
    const scaled = thrown(() => checkSizeFits(40, { width: 40, height: 40 }, [], { deepest: resolveLayer('pool5'), scalesAt: () => [0.5, 1] }));
    expect(scaled.message).toMatch(/at its 20 px scale, and pool5 needs 32 px/);
    expect(scaled.details?.minimum).toBe(63); // its half scale: round(31.5) = 32 px
  });

  it('with no size up to the maximum: use earlier layers', () => {
    const e = thrown(() => checkSizeFits(16, { width: 4096, height: 1 }, [], { deepest: conv5 }));
    expect(e.details?.minimum).toBeUndefined();
    expect(e.details?.expected).toMatch(/^layers from an earlier block/);
  });
});

describe('study progress counts runs', () => {
  it('shows runs done of runs, and the run, experiment and iteration as text', () => {
    const p = { run: 1, runs: 4, pair: 0, experiment: 'single' as const, label: 'conv3_1', iteration: 12, iterations: 80, cached: false };
    expect(studyBar(p)).toEqual([1, 4, 'run 2/4: single conv3_1 12/80']);
    expect(studyBar({ ...p, run: 3, cached: true })).toEqual([3, 4, 'run 4/4: single conv3_1 (kept)']);
  });
});

describe('help', () => {
  it('points to the README’s URL (package.json homepage), not to a file the package does not ship', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { homepage: string; files: string[] };
    expect(DOCS_URL).toBe(pkg.homepage);
    const help = mainHelp('1.0.0');
    expect(help).toContain(pkg.homepage);
    expect(help).not.toContain('docs/cli.md');
    expect(help).toMatch(/stylize[\s\S]*sweep[\s\S]*features[\s\S]*reconstruct[\s\S]*study/);
  });
});

describe('util/checks', () => {
  it('unknown keys: INVALID_OPTION with field, expected, got, and a suggestion for a typo (Checker.knownKeys)', () => {
    const e = thrown(() => OPTIONS.nested('lbfgs').knownKeys({ historySize: 5, lineSerch: 'none' }, ['historySize', 'lineSearch'], 'in `lbfgs`'));
    expect(e.code).toBe('INVALID_OPTION');
    expect(e.details).toEqual({ field: 'lbfgs.lineSerch', got: 'none', expected: 'one of historySize, lineSearch' });
    expect(e.message).toBe('Unknown option `lbfgs.lineSerch` in `lbfgs` (did you mean `lbfgs.lineSearch`?). Known: historySize, lineSearch.');
    expect(() => OPTIONS.knownKeys({ a: 1 }, new Set(['a', 'b']), 'for f()')).not.toThrow();
    expect(thrown(() => OPTIONS.knownKeys({ zzz: 1 }, ['a'], 'for f()')).message).toBe('Unknown option `zzz` for f(). Known: a.');
  });

  it('throwIfAborted throws ABORTED with the reason; now() is monotonic', () => {
    const c = new AbortController();
    expect(() => throwIfAborted(c.signal, 'The run')).not.toThrow();
    expect(() => throwIfAborted(undefined, 'The run')).not.toThrow();
    c.abort(new Error('stop'));
    const e = thrown(() => throwIfAborted(c.signal, 'The run'));
    expect([e.code, e.message]).toEqual(['ABORTED', 'The run was aborted (stop).']);
    const a = now();
    expect(now()).toBeGreaterThanOrEqual(a);
    expect(closest('iteratons', ['iterations', 'size'])).toBe('iterations');
    expect(closest('xyz', ['iterations'])).toBeUndefined();
  });

  it('invalidOption carries expected in details', () => {
    expect(thrown(() => invalidOption('size', 0, 'a whole number 16–4096')).details).toEqual({ field: 'size', got: 0, expected: 'a whole number 16–4096' });
  });
});
