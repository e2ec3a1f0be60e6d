#!/usr/bin/env node
/**
 * One spec, every backend: runs the backend spec — golden activations/Grams/losses/gradient, finite-difference
 * gradients of every loss, feature taps, and the tensor-leak checks — once per TF.js backend available in Node:
 * cpu, wasm single-threaded, wasm multi-threaded, and tensorflow (tfjs-node) when it is installed. WebGL and
 * WebGPU run the same checks in Chromium (`npm run test:browser`). Run `npx tsup` first (npm test does).
 *
 *   npm run test:backends                 # every backend available
 *   npm run test:backends -- cpu wasm-1   # some of them
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

/** The spec: tests that must pass, with the same tolerances, on every backend. */
export const SPEC = ['test/golden.test.ts', 'test/losses.test.ts', 'test/extract.test.ts'];

const require = createRequire(import.meta.url);
const hasTfjsNode = (() => {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
})();

const BACKENDS = {
  cpu: { NST_TEST_BACKEND: 'cpu' },
  'wasm-1': { NST_TEST_BACKEND: 'wasm', NST_WASM_THREADS: '1' },
  'wasm-threads': { NST_TEST_BACKEND: 'wasm', NST_WASM_THREADS: '2' },
  tensorflow: { NST_TEST_BACKEND: 'tensorflow' },
};

const asked = process.argv.slice(2);
for (const a of asked) if (!(a in BACKENDS)) throw new Error(`unknown backend "${a}"; expected ${Object.keys(BACKENDS).join(', ')}`);
const names = asked.length ? asked : Object.keys(BACKENDS);
const results = [];
for (const name of names) {
  if (name === 'tensorflow' && !hasTfjsNode) {
    console.log(`== ${name}: skipped (@tensorflow/tfjs-node is not installed here)`);
    results.push([name, 'skipped']);
    continue;
  }
  console.log(`== ${name}: ${SPEC.join(' ')}`);
  const t0 = Date.now();
  const r = spawnSync('npx', ['vitest', 'run', '--testTimeout=900000', '--hookTimeout=900000', ...SPEC], { stdio: 'inherit', env: { ...process.env, ...BACKENDS[name] } });
  const s = ((Date.now() - t0) / 1000).toFixed(0);
  results.push([name, r.status === 0 ? `passed in ${s} s` : `FAILED (exit ${r.status}) after ${s} s`]);
}
console.log('\nbackend spec:');
for (const [name, what] of results) console.log(`  ${name.padEnd(13)} ${what}`);
process.exit(results.some(([, w]) => w.startsWith('FAILED')) ? 1 : 0);
