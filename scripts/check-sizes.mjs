#!/usr/bin/env node
/**
 * `npm run lint:size`: no source file in src/ passes 400 lines (house rule: a file over ~400 lines is two files).
 * Prints every offender with its line count and exits 1 if there is one; run in CI (.ci/run).
 *
 *   node scripts/check-sizes.mjs [--max N] [folder]     # defaults: 400, src
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const args = process.argv.slice(2);
const maxAt = args.indexOf('--max');
const MAX = maxAt >= 0 ? Number(args.splice(maxAt, 2)[1]) : 400;
if (!Number.isInteger(MAX) || MAX < 1) {
  console.error('usage: node scripts/check-sizes.mjs [--max N] [folder]');
  process.exit(2);
}
const dir = resolve(ROOT, args[0] ?? 'src');

/** Every .ts/.tsx/.js/.mjs/.cjs file under `d`. */
function* files(d) {
  for (const e of readdirSync(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (/\.(ts|tsx|js|mjs|cjs)$/.test(e.name)) yield p;
  }
}

const lines = (text) => text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
const over = [];
let count = 0;
for (const f of files(dir)) {
  count++;
  const n = lines(readFileSync(f, 'utf8'));
  if (n > MAX) over.push([relative(ROOT, f), n]);
}
if (over.length) {
  for (const [f, n] of over.sort((a, b) => b[1] - a[1])) console.error(`${f}: ${n} lines (more than ${MAX}); split it into files with one job each`);
  process.exit(1);
}
console.log(`lint:size: ${count} files in ${relative(ROOT, dir) || '.'}, none over ${MAX} lines`);
