#!/usr/bin/env node
// The quality harness (docs/quality.md): every style statistic × normalizeGradients off/true on licence-clean
// content/style pairs, each result measured by qualityMeasures() (neural-style-tfjs/experiments), in one process:
//   npm run bench -- --quality [--size 128] [--iterations 40] [--pairs 4] [--statistics gram,histogram]
//                             [--normalize false,true] [--normalized-statistics gram] [--every 5] [--backend wasm] [--json]
//                             [--first-pair 3] [--style-weights 30,100,300 | gram=100/300,mean-std=30,gram+norm=1000] [--tv-weight 1e-3]
// --style-weights: each variant also at each styleWeight listed (all variants), or per variant: STAT=W/W/… for the
// statistic without normalisation, STAT+norm=W/… with it (unlisted variants: the default weight). The table then
// has a row per variant and weight, for comparing statistics at equal content distance.
// For each pair the variants run one after another, the order rotated by one per pair (so no variant always runs
// first or last while the shared machine's load drifts). Content and style are resized to --size (long side)
// first; the style measures compare with that resized style. Recorded per run: the measures, the final loss (the
// run's own objective), wall and process-CPU seconds, and two times:
// - secondsToOwnLoss: wall seconds until the run's own total loss first came within 5% of its final value (how fast
//   it converges on what it optimises; losses of different statistics are not comparable with each other);
// - secondsToGramQuality: wall seconds until the result's mean relative Gram distance (relu1_1…relu5_1, measured on
//   snapshots every --every iterations, measuring not timed) first came within 5% of the plain Gram run's
//   (gram, normalizeGradients off) final value on the same pair; null when never reached.
// `--table record.json` prints the markdown table of a saved --json record without running anything.
// Needs the built package (npm run build) and weights.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { flag, value } from './common.mjs';

if (value('table')) {
  console.log(qualityTable(JSON.parse(readFileSync(value('table'), 'utf8'))));
  process.exit(0);
}

const root = join(import.meta.dirname, '..');
const nst = await import(join(root, 'dist', 'node.js'));
const xp = await import(join(root, 'dist', 'experiments.js'));
const core = await import(join(root, 'dist', 'core.js'));
const backend = await nst.ready(value('backend', 'wasm'));
const shared = join(root, '..', 'shared', 'images');
const size = Number(value('size', '128'));
const iterations = Number(value('iterations', '40'));
const every = Number(value('every', '5'));
const statistics = value('statistics', core.STYLE_STATISTICS.join(',')).split(',');
const normalize = value('normalize', 'false,true').split(',').map((v) => (v === 'true' ? true : v === 'false' ? false : v));
// Licence-clean only (../shared/images/README.md): the CC BY 3.0 photo and four public-domain paintings.
const PAIRS = [
  ['tubingen.jpg', 'starry_night.jpg'],
  ['tubingen.jpg', 'the_scream.jpg'],
  ['tubingen.jpg', 'shipwreck.jpg'],
  ['tubingen.jpg', 'woman-with-hat-matisse.jpg'],
  ['shipwreck.jpg', 'starry_night.jpg'],
];
// --pairs N: the first N pairs; --first-pair K (1-based): start at the K-th (to add pairs to an earlier record).
const firstPair = Number(value('first-pair', '1')) - 1;
const pairs = PAIRS.slice(firstPair, firstPair + Number(value('pairs', '4')));
const log = (m) => process.stderr.write(`${m}\n`);
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const model = await nst.loadVgg19();
const fit = async (file) => {
  const img = await nst.readImage(join(shared, file), { decoder: 'js' });
  const t = core.toImageTensor(img);
  const s = size / Math.max(t.shape[1], t.shape[2]);
  const r = core.resizeImage(t, Math.round(t.shape[1] * s), Math.round(t.shape[2] * s));
  t.dispose();
  return r;
};
const gramMean = async (image, style) => {
  const d = await xp.gramDistances(model, image, style, xp.QUALITY_STYLE_LAYERS);
  return Object.values(d).reduce((s, x) => s + x.relative, 0) / xp.QUALITY_STYLE_LAYERS.length;
};
// --normalized-statistics: the statistics also run with normalizeGradients on (default: all of --statistics).
const normalizedStats = value('normalized-statistics', statistics.join(',')).split(',');
const baseVariants = normalize.flatMap((n) => statistics.filter((s) => n === false || normalizedStats.includes(s)).map((s) => ({ styleStatistic: s, normalizeGradients: n })));
const styleWeights = parseStyleWeights(value('style-weights', ''));
const tvWeight = value('tv-weight') === undefined ? {} : { tvWeight: Number(value('tv-weight')) };
const variants = baseVariants.flatMap((v) => {
  const key = `${v.styleStatistic}${v.normalizeGradients === false ? '' : '+norm'}`;
  const ws = styleWeights.get(key) ?? styleWeights.get('*');
  return ws ? ws.map((w) => ({ ...v, styleWeight: w })) : [v];
});
const D = core.STYLIZE_DEFAULTS;
const snapshots = Array.from({ length: Math.floor(iterations / every) }, (_, i) => (i + 1) * every);
const out = { backend, size, iterations, every, optimizer: 'lbfgs', ...tvWeight, loadAvgStart: loadavg().map((x) => +x.toFixed(2)), date: new Date().toISOString(), runs: [] };

for (const [p, [contentFile, styleFile]] of pairs.entries()) {
  const content = await fit(contentFile);
  const style = await fit(styleFile);
  const order = variants.map((_, i) => variants[(i + p) % variants.length]);
  const runs = [];
  for (const v of order) {
    const t0 = performance.now();
    const c0 = cpu();
    const r = await nst.stylize({ content, style, model, size, iterations, snapshots, ...tvWeight, ...v });
    const wallSeconds = (performance.now() - t0) / 1000;
    const cpuSeconds = cpu() - c0;
    const final = r.history.at(-1).loss.total;
    const own = r.history.find((h) => h.loss.total <= final * 1.05);
    const snaps = [];
    for (const s of r.snapshots) snaps.push({ iteration: s.iteration, seconds: (r.history.find((h) => h.iteration === s.iteration)?.elapsedMs ?? NaN) / 1000, gramMean: await gramMean(s.image, style) });
    const measures = await xp.qualityMeasures(r.image, { content, style, model });
    const run = { pair: `${contentFile.replace(/\.jpg$/, '')} × ${styleFile.replace(/\.jpg$/, '')}`, ...v, finalLoss: final, iterationsRun: r.history.length, wallSeconds, cpuSeconds, secondsToOwnLoss: own.elapsedMs / 1000, measures, snapshots: snaps };
    r.dispose();
    runs.push(run);
    log(`${run.pair} ${v.styleStatistic} normalize=${v.normalizeGradients}: ${wallSeconds.toFixed(1)} s, loss ${final.toExponential(3)}, gram ${measures.gramMean.toFixed(4)}, sw ${measures.slicedWassersteinMean.toFixed(4)}, content ${measures.content.toFixed(3)}, lab ${measures.labHistogram.toFixed(3)}`);
  }
  // The reference: the plain Gram run at the default weights.
  const ref = runs.find((x) => x.styleStatistic === 'gram' && x.normalizeGradients === false && (x.styleWeight ?? D.styleWeight) === D.styleWeight);
  for (const run of runs) {
    const hit = ref && run.snapshots.find((s) => s.gramMean <= ref.measures.gramMean * 1.05);
    run.secondsToGramQuality = hit ? hit.seconds : null;
  }
  out.runs.push(...runs);
  content.dispose();
  style.dispose();
}
model.dispose();
out.loadAvgEnd = loadavg().map((x) => +x.toFixed(2));

if (flag('json')) console.log(JSON.stringify(out, null, 1));
else console.log(qualityTable(out));

/** `--style-weights`: `W,W` for every variant (key '*'), or `KEY=W/W,…` per variant key (`gram`, `gram+norm`). */
function parseStyleWeights(text) {
  const out = new Map();
  for (const entry of text.split(',').filter(Boolean)) {
    const [key, ws] = entry.includes('=') ? entry.split('=') : ['*', entry];
    out.set(key, [...(out.get(key) ?? []), ...ws.split('/').map(Number)]);
  }
  return out;
}

/** The markdown table of docs/quality.md: the mean over pairs of each variant's numbers. */
function qualityTable(o) {
  const f = (v, d) => (v === null || v === undefined ? '—' : v.toFixed(d));
  const weight = (r) => r.styleWeight ?? 'default';
  const rows = [`| statistic | normalizeGradients | styleWeight | Gram dist. | sliced W. dist. | content dist. (relu4_2) | Lab hist. dist. | wall s | CPU s | s to own loss (5%) | s to Gram quality | reached |`, '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |'];
  const key = (r) => `${r.styleStatistic}|${r.normalizeGradients}|${weight(r)}`;
  const keys = [...new Set(o.runs.map(key))];
  for (const k of keys) {
    const rs = o.runs.filter((r) => key(r) === k);
    const m = (g) => rs.reduce((s, r) => s + g(r), 0) / rs.length;
    const reached = rs.filter((r) => r.secondsToGramQuality !== null);
    const ttq = reached.length ? reached.reduce((s, r) => s + r.secondsToGramQuality, 0) / reached.length : null;
    rows.push(`| ${rs[0].styleStatistic} | ${rs[0].normalizeGradients} | ${weight(rs[0])} | ${f(m((r) => r.measures.gramMean), 4)} | ${f(m((r) => r.measures.slicedWassersteinMean), 4)} | ${f(m((r) => r.measures.content), 3)} | ${f(m((r) => r.measures.labHistogram), 3)} | ${f(m((r) => r.wallSeconds), 1)} | ${f(m((r) => r.cpuSeconds), 1)} | ${f(m((r) => r.secondsToOwnLoss), 1)} | ${f(ttq, 1)} | ${reached.length}/${rs.length} |`);
  }
  return rows.join('\n');
}
