/**
 * The flags → `stylize()` options mapping, written once: {@link stylizeOptionsFromFlags} reads every flag of
 * {@link STYLIZE_FLAGS} (flags.ts) a command was given and returns the options they set (images excluded). Ranges
 * are checked by the library's one validation (`resolveOptions`), whose errors name the flag (cli/errors.ts).
 * @module
 */
import type { StylizeOptions } from '../stylize/options.js';
import { UsageError } from './args.js';
import { numFlag, str, type Flags } from './context.js';
import { numberList, oneOf, parseLayerSpec } from './flag-values.js';

/** The options the stylize flags set, plus `initPath` when `--init` names an image file (read later). */
export type StylizeFlagOptions = Partial<StylizeOptions> & { initPath?: string };

/** The stylize() options the shared flags describe (images excluded). */
export function stylizeOptionsFromFlags(f: Flags): StylizeFlagOptions {
  const o: StylizeFlagOptions = {};
  const set = <K extends keyof StylizeOptions>(k: K, v: StylizeOptions[K] | undefined): void => {
    if (v !== undefined) o[k] = v;
  };
  set('size', numFlag(f, 'size'));
  const sl = str(f, 'style-layers');
  if (sl !== undefined) o.styleLayers = parseLayerSpec('style-layers', sl);
  const cl = str(f, 'content-layers');
  if (cl !== undefined) o.contentLayers = parseLayerSpec('content-layers', cl);
  set('contentWeight', numFlag(f, 'content-weight'));
  set('styleWeight', numFlag(f, 'style-weight'));
  set('tvWeight', numFlag(f, 'tv-weight'));
  set('lossNormalization', oneOf('loss-normalization', str(f, 'loss-normalization'), ['mean', 'paper'] as const));
  set('optimizer', oneOf('optimizer', str(f, 'optimizer'), ['lbfgs', 'adam'] as const));
  set('learningRate', numFlag(f, 'learning-rate'));
  const hist = numFlag(f, 'lbfgs-history');
  const ls = oneOf('line-search', str(f, 'line-search'), ['strong-wolfe', 'none'] as const);
  if (hist !== undefined || ls !== undefined) o.lbfgs = { ...(hist !== undefined ? { historySize: hist } : {}), ...(ls ? { lineSearch: ls } : {}) };
  set('precondition', oneOf('precondition', str(f, 'precondition'), ['pyramid', 'none'] as const));
  if (f.get('normalize-gradients') !== undefined) o.normalizeGradients = f.get('normalize-gradients') as boolean;
  const pc = f.get('preserve-colors');
  if (pc !== undefined) o.preserveColors = pc === true ? 'luminance' : (oneOf('preserve-colors', String(pc), ['luminance', 'histogram'] as const) ?? false);
  set('pooling', oneOf('pooling', str(f, 'pooling'), ['max', 'avg'] as const));
  const init = str(f, 'init');
  if (init !== undefined) {
    if (init === 'content' || init === 'style' || init === 'noise') o.init = init;
    else o.initPath = init;
  }
  set('seed', numFlag(f, 'seed'));
  set('styleScale', numFlag(f, 'style-scale'));
  const bw = str(f, 'style-blend-weights');
  if (bw !== undefined) o.styleBlendWeights = numberList('style-blend-weights', bw);
  const sc = str(f, 'scales');
  // "auto" (the default, as --help prints it) leaves the schedule to the library.
  if (sc !== undefined && sc.trim() !== 'auto') o.scales = numberList('scales', sc);
  const tile = tileOption(str(f, 'tile'), str(f, 'tile-halo'));
  if (tile !== undefined) o.tile = tile;
  return o;
}

/** --tile N|auto|off and --tile-halo N|exact as the `tile` option (ranges are checked by stylize()). */
function tileOption(tile: string | undefined, halo: string | undefined): StylizeOptions['tile'] | undefined {
  const int = (flag: string, v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) throw new UsageError(`--${flag} takes a whole number of pixels${flag === 'tile' ? ', "auto" or "off"' : ' or "exact"'}; got "${v}"`);
    return n;
  };
  if (halo !== undefined && (tile === undefined || tile === 'auto' || tile === 'off')) throw new UsageError('--tile-halo needs a tile size: --tile N');
  if (tile === undefined || tile === 'auto') return tile;
  if (tile === 'off') return false;
  const size = int('tile', tile);
  return halo === undefined ? size : { size, halo: halo === 'exact' ? 'exact' : int('tile-halo', halo) };
}
