/**
 * docs/defaults.md from the option table (src/options/table.ts, built into dist/): `npm run docs:defaults` writes
 * it; test/options/table.test.ts checks it is current.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const num = (x) => (x === Infinity ? '∞' : (Math.abs(x) >= 1e6 && !(Number.isInteger(x) && x < 1e10)) || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential() : String(x));
const value = (v) => (typeof v === 'number' ? num(v) : JSON.stringify(v));
const text = (v) => (Array.isArray(v) ? v.map((x) => `\`${value(x)}\``).join(', ') : v && typeof v === 'object' ? Object.entries(v).map(([k, x]) => `\`${value(x)}\` (${k})`).join(', ') : `\`${value(v)}\``);
const cell = (s) => String(s).replace(/\|/g, '\\|');

function row(r) {
  const def = r.default !== undefined ? text(r.default) : (r.defaultText ?? '—');
  const accepts = r.choices ? r.choices.map((c) => `\`${JSON.stringify(c)}\``).join(', ') : r.range ? `${num(r.range.min)}–${num(r.range.max)}${r.range.integer ? ', whole' : ''}` : '';
  const flag = r.cli ? `\`--${r.cli.flag}\`` : '';
  return `| \`${r.name}\` | ${cell(r.type)} | ${cell(def)} | ${cell(accepts)} | ${flag} | ${r.recorded ? 'yes' : ''} | ${cell(r.doc)} |`;
}

/** The Markdown page for the option table's rows. */
export function renderDefaultsDoc(table) {
  const section = (scope, title) => `## ${title}

| option | type | default | accepts | CLI flag | recorded | what it does |
| --- | --- | --- | --- | --- | --- | --- |
${table.filter((r) => r.scope === scope).map(row).join('\n')}
`;
  return `# Options and defaults

<!-- Generated from the option table (src/options/table.ts) by \`npm run docs:defaults\`; test/options/table.test.ts checks it is current. -->

Every option, its default, what it accepts, its CLI flag and whether sweep and study records store it come from one
table, \`OPTION_TABLE\` (\`neural-style-tfjs/core\`); the default values themselves are \`STYLIZE_DEFAULTS\` (exported
by every entry point) and the numeric ranges \`STYLIZE_RANGES\`. Option validation, the CLI's flags and \`--help\`,
sweep records and this page all read it. A value outside what an option accepts is an \`INVALID_OPTION\` error whose
\`details\` are \`{ field, expected, got }\`.

${section('call', '`stylize()` and `Stylizer.stylize()`')}
\`scales\`: \`"auto"\` is one scale up to \`coarseToFine.above\` px and, above it, coarse-to-fine from the smallest
halving of \`size\` still ≥ \`coarseToFine.coarsest\` px (2048 → scales 0.25, 0.5, 1), a single \`iterations\` count
N at the coarsest scale and \`iterationDecay\` times as many at each doubling (100 → 100, 18, 3); an \`iterations\`
list without \`scales\` gives one scale per count, halving from 1.

${section('session', '`createStylizer()`')}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { OPTION_TABLE } = await import('../dist/core.js');
  const out = new URL('../docs/defaults.md', import.meta.url);
  writeFileSync(out, renderDefaultsDoc(OPTION_TABLE));
  console.log(`wrote ${fileURLToPath(out)}`);
}
