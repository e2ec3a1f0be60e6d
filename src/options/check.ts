/**
 * The one validation kit. Options, session configs and records read back from files are checked with a
 * {@link Checker}; a wrong value is an `INVALID_OPTION` {@link StyleTransferError} whose `details` are
 * `{ field, expected, got }` (plus `source` when the value came from a file), so callers — the CLI among them — can
 * branch on the code and the field, never on the message.
 * @module
 */
import { invalidOption } from '../errors.js';
import { closest } from '../util/checks.js';
import { isAbortSignal } from '../util/signal.js';

/** An inclusive numeric range (`integer`: whole numbers only). */
export interface Range {
  readonly min: number;
  readonly max: number;
  readonly integer?: boolean;
}

/** `"16–4096"`-style text for help and docs. */
export function rangeText(r: Range): string {
  return `${r.min}–${r.max}`;
}

/** What a range accepts, in words: `a whole number 16–4096`, `a number 0.05–8`. */
export function rangeExpected(r: Range): string {
  return `${r.integer ? 'a whole number' : 'a number'} ${rangeText(r)}`;
}

type Obj = Record<string, unknown>;

/** True for a plain object (not null, not an array). */
export const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks fields and throws coded errors naming them. `source` names where the values came from (a record's file
 * name; none for a function's options) and `prefix` is put before every field (`options.` inside a record).
 */
export class Checker {
  constructor(
    readonly source?: string,
    readonly prefix = '',
  ) {}

  /** A checker for the fields of an object inside this one (`lbfgs` → `lbfgs.historySize`). */
  nested(field: string): Checker {
    return new Checker(this.source, `${this.prefix}${field}.`);
  }

  /** The full name of `field` (with the prefix). */
  name(field: string): string {
    return `${this.prefix}${field}`;
  }

  /** Throws INVALID_OPTION: `field` is `got`; `expected` says what is accepted. */
  fail(field: string, got: unknown, expected: string, message?: string): never {
    return invalidOption(this.name(field), got, expected, { message, source: this.source });
  }

  /**
   * Refuses keys of `value` not in `known`; `where` ends the message (`for stylize()`, `in \`sheet\``). A function's
   * options say "Unknown option", a record's "Unknown field".
   */
  knownKeys(value: Obj, known: Iterable<string>, where: string): void {
    const list = [...known];
    for (const k of Object.keys(value)) {
      if (!list.includes(k)) {
        const guess = closest(k, list);
        const hint = guess ? ` (did you mean \`${this.name(guess)}\`?)` : '';
        const message = `Unknown ${this.source ? 'field' : 'option'} \`${this.name(k)}\` ${where}${hint}. Known: ${list.join(', ')}.`;
        this.fail(k, value[k], `one of ${list.join(', ')}`, message);
      }
    }
  }

  /** A plain object; with `known`, no other keys. */
  object(field: string, v: unknown, known?: readonly string[]): Obj {
    if (!isObject(v)) this.fail(field, v, 'an object');
    if (known) this.nested(field).knownKeys(v, known, `in \`${this.name(field)}\``);
    return v;
  }

  /** A number within `range` (`def` when undefined). */
  number(field: string, v: unknown, range: Range, def?: number): number {
    if (v === undefined && def !== undefined) return def;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < range.min || v > range.max || (range.integer && !Number.isInteger(v))) {
      this.fail(field, v, rangeExpected(range));
    }
    return v;
  }

  /** A whole number in [min, max]. */
  int(field: string, v: unknown, min: number, max: number): number {
    return this.number(field, v, { min, max, integer: true });
  }

  /** One of `allowed` (`def` when undefined). */
  oneOf<T extends string | boolean>(field: string, v: unknown, allowed: readonly T[], def?: T): T {
    if (v === undefined && def !== undefined) return def;
    if (!allowed.includes(v as T)) this.fail(field, v, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
    return v as T;
  }

  /** A non-empty string (matching `pattern` when given; `what` says what is expected). */
  string(field: string, v: unknown, pattern?: RegExp, what = 'a string'): string {
    if (typeof v !== 'string' || v === '' || (pattern && !pattern.test(v))) this.fail(field, v, what);
    return v;
  }

  /** A list of `min`–`max` entries. */
  list(field: string, v: unknown, min = 1, max = Infinity): unknown[] {
    if (!Array.isArray(v) || v.length < min || v.length > max) {
      this.fail(field, v, `a list of ${min === max ? min : max === Infinity ? `at least ${min}` : `${min}–${max}`} values`);
    }
    return v;
  }

  /** A function, or undefined. */
  fn<T>(field: string, v: unknown): T | undefined {
    if (v !== undefined && typeof v !== 'function') this.fail(field, v, 'a function');
    return v as T | undefined;
  }

  /** An AbortSignal, or undefined (`isAbortSignal`: a look-alike would be read later and crash mid-run). */
  signal(field: string, v: unknown): AbortSignal | undefined {
    if (v !== undefined && !isAbortSignal(v)) this.fail(field, v, 'an AbortSignal (e.g. new AbortController().signal)');
    return v as AbortSignal | undefined;
  }

  /** A finite weight ≥ 0. */
  weight(field: string, v: unknown): number {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) this.fail(field, v, 'a finite weight ≥ 0');
    return v;
  }
}

/** The checker of a function's own options (no source, no prefix). */
export const OPTIONS = new Checker();
