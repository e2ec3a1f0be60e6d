#!/usr/bin/env node
/**
 * The `neural-style-tfjs` command (the package's `bin`): `stylize`, `sweep`, `features`, `reconstruct` and `study`.
 * Run `neural-style-tfjs --help`; the full documentation is the README's CLI section (docs/cli.md in the repository).
 * @module
 */
import { main, stoppedUnfinished } from './main.js';
import { watchStdout } from './stdout.js';

// A reader that stops early (`… --json | head -1`) closes the pipe: the command goes on without stdout and ends as
// it would have, so no temp file is left behind (stdout.ts). Without a listener Node would print a stack trace.
watchStdout();

let settled = false;
// Nothing but pending work keeps Node running: if the event loop empties while main() still waits, it would exit
// with code 0 as though the command had succeeded. Fail loudly instead.
process.on('beforeExit', () => {
  if (settled) return;
  settled = true;
  process.exitCode = stoppedUnfinished();
});

main(process.argv.slice(2)).then(
  (code) => {
    settled = true;
    process.exitCode = code;
  },
  (e) => {
    settled = true;
    process.stderr.write(`neural-style-tfjs: unexpected error: ${String((e as Error)?.message ?? e).replace(/\s*\n\s*/g, ' ')}\n`);
    process.exitCode = 1;
  },
);
