/**
 * The contact sheet of a sweep: the grid of results as one labelled RGBA picture.
 * @module
 */
import type { RgbaImage } from '../../image/input.js';
import { blit, createImage, resizeRgba } from '../raster.js';
import { drawText, fitText, measureText, wrapText } from '../font.js';
import { StyleTransferError } from '../../errors.js';
import { layerSetLabel, num } from './axes.js';
import type { ContactSheetOptions, SweepParameter, SweepRecord, SweepResult } from './types.js';

export type { ContactSheetOptions } from './types.js';

/** Where a tile sits on the sheet. */
export interface TilePlacement {
  row: number;
  column: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A rendered contact sheet: the RGBA picture, where each tile is, and the sweep's record with the sheet options. */
export interface ContactSheet extends RgbaImage {
  tiles: TilePlacement[];
  rows: number;
  columns: number;
  record: SweepRecord;
}

const AXIS_NAMES: Record<SweepParameter, string> = {
  styleLayers: 'style layers',
  contentLayers: 'content layer',
  weightRatio: 'content/style weight',
  iterations: 'iterations',
  pooling: 'pooling',
  init: 'init',
  styleStatistic: 'style statistic',
};

/** Title: what varies, then the settings every tile shares. */
function defaultTitle(result: SweepResult): string {
  const s = result.cells[0].settings;
  const varied = new Set([result.rows?.parameter, result.columns.parameter]);
  const what = result.rows ? `${AXIS_NAMES[result.rows.parameter]} (rows) x ${AXIS_NAMES[result.columns.parameter]} (columns).` : `${AXIS_NAMES[result.columns.parameter]}.`;
  const layers = (m: Record<string, number>) => layerSetLabel(Object.values(m).every((w) => w === Object.values(m)[0]) ? Object.keys(m) : m);
  const parts = [`${s.size}px`, `seed ${s.seed}`, s.optimizer];
  if (!varied.has('iterations')) parts.push(`${s.iterations} it`);
  if (!varied.has('styleLayers')) parts.push(`style ${layers(s.styleLayers)}`);
  if (!varied.has('contentLayers')) parts.push(`content ${layers(s.contentLayers)}`);
  if (!varied.has('weightRatio')) parts.push(`a/b=${num(s.contentWeight / (s.styleWeight || 1))}`);
  if (!varied.has('init')) parts.push(`init ${s.init}`);
  if (!varied.has('pooling') && s.pooling !== 'max') parts.push(`${s.pooling} pool`);
  if (!varied.has('styleStatistic') && s.styleStatistic && s.styleStatistic !== 'gram') parts.push(s.styleStatistic);
  return `${what} ${parts.join(', ')}`;
}

const compact = (v: number): string => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(1).replace('e+', 'e') : String(Number(v.toPrecision(3))));

/**
 * Lays a sweep out as one labelled RGBA image: a title, column headers on top, row headers on the left, and
 * under each tile its loss and time. Text is drawn with a built-in 5×7 bitmap font (no canvas needed).
 */
export function renderContactSheet(result: SweepResult, options: ContactSheetOptions = {}): ContactSheet {
  if (!result || !Array.isArray(result.cells) || result.cells.length === 0) {
    throw new StyleTransferError('INVALID_OPTION', '`renderContactSheet` takes the result of sweep().', { field: 'result' });
  }
  const nRows = result.rows ? result.rows.labels.length : 1;
  const nCols = result.columns.labels.length;
  const gap = options.gap ?? 4;
  const bg = options.background ?? [255, 255, 255];
  const ink = options.color ?? [24, 24, 24];
  const first = result.cells[0].image;
  let tw = Math.max(...result.cells.map((c) => c.image.width));
  let th = Math.max(...result.cells.map((c) => c.image.height));
  if (options.tileSize !== undefined) {
    const s = options.tileSize;
    if (!Number.isInteger(s) || s < 8 || s > 4096) throw new StyleTransferError('INVALID_OPTION', `\`tileSize\` is ${s}; expected an integer 8–4096.`, { field: 'tileSize' });
    const k = s / Math.max(first.width, first.height);
    tw = Math.max(1, Math.round(first.width * k));
    th = Math.max(1, Math.round(first.height * k));
  }
  const fs = options.fontScale ?? (Math.max(tw, th) >= 160 ? 2 : 1);
  if (!Number.isInteger(fs) || fs < 1 || fs > 8) throw new StyleTransferError('INVALID_OPTION', `\`fontScale\` is ${fs}; expected an integer 1–8.`, { field: 'fontScale' });
  const lineH = 10 * fs;
  const captions = options.captions ?? true;
  const rowHeaderW = result.rows ? Math.min(Math.max(...result.rows.labels.map((l) => measureText(l, fs).width)), 24 * 6 * fs) + 2 * gap : 0;
  const width = gap + rowHeaderW + nCols * (tw + gap);
  const titleLines = options.title === false ? [] : wrapText(options.title ?? defaultTitle(result), width - 2 * gap, fs);
  const titleH = titleLines.length ? titleLines.length * lineH + gap : 0;
  const colHeaderH = lineH;
  const captionH = captions ? lineH : 0;
  const cellW = tw + gap;
  const cellH = th + captionH + gap;
  const height = gap + titleH + colHeaderH + nRows * cellH;
  const img = createImage(width, height, bg);
  const ox = gap + rowHeaderW;
  const oy = gap + titleH + colHeaderH;
  titleLines.forEach((l, i) => drawText(img, l, gap, gap + i * lineH, ink, fs));
  const y = gap + titleH;
  result.columns.labels.forEach((l, c) => {
    const text = fitText(l, tw, fs);
    drawText(img, text, ox + c * cellW + Math.max(0, (tw - measureText(text, fs).width) >> 1), y, ink, fs);
  });
  if (result.rows) {
    result.rows.labels.forEach((l, r) => {
      const text = fitText(l, rowHeaderW - 2 * gap, fs);
      drawText(img, text, gap, oy + r * cellH + Math.max(0, (th - 8 * fs) >> 1), ink, fs);
    });
  }
  const tiles: TilePlacement[] = [];
  for (const cell of result.cells) {
    const src = cell.image.width === tw && cell.image.height === th ? cell.image : resizeRgba(cell.image, tw, th);
    const x = ox + cell.column * cellW;
    const yy = oy + cell.row * cellH;
    blit(img, src, x, yy);
    tiles.push({ row: cell.row, column: cell.column, x, y: yy, width: tw, height: th });
    if (captions) {
      // As many of these as fit: loss, time to this image, iterations actually done (when fewer than asked).
      const pieces = [`L=${compact(cell.loss.total)}`, `${(cell.elapsedMs / 1000).toFixed(1)}s`];
      if (cell.iterationsDone !== cell.settings.iterations) pieces.splice(1, 0, `@${cell.iterationsDone}`);
      let cap = pieces[0];
      for (const p of pieces.slice(1)) if (measureText(`${cap} ${p}`, fs).width <= tw) cap = `${cap} ${p}`;
      drawText(img, fitText(cap, tw, fs), x, yy + th + Math.max(1, fs), cell.note ? [180, 40, 40] : [90, 90, 90], fs);
    }
  }
  const sheetOptions: ContactSheetOptions = { tileSize: options.tileSize, gap, fontScale: fs, title: options.title, captions, background: options.background, color: options.color };
  const record: SweepRecord = { ...result.record, sheet: JSON.parse(JSON.stringify(sheetOptions)) as ContactSheetOptions };
  return { ...img, tiles, rows: nRows, columns: nCols, record };
}
