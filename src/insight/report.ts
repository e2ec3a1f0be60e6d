/**
 * The study's report: one self-contained HTML page (images inlined as data: PNGs, charts as inline SVG, no script
 * that runs) with each pair's contact sheets, its measurements charted against layer depth with the receptive
 * fields on the same axis, the numbers in tables, and the JSON record embedded
 * (`<script type="application/json" id="study-record">`).
 * @module
 */
import type { RgbaImage } from '../image/input.js';
import { renderContactSheet } from '../experiments/sweep/contact-sheet.js';
import { esc, heatMap, lineChart } from './charts.js';
import type { CellMeasurements, StudyExperiment, StudyPairResult, StudyRecord, StudyResult } from './study.js';

export interface StudyReportOptions {
  /** Encodes RGBA pixels as PNG bytes (Node: `encodeImage(img, 'png')`; a browser: a canvas). */
  encodePng: (image: RgbaImage) => Uint8Array;
  /** Page title. Default "Layer study". */
  title?: string;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Base64 of bytes (no Buffer or btoa needed). */
export function base64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const [a, b = 0, c = 0] = [bytes[i], bytes[i + 1], bytes[i + 2]];
    const n = (a << 16) | (b << 8) | c;
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63] + (i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=') + (i + 2 < bytes.length ? B64[n & 63] : '=');
  }
  return out;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf', '#7f7f7f'];
const fmt = (v: number | null | undefined, digits = 3): string => (typeof v !== 'number' || Number.isNaN(v) ? '–' : v === Infinity ? '∞' : String(Number(v.toPrecision(digits))));

/** The measurements of an experiment's cells at one column (iteration count), by row. */
function column(e: StudyExperiment, col: number): CellMeasurements[] {
  return e.sweep.cells.map((c, i) => ({ c, m: e.measurements[i] })).filter(({ c }) => c.column === col).sort((a, b) => a.c.row - b.c.row).map(({ m }) => m);
}

function img(src: RgbaImage, encode: StudyReportOptions['encodePng'], alt: string, extra = ''): string {
  return `<img src="data:image/png;base64,${base64(encode(src))}" width="${src.width}" height="${src.height}" alt="${esc(alt)}"${extra}>`;
}

/** The content image with the theoretical (dashed) and effective (solid) fields of conv1_1 … conv5_1 drawn over it. */
function receptiveFieldPicture(p: StudyPairResult, encode: StudyReportOptions['encodePng']): string {
  const { width: w, height: h } = p.content;
  const scale = Math.max(1, Math.round(320 / Math.max(w, h)));
  const cx = w / 2;
  const cy = h / 2;
  const rows = p.receptiveFields.filter((r) => /_1$/.test(r.layer));
  const rects = rows
    .map((r, i) => {
      const color = COLORS[i % COLORS.length];
      const sq = (s: number, dash: boolean) => `<rect x="${(cx - s / 2) * scale}" y="${(cy - s / 2) * scale}" width="${s * scale}" height="${s * scale}" fill="none" stroke="${color}" stroke-width="2"${dash ? ' stroke-dasharray="6 4"' : ''}/>`;
      return `${sq(r.theoretical, true)}${sq(r.effective, false)}`;
    })
    .join('');
  const legend = rows.map((r, i) => `<span style="color:${COLORS[i % COLORS.length]}">■ ${esc(r.layer)}: ${r.effective} px effective / ${r.theoretical} px theoretical${r.clipped ? ' (larger than the image)' : ''}</span>`).join('<br>');
  return `<figure class="rf"><div style="position:relative;width:${w * scale}px;height:${h * scale}px">${img(p.content, encode, 'content', ` style="width:${w * scale}px;height:${h * scale}px;image-rendering:pixelated"`)}<svg style="position:absolute;left:0;top:0;overflow:hidden;margin:0" width="${w * scale}" height="${h * scale}">${rects}</svg></div><figcaption>Receptive fields of a centre unit over the content image (dashed: theoretical; solid: holding 95% of the input gradient).<br>${legend}</figcaption></figure>`;
}

function table(head: string[], rows: string[][]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

function pairSection(p: StudyPairResult, index: number, iterations: readonly number[], o: StudyReportOptions): string {
  const out: string[] = [`<section><h2>${index + 1}. ${esc(p.name)}</h2>`];
  out.push(`<div class="row"><figure>${img(p.content, o.encodePng, 'content')}<figcaption>content (${p.content.width}x${p.content.height})</figcaption></figure><figure>${img(p.style, o.encodePng, 'style')}<figcaption>style</figcaption></figure>${receptiveFieldPicture(p, o.encodePng)}</div>`);
  const rf = new Map(p.receptiveFields.map((r) => [r.layer, r]));
  const sub = (layers: readonly string[]) => layers.map((l) => (rf.get(l) ? `${rf.get(l)!.theoretical}/${rf.get(l)!.effective}` : ''));
  const subLabel = 'RF px (theor./eff.)';
  const single = p.experiments.find((e) => e.name === 'single');
  // Every conv layer of the study's network, in order: the baseline measured them all.
  const convLayers = Object.keys(p.baseline);
  const cumulative = p.experiments.find((e) => e.name === 'cumulative');
  const content = p.experiments.find((e) => e.name === 'content');
  const last = iterations.length - 1;

  if (single) {
    const layers = single.sweep.rows!.labels;
    out.push('<h3>Style from one layer at a time</h3>');
    out.push(img(renderContactSheet(single.sweep, { tileSize: tile(p), title: `Style from each layer alone: ${p.name}` }), o.encodePng, 'contact sheet: style from each layer alone'));
    const series = [
      { name: 'theoretical RF', values: layers.map((l) => rf.get(l)?.theoretical), color: '#555', dashed: true },
      { name: 'effective RF (95%)', values: layers.map((l) => rf.get(l)?.effective), color: '#111' },
      ...iterations.map((n, ci) => ({ name: `added, centroid, ${n} it`, values: column(single, ci).map((m) => m.addedTexture?.centroid), color: COLORS[ci % COLORS.length] })),
      { name: `added, peak, ${iterations[last]} it`, values: column(single, last).map((m) => m.addedTexture?.peak), color: COLORS[4], dashed: true },
    ];
    out.push(lineChart({ title: 'Texture scale of what the style added, and receptive field, vs the style layer', x: layers, xSub: sub(layers), xSubLabel: subLabel, yLabel: 'pixels', series, log: true }));
    const own = iterations.map((n, ci) => ({ name: `${n} it`, values: column(single, ci).map((m, i) => m.gram?.[layers[i]]), color: COLORS[ci % COLORS.length] }));
    out.push(lineChart({ title: 'Gram distance at the optimised layer (relative)', x: layers, xSub: sub(layers), xSubLabel: subLabel, yLabel: '‖G − A‖² / ‖A‖²', series: [{ name: 'content image (start)', values: layers.map((l) => p.baseline[l]), color: '#555', dashed: true }, ...own], log: true }));
    out.push(heatMap({
      title: `Gram distance at every layer after ${iterations[last]} iterations, by the layer optimised`,
      rows: [...layers, 'content (start)'],
      columns: convLayers,
      values: [...column(single, last).map((m) => convLayers.map((l) => m.gram?.[l])), convLayers.map((l) => p.baseline[l])],
      legend: 'relative Gram distance',
    }));
    out.push(table(['style layer', 'RF theor.', 'RF eff.', ...iterations.flatMap((n) => [`added texture centroid / peak @${n}`, `own Gram dist @${n}`]), `PSNR @${iterations[last]}`, `SSIM @${iterations[last]}`], layers.map((l, i) => [
      l, String(rf.get(l)?.theoretical ?? '–'), String(rf.get(l)?.effective ?? '–'),
      ...iterations.flatMap((_, ci) => [`${fmt(column(single, ci)[i].addedTexture?.centroid)} / ${fmt(column(single, ci)[i].addedTexture?.peak)}`, fmt(column(single, ci)[i].gram?.[l])]),
      fmt(column(single, last)[i].psnr), fmt(column(single, last)[i].ssim),
    ])));
  }
  if (cumulative) {
    const sets = cumulative.sweep.rows!.labels;
    out.push('<h3>Cumulative layer sets</h3>');
    out.push(img(renderContactSheet(cumulative.sweep, { tileSize: tile(p), title: `Style from conv1_1 … convN_1: ${p.name}` }), o.encodePng, 'contact sheet: cumulative style layer sets'));
    const mean = (m: CellMeasurements) => convLayers.reduce((s, l) => s + (m.gram?.[l] ?? 0), 0) / convLayers.length;
    const deepest = sets.map((s) => s.split('..').pop()!);
    out.push(lineChart({
      title: `Cumulative sets: texture scale, and Gram distance averaged over all ${convLayers.length} layers`,
      x: sets, xSub: sub(deepest), xSubLabel: 'RF of deepest', yLabel: 'pixels / distance',
      series: [
        ...iterations.map((n, ci) => ({ name: `added texture (centroid), ${n} it`, values: column(cumulative, ci).map((m) => m.addedTexture?.centroid), color: COLORS[ci % COLORS.length] })),
        ...iterations.map((n, ci) => ({ name: `mean Gram dist, ${n} it`, values: column(cumulative, ci).map(mean), color: COLORS[(ci + 2) % COLORS.length], dashed: true })),
      ],
      log: true,
    }));
  }
  if (content) {
    const layers = content.sweep.rows!.labels;
    out.push('<h3>Content reconstructed from one layer (from noise)</h3>');
    out.push(img(renderContactSheet(content.sweep, { tileSize: tile(p), title: `Content reconstructions: ${p.name}` }), o.encodePng, 'contact sheet: content reconstructions'));
    out.push(lineChart({ title: 'How much content survives: PSNR vs the content image', x: layers, xSub: sub(layers), xSubLabel: subLabel, yLabel: 'PSNR (dB)', series: iterations.map((n, ci) => ({ name: `${n} it`, values: column(content, ci).map((m) => m.psnr), color: COLORS[ci % COLORS.length] })) }));
    out.push(lineChart({
      title: 'SSIM, and relu1_1 / relu2_1 feature distance (relative)', x: layers, xSub: sub(layers), xSubLabel: subLabel, yLabel: 'SSIM / distance',
      series: [
        ...iterations.map((n, ci) => ({ name: `SSIM, ${n} it`, values: column(content, ci).map((m) => m.ssim), color: COLORS[ci % COLORS.length] })),
        { name: `relu1_1 dist, ${iterations[last]} it`, values: column(content, last).map((m) => m.features?.relu1_1), color: COLORS[2], dashed: true },
        { name: `relu2_1 dist, ${iterations[last]} it`, values: column(content, last).map((m) => m.features?.relu2_1), color: COLORS[3], dashed: true },
      ],
    }));
    out.push(table(['content layer', 'RF theor.', 'RF eff.', ...iterations.flatMap((n) => [`PSNR @${n}`, `SSIM @${n}`]), `relu1_1 dist @${iterations[last]}`, `relu2_1 dist @${iterations[last]}`, `texture @${iterations[last]}`], layers.map((l, i) => [
      l, String(theoreticalOf(l, p)), String(rf.get(l)?.effective ?? '–'),
      ...iterations.flatMap((_, ci) => [fmt(column(content, ci)[i].psnr), fmt(column(content, ci)[i].ssim)]),
      fmt(column(content, last)[i].features?.relu1_1), fmt(column(content, last)[i].features?.relu2_1), fmt(column(content, last)[i].texture.peak),
    ])));
  }
  out.push('</section>');
  return out.join('\n');
}

/** Contact-sheet tiles at least 96 px on their longest side (small studies are enlarged to be seen). */
const tile = (p: StudyPairResult): number => Math.max(96, p.content.width, p.content.height);

const theoreticalOf = (l: string, p: StudyPairResult): number | string => p.receptiveFields.find((r) => r.layer === l)?.theoretical ?? '–';

/** The JSON of the record, safe inside a `<script type="application/json">` element. */
function embedJson(record: StudyRecord): string {
  return JSON.stringify(record).replace(/</g, '\\u003c');
}

/**
 * Writes the study's report as one HTML document (a string): settings, then per pair the contact sheets, charts
 * of the measurements against layer depth (x labels carry the theoretical/effective receptive field), tables of
 * the numbers, and the JSON record embedded at the end.
 */
export function renderStudyReport(result: StudyResult, options: StudyReportOptions): string {
  const r = result.record;
  const title = options.title ?? 'Layer study';
  const settings = [
    `${r.pairs.length} pair${r.pairs.length === 1 ? '' : 's'}`, `${r.options.size} px`, `iterations ${r.options.iterations.join(', ')}`, `seed ${r.options.seed}`,
    `backend ${r.backend}`, `neural-style-tfjs ${r.library.version}`, `weights ${r.weightsSha256.slice(0, 12)}…`,
    `${r.timings.runs} runs (${r.timings.cached} from a previous run) in ${(r.timings.totalMs / 60000).toFixed(1)} min`,
  ];
  const extra = Object.entries(r.options.stylize).map(([k, v]) => `${k} ${JSON.stringify(v)}`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1100px;padding:0 16px;color:#222}
h1{font-size:22px}h2{font-size:18px;border-top:1px solid #ccc;padding-top:16px}h3{font-size:15px;margin-top:28px}
img{max-width:100%;height:auto}svg{max-width:100%;height:auto;display:block;margin:12px 0}
.row{display:flex;gap:16px;flex-wrap:wrap;align-items:flex-start}figure{margin:0}figcaption{font-size:12px;color:#555;max-width:420px}
table{border-collapse:collapse;font-size:12px;margin:12px 0}td,th{border:1px solid #ddd;padding:2px 6px;text-align:right}th{background:#f4f4f4}td:first-child{text-align:left}
code{background:#f4f4f4;padding:1px 4px}
</style></head><body>
<h1>${esc(title)}</h1>
<p>${esc(settings.join(' · '))}${extra.length ? `<br>stylize options: ${esc(extra.join(', '))}` : ''}</p>
${r.command ? `<p>Made with <code>${esc(r.command)}</code>; run it again with <code>neural-style-tfjs study --replay &lt;record.json&gt;</code>.</p>` : ''}
<p>Measurements: <b>texture scale</b> of the result minus the content image ("added"), or of the result, from the radially averaged power spectrum of its luma (Hann window): the <i>centroid</i> is the wavelength (px) at the spectrum's power-weighted mean frequency, the <i>peak</i> that of the frequency ring holding the most energy (a broad colour shift puts it at the image's size); <b>Gram distance</b> = ‖G − A‖²/‖A‖² between the result's and the style image's Gram matrices at a layer; <b>PSNR/SSIM</b> against the content image at the same size (SSIM: 11x11 Gaussian window, σ 1.5, on luma); <b>feature distance</b> = ‖F − P‖²/‖P‖² at relu1_1 and relu2_1; <b>receptive field</b>: theoretical side from the layer table, effective side of the centred square holding 95% of a centre unit's input gradient (clipped by the image when the field is larger).</p>
${result.pairs.map((p, i) => pairSection(p, i, r.options.iterations, options)).join('\n')}
<h2>Record</h2><p>The JSON record (also written beside this page) is embedded below as <code>#study-record</code>.</p>
<script type="application/json" id="study-record">${embedJson(r)}</script>
</body></html>
`;
}
