/**
 * The `neural-style-tfjs` command's entry logic for its six commands: `stylize`, `sweep`, `features`,
 * `reconstruct`, `study` and `video`. Exit codes: 0 done, 2 bad input (a missing or unreadable file, an unsupported image,
 * bad weights, an unknown layer or option, an out-of-range value) with one line on stderr saying what to fix, 1 any
 * other failure, 130 interrupted (Ctrl-C); the code of every library error is in one table (`errors.ts`). Outputs
 * are written to a temp file and renamed, so a failed run never leaves a half-written file.
 * @module
 */
import { UsageError, formatHelp, parseArgs } from './args.js';
import { errorLine, exitCodeOf } from './errors.js';
import { COMMANDS, COMMON_FLAGS, mainHelp } from './specs.js';
import { writeStdout } from './stdout.js';
import { exitWhenIdle } from './outputs.js';
import { VERSION } from '../version.js';

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, ' ').trim();

/** With --json, failures also end stdout with `{"event":"error","code","message","exitCode"}`. */
let jsonErrors = false;

function fail(message: string, exitCode: number, code = 'USAGE'): number {
  if (jsonErrors) writeStdout(`${JSON.stringify({ event: 'error', code, message: oneLine(message), exitCode })}\n`);
  process.stderr.write(`neural-style-tfjs: ${oneLine(message)}\n`);
  return exitCode;
}

/**
 * The exit code (after the line on stderr and the `--json` error event) when the event loop empties while
 * {@link main} still waits: a wait that nothing will end. Node would otherwise exit with code 0 in the middle of
 * the command, without a word (how Ctrl-C during `video` once ended: ffmpeg.ts `framesFromVideo`).
 */
export function stoppedUnfinished(): number {
  return fail('internal error: the command stopped before it finished (it waited for something that never came); please report it', 1, 'INTERNAL');
}

/** Runs the CLI on `argv` (without `node` and the script) and resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const flagArgs = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
  jsonErrors = flagArgs.some((a) => a === '--json' || /^--json=(1|true|yes|on)$/i.test(a));
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    if (cmd === 'help' && rest[0] === 'worker') return (await import('./worker.js')).workerCommand(['--help']);
    const sub = cmd === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
    writeStdout(`${sub ? formatHelp(sub, COMMON_FLAGS) : mainHelp(VERSION)}\n`);
    return cmd === undefined ? 2 : 0;
  }
  if (cmd === '--version' || cmd === '-v' || cmd === 'version') {
    writeStdout(`${VERSION}\n`);
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
    // A second Ctrl-C exits at once (once no temp file is being created or renamed; the exit hook removes them).
    if (interrupted) exitWhenIdle(130);
    interrupted = true;
    controller.abort(new Error('interrupted'));
  };
  try {
    const parsed = parseArgs(rest, spec, COMMON_FLAGS);
    if (parsed.flags.get('help') === true) {
      writeStdout(`${formatHelp(spec, COMMON_FLAGS)}\n`);
      return 0;
    }
    const { min, max } = spec.positionals;
    const n = parsed.positionals.length;
    if (n < min || n > max) {
      const what = spec.usage.replace(/^\S+ \S+ /, '').split(' -')[0];
      throw new UsageError(`${cmd} takes ${what}; got ${n} file${n === 1 ? '' : 's'} (see "neural-style-tfjs ${cmd} --help")`);
    }
    process.on('SIGINT', onSigint);
    const { RUNNERS, makeCtx } = await import('./commands/index.js');
    await RUNNERS[cmd](makeCtx(parsed, argv, controller.signal));
    return 0;
  } catch (e) {
    if (e instanceof UsageError) return fail(e.message, 2, e.code);
    const err = e as { name?: string; code?: string; message?: string; details?: Record<string, unknown> };
    if (err?.name === 'StyleTransferError') {
      if (err.code === 'ABORTED') return fail('interrupted; no output written', 130, 'ABORTED');
      // Read by code and details: an option's field is named as the flag that sets it (--style-weight).
      return fail(errorLine(err, [...spec.flags, ...COMMON_FLAGS]), exitCodeOf(err.code), err.code);
    }
    if (process.env.NST_DEBUG) console.error(e);
    return fail(`unexpected error: ${err?.message ?? String(e)} (set NST_DEBUG=1 for the stack)`, 1, 'INTERNAL');
  } finally {
    process.off('SIGINT', onSigint);
  }
}
