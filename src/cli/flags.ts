/**
 * The CLI's shared flags: the ones every command takes ({@link COMMON_FLAGS}) and the ones that map onto
 * `stylize()` options ({@link STYLIZE_FLAGS}), with {@link flagForField} to name a flag from an option's field.
 * The command specs (`specs.ts`) spread these; help and parsing read them.
 * @module
 */
import { DEFAULT_MAX_INPUT_PIXELS } from '../image/input.js';
import { DEFAULT_MAX_BYTES } from '../adapters/node/image-io.js';
import { defaultText as t } from '../defaults.js';
import { rangeText } from '../options/check.js';
import { OPTION_TABLE, type FlagValue, type OptionRow } from '../options/table.js';
import type { FlagSpec, FlagType } from './args.js';

export const COMMON_FLAGS: FlagSpec[] = [
  { name: 'help', short: 'h', type: 'boolean', help: 'show this help' },
  { name: 'quiet', short: 'q', type: 'boolean', help: 'no progress bar or summary on stderr (errors still print)' },
  { name: 'json', type: 'boolean', help: 'machine-readable progress on stdout: one JSON object per line' },
  { name: 'backend', type: 'string', arg: 'NAME', help: 'TF.js backend: tensorflow (needs @tensorflow/tfjs-node), wasm or cpu', default: 'best available' },
  { name: 'network', type: 'string', arg: 'vgg19|vgg16|FILE.json', help: 'the loss network: built in, or a network spec file (docs/networks.md); any but VGG-19 needs --weights', default: 'vgg19' },
  { name: 'weights', type: 'string', arg: 'DIR', help: 'the network\'s weight folder (or manifest.json)', default: 'the VGG-19 weights shipped in the package' },
  { name: 'max-megapixels', type: 'number', arg: 'X', min: 0.01, max: 1000, help: 'refuse input images with more pixels (read from the header, before decoding)', default: String(DEFAULT_MAX_INPUT_PIXELS / 1e6) },
  { name: 'max-file-mb', type: 'number', arg: 'X', min: 0.01, max: 65536, help: 'refuse input files larger than X MiB', default: String(DEFAULT_MAX_BYTES / 2 ** 20) },
];

type CliRow = OptionRow & { cli: NonNullable<OptionRow['cli']> };

/** The option table's `stylize()` rows that have a flag, in the table's order. */
export const CLI_ROWS: readonly CliRow[] = OPTION_TABLE.filter((r): r is CliRow & (typeof OPTION_TABLE)[number] => r.scope === 'call' && 'cli' in r);

const FLAG_TYPE: Record<FlagValue, FlagType> = { number: 'number', int: 'int', word: 'string', layers: 'string', numbers: 'string', switch: 'boolean', special: 'string' };

/** Options whose flag may stand alone or take one of the option's words. */
const OPTIONAL_WORD = new Set(['preserveColors', 'normalizeGradients']);

/** A row's flag: its name, type, help (the row's doc, with the range of a number) and default, from the table. */
function flagSpec(row: CliRow): FlagSpec {
  const numeric = row.cli.value === 'number' || row.cli.value === 'int';
  return {
    name: row.cli.flag,
    field: row.name,
    // `--preserve-colors` alone means luminance, `--normalize-gradients` alone true; with a following word, that word.
    type: OPTIONAL_WORD.has(row.name) ? 'optional-string' : FLAG_TYPE[row.cli.value],
    ...(row.cli.arg ? { arg: row.cli.arg } : {}),
    help: numeric && row.range ? `${row.doc} (${rangeText(row.range)})` : row.doc,
    ...(row.default !== undefined && row.default !== false ? { default: t(row.default) } : row.defaultText ? { default: row.defaultText } : {}),
    ...(OPTIONAL_WORD.has(row.name) ? { choices: row.choices!.filter((c): c is string => typeof c === 'string') } : {}),
    ...(row.name === 'regions' ? { repeat: true } : {}), // one --region per region
  };
}

/** The flag of the option `name` (its row's `cli` column), e.g. for a command that spells `--iterations` its own way. */
export function flagOf(name: string): FlagSpec {
  const row = CLI_ROWS.find((r) => r.name === name);
  if (!row) throw new Error(`option ${name} has no CLI flag in the option table`);
  return flagSpec(row);
}

/**
 * Flags that map onto stylize() options (shared by stylize, sweep as the base of every cell, and study), derived
 * from the option table's `cli` column, each with the option `field` it sets; {@link stylizeOptionsFromFlags}
 * (`stylize-options.ts`) turns them into options. `iterations` is each command's own (a count, an axis, snapshot
 * counts): see {@link flagOf}. `--temporal-weight` is the video command's only.
 */
export const STYLIZE_FLAGS: FlagSpec[] = CLI_ROWS.filter((r) => r.name !== 'iterations' && r.name !== 'temporalWeight').map(flagSpec);

/**
 * The flag that sets the option `field` (as in an INVALID_OPTION error's `details.field`), among `flags`:
 * `styleWeight` → `--style-weight`, `lbfgs.historySize` → `--lbfgs-history`, `styleBlendWeights[1]` →
 * `--style-blend-weights[1]`. Undefined when no flag sets it (the error then keeps the option's name).
 */
export function flagForField(field: string, flags: readonly FlagSpec[]): string | undefined {
  const exact = flags.find((f) => f.field === field);
  if (exact) return `--${exact.name}`;
  // The longest field that `field` is an entry or a member of (`scales[2]`, `tile.size` of `tile`).
  let best: FlagSpec | undefined;
  for (const f of flags) {
    if (!f.field || !field.startsWith(f.field)) continue;
    const next = field[f.field.length];
    if ((next === '[' || next === '.') && (!best || f.field.length > best.field!.length)) best = f;
  }
  return best ? `--${best.name}${field.slice(best.field!.length)}` : undefined;
}

/**
 * Flags of the commands that can run through a queue (stylize, sweep, study): their jobs go to BullMQ on Redis,
 * `neural-style-tfjs worker` processes run them, the command follows and assembles (`queue-run.ts`).
 */
export const QUEUE_FLAGS: FlagSpec[] = [
  { name: 'queue', type: 'string', arg: 'URL', help: 'run the work as jobs on the queue at this Redis URL (neural-style-tfjs worker runs them); the same command again resumes' },
  { name: 'queue-name', type: 'string', arg: 'NAME', help: 'with --queue: the queue name (the workers\' --name)', default: 'neural-style-tfjs' },
  { name: 'storage', type: 'string', arg: 'DIR', help: 'with --queue: the results folder the workers write to (their --storage)', default: '$NST_QUEUE_STORAGE, else <tmp>/neural-style-tfjs-queue' },
];
