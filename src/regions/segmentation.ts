/**
 * Regions from colour-coded segmentation maps, the convention of the deep-photo-style forks (Luan et al. 2017 and
 * the neural-style ports that followed): a content map and one map per style image, painted with flat colours from a
 * palette; each colour present in the content map is a region whose style comes from the same colour in the style
 * maps.
 * @module
 */
import { OPTIONS } from '../options/check.js';
import { readImageInput, type ImageInput } from '../image/input.js';
import type { Mask } from './mask.js';
import type { StyleRegion } from './types.js';

/** A named colour of a segmentation palette (0–255 RGB). */
export interface PaletteColor {
  readonly name: string;
  readonly rgb: readonly [number, number, number];
}

/** The deep-photo-style palette: the colours its segmentation tools paint with. */
export const DEFAULT_PALETTE: readonly PaletteColor[] = [
  { name: 'blue', rgb: [0, 0, 255] },
  { name: 'green', rgb: [0, 255, 0] },
  { name: 'black', rgb: [0, 0, 0] },
  { name: 'white', rgb: [255, 255, 255] },
  { name: 'red', rgb: [255, 0, 0] },
  { name: 'yellow', rgb: [255, 255, 0] },
  { name: 'grey', rgb: [128, 128, 128] },
  { name: 'lightblue', rgb: [0, 255, 255] },
  { name: 'purple', rgb: [255, 0, 255] },
];

/** Options of {@link segmentationMasks}. */
export interface SegmentationOptions {
  /** Default {@link DEFAULT_PALETTE}. */
  palette?: readonly PaletteColor[];
  /**
   * A pixel takes the palette colour nearest to it when that colour is within this Euclidean RGB distance (0–441);
   * others belong to no region (anti-aliased edges, JPEG noise). Default 96.
   */
  tolerance?: number;
}

/** Checks a palette: 1–64 colours, distinct names, RGB 0–255. */
function checkPalette(palette: unknown): readonly PaletteColor[] {
  const list = OPTIONS.list('palette', palette, 1, 64) as PaletteColor[];
  const names = new Set<string>();
  list.forEach((c, i) => {
    const o = OPTIONS.object(`palette[${i}]`, c, ['name', 'rgb']);
    const name = OPTIONS.string(`palette[${i}].name`, o.name);
    if (names.has(name)) OPTIONS.fail(`palette[${i}].name`, name, 'a name used once');
    names.add(name);
    OPTIONS.list(`palette[${i}].rgb`, o.rgb, 3, 3).forEach((v, k) => OPTIONS.int(`palette[${i}].rgb[${k}]`, v, 0, 255));
  });
  return list;
}

/**
 * The mask of each palette colour present in `map` (an image; alpha ignored), keyed by the colour's name: 1 where
 * the pixel's nearest palette colour is that one and within `tolerance`, else 0. Colours absent from the map are
 * left out.
 */
export async function segmentationMasks(map: ImageInput, field = 'map', o: SegmentationOptions = {}): Promise<Map<string, Mask>> {
  const palette = checkPalette(o.palette ?? DEFAULT_PALETTE);
  const tolerance = OPTIONS.number('tolerance', o.tolerance, { min: 0, max: 442 }, 96);
  const rgb = await readImageInput(map, field);
  const [, height, width] = rgb.shape;
  const px = await rgb.data().finally(() => rgb.dispose());
  const masks = palette.map(() => new Float32Array(height * width));
  const present = palette.map(() => false);
  for (let i = 0; i < height * width; i++) {
    let best = -1;
    let bestD = tolerance * tolerance;
    palette.forEach((c, k) => {
      const d = (px[3 * i] - c.rgb[0]) ** 2 + (px[3 * i + 1] - c.rgb[1]) ** 2 + (px[3 * i + 2] - c.rgb[2]) ** 2;
      if (d <= bestD) {
        bestD = d;
        best = k;
      }
    });
    if (best >= 0) {
      masks[best][i] = 1;
      present[best] = true;
    }
  }
  return new Map(palette.flatMap((c, k) => (present[k] ? [[c.name, { data: masks[k], width, height }] as const] : [])));
}

/**
 * Regions from colour-coded segmentation maps: `contentMap` over the content image and one map per style image
 * (`styleMaps[i]` over style image i, or undefined for a style image without a map, which then gives its whole
 * image to every colour). Each colour present in the content map becomes a region (named after the colour) whose
 * styles are the style images with that colour in their map, each restricted to that colour's area there; a colour
 * no style map has is left out (so `uncovered` decides what happens there). Pass the result as `regions`.
 */
export async function regionsFromSegmentation(contentMap: ImageInput, styleMaps: readonly (ImageInput | undefined)[], o: SegmentationOptions = {}): Promise<StyleRegion[]> {
  const content = await segmentationMasks(contentMap, 'contentMap', o);
  const styles = await Promise.all(styleMaps.map((m, i) => (m === undefined ? undefined : segmentationMasks(m, `styleMaps[${i}]`, o))));
  const regions: StyleRegion[] = [];
  for (const [name, mask] of content) {
    const from = styles.flatMap((s, i) => (s === undefined ? [{ style: i }] : s.has(name) ? [{ style: i, mask: s.get(name)! }] : []));
    if (from.length) regions.push({ name, mask, styles: from });
  }
  return regions;
}
