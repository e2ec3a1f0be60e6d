/**
 * Sweeps, contact sheets, their JSON records, feature-map and Gram pictures, reconstructions, the bitmap font and
 * Node image I/O. Images are ≤ 48 px and runs a few iterations (the CPU is shared); what is checked is the grid,
 * the labels, reproducibility and that no tensor is left behind.
 */
import { mkdtempSync, readdirSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ready,
  loadVgg19,
  createStylizer,
  extractFeatures,
  readImage,
  writeImage,
  decodeImage,
  encodeImage,
  StyleTransferError,
  type RgbaImage,
  type Vgg19,
} from '../src/adapters/node.js';
import { gramMatrix } from '../src/core.js';
import {
  sweep,
  replaySweep,
  renderContactSheet,
  renderFeatureMaps,
  renderGram,
  reconstruct,
  reconstructionOptions,
  layerSetLabel,
  createImage,
  drawText,
  measureText,
  type SweepRecord,
  type SweepResult,
} from '../src/experiments.js';
import { loadImage, type RgbPixels } from './helpers/images.js';

let model: Vgg19;
let content: RgbPixels;
let style: RgbPixels;
let tmp: string;

beforeAll(async () => {
  await ready();
  model = await loadVgg19();
  content = loadImage('tubingen', 48); // 48x36
  style = loadImage('starry_night', 48);
  tmp = mkdtempSync(join(tmpdir(), 'nst-experiments-'));
});

afterAll(() => {
  model?.dispose();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(StyleTransferError);
    return (e as StyleTransferError).code;
  }
  return undefined;
}

/** The tile's pixels cut out of the sheet. */
function crop(img: RgbaImage, x: number, y: number, w: number, h: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(w * h * 4);
  for (let r = 0; r < h; r++) out.set(img.data.subarray(((y + r) * img.width + x) * 4, ((y + r) * img.width + x + w) * 4), r * w * 4);
  return out;
}

const meanAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
};

describe('sweep(): style layers × iterations', () => {
  let result: SweepResult;
  let progressCalls = 0;
  const layers = ['conv1_1', 'conv2_1', 'conv3_1'];

  beforeAll(async () => {
    const before = tf.memory().numTensors;
    result = await sweep({
      content, style, model, size: 32, seed: 0,
      vary: { styleLayers: layers },
      iterations: [2, 4],
      onProgress: () => void progressCalls++,
    });
    expect(tf.memory().numTensors).toBe(before); // no tensor left behind; the model is the caller's
  });

  it('has one tile per (layer set, iteration count), taken from one run per layer set', () => {
    expect(result.rows?.parameter).toBe('styleLayers');
    expect(result.rows?.labels).toEqual(layers);
    expect(result.columns.parameter).toBe('iterations');
    expect(result.columns.labels).toEqual(['2 it', '4 it']);
    expect(result.cells).toHaveLength(6);
    expect(result.timings.runs).toBe(3); // iterations come from snapshots, not re-runs
    expect(progressCalls).toBeGreaterThanOrEqual(3 * 4 - 2); // every iteration of every run (L-BFGS may stop early)
    for (const c of result.cells) {
      expect(c.image.width).toBe(32);
      expect(c.image.height).toBe(24);
      expect(Object.keys(c.settings.styleLayers)).toEqual([layers[c.row]]);
      expect(c.settings.iterations).toBe([2, 4][c.column]);
      expect(c.settings.seed).toBe(0);
      expect(Number.isFinite(c.loss.total)).toBe(true);
      expect(c.elapsedMs).toBeGreaterThan(0);
      expect(c.runMs).toBeGreaterThanOrEqual(c.elapsedMs);
    }
    // Within a run, the later snapshot has the lower loss.
    for (let r = 0; r < 3; r++) expect(result.at(r, 1).loss.total).toBeLessThan(result.at(r, 0).loss.total);
  });

  it('renders a labelled contact sheet with the requested grid', () => {
    const sheet = renderContactSheet(result, { gap: 4 });
    expect(sheet.rows).toBe(3);
    expect(sheet.columns).toBe(2);
    expect(sheet.tiles).toHaveLength(6);
    expect(sheet.data.length).toBe(sheet.width * sheet.height * 4);
    const headerW = Math.max(...layers.map((l) => measureText(l).width)) + 8;
    expect(sheet.width).toBe(4 + headerW + 2 * (32 + 4));
    // Tiles sit in a grid, each a copy of its cell's image, and every tile differs from every other.
    const xs = new Set(sheet.tiles.map((t) => t.x));
    const ys = new Set(sheet.tiles.map((t) => t.y));
    expect(xs.size).toBe(2);
    expect(ys.size).toBe(3);
    const pixels = sheet.tiles.map((t) => crop(sheet, t.x, t.y, t.width, t.height));
    sheet.tiles.forEach((t, i) => {
      expect(t.x + t.width).toBeLessThanOrEqual(sheet.width);
      expect(t.y + t.height).toBeLessThanOrEqual(sheet.height);
      expect(Array.from(pixels[i])).toEqual(Array.from(result.at(t.row, t.column).image.data));
    });
    for (let i = 0; i < pixels.length; i++) for (let j = i + 1; j < pixels.length; j++) expect(meanAbsDiff(pixels[i], pixels[j])).toBeGreaterThan(0.1);
    // Labels: the header column left of the first tile and the header row above it hold dark text pixels.
    const dark = (x0: number, y0: number, w: number, h: number) => {
      let n = 0;
      const c = crop(sheet, x0, y0, w, h);
      for (let i = 0; i < c.length; i += 4) if (c[i] < 100) n++;
      return n;
    };
    const first = sheet.tiles[0];
    for (const t of sheet.tiles.filter((t) => t.column === 0)) expect(dark(0, t.y, first.x, t.height)).toBeGreaterThan(20);
    for (const t of sheet.tiles.filter((t) => t.row === 0)) expect(dark(t.x, first.y - 10, t.width, 9)).toBeGreaterThan(10);
    // The record carries what is needed to reproduce it.
    expect(sheet.record.sheet?.gap).toBe(4);
  });

  it('scales tiles with tileSize and can drop title and captions', () => {
    const sheet = renderContactSheet(result, { tileSize: 16, title: false, captions: false, gap: 2 });
    expect(sheet.tiles.every((t) => t.width === 16 && t.height === 12)).toBe(true);
    expect(sheet.height).toBe(2 + 10 + 3 * (12 + 2));
  });

  it('keeps a JSON record: settings, seed, weights hash, backend, version, input hashes', () => {
    const rec = JSON.parse(JSON.stringify(result.record)) as SweepRecord;
    expect(rec.format).toBe('neural-style-tfjs/sweep@1');
    expect(rec.weightsSha256).toBe(model.weightsSha256);
    expect(rec.backend).toBe(tf.getBackend());
    expect(rec.library.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(rec.seed).toBe(0);
    expect(rec.options).toMatchObject({ size: 32, seed: 0, vary: { styleLayers: layers }, iterations: [2, 4] });
    expect(rec.inputs.content).toMatchObject({ width: 48, height: 36 });
    expect(rec.inputs.content.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(rec.cells).toHaveLength(6);
    expect(rec.cells[0]).not.toHaveProperty('image');
  });
});

describe('sweep(): reproducible from its JSON record', () => {
  it('same seed → same losses; another seed → other losses', async () => {
    const stylizer = await createStylizer({ model });
    try {
      const opts = { content, style, stylizer, size: 32, seed: 7, init: 'noise' as const, vary: { weightRatio: [0.01, 1] }, iterations: 3 };
      const a = await sweep(opts);
      const record = JSON.parse(JSON.stringify(renderContactSheet(a).record)) as SweepRecord;
      expect(a.rows).toBeUndefined();
      expect(a.columns.labels).toEqual(['a/b=0.01', 'a/b=1']);
      expect(a.cells.map((c) => c.settings.contentWeight)).toEqual([1, 100]);
      const b = await replaySweep(record, { content, style, stylizer });
      expect(b.cells.map((c) => c.loss)).toEqual(a.cells.map((c) => c.loss));
      expect(Array.from(b.cells[1].image.data)).toEqual(Array.from(a.cells[1].image.data));
      const c = await sweep({ ...opts, seed: 8 });
      expect(c.cells[0].loss.total).not.toBe(a.cells[0].loss.total);
      // A replay on other pixels is refused.
      expect(await codeOf(replaySweep(record, { content: style, style, stylizer }))).toBe('INVALID_IMAGE');
    } finally {
      stylizer.dispose();
    }
  });
});

describe('sweep(): presets, labels and validation', () => {
  it('expands the single / cumulative / all presets', async () => {
    expect(layerSetLabel(['conv1_1', 'conv2_1', 'conv3_1'])).toBe('conv1_1..conv3_1');
    expect(layerSetLabel(['conv1_1', 'conv3_1'])).toBe('conv1_1+conv3_1');
    expect(layerSetLabel({ relu1_1: 1, relu2_1: 0.5 })).toBe('relu1_1:1+relu2_1:0.5');
    const r = await sweep({ content, style, model, size: 32, iterations: 1, vary: { styleLayers: 'cumulative', pooling: ['max', 'avg'] }, presetKind: 'relu' });
    expect(r.rows?.labels).toEqual(['relu1_1', 'relu1_1+relu2_1', 'relu1_1..relu3_1', 'relu1_1..relu4_1', 'relu1_1..relu5_1']);
    expect(r.columns.labels).toEqual(['max pool', 'avg pool']);
    expect(r.cells).toHaveLength(10);
    expect(r.at(4, 1).settings.styleLayers).toEqual({ relu1_1: 1, relu2_1: 1, relu3_1: 1, relu4_1: 1, relu5_1: 1 });
    expect(r.at(4, 1).settings.pooling).toBe('avg');
  });

  it('rejects bad sweeps before running anything', async () => {
    const base = { content, style, model, size: 16, iterations: 1 };
    expect(await codeOf(sweep({ ...base, vary: { styleLayers: ['conv1_1', 'conv9_1'] } }))).toBe('UNKNOWN_LAYER');
    expect(await codeOf(sweep({ ...base, vary: {} }))).toBe('INVALID_OPTION');
    expect(await codeOf(sweep({ ...base, vary: { pooling: ['max'], init: ['noise'], weightRatio: [1] } }))).toBe('INVALID_OPTION');
    expect(await codeOf(sweep({ ...base, vary: { styleLayers: 'some' as never } }))).toBe('INVALID_OPTION');
    expect(await codeOf(sweep({ ...base, vary: { weightRatio: [-1] } }))).toBe('INVALID_OPTION');
    expect(await codeOf(sweep({ ...base, size: 0, vary: { pooling: ['max'] } }))).toBe('INVALID_OPTION');
  });
});

describe('renderFeatureMaps / renderGram', () => {
  it('tiles the most energetic channels, each normalised to its own range', async () => {
    const { relu2_1 } = await extractFeatures(model, content, ['relu2_1']); // [1,18,24,128]
    try {
      const grid = await renderFeatureMaps(relu2_1, { channels: 6, sort: 'energy', columns: 3, gap: 1 });
      expect(grid.width).toBe(3 * 24 + 4);
      expect(grid.height).toBe(2 * 18 + 3);
      expect(grid.channels).toHaveLength(6);
      for (let i = 1; i < 6; i++) expect(grid.energy[i]).toBeLessThanOrEqual(grid.energy[i - 1]);
      // Each tile spans black to white.
      for (let i = 0; i < 6; i++) {
        const t = crop(grid, 1 + (i % 3) * 25, 1 + Math.floor(i / 3) * 19, 24, 18);
        let lo = 255, hi = 0;
        for (let p = 0; p < t.length; p += 4) (lo = Math.min(lo, t[p])), (hi = Math.max(hi, t[p]));
        expect(lo).toBe(0);
        expect(hi).toBe(255);
      }
      const byIndex = await renderFeatureMaps(relu2_1, { channels: [5, 0], scale: 2, gap: 0, colorMap: 'viridis' });
      expect(byIndex.channels).toEqual([5, 0]);
      expect([byIndex.width, byIndex.height]).toEqual([2 * 48, 36]);
      expect(await codeOf(renderFeatureMaps(relu2_1, { channels: [128] }))).toBe('INVALID_OPTION');
    } finally {
      relu2_1.dispose();
    }
  });

  it('draws a Gram heat map (viridis for ≥ 0, coolwarm around 0 for signed Grams)', async () => {
    const before = tf.memory().numTensors;
    const { relu1_1, conv1_1 } = await extractFeatures(model, content, ['relu1_1', 'conv1_1']);
    const g1 = gramMatrix(relu1_1);
    const g2 = gramMatrix(conv1_1);
    try {
      const h1 = await renderGram(g1);
      expect([h1.width, h1.height]).toEqual([256, 256]); // 64 channels × 4 px
      expect(h1.min).toBeGreaterThanOrEqual(0);
      const h2 = await renderGram(g2, { cellSize: 1, sort: 'energy' });
      expect([h2.width, h2.height]).toEqual([64, 64]);
      expect(h2.min).toBeLessThan(0);
      expect(h2.order).toHaveLength(64);
      expect(await codeOf(renderGram(relu1_1))).toBe('INVALID_OPTION');
    } finally {
      tf.dispose([relu1_1, conv1_1, g1, g2]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('reconstruct()', () => {
  it('builds the stylize() recipe: noise start, the other term at weight 0 on a shallow point', () => {
    const c = reconstructionOptions({ image: content, kind: 'content', layer: 'conv4_2', seed: 3 });
    expect(c).toMatchObject({ init: 'noise', seed: 3, contentLayers: ['conv4_2'], styleWeight: 0, styleLayers: ['conv4_2'], tvWeight: 0 });
    const s = reconstructionOptions({ image: content, kind: 'style', layers: ['conv3_1', 'conv1_1'] });
    expect(s).toMatchObject({ styleLayers: ['conv3_1', 'conv1_1'], contentWeight: 0, contentLayers: ['conv1_1'] });
    expect(() => reconstructionOptions({ image: content, kind: 'content' })).toThrow(StyleTransferError);
    expect(() => reconstructionOptions({ image: content, kind: 'texture' as never, layer: 'conv1_1' })).toThrow(/kind/);
    expect(() => reconstructionOptions({ image: content, kind: 'content', layer: 'conv6_1' })).toThrow(/unknown VGG-19 layer/);
  });

  it('reconstructs from noise with one term only (content from pool2, style from relu1_1+relu2_1)', async () => {
    const before = tf.memory().numTensors;
    const rc = await reconstruct({ model, image: content, kind: 'content', layer: 'pool2', size: 32, iterations: 4, seed: 1 });
    try {
      expect([rc.width, rc.height]).toEqual([32, 24]);
      const h = rc.history;
      expect(h[h.length - 1].loss.total).toBeLessThan(h[0].loss.total);
      expect(h.every((e) => e.loss.style === 0)).toBe(true); // the zero-weight term contributes nothing
    } finally {
      rc.dispose();
    }
    const rs = await reconstruct({ model, image: style, kind: 'style', layers: ['relu1_1', 'relu2_1'], size: 32, iterations: 4 });
    try {
      expect(rs.history.every((e) => e.loss.content === 0)).toBe(true);
      expect(rs.history[rs.history.length - 1].loss.style).toBeLessThan(rs.history[0].loss.style);
    } finally {
      rs.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('bitmap font', () => {
  it('draws text of the measured size in pure TS', () => {
    const img = createImage(60, 12);
    const w = drawText(img, 'conv3_1', 1, 1);
    expect(w).toBe(7 * 6);
    expect(measureText('conv3_1')).toEqual({ width: 41, height: 8 });
    let ink = 0, maxX = 0;
    for (let y = 0; y < 12; y++) for (let x = 0; x < 60; x++) if (img.data[(y * 60 + x) * 4] === 0) (ink++, (maxX = Math.max(maxX, x)));
    expect(ink).toBeGreaterThan(40);
    expect(maxX).toBeLessThanOrEqual(41);
  });
});

describe('Node image I/O', () => {
  const rgba: RgbaImage = (() => {
    const img = createImage(7, 5);
    for (let i = 0; i < img.data.length; i += 4) (img.data[i] = (i * 7) % 256), (img.data[i + 1] = (i * 3) % 256), (img.data[i + 2] = 200);
    return img;
  })();

  it('round-trips PNG exactly and JPEG closely, sniffing the format from the bytes', async () => {
    await writeImage(join(tmp, 'a.png'), rgba);
    const png = await readImage(join(tmp, 'a.png'));
    expect([png.width, png.height]).toEqual([7, 5]);
    expect(Array.from(png.data)).toEqual(Array.from(rgba.data));
    await writeImage(join(tmp, 'a.jpg'), rgba, { quality: 100 });
    const jpg = await readImage(join(tmp, 'a.jpg'));
    expect([jpg.width, jpg.height]).toEqual([7, 5]);
    expect(meanAbsDiff(jpg.data, rgba.data)).toBeLessThan(8);
    // A PNG named .jpg is still read (the bytes decide).
    writeFileSync(join(tmp, 'png-named.jpg'), encodeImage(rgba, 'png'));
    expect((await readImage(join(tmp, 'png-named.jpg'))).width).toBe(7);
    // No temp files are left behind.
    expect(readdirSync(tmp).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('fails clearly on missing, non-image, damaged and unwritable files, leaving nothing behind', async () => {
    const dir = join(tmp, 'bad');
    mkdirSync(dir);
    writeFileSync(join(dir, 'text.jpg'), 'hello, I am not a picture\n');
    const pngBytes = encodeImage(rgba, 'png');
    writeFileSync(join(dir, 'cut.png'), pngBytes.subarray(0, 40));
    const msg = async (p: Promise<unknown>) => ((await p.then(() => undefined, (e: Error) => e)) as Error).message;
    expect(await msg(readImage(join(dir, 'missing.png')))).toMatch(/missing\.png: no such file/);
    expect(await codeOf(readImage(join(dir, 'text.jpg')))).toBe('UNSUPPORTED_IMAGE');
    expect(await msg(readImage(join(dir, 'text.jpg')))).toMatch(/not a PNG(,| or) JPEG.* image \(it starts with the text "hello, I am not/);
    expect(await codeOf(readImage(join(dir, 'cut.png')))).toBe('INVALID_IMAGE');
    expect(await codeOf(readImage(dir))).toBe('INVALID_IMAGE');
    expect(await codeOf(writeImage(join(dir, 'x.gif'), rgba))).toBe('UNSUPPORTED_IMAGE');
    expect(await msg(writeImage(join(dir, 'nope', 'x.png'), rgba))).toMatch(/folder does not exist/);
    mkdirSync(join(dir, 'is-a-dir.png'));
    expect(await codeOf(writeImage(join(dir, 'is-a-dir.png'), rgba))).toBe('INVALID_OPTION');
    expect(() => decodeImage(new Uint8Array(0), 'empty')).toThrow(/empty/);
    expect(readdirSync(dir).sort()).toEqual(['cut.png', 'is-a-dir.png', 'text.jpg']);
  });
});
