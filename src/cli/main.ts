/**
 * The `neural-style-tfjs` command's entry logic: `stylize`, `sweep`, `features` and `reconstruct`. Exit codes: 0 done, 2 bad
 * input (a missing or unreadable file, an unsupported image, an unknown layer or option, an out-of-range value)
 * with one line on stderr saying what to fix, 1 any other failure, 130 interrupted (Ctrl-C). Outputs are written
 * to a temp file and renamed, so a failed run never leaves a half-written file.
 * @module
 */
import { UsageError, formatHelp, parseArgs } from './args.js';
import { COMMANDS, COMMON_FLAGS, mainHelp } from './specs.js';
import { VERSION } from '../version.js';

/** Error codes that mean "the input was wrong" (exit 2) rather than "something broke" (exit 1). */
const INPUT_CODES = new Set(['INVALID_OPTION', 'UNKNOWN_LAYER', 'INVALID_IMAGE', 'UNSUPPORTED_IMAGE', 'IMAGE_TOO_LARGE', 'OUT_OF_MEMORY', 'WEIGHTS_MISSING', 'WEIGHTS_MANIFEST', 'WEIGHTS_TRUNCATED', 'WEIGHTS_CHECKSUM', 'WEIGHTS_ARCHITECTURE', 'BACKEND']);

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ').trim();

/** With --json, failures also end stdout with `{"event":"error","code","message","exitCode"}`. */
let jsonErrors = false;

function fail(message: string, exitCode: number, code = 'USAGE'): number {
  if (jsonErrors) process.stdout.write(`${JSON.stringify({ event: 'error', code, message: oneLine(message), exitCode })}\n`);
  process.stderr.write(`neural-style-tfjs: ${oneLine(message)}\n`);
  return exitCode;
}

/** Runs the CLI on `argv` (without `node` and the script) and resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const flagArgs = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  jsonErrors = flagArgs.some((a) => a === '--json' || /^--json=(1|true|yes|on)$/i.test(a));
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    const sub = cmd === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    process.stdout.write(`${sub ? formatHelp(sub, COMMON_FLAGS) : mainHelp(VERSION)}\n`);
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === '--version' || cmd === '-v' || cmd === 'version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  // The queue worker (src/cli/worker.ts) parses its own flags.
  if (cmd === 'worker') {
    return (await import('./worker.js')).workerCommand(rest).catch((e: { name?: string; code?: string; message?: string }) => (e instanceof UsageError ? fail(e.message, 2, e.code) : fail(e.message ?? String(e), e.name === 'StyleTransferError' ? 2 : 1, e.code ?? 'INTERNAL')));
  }
  const spec = COMMANDS.find((c) => c.name === cmd);
  if (!spec) return fail(`unknown command "${cmd}"; use one of ${COMMANDS.map((c) => c.name).join(', ')} (see --help)`, 2);
  const controller = new AbortController();
  let interrupted = false;
  const onSigint = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    controller.abort(new Error('interrupted'));
  };
  try {
    const parsed = parseArgs(rest, spec, COMMON_FLAGS);
    if (parsed.flags.get('help') === true) {
      process.stdout.write(`${formatHelp(spec, COMMON_FLAGS)}\n`);
      return 0;
    }
    const { min, max } = spec.positionals;
    const n = parsed.positionals.length;
    if (n < min || n > max) {
      const what = spec.usage.replace(/^\S+ \S+ /, '').split(' -')[0];
      throw new UsageError(`${cmd} takes ${what}; got ${n} file${n === 1 ? '' : 's'} (see "neural-style-tfjs ${cmd} --help")`);
    }
    process.on('SIGINT', onSigint); // `on`: a second Ctrl-C exits at once (and the exit hook removes temp files)
    const { RUNNERS, makeCtx } = await import('./commands.js');
    await RUNNERS[cmd](makeCtx(parsed, argv, controller.signal));
    return 0;
  } catch (e) {
    if (e instanceof UsageError) return fail(e.message, 2, e.code);
    const err = e as { name?: string; code?: string; message?: string };
    if (err?.name === 'StyleTransferError') {
      if (err.code === 'ABORTED') return fail('interrupted; no output written', 130, 'ABORTED');
      // Library messages name option fields (`styleWeight`); on the command line they are flags (--style-weight).
      const msg = (err.message ?? String(e)).replace(/^Option `([\w.]+)`/, (_, f: string) => `--${f.replace(/\./g, '-').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
      return fail(msg, err.code && INPUT_CODES.has(err.code) ? 2 : 1, err.code);
    }
    if (process.env.NST_DEBUG) console.error(e);
    return fail(`unexpected error: ${err?.message ?? String(e)} (set NST_DEBUG=1 for the stack)`, 1, 'INTERNAL');
  } finally {
    process.off('SIGINT', onSigint);
  }
}
