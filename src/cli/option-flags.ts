/**
 * The CLI's view of the option table: the flags of the stylize() options (their help and defaults), how a flag's
 * text becomes the option, and which flag an option's error names. Nothing here lists options by hand: a new row
 * with a `cli` column in src/options/table.ts is a new flag.
 * @module
 */
import { StyleTransferError, describe } from '../errors.js';
import { resolveLayer } from '../core/layers.js';
import { defaultText } from '../defaults.js';
import { rangeText } from '../options/check.js';
import { OPTION_TABLE, type FlagValue, type OptionRow } from '../options/table.js';
import type { LayerWeights, StylizeOptions } from '../stylize/options.js';
import { UsageError, parseNumber, type FlagSpec, type FlagType } from './args.js';

/** Flag values as the parser returns them. */
export type FlagValues = ReadonlyMap<string, string | number | boolean | (string | number)[]>;

type CliRow = OptionRow & { cli: NonNullable<OptionRow['cli']> };

const cliRows = (): CliRow[] => OPTION_TABLE.filter((r): r is CliRow & (typeof OPTION_TABLE)[number] => r.scope === 'call' && 'cli' in r);

const FLAG_TYPE: Record<FlagValue, FlagType> = { number: 'number', int: 'int', word: 'string', layers: 'string', numbers: 'string', switch: 'boolean', special: 'string' };

/** The help line and default of a row's flag. */
function flagSpec(row: CliRow): FlagSpec {
  const numeric = row.cli.value === 'number' || row.cli.value === 'int';
  return {
    name: row.cli.flag,
    // `--preserve-colors` alone means luminance; with a following word, that word.
    type: row.name === 'preserveColors' ? 'optional-string' : FLAG_TYPE[row.cli.value],
    ...(row.cli.arg ? { arg: row.cli.arg } : {}),
    help: numeric && row.range ? `${row.doc} (${rangeText(row.range)})` : row.doc,
    ...(row.default !== undefined && row.default !== false ? { default: defaultText(row.default) } : row.defaultText ? { default: row.defaultText } : {}),
    ...(row.name === 'preserveColors' ? { choices: row.choices!.filter((c): c is string => typeof c === 'string') } : {}),
  };
}

/** The flag of the option `name` (its row's `cli` column). */
export function flagOf(name: string): FlagSpec {
  const row = cliRows().find((r) => r.name === name);
  if (!row) throw new Error(`option ${name} has no CLI flag in the option table`);
  return flagSpec(row);
}

/**
 * Flags of the stylize() options that every stylising command shares (stylize, sweep, study). `iterations` is each
 * command's own (a count, an axis, or snapshot counts): see {@link flagOf}.
 */
export const STYLIZE_FLAGS: FlagSpec[] = cliRows()
  .filter((r) => r.name !== 'iterations')
  .map(flagSpec);

/**
 * The command-line flag an option's error names: `lbfgs.historySize` → `--lbfgs-history`, `scales[2]` → `--scales`;
 * undefined for an option without a flag.
 */
export function flagForField(field: string): string | undefined {
  const name = field.replace(/\[\d*\]/g, '');
  const row = cliRows().find((r) => r.name === name || name.startsWith(`${r.name}.`));
  return row ? `--${row.cli.flag}` : undefined;
}

/**
 * An option error as the command line says it: the flag instead of the option (`--lbfgs-history is 0; expected …`),
 * from the error's `details` (`field`, `expected`, `got`); the library's message when the field has no flag.
 */
export function flagMessage(e: StyleTransferError): string {
  const d = e.details ?? {};
  const flag = typeof d.field === 'string' ? flagForField(d.field) : undefined;
  if (!flag || typeof d.expected !== 'string' || !('got' in d) || d.source !== undefined) return e.message;
  return `${flag} is ${describe(d.got)}; expected ${d.expected}.`;
}

/** `conv1_1,conv3_1` → list; `relu1_1:1,relu2_1:0.5` → map (entries without a weight get 1). Names are checked. */
export function parseLayerSpec(flag: string, text: string): LayerWeights {
  const parts = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new UsageError(`--${flag} needs at least one layer, e.g. conv1_1,conv3_1`);
  const weighted = parts.some((p) => p.includes(':'));
  const entries = parts.map((p): [string, number] => {
    const [name, w] = p.split(':');
    resolveLayer(name.trim(), `--${flag}`);
    return [name.trim(), w === undefined ? 1 : parseNumber(flag, w)];
  });
  return weighted ? Object.fromEntries(entries) : entries.map(([n]) => n);
}

export const numberList = (flag: string, text: string, integer = false): number[] => {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => p === '')) throw new UsageError(`--${flag} needs a comma-separated list of numbers, got ${JSON.stringify(text)}`);
  return parts.map((p) => parseNumber(flag, p, integer));
};


/** The flag's value as text (undefined when not given). */
const text = (f: FlagValues, flag: string): string | undefined => {
  const v = f.get(flag);
  return v === undefined ? undefined : String(v);
};

/** --tile N|auto|off and --tile-halo N|exact as the `tile` option (ranges are checked by stylize()). */
function tileOption(tile: string | undefined, halo: string | undefined): StylizeOptions['tile'] | undefined {
  const int = (flag: string, v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n)) {
      throw new StyleTransferError('INVALID_OPTION', `--${flag} takes a whole number of pixels${flag === 'tile' ? ', "auto" or "off"' : ' or "exact"'}; got "${v}".`, { field: flag === 'tile' ? 'tile' : 'tile.halo', expected: 'a whole number of pixels', got: v });
    }
    return n;
  };
  if (halo !== undefined && (tile === undefined || tile === 'auto' || tile === 'off')) {
    throw new StyleTransferError('INVALID_OPTION', '--tile-halo needs a tile size: --tile N.', { field: 'tile.halo', expected: 'a tile size given with --tile N', got: halo });
  }
  if (tile === undefined || tile === 'auto') return tile;
  if (tile === 'off') return false;
  const size = int('tile', tile);
  return halo === undefined ? size : { size, halo: halo === 'exact' ? 'exact' : int('tile-halo', halo) };
}

/** Sets `value` at an option path (`lbfgs.historySize`). */
function setPath(o: Record<string, unknown>, path: string, value: unknown): void {
  const [head, ...rest] = path.split('.');
  if (rest.length === 0) o[head] = value;
  else setPath((o[head] ??= {}) as Record<string, unknown>, rest.join('.'), value);
}

/**
 * The stylize() options the flags describe (images excluded), read by each row's `cli.value`; the library
 * validates them. `initPath`: `--init FILE`, which the command reads. `--iterations` is each command's own.
 */
export function stylizeOptionsFromFlags(f: FlagValues): Partial<StylizeOptions> & { initPath?: string } {
  const o: Record<string, unknown> = {};
  let initPath: string | undefined;
  for (const row of cliRows()) {
    const flag = row.cli.flag;
    const raw = f.get(flag);
    if (raw === undefined || row.name === 'iterations') continue;
    const value = (): unknown => {
      switch (row.cli.value) {
        case 'number':
        case 'int':
        case 'switch':
          return raw;
        case 'word':
          return String(raw);
        case 'layers':
          return parseLayerSpec(flag, String(raw));
        case 'numbers':
          return numberList(flag, String(raw));
        case 'special':
          return undefined;
      }
    };
    if (row.cli.value !== 'special') {
      setPath(o, row.name, value());
      continue;
    }
    switch (row.name) {
      case 'preserveColors':
        o.preserveColors = raw === true ? 'luminance' : String(raw);
        break;
      case 'init': {
        const init = String(raw);
        if (row.choices!.includes(init)) o.init = init;
        else initPath = init;
        break;
      }
      case 'scales':
        // "auto" (the default, as --help prints it) leaves the schedule to the library.
        if (String(raw).trim() !== 'auto') o.scales = numberList(flag, String(raw));
        break;
      case 'tile': {
        const tile = tileOption(String(raw), text(f, 'tile-halo'));
        if (tile !== undefined) o.tile = tile;
        break;
      }
      case 'tile.halo':
        if (f.get('tile') === undefined) tileOption(undefined, String(raw)); // refuses a halo without a size
        break;
      default:
        throw new Error(`no CLI rule for option ${row.name}`);
    }
  }
  return { ...(o as Partial<StylizeOptions>), ...(initPath !== undefined ? { initPath } : {}) };
}

/** `--iterations`: one count, or one per scale (`100,50`). */
export function iterationsFromFlag(raw: string | undefined): number | number[] | undefined {
  if (raw === undefined) return undefined;
  return raw.includes(',') ? numberList('iterations', raw, true) : parseNumber('iterations', raw, true);
}
