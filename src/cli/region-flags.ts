/**
 * The region flags of `stylize` and `sweep` (docs/regions.md): `--region MASK:STYLE[#SMASK][,STYLE…][@W]`
 * (repeatable; `rest:STYLE` paints where no mask covers), `--content-weight-map MASK`, and colour-coded segmentation
 * maps (`--content-map`, `--style-map`, `--palette`). They name files, so they are read in three steps: the text
 * ({@link regionFlags}, before any file is touched), the style files they add to the positional ones
 * ({@link styleFilesOf}), and, once the images are read, the `regions` options ({@link regionOptions}). Every
 * mistake is a {@link UsageError} (exit 2) naming the flag.
 * @module
 */
import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { RgbaImage } from '../image/input.js';
import { regionsFromSegmentation, type PaletteColor } from '../regions/segmentation.js';
import type { RegionStyle, StyleRegion } from '../regions/types.js';
import type { StylizeOptions } from '../stylize/options.js';
import { UsageError, parseNumber, type FlagSpec } from './args.js';
import { str, type Flags } from './context.js';

/** The segmentation-map flags (the `--region` and `--content-weight-map` flags come from the option table). */
export const SEGMENTATION_FLAGS: FlagSpec[] = [
  { name: 'content-map', type: 'string', arg: 'MAP', help: 'regions from a colour-coded map over the content image (one region per palette colour; instead of --region)' },
  { name: 'style-map', type: 'string', arg: 'MAP|none', repeat: true, help: 'with --content-map: the map over each style image, in order ("none": all of that image for every colour)' },
  { name: 'palette', field: 'palette', type: 'string', arg: 'NAME=RRGGBB,…', help: 'the colours of the maps', default: 'blue, green, black, white, red, yellow, grey, lightblue, purple' },
];

/** One `--region`: its mask file, its styles (files, each maybe with a mask over that style image) and weight. */
export interface RegionFileSpec {
  /** The flag's text, for messages. */
  text: string;
  mask: string;
  styles: { file: string; mask?: string }[];
  weight?: number;
}

/** What the region flags say, files not yet read. */
export interface RegionPlan {
  regions: RegionFileSpec[];
  /** `--region rest:STYLE`: the style of the pixels no mask covers. */
  rest?: string;
  contentWeightMap?: string;
  segmentation?: { contentMap: string; styleMaps: (string | undefined)[]; palette?: PaletteColor[] };
}

/** `MASK:STYLE[#SMASK][,STYLE[#SMASK]…][@WEIGHT]` or `rest:STYLE`. */
export function parseRegionSpec(text: string): RegionFileSpec | { rest: string } {
  const usage = `--region "${text}": expected MASK:STYLE[#STYLEMASK][,STYLE…][@WEIGHT] (e.g. sky.png:starry.jpg) or rest:STYLE`;
  const colon = text.indexOf(':');
  if (colon <= 0 || colon === text.length - 1) throw new UsageError(usage);
  const mask = text.slice(0, colon);
  let list = text.slice(colon + 1);
  let weight: number | undefined;
  const at = list.lastIndexOf('@');
  if (at >= 0) {
    const w = list.slice(at + 1);
    weight = parseNumber(`region "${text}" @WEIGHT`, w);
    if (weight < 0) throw new UsageError(`--region "${text}": the weight after @ is ${w}; use a weight ≥ 0`);
    list = list.slice(0, at);
  }
  const styles = list.split(',').map((s) => {
    const [file, smask, extra] = s.split('#');
    if (!file || smask === '' || extra !== undefined) throw new UsageError(usage);
    return { file, ...(smask !== undefined ? { mask: smask } : {}) };
  });
  if (mask === 'rest') {
    if (styles.length !== 1 || styles[0].mask !== undefined || weight !== undefined) throw new UsageError(`--region "${text}": rest takes one style image (rest:STYLE), no mask or weight`);
    return { rest: styles[0].file };
  }
  return { text, mask, styles, ...(weight !== undefined ? { weight } : {}) };
}

/** `NAME=RRGGBB` or `RRGGBB` (named by itself), comma-separated. */
export function parsePalette(text: string): PaletteColor[] {
  return text.split(',').map((entry) => {
    const e = entry.trim();
    const [name, hex] = e.includes('=') ? e.split('=') : [e.replace(/^#/, ''), e];
    const m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex ?? '');
    if (!name || !m) throw new UsageError(`--palette: "${e}" is not a colour; use NAME=RRGGBB (e.g. sky=0000ff) or RRGGBB, comma-separated`);
    return { name, rgb: [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)] as [number, number, number] };
  });
}

/** What the region flags of a command say (undefined when none is given), checked as text. */
export function regionFlags(f: Flags): RegionPlan | undefined {
  const specs = ((f.get('region') as string[] | undefined) ?? []).map(parseRegionSpec);
  const weightMap = str(f, 'content-weight-map');
  const contentMap = str(f, 'content-map');
  const styleMaps = (f.get('style-map') as string[] | undefined) ?? [];
  const palette = str(f, 'palette');
  if (contentMap === undefined && (styleMaps.length > 0 || palette !== undefined)) throw new UsageError(`${styleMaps.length ? '--style-map' : '--palette'} needs --content-map (the map over the content image)`);
  if (contentMap !== undefined && specs.length > 0) throw new UsageError('give regions either as --region or as --content-map, not both');
  if (specs.length === 0 && contentMap === undefined && weightMap === undefined) return undefined;
  const regions = specs.filter((s): s is RegionFileSpec => 'mask' in s);
  const rests = specs.filter((s): s is { rest: string } => 'rest' in s);
  if (rests.length > 1) throw new UsageError('--region rest:STYLE is given twice; give it once');
  if (rests.length && regions.length === 0) throw new UsageError('--region rest:STYLE paints where no other region does: give at least one --region MASK:STYLE too');
  return {
    regions,
    ...(rests.length ? { rest: rests[0].rest } : {}),
    ...(weightMap !== undefined ? { contentWeightMap: weightMap } : {}),
    ...(contentMap !== undefined ? { segmentation: { contentMap, styleMaps: styleMaps.map((m) => (m === 'none' ? undefined : m)), ...(palette !== undefined ? { palette: parsePalette(palette) } : {}) } } : {}),
  };
}

/**
 * The style files of the run: the positional ones, then those the regions name that are not among them (the same
 * file, however spelt, is one style image).
 */
export function styleFilesOf(positional: readonly string[], plan: RegionPlan | undefined): string[] {
  const files = [...positional];
  const named = plan ? [...plan.regions.flatMap((r) => r.styles.map((s) => s.file)), ...(plan.rest ? [plan.rest] : [])] : [];
  for (const p of named) if (!files.some((q) => resolve(q) === resolve(p))) files.push(p);
  return files;
}

/** Every mask file the plan names, with the flag that names it (for the input list and the existence check). */
export function maskFilesOf(plan: RegionPlan | undefined): { file: string; flag: string }[] {
  if (!plan) return [];
  return [
    ...plan.regions.flatMap((r) => [{ file: r.mask, flag: `--region "${r.text}"` }, ...r.styles.flatMap((s) => (s.mask ? [{ file: s.mask, flag: `--region "${r.text}"` }] : []))]),
    ...(plan.contentWeightMap ? [{ file: plan.contentWeightMap, flag: '--content-weight-map' }] : []),
    ...(plan.segmentation ? [{ file: plan.segmentation.contentMap, flag: '--content-map' }, ...plan.segmentation.styleMaps.flatMap((m) => (m ? [{ file: m, flag: '--style-map' }] : []))] : []),
  ];
}

/** Refuses (exit 2) a mask file that is not there, naming the flag, before anything loads. */
export async function checkMaskFiles(plan: RegionPlan | undefined, styleCount: number): Promise<void> {
  for (const { file, flag } of maskFilesOf(plan)) {
    await access(file).catch(() => {
      throw new UsageError(`${flag}: the mask ${file} does not exist (or cannot be read)`);
    });
  }
  const maps = plan?.segmentation?.styleMaps.length ?? 0;
  if (maps > styleCount) throw new UsageError(`--style-map is given ${maps} times for ${styleCount} style image${styleCount === 1 ? '' : 's'}; give at most one per style image, in order`);
}

/** A mask must be painted over its picture: the same size, or the same aspect ratio (it is resized). */
function checkMaskSize(flag: string, file: string, mask: RgbaImage, over: RgbaImage, what: string): void {
  const fits = Math.abs(Math.round((mask.height * over.width) / mask.width) - over.height) <= 1;
  if (!fits) throw new UsageError(`${flag}: the mask ${file} is ${mask.width}x${mask.height} but ${what} is ${over.width}x${over.height}; paint the mask over that image (the same size or aspect ratio)`);
}

/** The images a run's region flags refer to: the content, the style files and images, and each mask file's pixels. */
export interface RegionImages {
  content: RgbaImage;
  styleFiles: readonly string[];
  styles: readonly RgbaImage[];
  mask: (path: string) => RgbaImage;
}

/** Refuses (exit 2) a mask not painted over its image (another aspect ratio), naming the flag. */
export function checkMaskSizes(plan: RegionPlan | undefined, im: RegionImages): void {
  if (!plan) return;
  const index = (file: string): number => im.styleFiles.findIndex((p) => resolve(p) === resolve(file));
  const over = (flag: string, file: string, img: RgbaImage, what: string) => checkMaskSize(flag, file, im.mask(file), img, what);
  if (plan.contentWeightMap) over('--content-weight-map', plan.contentWeightMap, im.content, 'the content image');
  for (const r of plan.regions) {
    over(`--region "${r.text}"`, r.mask, im.content, 'the content image');
    for (const s of r.styles) if (s.mask) over(`--region "${r.text}"`, s.mask, im.styles[index(s.file)], `the style image ${s.file}`);
  }
  const seg = plan.segmentation;
  if (seg) {
    over('--content-map', seg.contentMap, im.content, 'the content image');
    seg.styleMaps.forEach((m, i) => m && over('--style-map', m, im.styles[i], `the style image ${im.styleFiles[i]}`));
  }
}

/**
 * The options the plan sets (`regions`, `uncovered`, `contentWeightMap`), with masks from `im.mask` — the real
 * pixels, or stand-ins while the options are checked before any file is read. Colour-coded maps are read only
 * with `segment` (they need the real pixels and a backend); before that they set no regions.
 */
export async function regionOptions(plan: RegionPlan | undefined, im: RegionImages, segment: boolean): Promise<Partial<StylizeOptions>> {
  if (!plan) return {};
  const index = (file: string): number => im.styleFiles.findIndex((p) => resolve(p) === resolve(file));
  const out: Partial<StylizeOptions> = {};
  if (plan.contentWeightMap) out.contentWeightMap = im.mask(plan.contentWeightMap);
  if (plan.regions.length) {
    out.regions = plan.regions.map((r): StyleRegion => {
      const styles = r.styles.map((s): number | RegionStyle => (s.mask === undefined ? index(s.file) : { style: index(s.file), mask: im.mask(s.mask) }));
      return { mask: im.mask(r.mask), styles, name: r.mask, ...(r.weight !== undefined ? { weight: r.weight } : {}) };
    });
    if (plan.rest) out.uncovered = index(plan.rest);
  }
  const seg = plan.segmentation;
  if (seg && segment) {
    // A style image without a map (none given, or "none") gives all of itself to every colour.
    const styleMaps = im.styleFiles.map((_, i) => (seg.styleMaps[i] === undefined ? undefined : im.mask(seg.styleMaps[i]!)));
    const regions = await regionsFromSegmentation(im.mask(seg.contentMap), styleMaps, seg.palette ? { palette: seg.palette } : {});
    if (regions.length === 0) throw new UsageError(`--content-map ${seg.contentMap}: none of its palette colours is in a style map, so there is no region; check the colours (--palette)`);
    out.regions = regions;
  }
  return out;
}
