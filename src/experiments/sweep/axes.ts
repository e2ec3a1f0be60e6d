/**
 * A sweep's axes: the presets and lists a user gives (`vary`), turned into rows and columns of stylize options,
 * and the settings recorded for each cell.
 * @module
 */
import { STYLE_STATISTICS, type StyleStatistic } from '../../core/style-statistics.js';
import { StyleTransferError, describe } from '../../errors.js';
import { VGG19, type NetworkArchitecture } from '../../core/architecture.js';
import { defaultStyleWeight, STYLIZE_DEFAULTS } from '../../defaults.js';
import type { Pooling } from '../../core/network.js';
import { resolveOptions, type LayerWeights, type ResolvedOptions, type StylizeOptions } from '../../stylize/options.js';
import type { RecordedOption } from '../../options/table.js';
import type { SweepAxis, SweepOptions, SweepParameter, SweepSettings } from './types.js';

export const PARAMS: readonly SweepParameter[] = ['styleLayers', 'contentLayers', 'weightRatio', 'iterations', 'pooling', 'init', 'styleStatistic'];

/** A number for a label: three significant digits, exponent form when very large or small. */
export const num = (v: number): string => {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e-3 && a < 1e5) return String(Number(v.toPrecision(3)));
  return v.toExponential(1).replace('e+', 'e');
};

/** A label for a layer set: `conv3_1`, `conv1_1..conv3_1` (a run of first layers), `a+b`, `relu1_1:1+relu2_1:0.5`. */
export function layerSetLabel(set: string | LayerWeights): string {
  if (typeof set === 'string') return set;
  if (Array.isArray(set)) {
    const names = set as readonly string[];
    if (names.length > 2) {
      const firsts = names.every((n, i) => new RegExp(`^(conv|relu)${i + 1}_1$`).test(n) && n.slice(0, 4) === names[0].slice(0, 4));
      if (firsts) return `${names[0]}..${names[names.length - 1]}`;
    }
    return names.join('+');
  }
  return Object.entries(set as Record<string, number>).map(([n, w]) => `${n}:${num(w)}`).join('+');
}

/** The network a sweep's layer names are in: its stylizer's or model's, else VGG-19. */
export const sweepNetwork = (o: Pick<SweepOptions, 'stylizer' | 'model'>): NetworkArchitecture => o.stylizer?.model.architecture ?? o.model?.architecture ?? VGG19;

/** A preset's layer sets in `network`: each block's first conv (or its ReLU), cumulated, or every conv. */
function presetSets(preset: string, kind: 'conv' | 'relu', network: NetworkArchitecture): string[][] {
  const reluOf = (conv: string) => network.points[network.resolve(conv).index + 1]?.name ?? conv;
  const named = (conv: string) => (kind === 'conv' ? conv : reluOf(conv));
  const firsts = network.convBlocks.map((b) => named(b[0]));
  if (preset === 'single') return firsts.map((n) => [n]);
  if (preset === 'cumulative') return firsts.map((_, i) => firsts.slice(0, i + 1));
  if (preset === 'all') return network.convs.map((c) => [named(c.name)]);
  throw new StyleTransferError('INVALID_OPTION', `\`vary.styleLayers\` is ${JSON.stringify(preset)}; expected "single", "cumulative", "all" or a list of layer sets.`, { field: 'vary.styleLayers' });
}

/** Turns `vary` into axes (values + labels), validating them. */
export function buildAxes(o: SweepOptions): SweepAxis[] {
  if (!o.vary || typeof o.vary !== 'object') {
    throw new StyleTransferError('INVALID_OPTION', '`vary` must name one or two settings to vary, e.g. { styleLayers: "single", iterations: [100, 500] }.', { field: 'vary' });
  }
  const vary: Record<string, unknown> = { ...o.vary };
  if (Array.isArray(o.iterations)) {
    if (vary.iterations !== undefined) throw new StyleTransferError('INVALID_OPTION', 'Give the iteration counts either as `iterations: [..]` or `vary.iterations`, not both.', { field: 'iterations' });
    vary.iterations = o.iterations;
  }
  const keys = Object.keys(vary).filter((k) => vary[k] !== undefined);
  for (const k of keys) {
    if (!PARAMS.includes(k as SweepParameter)) throw new StyleTransferError('INVALID_OPTION', `\`vary.${k}\` is not a setting a sweep can vary; use ${PARAMS.join(', ')}.`, { field: `vary.${k}` });
  }
  if (keys.length === 0 || keys.length > 2) {
    throw new StyleTransferError('INVALID_OPTION', `\`vary\` names ${keys.length} settings (${keys.join(', ') || 'none'}); a sweep varies one or two.`, { field: 'vary' });
  }
  // Iterations go across (columns), the other setting down.
  keys.sort((a, b) => (a === 'iterations' ? 1 : 0) - (b === 'iterations' ? 1 : 0));
  const kind = o.presetKind ?? 'conv';
  if (kind !== 'conv' && kind !== 'relu') throw new StyleTransferError('INVALID_OPTION', `\`presetKind\` is ${describe(kind)}; expected "conv" or "relu".`, { field: 'presetKind' });
  return keys.map((k): SweepAxis => {
    const v = vary[k];
    const field = `vary.${k}`;
    const list = (): unknown[] => {
      if (!Array.isArray(v) || v.length === 0) throw new StyleTransferError('INVALID_OPTION', `\`${field}\` is ${describe(v)}; expected a non-empty list.`, { field });
      if (v.length > 64) throw new StyleTransferError('INVALID_OPTION', `\`${field}\` has ${v.length} values; a sweep axis holds at most 64.`, { field });
      return [...v];
    };
    switch (k as SweepParameter) {
      case 'styleLayers': {
        const sets: (string | LayerWeights)[] = typeof v === 'string' ? presetSets(v, kind, sweepNetwork(o)) : (list() as (string | LayerWeights)[]);
        const values = sets.map((s) => (typeof s === 'string' ? [s] : s));
        return { parameter: 'styleLayers', values, labels: sets.map(layerSetLabel) };
      }
      case 'contentLayers': {
        const sets = list() as (string | LayerWeights)[];
        return { parameter: 'contentLayers', values: sets.map((s) => (typeof s === 'string' ? [s] : s)), labels: sets.map(layerSetLabel) };
      }
      case 'weightRatio': {
        const r = list();
        r.forEach((x, i) => {
          if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) throw new StyleTransferError('INVALID_OPTION', `\`${field}[${i}]\` is ${describe(x)}; expected a ratio ≥ 0.`, { field });
        });
        return { parameter: 'weightRatio', values: r, labels: r.map((x) => `a/b=${num(x as number)}`) };
      }
      case 'iterations': {
        const r = list();
        r.forEach((x, i) => {
          if (typeof x !== 'number' || !Number.isInteger(x) || x < 1 || x > 100000) throw new StyleTransferError('INVALID_OPTION', `\`${field}[${i}]\` is ${describe(x)}; expected an integer 1–100000.`, { field });
        });
        if (new Set(r).size !== r.length) throw new StyleTransferError('INVALID_OPTION', `\`${field}\` repeats a count.`, { field });
        return { parameter: 'iterations', values: r, labels: r.map((x) => `${x} it`) };
      }
      case 'pooling': {
        const r = list();
        r.forEach((x) => {
          if (x !== 'max' && x !== 'avg') throw new StyleTransferError('INVALID_OPTION', `\`${field}\` holds ${describe(x)}; expected "max" or "avg".`, { field });
        });
        return { parameter: 'pooling', values: r, labels: r.map((x) => `${x} pool`) };
      }
      case 'styleStatistic': {
        const r = list();
        r.forEach((x) => {
          if (!(STYLE_STATISTICS as readonly unknown[]).includes(x)) throw new StyleTransferError('INVALID_OPTION', `\`${field}\` holds ${describe(x)}; expected one of ${STYLE_STATISTICS.join(', ')}.`, { field });
        });
        return { parameter: 'styleStatistic', values: r, labels: r.map(String) };
      }
      default: {
        const r = list();
        r.forEach((x) => {
          if (x !== 'content' && x !== 'style' && x !== 'noise') throw new StyleTransferError('INVALID_OPTION', `\`${field}\` holds ${describe(x)}; expected "content", "style" or "noise".`, { field });
        });
        return { parameter: 'init', values: r, labels: r.map((x) => `init ${x}`) };
      }
    }
  });
}

export function applyAxis(opts: StylizeOptions, axis: SweepAxis, i: number): void {
  const v = axis.values[i];
  switch (axis.parameter) {
    case 'styleLayers':
      opts.styleLayers = v as LayerWeights;
      break;
    case 'contentLayers':
      opts.contentLayers = v as LayerWeights;
      break;
    case 'weightRatio':
      opts.contentWeight = (v as number) * (opts.styleWeight ?? defaultStyleWeight(opts.normalizeGradients));
      break;
    case 'pooling':
      opts.pooling = v as Pooling;
      break;
    case 'styleStatistic':
      opts.styleStatistic = v as StyleStatistic;
      break;
    case 'init':
      opts.init = v as 'content';
      break;
    case 'iterations':
      break;
  }
}

const layerMap = (ls: ResolvedOptions['styleLayers']) => Object.fromEntries(ls.map((l) => [l.name, l.weight]));

/**
 * How each recorded option (the option table's `recorded` column) is written into a cell's settings, from the
 * resolved options: the compiler requires one entry per recorded row, so a new recorded option cannot be
 * forgotten here.
 */
const RECORDED: { [K in RecordedOption]: (r: ResolvedOptions) => SweepSettings[K] } = {
  size: (r) => r.size,
  iterations: () => 0, // the cell's own count, set by settingsOf
  styleScale: (r) => r.styleScale,
  styleLayers: (r) => layerMap(r.styleLayers),
  contentLayers: (r) => layerMap(r.contentLayers),
  contentWeight: (r) => r.contentWeight,
  styleWeight: (r) => r.styleWeight,
  tvWeight: (r) => r.tvWeight,
  lossNormalization: (r) => r.lossNormalization,
  pooling: (r) => r.pooling,
  init: (r) => (typeof r.init === 'string' ? r.init : 'image'),
  seed: (r) => r.seed,
  optimizer: (r) => r.optimizer,
  learningRate: (r) => r.learningRate,
  lbfgs: (r) => ({ ...r.lbfgs }),
  precondition: (r) => (r.precondition ? { ...r.precondition } : 'none'),
  normalizeGradients: (r) => r.normalizeGradients,
  styleStatistic: (r) => r.styleStatistic,
  preserveColors: (r) => r.preserveColors,
  scales: (r) => r.scales,
  styleBlendWeights: (r) => r.blend,
  tile: (r) => (r.tile.mode === 'auto' ? 'auto' : r.tile.mode === 'off' ? false : { size: r.tile.size, halo: r.tile.halo }),
  pixelRange: (r) => r.pixelRange,
  regionMasks: (r) => ({ ...(r.regions?.propagation ?? { mode: STYLIZE_DEFAULTS.regionMasks.mode, erode: STYLIZE_DEFAULTS.regionMasks.erode }) }),
  uncovered: (r) => r.regions?.uncovered ?? STYLIZE_DEFAULTS.uncovered,
};

/** The JSON-able settings of one cell: every recorded option, resolved (defaults filled in). */
export function settingsOf(opts: StylizeOptions, iterations: number, styleCount: number, network?: NetworkArchitecture): SweepSettings {
  const r = resolveOptions(opts, styleCount, undefined, network);
  const settings = Object.fromEntries(Object.entries(RECORDED).map(([k, f]) => [k, f(r)])) as unknown as SweepSettings;
  settings.iterations = iterations;
  return settings;
}
