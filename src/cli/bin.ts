#!/usr/bin/env node
/**
 * The `neural-style-tfjs` command (the package's `bin`): `stylize`, `sweep`, `features` and `reconstruct`.
 * See docs/cli.md, or run `neural-style-tfjs --help`.
 * @module
 */
import { main } from './main.js';

// A reader that stops early (`neural-style-tfjs stylize … --json | head -1`) closes the pipe: the next write fails
// with EPIPE. Like any Unix filter, stop quietly then; nobody is left to read the rest. (Without this listener the
// 'error' event is unhandled and Node prints a stack trace.)
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`neural-style-tfjs: unexpected error: ${String((e as Error)?.message ?? e).replace(/\s*\n\s*/g, ' ')}\n`);
    process.exitCode = 1;
  },
);
