#!/usr/bin/env node
// Cost of each style statistic (docs/style-statistics.md), in one process so the ratios are measured together:
//   npm run bench -- --style-statistics [--size 256] [--reps 5] [--backend wasm]
//   node bench/style-statistics.mjs [--size 256] [--reps 5]
// Times are process CPU time (all threads; less sensitive to other jobs than wall time) and wall time.
// 1. the style terms alone: on the real activations of the content image at the default style layers
//    (relu1_1…relu5_1), one evaluation of every layer's term (accumulate, finish, activation gradient), median of
//    --reps after a warm-up, interleaved round-robin over the statistics;
// 2. a whole evaluation of stylize()'s objective: Adam (one evaluation per iteration), --iterations (default 6)
//    iterations, the median of the iteration times after the first.
// Needs the built package (npm run build) and weights.
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { flag, stylizeInputs, value } from './common.mjs';

const size = Number(value('size', '256'));
const reps = Number(value('reps', '5'));
const iterations = Number(value('iterations', '6'));
const { nst, backend, content, style, model } = await stylizeInputs();
const core = await import(join(import.meta.dirname, '..', 'dist', 'core.js'));
const tf = await import('@tensorflow/tfjs-core');
const log = (m) => process.stderr.write(`${m}\n`);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const out = { backend, size, reps, iterations, loadAvgStart: loadavg().map((x) => +x.toFixed(2)), terms: {}, evaluation: {} };

// 1. The terms alone, on the content's activations (resized to `size`) against the style's targets.
const layers = nst.STYLIZE_DEFAULTS.styleLayers;
const fit = (img) => {
  const t = core.toImageTensor(img);
  const s = size / Math.max(t.shape[1], t.shape[2]);
  const r = core.resizeImage(t, Math.round(t.shape[1] * s), Math.round(t.shape[2] * s));
  t.dispose();
  return r;
};
const acts = async (img) => {
  const x = fit(img);
  const features = await nst.extractFeatures(model, x, layers);
  x.dispose();
  return features;
};
const a = await acts(content);
const s = await acts(style);
const kernels = core.kernelsFor(backend);
const stats = core.STYLE_STATISTICS;
const terms = stats.map((stat) =>
  layers.map((l, i) => {
    const target = core.styleTargetOf(stat, s[l], kernels, i + 1);
    return { target, term: core.statisticTerm(stat, target, 1, 'mean', kernels, i + 1) };
  }),
);
const times = stats.map(() => []);
const cpuTimes = stats.map(() => []);
for (let r = -1; r < reps; r++) {
  for (let k = 0; k < stats.length; k++) {
    const t0 = performance.now();
    const c0 = cpu();
    const res = tf.tidy(() => layers.map((l, i) => core.wholeImageLoss(terms[k][i].term)(a[l])));
    await Promise.all(res.map((x) => x.grad.data()));
    tf.dispose(res.flatMap((x) => [x.value, x.grad]));
    if (r >= 0) {
      times[k].push(performance.now() - t0);
      cpuTimes[k].push(cpu() - c0);
    }
  }
}
stats.forEach((stat, k) => (out.terms[stat] = { wallMs: +median(times[k]).toFixed(0), cpuMs: +median(cpuTimes[k]).toFixed(0) }));
tf.dispose(terms.flat().map((t) => t.target));
tf.dispose([...Object.values(a), ...Object.values(s)]);
log(`style terms alone at ${size} px (relu1_1…relu5_1, ms per evaluation, median of ${reps}): ${JSON.stringify(out.terms)}`);

// 2. Whole evaluations of stylize()'s objective (Adam: one per iteration).
if (!flag('terms-only')) {
  for (const stat of stats) {
    const marks = [];
    const r = await nst.stylize({ content, style, model, size, iterations, optimizer: 'adam', styleStatistic: stat, onIteration: () => void marks.push([performance.now(), cpu()]) });
    const per = (j) => median(marks.slice(1).map((m, i) => m[j] - marks[i][j]));
    out.evaluation[stat] = { wallMs: +per(0).toFixed(0), cpuMs: +per(1).toFixed(0), firstStyleLoss: +r.history[0].loss.style.toPrecision(3) };
    r.dispose();
    log(`${stat}: ${JSON.stringify(out.evaluation[stat])} per evaluation at ${size} px`);
  }
}
model.dispose();
out.loadAvgEnd = loadavg().map((x) => +x.toFixed(2));
console.log(JSON.stringify(out, null, 2));
