/**
 * A small declarative argument parser for the CLI: `--flag value`, `--flag=value`, `-o value`, boolean flags
 * (`--json`, `--no-captions`), repeatable flags, and positionals. Every mistake is a {@link UsageError} whose
 * message says what to type instead.
 * @module
 */
import { closest } from '../util/checks.js';

/** A mistake on the command line (exit code 2). `code` names the kind for `--json` error events. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  constructor(
    message: string,
    readonly code: string = 'USAGE',
  ) {
    super(message);
  }
}

export type FlagType = 'string' | 'number' | 'int' | 'boolean' | 'optional-string';

export interface FlagSpec {
  name: string;
  type: FlagType;
  /** One-letter alias, e.g. `o`. */
  short?: string;
  /** Value placeholder in help, e.g. `N` or `LAYERS`. */
  arg?: string;
  help: string;
  /** May be given several times (values collected in order). */
  repeat?: boolean;
  /** Shown as the default in help. */
  default?: string;
  /** For `optional-string`: the values the next argument may be to count as this flag's value. */
  choices?: string[];
  /** For `number`/`int`: the smallest and largest values accepted (checked while parsing). */
  min?: number;
  max?: number;
  /**
   * The library option this flag sets (`styleWeight`, `lbfgs.historySize`): an INVALID_OPTION error whose
   * `details.field` is this names the flag instead (see `cli/errors.ts`).
   */
  field?: string;
}

export interface CommandSpec {
  name: string;
  usage: string;
  summary: string;
  /** One line for the command list. */
  short: string;
  /** Positional names for help, e.g. `<content> <style…>`. */
  positionals: { min: number; max: number };
  flags: FlagSpec[];
  examples: string[];
  /** Extra help text after the flags. */
  notes?: string[];
}

export interface Parsed {
  positionals: string[];
  /** Flag values by name (camel-cased not: the flag's own name). Repeated flags give arrays. */
  flags: Map<string, string | number | boolean | (string | number)[]>;
}

/** Parses a number flag value strictly (`1e3`, `0.5`; not `12px`, not empty). */
export function parseNumber(flag: string, v: string, integer = false): number {
  const n = v.trim() === '' ? NaN : Number(v);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${flag} needs ${integer ? 'a whole number' : 'a number'}, got ${JSON.stringify(v)}`);
  }
  return n;
}

/** Parses argv (after the command name) against a command's flags. */
export function parseArgs(argv: readonly string[], spec: CommandSpec, common: FlagSpec[]): Parsed {
  const all = [...spec.flags, ...common];
  const byName = new Map(all.map((f) => [f.name, f]));
  const byShort = new Map(all.filter((f) => f.short).map((f) => [f.short!, f]));
  const flags: Parsed['flags'] = new Map();
  const positionals: string[] = [];
  const set = (f: FlagSpec, raw: string | boolean): void => {
    let v: string | number | boolean;
    if (f.type === 'boolean') v = raw === true ? true : raw === false ? false : parseBool(f.name, raw);
    else if (f.type === 'number' || f.type === 'int') v = checkRange(f, parseNumber(f.name, raw as string, f.type === 'int'));
    else v = raw as string | boolean;
    if (f.repeat) {
      const prev = (flags.get(f.name) as (string | number)[] | undefined) ?? [];
      flags.set(f.name, [...prev, v as string | number]);
    } else {
      if (flags.has(f.name)) throw new UsageError(`--${f.name} is given twice; give it once`);
      flags.set(f.name, v);
    }
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      let name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      const inline = eq > 0 ? a.slice(eq + 1) : undefined;
      let negated = false;
      if (!byName.has(name) && name.startsWith('no-') && byName.get(name.slice(3))?.type === 'boolean') {
        name = name.slice(3);
        negated = true;
      }
      const f = byName.get(name);
      if (!f) {
        const guess = closest(name, [...byName.keys()]);
        throw new UsageError(`unknown option --${name} for "${spec.name}"${guess ? ` (did you mean --${guess}?)` : ''}; see "neural-style-tfjs ${spec.name} --help"`);
      }
      if (f.type === 'boolean') {
        set(f, negated ? false : inline !== undefined ? inline : true);
      } else if (f.type === 'optional-string') {
        const next = argv[i + 1];
        if (inline !== undefined) set(f, inline);
        else if (next !== undefined && (f.choices ?? []).includes(next)) set(f, argv[++i]);
        else set(f, true);
      } else {
        const v = inline ?? argv[++i];
        if (v === undefined || (inline === undefined && v.startsWith('--'))) throw new UsageError(`--${name} needs a value${f.arg ? ` (${f.arg})` : ''}`);
        set(f, v);
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) {
      const f = byShort.get(a.slice(1, 2));
      if (!f) throw new UsageError(`unknown option ${a} for "${spec.name}"; see "neural-style-tfjs ${spec.name} --help"`);
      if (f.type === 'boolean') {
        set(f, true);
        continue;
      }
      const v = a.length > 2 ? a.slice(2).replace(/^=/, '') : argv[++i];
      if (v === undefined) throw new UsageError(`-${f.short} (--${f.name}) needs a value`);
      set(f, v);
      continue;
    }
    positionals.push(a);
  }
  return { positionals, flags };
}

function checkRange(f: FlagSpec, v: number): number {
  if ((f.min !== undefined && v < f.min) || (f.max !== undefined && v > f.max)) {
    const range = f.max === undefined ? `≥ ${f.min}` : f.min === undefined ? `≤ ${f.max}` : `${f.min}–${f.max}`;
    throw new UsageError(`--${f.name} is ${v}; give ${f.type === 'int' ? 'a whole number' : 'a number'} ${range}`);
  }
  return v;
}

function parseBool(name: string, v: string): boolean {
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new UsageError(`--${name} is a switch; give it alone, or as --${name}=true / --no-${name}`);
}

/** Help text for a command. */
export function formatHelp(spec: CommandSpec, common: FlagSpec[]): string {
  const lines = [`Usage: ${spec.usage}`, '', spec.summary, '', 'Options:'];
  const row = (f: FlagSpec): string => {
    const left = `  ${f.short ? `-${f.short}, ` : '    '}--${f.name}${f.type === 'boolean' ? '' : f.type === 'optional-string' ? ` [${f.arg ?? 'VALUE'}]` : ` ${f.arg ?? 'VALUE'}`}`;
    const help = `${f.help}${f.default !== undefined ? ` (default ${f.default})` : ''}${f.repeat ? ' (repeatable)' : ''}`;
    return left.length < 32 ? `${left.padEnd(32)}${help}` : `${left}\n${' '.repeat(32)}${help}`;
  };
  lines.push(...spec.flags.map(row), '', 'Common options:', ...common.map(row));
  if (spec.notes?.length) lines.push('', ...spec.notes);
  if (spec.examples.length) lines.push('', 'Examples:', ...spec.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}
