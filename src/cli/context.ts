/**
 * What every command runs with: the parsed flags and positionals, the Ctrl-C signal, and the three ways it talks —
 * `emit` (a `--json` event on stdout), `progress` (a bar on stderr) and `say` / `status` (lines on stderr, unless
 * --quiet) — plus the two flag readers every command uses.
 * @module
 */
import type { Parsed } from './args.js';
import { createProgress, silentProgress, type ProgressBar } from './progress.js';
import { writeStdout } from './stdout.js';

export type Flags = Parsed['flags'];

export interface Ctx {
  flags: Flags;
  positionals: string[];
  signal: AbortSignal;
  /** One JSON object per line on stdout (--json). */
  emit: (event: Record<string, unknown>) => void;
  progress: (label: string) => ProgressBar;
  /** A line on stderr unless --quiet. */
  say: (line: string) => void;
  /**
   * A passing status line on stderr (e.g. while the model loads), for people watching: not with --quiet or
   * --json (JSON readers get an event instead). On a terminal it is erased by `status(undefined)`.
   */
  status: (line: string | undefined) => void;
  argv: readonly string[];
}

/** A string flag's value (`''` for an `optional-string` flag given alone), or undefined when not given. */
export const str = (f: Flags, name: string): string | undefined => {
  const v = f.get(name);
  return v === undefined || typeof v === 'boolean' ? (v === true ? '' : undefined) : String(v);
};

/** A number flag's value (already parsed and range-checked), or undefined when not given. */
export const numFlag = (f: Flags, name: string): number | undefined => f.get(name) as number | undefined;

export function makeCtx(parsed: Parsed, argv: readonly string[], signal: AbortSignal): Ctx {
  const json = parsed.flags.get('json') === true;
  const quiet = parsed.flags.get('quiet') === true;
  const tty = Boolean(process.stderr.isTTY);
  let statusShown = false;
  return {
    flags: parsed.flags,
    positionals: parsed.positionals,
    signal,
    argv,
    emit: json ? (e) => writeStdout(`${JSON.stringify(e)}\n`) : () => {},
    // With --json on a pipe, stderr stays quiet but for the final summary and errors.
    progress: (label) => (quiet || (json && !tty) ? silentProgress : createProgress(process.stderr, label)),
    say: quiet ? () => {} : (line) => void process.stderr.write(`${line}\n`),
    status:
      quiet || json
        ? () => {}
        : (line) => {
            if (line === undefined) {
              if (tty && statusShown) process.stderr.write('\r\x1b[2K');
              statusShown = false;
            } else {
              process.stderr.write(tty ? `\r\x1b[2K${line}` : `${line}\n`);
              statusShown = true;
            }
          },
  };
}
