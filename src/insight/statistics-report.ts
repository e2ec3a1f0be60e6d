/**
 * The report of {@link statisticsStudy}: one self-contained HTML page (images as data: PNGs, charts as inline SVG, no
 * script that runs) with each pair's contact sheet (layers × statistics), each measure charted against the layer
 * with one line per statistic, a table of every number (the best statistic of each layer in bold), and the JSON
 * record embedded (`<script type="application/json" id="statistics-study-record">`).
 * @module
 */
import type { RgbaImage } from '../image/input.js';
import { renderContactSheet } from '../experiments/sweep/contact-sheet.js';
import { esc, lineChart } from './charts.js';
import { base64, type StudyReportOptions } from './report.js';
import type { StatisticsCell, StatisticsPairResult, StatisticsStudyResult } from './statistics-study.js';

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
const fmt = (v: number | undefined): string => (typeof v !== 'number' || Number.isNaN(v) ? '–' : v === Infinity ? '∞' : String(Number(v.toPrecision(3))));

/** The measures charted and tabled: key, title, unit. */
const MEASURES: { key: keyof StatisticsCell; title: string; head: string }[] = [
  { key: 'slicedWasserstein', title: 'Sliced Wasserstein distance to the style at the optimised layer', head: 'SW @layer' },
  { key: 'gram', title: 'Gram distance to the style at the optimised layer', head: 'Gram @layer' },
  { key: 'slicedWassersteinMean', title: 'Sliced Wasserstein distance, mean over relu1_1…relu5_1', head: 'SW mean' },
  { key: 'gramMean', title: 'Gram distance, mean over relu1_1…relu5_1', head: 'Gram mean' },
  { key: 'labHistogram', title: 'Lab colour-histogram distance to the style', head: 'Lab hist.' },
  { key: 'content', title: 'relu4_2 distance to the content', head: 'content' },
];

function img(src: RgbaImage, encode: StudyReportOptions['encodePng'], alt: string): string {
  return `<img src="data:image/png;base64,${base64(encode(src))}" width="${src.width}" height="${src.height}" alt="${esc(alt)}">`;
}

function pairSection(p: StatisticsPairResult, index: number, layers: readonly string[], statistics: readonly string[], o: StudyReportOptions): string {
  const out: string[] = [`<section><h2>${index + 1}. ${esc(p.name)}</h2>`];
  const same = p.content === p.style;
  out.push(`<div class="row"><figure>${img(p.style, o.encodePng, 'style')}<figcaption>style (${p.style.width}x${p.style.height})</figcaption></figure>${same ? '' : `<figure>${img(p.content, o.encodePng, 'content')}<figcaption>content</figcaption></figure>`}</div>`);
  const tileSize = Math.max(96, p.style.width, p.style.height, p.content.width, p.content.height);
  out.push(img(renderContactSheet(p.sweep, { tileSize, title: `Each layer alone (rows) with each statistic (columns): ${p.name}` }), o.encodePng, 'contact sheet: layers × statistics'));
  const cell = (l: string, s: string) => p.cells.find((c) => c.layer === l && c.statistic === s);
  const measures = MEASURES.filter((m) => p.cells.some((c) => typeof c[m.key] === 'number'));
  for (const m of measures.slice(0, 2)) {
    out.push(lineChart({ title: m.title, x: layers, yLabel: 'relative distance', log: true, series: statistics.map((s, i) => ({ name: s, values: layers.map((l) => cell(l, s)?.[m.key] as number | undefined), color: COLORS[i % COLORS.length] })) }));
  }
  // Every number; per layer, the lowest value of each measure in bold.
  const best = (l: string, key: keyof StatisticsCell) => Math.min(...statistics.map((s) => (cell(l, s)?.[key] as number | undefined) ?? Infinity));
  const rows = layers.flatMap((l) =>
    statistics.map((s) => {
      const c = cell(l, s);
      const v = (key: keyof StatisticsCell) => {
        const x = c?.[key] as number | undefined;
        return x !== undefined && x === best(l, key) ? `<b>${fmt(x)}</b>` : fmt(x);
      };
      return `<tr><td>${esc(l)}</td><td>${esc(s)}</td>${measures.map((m) => `<td>${v(m.key)}</td>`).join('')}<td>${fmt(c?.loss)}</td><td>${c ? (c.runMs / 1000).toFixed(1) : '–'}</td></tr>`;
    }),
  );
  out.push(`<table><thead><tr><th>layer</th><th>statistic</th>${measures.map((m) => `<th>${esc(m.head)}</th>`).join('')}<th>own loss</th><th>run s</th></tr></thead><tbody>${rows.join('')}</tbody></table>`);
  out.push('</section>');
  return out.join('\n');
}

/** Writes the statistics study's report as one HTML document (a string). */
export function renderStatisticsReport(result: StatisticsStudyResult, options: StudyReportOptions): string {
  const r = result.record;
  const title = options.title ?? 'Style statistics per layer';
  const settings = [
    r.options.task === 'texture' ? 'texture from noise (style term only)' : 'stylised content', `${r.pairs.length} pair${r.pairs.length === 1 ? '' : 's'}`, `${r.options.size} px`, `${r.options.iterations} iterations`, `seed ${r.options.seed}`,
    `backend ${r.backend}`, `neural-style-tfjs ${r.library.version}`, `weights ${r.weightsSha256.slice(0, 12)}…`, `${r.timings.runs} runs in ${(r.timings.totalMs / 60000).toFixed(1)} min`,
  ];
  const extra = Object.entries(r.options.stylize).map(([k, v]) => `${k} ${JSON.stringify(v)}`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;padding:0 16px;color:#222}
h1{font-size:22px}h2{font-size:18px;border-top:1px solid #ccc;padding-top:16px}
img{max-width:100%;height:auto}svg{max-width:100%;height:auto;display:block;margin:12px 0}
.row{display:flex;gap:16px;flex-wrap:wrap;align-items:flex-start}figure{margin:0}figcaption{font-size:12px;color:#555}
table{border-collapse:collapse;font-size:12px;margin:12px 0}td,th{border:1px solid #ddd;padding:2px 6px;text-align:right}th{background:#f4f4f4}td:nth-child(-n+2){text-align:left}
code{background:#f4f4f4;padding:1px 4px}
</style></head><body>
<h1>${esc(title)}</h1>
<p>${esc(settings.join(' · '))}${extra.length ? `<br>stylize options: ${esc(extra.join(', '))}` : ''}</p>
${r.command ? `<p>Made with <code>${esc(r.command)}</code>.</p>` : ''}
<p>Each result is measured with yardsticks that are no statistic's own objective (docs/quality.md): <b>Gram distance</b> ‖G − A‖²/‖A‖² and <b>sliced Wasserstein distance</b> (squared, relative, 64 directions of seed 2021 — not the directions a <code>sliced-wasserstein</code> run optimises) to the style image at the optimised layer and averaged over relu1_1…relu5_1; the <b>Lab histogram distance</b> (Hellinger, 8³ cells) to the style's colours; for stylised content, relu4_2's distance to the content. Lower is better; the lowest of each layer is in bold. The run's own loss is on its statistic's scale and does not compare across statistics.</p>
${result.pairs.map((p, i) => pairSection(p, i, r.options.layers, r.options.statistics, options)).join('\n')}
<h2>Record</h2><p>The JSON record (also written beside this page) is embedded below as <code>#statistics-study-record</code>; each pair's <code>sweep</code> replays with <code>replaySweep</code>.</p>
<script type="application/json" id="statistics-study-record">${JSON.stringify(r).replace(/</g, '\\u003c')}</script>
</body></html>
`;
}
