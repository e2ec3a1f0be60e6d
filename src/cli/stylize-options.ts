/**
 * The flags → `stylize()` options mapping, written once: {@link stylizeOptionsFromFlags} reads every flag of
 * {@link STYLIZE_FLAGS} (flags.ts) a command was given and returns the options they set (images excluded). Ranges
 * are checked by the library's one validation (`resolveOptions`), whose errors name the flag (cli/errors.ts).
 * @module
 */
import type { StylizeOptions } from '../stylize/options.js';
import { UsageError } from './args.js';
import { str, type Flags } from './context.js';
import { numberList, parseLayerSpec } from './flag-values.js';
import { CLI_ROWS } from './flags.js';
import { networkOf } from './network-flag.js';

/** The options the stylize flags set, plus `initPath` when `--init` names an image file (read later). */
export type StylizeFlagOptions = Partial<StylizeOptions> & { initPath?: string };

/** Sets `value` at an option path (`lbfgs.historySize`). */
function setPath(o: Record<string, unknown>, path: string, value: unknown): void {
  const [head, ...rest] = path.split('.');
  if (rest.length === 0) o[head] = value;
  else setPath((o[head] ??= {}) as Record<string, unknown>, rest.join('.'), value);
}

/**
 * The stylize() options the shared flags describe (images excluded), each read by its option-table row's
 * `cli.value`; the library validates them. `--iterations` is each command's own.
 */
export function stylizeOptionsFromFlags(f: Flags): StylizeFlagOptions {
  const o: Record<string, unknown> = {};
  let initPath: string | undefined;
  for (const row of CLI_ROWS) {
    const flag = row.cli.flag;
    const raw = f.get(flag);
    if (raw === undefined || row.name === 'iterations') continue;
    const text = String(raw);
    switch (row.cli.value) {
      case 'number':
      case 'int':
      case 'switch':
        setPath(o, row.name, raw);
        continue;
      case 'word':
        setPath(o, row.name, text);
        continue;
      case 'layers':
        setPath(o, row.name, parseLayerSpec(flag, text, networkOf(f)));
        continue;
      case 'numbers':
        setPath(o, row.name, numberList(flag, text));
        continue;
      case 'special':
        break;
    }
    switch (row.name) {
      case 'preserveColors':
        o.preserveColors = raw === true ? 'luminance' : text;
        break;
      case 'normalizeGradients':
        o.normalizeGradients = raw === true ? true : text;
        break;
      case 'init':
        if (row.choices!.includes(text)) o.init = text;
        else initPath = text;
        break;
      case 'scales':
        // "auto" (the default, as --help prints it) leaves the schedule to the library.
        if (text.trim() !== 'auto') o.scales = numberList(flag, text);
        break;
      case 'tile': {
        const tile = tileOption(text, str(f, 'tile-halo'));
        if (tile !== undefined) o.tile = tile;
        break;
      }
      case 'tile.halo':
        if (f.get('tile') === undefined) tileOption(undefined, text); // refuses a halo without a tile size
        break;
      case 'regions':
      case 'contentWeightMap':
        break; // they name files: read by region-flags.ts
      default:
        throw new Error(`no CLI rule for the option ${row.name}`);
    }
  }
  return { ...(o as StylizeFlagOptions), ...(initPath !== undefined ? { initPath } : {}) };
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
