#!/usr/bin/env node
/**
 * The `neural-style-tfjs` command (the package's `bin`): `stylize`, `sweep`, `features` and `reconstruct`.
 * See docs/cli.md, or run `neural-style-tfjs --help`.
 * @module
 */
import { main } from './cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`neural-style-tfjs: unexpected error: ${String((e as Error)?.message ?? e).replace(/\s*\n\s*/g, ' ')}\n`);
    process.exitCode = 1;
  },
);
