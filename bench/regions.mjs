#!/usr/bin/env node
/**
 * What styles by region cost: `node bench/regions.mjs [--size 128] [--iterations 10] [--reps 3] [--json]` (or
 * `npm run bench -- --regions`) stylizes tubingen.jpg with starry_night.jpg at `--size` px with 0, 1, 2 and 4
 * regions (vertical bands that tile the picture, each painted with the style) and prints the milliseconds per
 * objective evaluation (the optimisation loop's time / evaluations; setup — style Grams, guides — excluded), the
 * median of `--reps` runs, interleaved. One process, one model; needs the built package (`npm run build`).
 */
import { flag, stylizeInputs, value } from './common.mjs';

const size = Number(value('size', '128'));
const iterations = Number(value('iterations', '10'));
const reps = Number(value('reps', '3'));
const { nst, backend, content, style, model } = await stylizeInputs();
const stylizer = await nst.createStylizer({ model });

/** `k` vertical bands over a `w`x`h` picture, as float masks. */
function bands(k, w, h) {
  return Array.from({ length: k }, (_, i) => {
    const data = new Float32Array(w * h);
    const [x0, x1] = [Math.round((i * w) / k), Math.round(((i + 1) * w) / k)];
    for (let y = 0; y < h; y++) data.fill(1, y * w + x0, y * w + x1);
    return { mask: { data, width: w, height: h }, styles: [0], name: `band ${i + 1}` };
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const COUNTS = [0, 1, 2, 4];
const perEval = COUNTS.map(() => []);
const setup = COUNTS.map(() => 0);
await (await stylizer.stylize(content, style, { size, iterations: 2 })).dispose(); // warm-up: kernels, style cache
// Interleaved (0, 1, 2, 4, 0, 1, …): a machine whose load changes during the bench slows every count alike.
for (let r = 0; r < reps; r++) {
  for (const [i, k] of COUNTS.entries()) {
    const result = await stylizer.stylize(content, style, { size, iterations, ...(k ? { regions: bands(k, content.width, content.height) } : {}) });
    perEval[i].push(result.timings.optimizeMs / result.evaluations);
    setup[i] = result.timings.setupMs;
    result.dispose();
    if (!flag('json')) process.stderr.write(`… rep ${r + 1}, ${k} regions: ${Math.round(perEval[i].at(-1))} ms per evaluation\n`);
  }
}
const rows = COUNTS.map((k, i) => ({ regions: k, msPerEvaluation: Math.round(median(perEval[i])), setupMs: Math.round(setup[i]) }));
stylizer.dispose();
model.dispose();
const out = { backend, size, iterations, reps, rows };
if (flag('json')) console.log(JSON.stringify(out));
else {
  console.log(`\nstyles by region on ${backend} at ${size} px (${iterations} iterations, median of ${reps}):\n`);
  console.log('| regions | ms per evaluation | vs no regions | setup (ms) |');
  console.log('| --- | --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.regions} | ${r.msPerEvaluation} | ${(r.msPerEvaluation / rows[0].msPerEvaluation).toFixed(2)}x | ${r.setupMs} |`);
}
