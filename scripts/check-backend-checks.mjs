#!/usr/bin/env node
/**
 * `npm run lint:backends`: no code outside src/kernels/ and src/adapters/ branches on the backend's name (house rule:
 * the core never asks which backend runs; what differs per backend is a kernel or an adapter). Reading the name to
 * pass it on (`kernelsFor(tf.getBackend())`, a record's `backend` field) is fine; comparing it is not. Exits 1 and
 * prints each offending line. Run in CI (.ci/run).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const ALLOWED = ['src/kernels/', 'src/adapters/'];
const NAMES = '(webgl|webgpu|wasm|cpu|tensorflow)';
const COMPARE = new RegExp(`(===|!==)\\s*'${NAMES}'|'${NAMES}'\\s*(===|!==)|getBackend\\(\\)\\s*(===|!==)|case '${NAMES}':`);

function* files(d) {
  for (const e of readdirSync(d, { withFileTypes: true })) {
    const p = join(d, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (/\.ts$/.test(e.name)) yield p;
  }
}

const hits = [];
for (const f of files(join(ROOT, 'src'))) {
  const rel = relative(ROOT, f);
  if (ALLOWED.some((a) => rel.startsWith(a))) continue;
  readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
    if (COMPARE.test(line)) hits.push(`${rel}:${i + 1}: ${line.trim()}`);
  });
}
if (hits.length) {
  console.error(`lint:backends: backend checks outside ${ALLOWED.join(' and ')} (move them into a kernel or an adapter):\n${hits.join('\n')}`);
  process.exit(1);
}
console.log(`lint:backends: no backend checks outside ${ALLOWED.join(' and ')}`);
