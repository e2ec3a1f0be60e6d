/**
 * Small SVG charts for the study report, as strings (no script, no external files): a line chart of values
 * against layer depth and a heat map. Missing values (null, NaN, ∞) leave gaps.
 * @module
 */
import { colorMapLut } from '../experiments/render.js';

/** One line of a {@link lineChart}. */
export interface Series {
  name: string;
  values: readonly (number | null | undefined)[];
  color: string;
  /** Dashed line (e.g. for a reference such as the theoretical receptive field). */
  dashed?: boolean;
}

export interface LineChartOptions {
  title: string;
  /** One label per x position (layer names), and optional second lines under them (e.g. receptive field sizes). */
  x: readonly string[];
  xSub?: readonly string[];
  /** Caption of the second x line, shown at the left under the axis. */
  xSubLabel?: string;
  yLabel: string;
  series: readonly Series[];
  /** Logarithmic y axis (non-positive values are left out). Default false. */
  log?: boolean;
  width?: number;
  height?: number;
}

/** Escapes text for SVG/HTML. */
export const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const fmt = (v: number): string => {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e4 || a < 1e-2)) return v.toExponential(0).replace('e+', 'e');
  return String(Number(v.toPrecision(3)));
};

/** "Nice" ticks over [lo, hi]: 1-2-5 steps on a linear axis, powers of ten (and 2, 5 between) on a log one. */
function ticks(lo: number, hi: number, log: boolean): number[] {
  if (log) {
    const out: number[] = [];
    const span = Math.log10(hi) - Math.log10(lo);
    const mults = span < 2 ? [1, 2, 5] : [1];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) for (const m of mults) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
    }
    return out.length >= 2 ? out : [lo, hi];
  }
  const raw = (hi - lo) / 5 || 1;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const finite = (v: number | null | undefined, log: boolean): v is number => typeof v === 'number' && Number.isFinite(v) && (!log || v > 0);

/** A line chart of values against layer depth, as an SVG element string. */
export function lineChart(o: LineChartOptions): string {
  const W = o.width ?? 680;
  const H = o.height ?? 300;
  const log = o.log ?? false;
  const m = { left: 62, right: 150, top: 28, bottom: o.xSub ? 64 : 48 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const all = o.series.flatMap((s) => s.values.filter((v): v is number => finite(v, log)));
  let lo = all.length ? Math.min(...all) : 0;
  let hi = all.length ? Math.max(...all) : 1;
  if (log) {
    if (!(lo > 0)) [lo, hi] = [1, 10];
    lo /= 1.15;
    hi *= 1.15;
  } else {
    const pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.1 || 1;
    lo = lo >= 0 && lo - pad < 0 ? 0 : lo - pad;
    hi += pad;
  }
  const tv = ticks(lo, hi, log);
  if (!log) {
    lo = Math.min(lo, tv[0]);
    hi = Math.max(hi, tv[tv.length - 1]);
  }
  const n = o.x.length;
  const xs = (i: number) => m.left + (n === 1 ? pw / 2 : (i * pw) / (n - 1));
  const ys = (v: number) => {
    const t = log ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : (v - lo) / (hi - lo);
    return m.top + ph * (1 - t);
  };
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="11" role="img" aria-label="${esc(o.title)}">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${m.left}" y="16" font-size="13" font-weight="bold">${esc(o.title)}</text>`);
  for (const t of tv) {
    const y = ys(t).toFixed(1);
    parts.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${y}" y2="${y}" stroke="#e4e4e4"/>`);
    parts.push(`<text x="${m.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle" fill="#444">${fmt(t)}</text>`);
  }
  parts.push(`<text transform="translate(14 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle" fill="#222">${esc(o.yLabel)}${log ? ' (log)' : ''}</text>`);
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  o.x.forEach((label, i) => {
    const x = xs(i).toFixed(1);
    parts.push(`<text transform="translate(${x} ${m.top + ph + 8}) rotate(45)" fill="#222" font-size="10">${esc(label)}</text>`);
    if (o.xSub?.[i]) parts.push(`<text x="${x}" y="${H - 8}" text-anchor="middle" fill="#777" font-size="9">${esc(o.xSub[i])}</text>`);
  });
  if (o.xSubLabel) parts.push(`<text x="${m.left + pw + 10}" y="${H - 8}" fill="#777" font-size="9">← ${esc(o.xSubLabel)}</text>`);
  o.series.forEach((s, si) => {
    let d = '';
    let pen = false;
    s.values.forEach((v, i) => {
      if (!finite(v, log)) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${xs(i).toFixed(1)} ${ys(v).toFixed(1)}`;
      pen = true;
    });
    if (d) parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`);
    s.values.forEach((v, i) => {
      if (finite(v, log)) parts.push(`<circle cx="${xs(i).toFixed(1)}" cy="${ys(v).toFixed(1)}" r="2.5" fill="${s.color}"><title>${esc(`${s.name}, ${o.x[i]}: ${fmt(v)}`)}</title></circle>`);
    });
    const ly = m.top + 8 + si * 16;
    parts.push(`<line x1="${W - m.right + 10}" x2="${W - m.right + 30}" y1="${ly}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`);
    parts.push(`<text x="${W - m.right + 34}" y="${ly}" dominant-baseline="middle" fill="#222">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

export interface HeatMapOptions {
  title: string;
  rows: readonly string[];
  columns: readonly string[];
  /** values[row][column]; missing values are grey. */
  values: readonly (readonly (number | null | undefined)[])[];
  /** Colour by log10 of the value. Default true. */
  log?: boolean;
  /** What the colour means, under the colour bar. */
  legend: string;
  cell?: number;
}

/** A heat map (viridis, low = dark) with row and column labels and a colour bar, as an SVG element string. */
export function heatMap(o: HeatMapOptions): string {
  const log = o.log ?? true;
  const c = o.cell ?? 22;
  const left = 110;
  const top = 82;
  const W = left + o.columns.length * c + 150;
  const H = top + o.rows.length * c + 16;
  const lut = colorMapLut('viridis');
  const tr = (v: number | null | undefined): number | undefined => (finite(v, log) ? (log ? Math.log10(v) : v) : undefined);
  const all = o.values.flat().map(tr).filter((v): v is number => v !== undefined);
  const lo = all.length ? Math.min(...all) : 0;
  const hi = all.length ? Math.max(...all) : 1;
  const colour = (t: number): string => {
    const k = Math.round(255 * (hi > lo ? (t - lo) / (hi - lo) : 0.5));
    return `rgb(${lut[k * 3]},${lut[k * 3 + 1]},${lut[k * 3 + 2]})`;
  };
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif" font-size="10" role="img" aria-label="${esc(o.title)}">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="4" y="16" font-size="13" font-weight="bold">${esc(o.title)}</text>`);
  o.columns.forEach((label, j) => parts.push(`<text transform="translate(${left + j * c + c / 2 + 3} ${top - 4}) rotate(-60)" fill="#222">${esc(label)}</text>`));
  o.rows.forEach((label, i) => {
    parts.push(`<text x="${left - 6}" y="${top + i * c + c / 2}" text-anchor="end" dominant-baseline="middle" fill="#222">${esc(label)}</text>`);
    o.columns.forEach((col, j) => {
      const raw = o.values[i]?.[j];
      const t = tr(raw);
      parts.push(`<rect x="${left + j * c}" y="${top + i * c}" width="${c - 1}" height="${c - 1}" fill="${t === undefined ? '#ccc' : colour(t)}"><title>${esc(`${label} → ${col}: ${raw === null || raw === undefined ? 'n/a' : fmt(raw)}`)}</title></rect>`);
    });
  });
  // Colour bar.
  const bx = left + o.columns.length * c + 24;
  const bh = Math.max(60, o.rows.length * c - 10);
  for (let k = 0; k < 32; k++) parts.push(`<rect x="${bx}" y="${(top + bh - ((k + 1) * bh) / 32).toFixed(1)}" width="14" height="${(bh / 32 + 0.5).toFixed(1)}" fill="${colour(lo + ((hi - lo) * (k + 0.5)) / 32)}"/>`);
  const lab = (v: number) => fmt(log ? 10 ** v : v);
  parts.push(`<text x="${bx + 18}" y="${top + 6}" fill="#222">${lab(hi)}</text><text x="${bx + 18}" y="${top + bh}" fill="#222">${lab(lo)}</text>`);
  parts.push(`<text transform="translate(${bx + 64} ${top + bh / 2}) rotate(90)" text-anchor="middle" fill="#444">${esc(o.legend)}${log ? ' (log)' : ''}</text>`);
  parts.push('</svg>');
  return parts.join('');
}
