import { describe } from '../errors.js';
import { VGG19, type NetworkArchitecture } from '../core/architecture.js';
import type { LossNormalization } from '../core/losses.js';
import type { StyleStatistic } from '../core/style-statistics.js';
import { defaultStyleWeight, STYLIZE_DEFAULTS as D } from '../defaults.js';
import { OPTIONS, type Checker } from '../options/check.js';
import { optionKeys, optionRow, rangeOf } from '../options/table.js';
import { resolveTile } from './tiling/options.js';
import { resolveContentWeightMap, resolveRegions } from '../regions/options.js';
import { resolveTemporal } from './temporal.js';
import type { ResolvedLayer, ResolvedOptions, StylizeOptions } from './option-types.js';

export type * from './option-types.js';

/** A number option checked against its range in the option table (`row`: the table's name, when not `field`). */
function num(check: Checker, field: string, v: unknown, def: number | undefined, row = field): number {
  return check.number(field, v, rangeOf(row), def);
}

/** A choice option checked against its choices in the option table. */
function choice<T extends string | boolean>(check: Checker, field: string, v: unknown, def: T): T {
  return check.oneOf(field, v, optionRow(field).choices as readonly T[], def);
}

function layers(check: Checker, field: string, v: unknown, def: readonly string[], norm: LossNormalization, network: NetworkArchitecture): ResolvedLayer[] {
  const spec = v ?? def;
  let entries: [string, unknown][];
  if (Array.isArray(spec)) {
    if (spec.length === 0) check.fail(field, spec, 'at least one layer name');
    const w = norm === 'paper' ? 1 / spec.length : 1;
    entries = spec.map((n) => [n as string, w]);
  } else if (spec && typeof spec === 'object') {
    entries = Object.entries(spec as Record<string, unknown>);
    if (entries.length === 0) check.fail(field, spec, 'at least one layer');
  } else return check.fail(field, spec, 'a list of layer names or a map name → weight');
  const seen = new Set<number>();
  return entries.map(([name, weight]) => {
    const point = network.resolve(name, check.name(field));
    const w = check.weight(`${field}.${name}`, weight);
    if (seen.has(point.index)) check.fail(field, spec, `each layer once (${point.name} is named twice)`, `\`${check.name(field)}\` names ${point.name} twice.`);
    seen.add(point.index);
    return { point, name, weight: w };
  });
}

/**
 * The scales when `scales` is not given: with `counts` (an `iterations` list), that many, halving from 1; else
 * one scale up to `STYLIZE_DEFAULTS.coarseToFine.above` px and, above it, halvings from the smallest still ≥
 * `coarsest` px (2048 → [0.25, 0.5, 1]).
 */
export function autoScales(size: number, counts?: number): number[] {
  const { above, coarsest } = D.coarseToFine;
  let levels = counts ?? 1;
  if (counts === undefined && size > above) while (size / 2 ** levels >= coarsest) levels++;
  return Array.from({ length: Math.max(1, levels) }, (_, i) => 1 / 2 ** (levels - 1 - i));
}

function blendWeights(check: Checker, b: unknown, styleCount: number): number[] {
  if (b === undefined) return Array.from({ length: styleCount }, () => 1 / styleCount);
  if (!Array.isArray(b) || b.length !== styleCount) {
    const images = styleCount === 1 ? 'is 1 style image' : `are ${styleCount} style images`;
    check.fail('styleBlendWeights', b, `one weight per style image (${styleCount})`, `\`${check.name('styleBlendWeights')}\` has ${Array.isArray(b) ? b.length : describe(b)} entries but there ${images}; give one weight per style image.`);
  }
  const weights = b.map((w, i) => check.weight(`styleBlendWeights[${i}]`, w));
  const sum = weights.reduce((a, w) => a + w, 0);
  if (!(sum > 0)) check.fail('styleBlendWeights', b, 'weights with a positive sum');
  return weights.map((w) => w / sum);
}

function scaleList(check: Checker, o: StylizeOptions, size: number): number[] {
  const r = rangeOf('scales');
  const expected = `a list of ${r.min}–${r.max} fractions ending in 1, e.g. [0.5, 1]`;
  const given = o.scales === 'auto' ? undefined : o.scales;
  if (given !== undefined && !Array.isArray(given)) check.fail('scales', o.scales, expected);
  const scales = given === undefined ? autoScales(size, Array.isArray(o.iterations) ? o.iterations.length : undefined) : [...given];
  if (scales.length < r.min || scales.length > r.max) check.fail('scales', o.scales, expected);
  scales.forEach((s, i) => {
    if (typeof s !== 'number' || !(s > 0 && s <= 1)) check.fail(`scales[${i}]`, s, 'a fraction in (0, 1]');
    if (i > 0 && s <= scales[i - 1]) check.fail('scales', o.scales, 'increasing fractions ending in 1');
  });
  if (scales[scales.length - 1] !== 1) check.fail('scales', o.scales, 'a list whose last entry is 1');
  return scales;
}

function iterationCounts(check: Checker, o: StylizeOptions, scales: number[]): number[] {
  if (Array.isArray(o.iterations)) {
    if (o.iterations.length !== scales.length) check.fail('iterations', o.iterations, `one count per scale (${scales.length})`);
    return o.iterations.map((n, i) => num(check, `iterations[${i}]`, n, D.iterations, 'iterations'));
  }
  const n = num(check, 'iterations', o.iterations, D.iterations);
  // The automatic schedule spends N at the coarsest scale and fewer at each finer one; given scales get N each.
  const decay = o.scales === undefined || o.scales === 'auto' ? D.coarseToFine.iterationDecay : 1;
  return scales.map((_, i) => Math.max(1, Math.round(n * decay ** i)));
}

function precondition(check: Checker, pc: unknown): ResolvedOptions['precondition'] {
  if (pc === 'pyramid') return { levels: 0, decay: D.pyramidDecay };
  if (pc === 'none') return undefined;
  if (typeof pc !== 'object' || pc === null || Array.isArray(pc)) return check.fail('precondition', pc, '"pyramid", "none" or { levels, decay }');
  const p = check.object('precondition', pc, optionKeys('call', 'precondition'));
  return { levels: num(check, 'precondition.levels', p.levels, 0), decay: num(check, 'precondition.decay', p.decay, D.pyramidDecay) };
}

/**
 * `normalizeGradients` and `styleStatistic`. `'per-evaluation'` normalisation is not the gradient of any loss: L-BFGS's
 * curvature pairs and line search would compare gradients of different functions, so it is Adam's only.
 */
function lossChoices(check: Checker, o: StylizeOptions, optimizer: ResolvedOptions['optimizer']): Pick<ResolvedOptions, 'normalizeGradients' | 'styleStatistic'> {
  const normalizeGradients = choice<boolean | 'per-evaluation'>(check, 'normalizeGradients', o.normalizeGradients, D.normalizeGradients);
  if (normalizeGradients === 'per-evaluation' && optimizer !== 'adam') {
    check.fail('normalizeGradients', normalizeGradients, "true (fixed per scale: a loss L-BFGS can follow), false, or 'per-evaluation' only with optimizer 'adam' (it is not the gradient of any loss, which L-BFGS needs)", `\`${check.name('normalizeGradients')}\` 'per-evaluation' divides each evaluation's gradients by their norms, which is not the gradient of any loss: L-BFGS's line search and curvature pairs would go wrong. Use normalizeGradients: true (the same balance, fixed per scale: a scaled loss), or optimizer: 'adam'.`);
  }
  return { normalizeGradients, styleStatistic: choice<StyleStatistic>(check, 'styleStatistic', o.styleStatistic, D.styleStatistic) };
}

/**
 * Validates and fills in defaults in one place, from the option table (src/options/table.ts); every error is
 * INVALID_OPTION (UNKNOWN_LAYER for a layer name) with `details` `{ field, expected, got }`. `styleCount` is the
 * number of style images the call blends (for `styleBlendWeights`). `check` names where the options came from (a
 * record's file and `options.` prefix); default: a function's own options. Layer names are resolved in `network`
 * (the model's; default VGG-19), which the resolved options carry.
 */
export function resolveOptions(o: StylizeOptions = {}, styleCount = 1, check: Checker = OPTIONS, network: NetworkArchitecture = VGG19): ResolvedOptions {
  if (!o || typeof o !== 'object' || Array.isArray(o)) check.fail('options', o, 'an object');
  check.knownKeys(o as Record<string, unknown>, optionKeys('call'), 'for stylize()');
  const lossNormalization = choice(check, 'lossNormalization', o.lossNormalization, D.lossNormalization);
  const optimizer = choice(check, 'optimizer', o.optimizer, D.optimizer);
  const size = num(check, 'size', o.size, D.size);
  const scales = scaleList(check, o, size);
  const init = o.init ?? D.init;
  if (typeof init === 'string' && !optionRow('init').choices!.includes(init)) check.fail('init', init, '"content", "style", "noise" or an image');
  const snapshots = new Set<number>();
  if (o.snapshots !== undefined) for (const s of check.list('snapshots', o.snapshots, 0)) snapshots.add(num(check, 'snapshots[]', s, undefined, 'snapshots'));
  const blend = blendWeights(check, o.styleBlendWeights, styleCount);
  if (o.regions !== undefined && o.styleStatistic !== undefined && o.styleStatistic !== 'gram') {
    check.fail('styleStatistic', o.styleStatistic, "'gram' with regions (guided statistics are Grams only, for now)", `\`${check.name('styleStatistic')}\` '${String(o.styleStatistic)}' does not combine with \`regions\` yet (guided statistics are Grams only): leave out one or the other.`);
  }
  const lb = o.lbfgs === undefined ? {} : check.object('lbfgs', o.lbfgs, optionKeys('call', 'lbfgs'));
  if (o.taps !== undefined) check.object('taps', o.taps);
  // Checked here, used by the session (not part of the resolved options).
  check.fn('onIteration', o.onIteration);
  check.fn('onQueue', o.onQueue);
  check.signal('signal', o.signal);
  return {
    size,
    styleScale: num(check, 'styleScale', o.styleScale, D.styleScale),
    network,
    contentLayers: layers(check, 'contentLayers', o.contentLayers, D.contentLayers, lossNormalization, network),
    styleLayers: layers(check, 'styleLayers', o.styleLayers, D.styleLayers, lossNormalization, network),
    contentWeight: num(check, 'contentWeight', o.contentWeight, D.contentWeight),
    styleWeight: num(check, 'styleWeight', o.styleWeight, defaultStyleWeight(o.normalizeGradients)),
    tvWeight: num(check, 'tvWeight', o.tvWeight, D.tvWeight),
    lossNormalization,
    pooling: choice(check, 'pooling', o.pooling, D.pooling),
    init,
    seed: num(check, 'seed', o.seed, D.seed),
    optimizer,
    learningRate: num(check, 'learningRate', o.learningRate, D.learningRate[optimizer]),
    iterations: iterationCounts(check, o, scales),
    lbfgs: {
      historySize: num(check, 'lbfgs.historySize', lb.historySize, D.lbfgs.historySize),
      lineSearch: choice(check, 'lbfgs.lineSearch', lb.lineSearch, D.lbfgs.lineSearch),
      maxEvaluations: lb.maxEvaluations === undefined ? undefined : num(check, 'lbfgs.maxEvaluations', lb.maxEvaluations, undefined),
      initialStep: lb.initialStep === 'torch' ? 'torch' : num(check, 'lbfgs.initialStep', lb.initialStep, D.lbfgs.initialStep),
    },
    precondition: precondition(check, o.precondition ?? D.precondition[optimizer]),
    ...lossChoices(check, o, optimizer),
    preserveColors: choice(check, 'preserveColors', o.preserveColors, D.preserveColors),
    scales,
    previewEvery: num(check, 'previewEvery', o.previewEvery, D.previewEvery),
    snapshots,
    blend,
    regions: resolveRegions(check, o, styleCount, blend),
    contentWeightMap: resolveContentWeightMap(check, o.contentWeightMap),
    temporal: resolveTemporal(check, o.temporal),
    temporalWeight: num(check, 'temporalWeight', o.temporalWeight, D.temporalWeight),
    pixelRange: choice(check, 'pixelRange', o.pixelRange, D.pixelRange),
    taps: o.taps,
    tapEvery: num(check, 'taps.every', o.taps?.every, D.tapEvery),
    // The default depends on the backend (STYLIZE_DEFAULTS.memoryBudget); the run plan fills it in.
    memoryBudget: o.memoryBudget === undefined ? undefined : num(check, 'memoryBudget', o.memoryBudget, undefined),
    tile: resolveTile(o.tile, check),
    onTile: check.fn('onTile', o.onTile),
  };
}
