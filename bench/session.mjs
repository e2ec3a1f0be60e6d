#!/usr/bin/env node
/**
 * Queue or side by side? `node bench/session.mjs [--calls 4] [--size 128] [--iterations 10]` runs the same
 * calls twice on WASM, in one process, and prints JSON:
 *  - queued: all calls at once on ONE session (its queue runs them one at a time);
 *  - side by side: all calls at once on one session EACH (sharing one model), interleaving on the same backend.
 * For each: wall time for all, when the first and the last result arrived, the mean latency, and the peak of the
 * backend's memory (tf.memory().numBytes, sampled every iteration). Uses the built package (`npm run build`).
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import jpeg from 'jpeg-js';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { ready, loadVgg19, createStylizer } from 'neural-style-tfjs/node';
import { fitSize, resizeImage, toImageTensor } from 'neural-style-tfjs/core';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '4' }, size: { type: 'string', default: '128' }, iterations: { type: 'string', default: '10' } } });
const calls = Number(values.calls);
const size = Number(values.size);
const iterations = Number(values.iterations);
const images = fileURLToPath(new URL('../../shared/images/', import.meta.url));

/** A photo or painting at `side` px on its longest side, as a tensor the caller disposes. */
function load(name, side) {
  const { data, width, height } = jpeg.decode(readFileSync(`${images}${name}.jpg`), { useTArray: true, formatAsRGBA: false });
  const full = toImageTensor({ data, width, height, channels: 3 });
  const [h, w] = fitSize(height, width, side);
  const small = resizeImage(full, h, w);
  full.dispose();
  return tf.squeeze(small, [0]);
}

const backend = await ready();
const model = await loadVgg19();
const content = load('tubingen', size);
const styles = ['starry_night', 'the_scream', 'shipwreck', 'woman-with-hat-matisse'].map((n) => load(n, size));

async function measure(label, sessions) {
  let peak = tf.memory().numBytes;
  const t0 = performance.now();
  const done = await Promise.all(
    Array.from({ length: calls }, async (_, i) => {
      const s = sessions[i % sessions.length];
      const r = await s.stylize(content, styles[i % styles.length], {
        size, iterations, onIteration: () => void (peak = Math.max(peak, tf.memory().numBytes)),
      });
      r.dispose();
      return performance.now() - t0;
    }),
  );
  done.sort((a, b) => a - b);
  return {
    mode: label,
    wallSeconds: +(done[done.length - 1] / 1000).toFixed(2),
    firstResultSeconds: +(done[0] / 1000).toFixed(2),
    meanLatencySeconds: +(done.reduce((a, b) => a + b, 0) / done.length / 1000).toFixed(2),
    peakBackendMB: Math.round(peak / 2 ** 20),
  };
}

const one = await createStylizer({ model });
const many = await Promise.all(Array.from({ length: calls }, () => createStylizer({ model })));
// Warm-up: the first run grows the WASM heap and compiles kernels.
(await one.stylize(content, styles[0], { size, iterations: 1 })).dispose();
const queued = await measure('queued (one session)', [one]);
const sideBySide = await measure('side by side (one session per call)', many);
one.dispose();
many.forEach((s) => s.dispose());
console.log(JSON.stringify({ backend, calls, size, iterations, results: [queued, sideBySide] }, null, 2));
