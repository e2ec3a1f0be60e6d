/**
 * Checks the region options of a call (`regions`, `regionMasks`, `uncovered`, `contentWeightMap`) against the
 * option table, synchronously: the masks themselves are read when the run starts (an image may need a read-back).
 * @module
 */
import { STYLIZE_DEFAULTS as D } from '../defaults.js';
import type { Checker } from '../options/check.js';
import { optionKeys, optionRow, rangeOf } from '../options/table.js';
import { isMask, type MaskInput } from './mask.js';
import type { MaskPropagation } from './propagate.js';
import type { RegionSettings, StyleRegion } from './types.js';

/** A region with its defaults filled in: styles as `{ style, mask?, weight }` with weights summing to 1. */
export interface ResolvedRegion {
  name: string;
  mask: MaskInput;
  styles: { style: number; mask?: MaskInput; weight: number }[];
  weight: number;
}

/** The regions of a call, resolved. */
export interface ResolvedRegions {
  regions: ResolvedRegion[];
  propagation: { mode: MaskPropagation; erode: number; threshold?: number };
  /** Where no region covers: no style (`'content'`), or the index of the style image that styles it. */
  uncovered: 'content' | number;
}

const isMaskLike = (v: unknown): boolean => isMask(v) || (typeof v === 'object' && v !== null);

function mask(check: Checker, field: string, v: unknown): MaskInput {
  if (!isMaskLike(v)) check.fail(field, v, 'a mask: an image (white = inside) or { data: Float32Array, width, height } with values in [0, 1]');
  return v as MaskInput;
}

function styleIndex(check: Checker, field: string, v: unknown, styleCount: number): number {
  return check.int(field, v, 0, styleCount - 1);
}

function resolveRegion(check: Checker, r: unknown, i: number, styleCount: number, blend: readonly number[]): ResolvedRegion {
  const field = `regions[${i}]`;
  const o = check.object(field, r, ['mask', 'styles', 'weight', 'name']) as StyleRegion & Record<string, unknown>;
  const name = o.name === undefined ? field : check.string(`${field}.name`, o.name);
  const styles =
    o.styles === undefined
      ? blend.map((weight, style) => ({ style, weight }))
      : check.list(`${field}.styles`, o.styles, 1, 64).map((s, k) => {
          const f = `${field}.styles[${k}]`;
          if (typeof s === 'number') return { style: styleIndex(check, f, s, styleCount), weight: 1 };
          const e = check.object(f, s, ['style', 'mask', 'weight']);
          return {
            style: styleIndex(check, `${f}.style`, e.style, styleCount),
            ...(e.mask !== undefined ? { mask: mask(check, `${f}.mask`, e.mask) } : {}),
            weight: e.weight === undefined ? 1 : check.weight(`${f}.weight`, e.weight),
          };
        });
  const sum = styles.reduce((a, s) => a + s.weight, 0);
  if (!(sum > 0)) check.fail(`${field}.styles`, o.styles, 'style weights with a positive sum');
  return {
    name,
    mask: mask(check, `${field}.mask`, o.mask),
    styles: styles.map((s) => ({ ...s, weight: s.weight / sum })),
    weight: o.weight === undefined ? 1 : check.weight(`${field}.weight`, o.weight),
  };
}

/** Checks `regions` and its settings; undefined when the call has no regions. */
export function resolveRegions(check: Checker, o: { regions?: readonly StyleRegion[] } & RegionSettings, styleCount: number, blend: readonly number[]): ResolvedRegions | undefined {
  const m = o.regionMasks === undefined ? {} : check.object('regionMasks', o.regionMasks, optionKeys('call', 'regionMasks'));
  const propagation = {
    mode: check.oneOf('regionMasks.mode', m.mode, optionRow('regionMasks.mode').choices as readonly MaskPropagation[], D.regionMasks.mode),
    erode: check.number('regionMasks.erode', m.erode, rangeOf('regionMasks.erode'), D.regionMasks.erode),
    ...(m.threshold !== undefined ? { threshold: check.number('regionMasks.threshold', m.threshold, rangeOf('regionMasks.threshold')) } : {}),
  };
  const uncovered = o.uncovered === undefined || o.uncovered === 'content' ? 'content' : styleIndex(check, 'uncovered', o.uncovered, styleCount);
  if (o.regions === undefined) {
    if (uncovered !== 'content') check.fail('uncovered', o.uncovered, '"content" without `regions` (a style for the rest needs regions)');
    return undefined;
  }
  const regions = check.list('regions', o.regions, 1, 32).map((r, i) => resolveRegion(check, r, i, styleCount, blend));
  return { regions, propagation, uncovered };
}

/** Checks `contentWeightMap` (a mask read when the run starts). */
export function resolveContentWeightMap(check: Checker, v: unknown): MaskInput | undefined {
  return v === undefined ? undefined : mask(check, 'contentWeightMap', v);
}
