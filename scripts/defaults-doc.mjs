/**
 * docs/defaults.md from the one table of defaults (src/defaults.ts, built into dist/): `npm run docs:defaults`
 * writes it; test/defaults.test.ts checks it is current.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** CLI flag for each option (where the CLI has one). */
const FLAGS = {
  size: '--size', styleScale: '--style-scale', contentLayers: '--content-layers', styleLayers: '--style-layers',
  contentWeight: '--content-weight', styleWeight: '--style-weight', tvWeight: '--tv-weight',
  lossNormalization: '--loss-normalization', pooling: '--pooling', init: '--init', seed: '--seed',
  optimizer: '--optimizer', learningRate: '--learning-rate', iterations: '--iterations',
  'lbfgs.historySize': '--lbfgs-history', 'lbfgs.lineSearch': '--line-search', precondition: '--precondition',
  normalizeGradients: '--normalize-gradients', preserveColors: '--preserve-colors', scales: '--scales',
};

const num = (x) => ((Math.abs(x) >= 1e6 && !(Number.isInteger(x) && x < 1e10)) || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential() : String(x));
const text = (v) => (Array.isArray(v) ? v.map((x) => `\`${x}\``).join(', ') : v && typeof v === 'object' ? Object.entries(v).map(([k, x]) => `\`${JSON.stringify(x)}\` (${k})`).join(', ') : `\`${JSON.stringify(v)}\``);

/** The Markdown page for `defaults` and `ranges` (STYLIZE_DEFAULTS and STYLIZE_RANGES). */
export function renderDefaultsDoc(defaults, ranges) {
  const rows = [];
  const add = (key, value) => {
    const r = ranges[key];
    const range = r ? `${num(r.min)}–${num(r.max)}${r.integer ? ', whole' : ''}` : '';
    rows.push(`| \`${key}\` | ${text(value)} | ${range} | ${FLAGS[key] ? `\`${FLAGS[key]}\`` : ''} |`);
  };
  for (const [key, value] of Object.entries(defaults)) {
    if (key === 'lbfgs') for (const [k, v] of Object.entries(value)) add(`lbfgs.${k}`, v);
    else add(key, value);
  }
  return `# Defaults

<!-- Generated from src/defaults.ts by \`npm run docs:defaults\`; test/defaults.test.ts checks it is current. -->

Every default of \`stylize()\` / \`Stylizer.stylize()\` and the CLI comes from one table,
\`STYLIZE_DEFAULTS\` (exported by every entry point), with the numeric ranges in \`STYLIZE_RANGES\`
(\`neural-style-tfjs/core\`). Option validation, the CLI's \`--help\`, sweeps and this page all read it.

| option | default | range | CLI flag |
| --- | --- | --- | --- |
${rows.join('\n')}

\`scales\`: \`"auto"\` is one scale up to \`coarseToFine.above\` px and, above it, coarse-to-fine from the smallest
halving of \`size\` still ≥ \`coarseToFine.coarsest\` px (2048 → scales 0.25, 0.5, 1), a single \`iterations\` count
N at the coarsest scale and \`iterationDecay\` times as many at each doubling (100 → 100, 18, 3); an \`iterations\`
list without \`scales\` gives one scale per count, halving from 1.
\`lbfgs.extraEvaluations\`: the evaluation budget per scale is \`2 · iterations + extraEvaluations\` unless
\`lbfgs.maxEvaluations\` is given. \`pyramidDecay\` is \`precondition: { decay }\`'s default; \`tapEvery\` is
\`taps.every\`'s.
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { STYLIZE_DEFAULTS, STYLIZE_RANGES } = await import('../dist/core.js');
  const out = new URL('../docs/defaults.md', import.meta.url);
  writeFileSync(out, renderDefaultsDoc(STYLIZE_DEFAULTS, STYLIZE_RANGES));
  console.log(`wrote ${fileURLToPath(out)}`);
}
