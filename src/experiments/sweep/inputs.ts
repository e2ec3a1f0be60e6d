/**
 * A sweep's inputs in its record: each image's and each mask's size and sha256 (so a replay can check it has the
 * same pixels), and the region options with their masks replaced by indexes into `inputs.masks` (a record holds
 * no images; a replay is given the masks again, in that order).
 * @module
 */
import { toImageTensor, type ImageInput } from '../../image/input.js';
import type { Checker } from '../../options/check.js';
import { isMask, type MaskInput } from '../../regions/mask.js';
import type { RegionStyle, StyleRegion } from '../../regions/types.js';
import { sha256Hex } from '../../weights/sha256.js';
import type { InputInfo, SweepOptions } from './types.js';

/** Size and sha256 of an image's RGB bytes (rounded 0–255, row-major). */
export async function inputInfo(img: ImageInput, field: string): Promise<InputInfo> {
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

/** A mask's size and sha256: of its RGB bytes for an image, of its float32 bytes for a `{ data, width, height }` mask. */
export async function maskInfo(m: MaskInput, field: string): Promise<InputInfo> {
  if (!isMask(m)) return inputInfo(m, field);
  return { width: m.width, height: m.height, sha256: await sha256Hex(new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength)) };
}

/** A region as a record holds it: each mask an index into `inputs.masks`. */
export interface RecordedRegion {
  mask: number;
  styles?: (number | { style: number; mask?: number; weight?: number })[];
  weight?: number;
  name?: string;
}

/**
 * The masks of a sweep's options in record order — each region's mask, then its styles' masks, region by region,
 * then `contentWeightMap` — and the options that refer to them by index.
 */
export function recordMasks(o: Pick<SweepOptions, 'regions' | 'contentWeightMap'>): { masks: MaskInput[]; options: { regions?: RecordedRegion[]; contentWeightMap?: number } } {
  const masks: MaskInput[] = [];
  const add = (m: MaskInput): number => masks.push(m) - 1;
  const options: { regions?: RecordedRegion[]; contentWeightMap?: number } = {};
  if (o.regions) {
    options.regions = o.regions.map((r) => ({
      mask: add(r.mask),
      ...(r.styles ? { styles: r.styles.map((s) => (typeof s === 'number' ? s : { style: s.style, ...(s.mask !== undefined ? { mask: add(s.mask) } : {}), ...(s.weight !== undefined ? { weight: s.weight } : {}) })) } : {}),
      ...(r.weight !== undefined ? { weight: r.weight } : {}),
      ...(r.name !== undefined ? { name: r.name } : {}),
    }));
  }
  if (o.contentWeightMap !== undefined) options.contentWeightMap = add(o.contentWeightMap);
  return { masks, options };
}

/**
 * A record's `regions` and `contentWeightMap` with each mask index replaced by `masks[index]` (the shapes and
 * index ranges checked by `c`, naming the field; the rest is checked by the option validation). Returns the
 * options to merge.
 */
export function restoreMasks(c: Checker, o: Record<string, unknown>, masks: readonly MaskInput[]): { regions?: StyleRegion[]; contentWeightMap?: MaskInput } {
  const at = (field: string, v: unknown): MaskInput => masks[c.int(field, v, 0, Math.max(0, masks.length - 1))];
  if (masks.length === 0 && (o.regions !== undefined || o.contentWeightMap !== undefined)) c.fail('inputs.masks', undefined, 'the masks the options refer to');
  const out: { regions?: StyleRegion[]; contentWeightMap?: MaskInput } = {};
  if (o.regions !== undefined) {
    out.regions = c.list('options.regions', o.regions, 1, 32).map((r, i) => {
      const f = `options.regions[${i}]`;
      const region = c.object(f, r, ['mask', 'styles', 'weight', 'name']);
      const styles =
        region.styles === undefined
          ? undefined
          : c.list(`${f}.styles`, region.styles, 1, 64).map((s, k): number | RegionStyle => {
              if (typeof s === 'number') return s;
              const e = c.object(`${f}.styles[${k}]`, s, ['style', 'mask', 'weight']);
              return { ...(e as unknown as RegionStyle), ...(e.mask !== undefined ? { mask: at(`${f}.styles[${k}].mask`, e.mask) } : {}) };
            });
      return { ...(region as unknown as StyleRegion), mask: at(`${f}.mask`, region.mask), ...(styles ? { styles } : {}) };
    });
  }
  if (o.contentWeightMap !== undefined) out.contentWeightMap = at('options.contentWeightMap', o.contentWeightMap);
  return out;
}
