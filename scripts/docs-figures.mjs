#!/usr/bin/env node
/**
 * `npm run docs:figures` — makes every picture of the README and docs/ from the images in ../shared/images, into
 * docs/figures/ (committed: every picture there is written by this script; docs/figures/README.md states the
 * settings and the credits). Only the Tübingen photo (CC BY 3.0, credited beside each picture made from it) and
 * The Starry Night (public domain) are used; never golden_gate.jpg, whose licence is unknown.
 *
 * Each contact sheet's JSON record (settings, seed, weights hash, losses, timings) goes to docs/generated/
 * (gitignored: its timings change on every run) and reproduces the sheet:
 * `neural-style-tfjs sweep --replay docs/generated/<name>.json -o again.png`.
 *
 *   npm run docs:figures                          # everything (long: times in docs/figures/README.md)
 *   npm run docs:figures -- --quick               # 64 px, a quarter of the iterations, into docs/generated/quick/
 *   npm run docs:figures -- --only hero,style-single
 *   npm run docs:figures -- --keep                # skip figures whose files already exist
 *
 * Uses the BUILT package (`npm run build`).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const IMAGES = resolve(ROOT, '..', 'shared', 'images');
if (!existsSync(join(ROOT, 'dist', 'node.js'))) {
  console.error('docs:figures: dist/ is missing; run "npm run build" first.');
  process.exit(1);
}
if (!existsSync(join(IMAGES, 'tubingen.jpg'))) {
  console.error(`docs:figures: the shared images are missing (expected ${IMAGES}/tubingen.jpg and friends).`);
  process.exit(1);
}
const { ready, loadVgg19, createStylizer, extractFeatures, readImage, decodeImage, writeImage, VERSION } = await import('neural-style-tfjs/node');
const { gramMatrix, fitSize, resizeImage, toImageTensor } = await import('neural-style-tfjs/core');
const {
  sweep, renderContactSheet, reconstruct, renderFeatureMaps, renderGram, createImage, drawText, measureText, wrapText, blit, resizeRgba,
} = await import('neural-style-tfjs/experiments');
const tf = await import('@tensorflow/tfjs-core');

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const keep = argv.includes('--keep');
const onlyArg = argv.find((a, i) => argv[i - 1] === '--only') ?? argv.find((a) => a.startsWith('--only='))?.slice(7);
const only = onlyArg ? new Set(onlyArg.split(',')) : undefined;
const q = (n) => (quick ? Math.max(2, Math.round(n / 4)) : n);
const px = (n) => (quick ? 64 : n);

/** The middle `width`x`height` of an RGBA image. */
function cropCentre(img, width, height) {
  const x0 = (img.width - width) >> 1;
  const y0 = (img.height - height) >> 1;
  const out = createImage(width, height);
  for (let y = 0; y < height; y++) out.data.set(img.data.subarray(((y0 + y) * img.width + x0) * 4, ((y0 + y) * img.width + x0 + width) * 4), y * width * 4);
  return out;
}

/** Settings of every figure (stated in docs/figures/README.md and docs/layers.md). */
const S = {
  seed: 0,
  hero: { size: px(320), iterations: q(100), panelHeight: px(240) }, // README: content | style | result
  styleSize: px(128), smallSize: px(96), iters: [q(20), q(80)], long: q(80), ratioIters: q(60), featureSize: px(224),
  // docs/performance.md: a 2048x2048 result by the CLI with its defaults (coarse-to-fine 512 → 1024 → 2048 px, 100 +
  // 18 + 3 iterations; tiled where the memory plan says so: WASM, the 2048 px scale) from a square centre crop of
  // the photo; shown at 1024 px with a 512 px crop at full resolution. Long (see docs/performance.md).
  large: { size: px(2048), shownWidth: px(768), crop: px(512) },
  studyIters: [q(20), q(60)],
  // docs/layers.md, "Style statistics per layer": the painting's texture from noise through each layer alone.
  statistics: { size: 64, iterations: q(100), layers: ['conv1_1', 'conv2_1', 'conv3_1', 'conv4_1', 'conv5_1'] },
};
/** JPEG quality of the photographic figures (results, contact sheets); line art and heat maps are PNG. */
const JPEG_QUALITY = 85;

// A quick run must never overwrite the committed pictures.
const OUT = join(ROOT, 'docs', quick ? 'generated/quick' : 'figures');
const RECORDS = quick ? OUT : join(ROOT, 'docs', 'generated');
mkdirSync(OUT, { recursive: true });
mkdirSync(RECORDS, { recursive: true });
const save = (file, img) => writeImage(join(OUT, file), img, file.endsWith('.jpg') ? { quality: JPEG_QUALITY } : {});

// All use of the stylisation API is here and in the `stylizer` calls below (stylize, sweep, reconstruct).
const backend = await ready();
const model = await loadVgg19();
const stylizer = await createStylizer({ model, cacheSize: 8 });

const content = await readImage(join(IMAGES, 'tubingen.jpg'));
const starry = await readImage(join(IMAGES, 'starry_night.jpg'));
const t0 = Date.now();
const made = [];
const secs = (ms) => `${(ms / 1000).toFixed(0)}s`;
// Progress redrawn in place on a terminal; in a log (CI, a file) a line at most every 30 s, so a long figure still
// shows where it is, and the one summary line per figure.
const tty = Boolean(process.stdout.isTTY);
let lastStatusLine = 0;
const status = (text) => {
  if (tty) process.stdout.write(`\r\x1b[2K  ${text}`);
  else if (Date.now() - lastStatusLine > 30_000) {
    lastStatusLine = Date.now();
    console.log(`  ${new Date().toISOString().slice(11, 19)} ${text}`);
  }
};
const endStatus = () => tty && process.stdout.write('\r\x1b[2K');
const progress = (name) => (p) => {
  if (p.iteration === p.iterations || p.iteration % 5 === 0) status(`${name}: run ${p.run + 1}/${p.runs} ${p.label} ${p.iteration}/${p.iterations}`);
};

/** Resizes RGBA pixels to a given height, aspect kept (area averaging when shrinking). */
const toHeight = (img, h) => resizeRgba(img, Math.round((img.width * h) / img.height), h);

/** A labelled row of images: an optional title, then each image under its label (cells as wide as their image). */
function strip(title, items, fontScale = 1) {
  const gap = 4 * fontScale, lineH = 10 * fontScale;
  const th = Math.max(...items.map((i) => i.image.height));
  const width = items.reduce((w, it) => w + it.image.width + gap, gap);
  const lines = title ? wrapText(title, width - 2 * gap, fontScale) : [];
  const top = gap + lines.length * lineH;
  const height = top + gap + lineH + th + gap;
  const img = createImage(width, height, [255, 255, 255]);
  lines.forEach((l, i) => drawText(img, l, gap, gap + i * lineH, [24, 24, 24], fontScale));
  let x = gap;
  for (const it of items) {
    const tw = it.image.width;
    const label = it.label.length * 6 * fontScale > tw ? it.label.slice(0, Math.floor(tw / (6 * fontScale))) : it.label;
    drawText(img, label, x + Math.max(0, (tw - measureText(label, fontScale).width) >> 1), top + gap, [24, 24, 24], fontScale);
    blit(img, it.image, x, top + gap + lineH);
    x += tw + gap;
  }
  return img;
}

/**
 * The library's sheet captions end with each tile's wall-clock time, which changes from run to run. The committed
 * sheets show the loss only (in the library's format), so that a rerun on the same machine writes the same bytes;
 * the times stay in the JSON records.
 */
function lossOnlyCaptions(sheet, cells) {
  const fs = sheet.record.sheet.fontScale;
  const compact = (v) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-2 && v !== 0) ? v.toExponential(1).replace('e+', 'e') : String(Number(v.toPrecision(3))));
  for (const cell of cells) {
    const t = sheet.tiles.find((p) => p.row === cell.row && p.column === cell.column);
    blit(sheet, createImage(t.width, 10 * fs), t.x, t.y + t.height); // blank the caption line
    const text = `L=${compact(cell.loss.total)}${cell.iterationsDone !== cell.settings.iterations ? ` @${cell.iterationsDone}` : ''}`;
    drawText(sheet, text, t.x, t.y + t.height + Math.max(1, fs), cell.note ? [180, 40, 40] : [90, 90, 90], fs);
  }
}

/** Runs a sweep of the photo with The Starry Night, writes its contact sheet and its record; returns the result too. */
async function sheetFigure(name, title, options) {
  const res = await sweep({ content, style: starry, stylizer, seed: S.seed, onProgress: progress(name), ...options });
  endStatus();
  const sheet = renderContactSheet(res, { title });
  lossOnlyCaptions(sheet, res.cells);
  sheet.record.inputs.content.path = '../../../shared/images/tubingen.jpg';
  sheet.record.inputs.style[0].path = '../../../shared/images/starry_night.jpg';
  await save(`${name}.jpg`, sheet);
  await writeFile(join(RECORDS, `${name}.json`), `${JSON.stringify(sheet.record, null, 2)}\n`);
  const notes = res.cells.filter((c) => c.note).map((c) => `${c.rowLabel} ${c.columnLabel}: ${c.note}`);
  return { res, info: { width: sheet.width, height: sheet.height, runs: res.timings.runs, notes } };
}

/** Each figure: the files it writes into docs/figures/ and how it makes them. */
const FIGURES = {
  // README, first picture: the photo, the painting and the default stylisation of one by the other.
  hero: {
    files: ['hero.jpg'],
    make: async () => {
      const { size, iterations, panelHeight: h } = S.hero;
      const result = await stylizer.stylize(content, starry, {
        size, iterations, seed: S.seed,
        onIteration: (p) => p.iteration % 5 === 0 && status(`hero: ${p.iteration}/${p.iterations}`),
      });
      const output = await result.toPixels();
      result.dispose();
      endStatus();
      const img = strip('', [
        { label: 'content', image: toHeight(content, h) },
        { label: 'style', image: toHeight(starry, h) },
        { label: 'result', image: toHeight(output, h) },
      ], 2);
      await save('hero.jpg', img);
      return { width: img.width, height: img.height, runs: 1 };
    },
  },
  // 1. Style from one layer at a time (conv1_1 … conv5_1), two iteration counts from the same runs; the
  //    README's strip is the longer runs' column of the same sweep.
  'style-single': {
    files: ['style-single.jpg', 'layer-strip.jpg'],
    make: async () => {
      const { res, info } = await sheetFigure('style-single', `Style from one layer (conv, before ReLU); content relu4_2; ${S.styleSize}px, seed ${S.seed}`, {
        size: S.styleSize, vary: { styleLayers: 'single' }, iterations: S.iters,
      });
      const last = res.columns.labels.length - 1;
      const tiles = res.cells.filter((c) => c.column === last).map((c) => ({ label: c.rowLabel, image: c.image }));
      await save('layer-strip.jpg', strip('', tiles, 2)); // its caption is in the README
      return info;
    },
  },
  // 2. Cumulative style sets (Gatys et al. 2016, Fig. 3 rows).
  'style-cumulative': {
    files: ['style-cumulative.jpg'],
    make: async () => (await sheetFigure('style-cumulative', `Style from cumulative layer sets; content relu4_2; ${S.styleSize}px, seed ${S.seed}`, {
      size: S.styleSize, vary: { styleLayers: 'cumulative' }, iterations: S.iters,
    })).info,
  },
  // 3. Which layer carries the content: start from noise so only the content layer can bring the photo back.
  'content-layers': {
    files: ['content-layers.jpg'],
    make: async () => (await sheetFigure('content-layers', `Content layer, from noise, a/b=1; style relu1_1..relu5_1; ${S.smallSize}px, seed ${S.seed}`, {
      size: S.smallSize, init: 'noise', contentWeight: 100, styleWeight: 100, vary: { contentLayers: ['conv1_2', 'conv2_2', 'conv3_2', 'conv4_2', 'conv5_2'] }, iterations: S.iters,
    })).info,
  },
  // 4. Content/style weight ratio, from the content image and from noise.
  'weight-ratio': {
    files: ['weight-ratio.jpg'],
    make: async () => (await sheetFigure('weight-ratio', `Content/style weight ratio a/b (style weight 100); ${S.smallSize}px, ${S.ratioIters} it, seed ${S.seed}`, {
      size: S.smallSize, iterations: S.ratioIters, vary: { init: ['content', 'noise'], weightRatio: [1e-3, 1e-2, 1e-1, 1, 10] },
    })).info,
  },
  // 5. Gatys et al. 2016 Fig. 1: reconstructions from white noise.
  'reconstruct-content': {
    files: ['reconstruct-content.jpg'],
    make: async () => {
      const items = [];
      for (const layer of ['conv1_2', 'conv2_2', 'conv3_2', 'conv4_2', 'conv5_2']) {
        status(`reconstruct-content: ${layer}`);
        const r = await reconstruct({ stylizer, image: content, kind: 'content', layer, size: S.smallSize, iterations: S.long, seed: S.seed });
        items.push({ label: layer, image: await r.toPixels() });
        r.dispose();
      }
      endStatus();
      const img = strip(`Content reconstructions from noise (${S.long} it, ${S.smallSize}px)`, items);
      await save('reconstruct-content.jpg', img);
      return { width: img.width, height: img.height, runs: items.length };
    },
  },
  'reconstruct-style': {
    files: ['reconstruct-style.jpg'],
    make: async () => {
      const items = [];
      const firsts = ['conv1_1', 'conv2_1', 'conv3_1', 'conv4_1', 'conv5_1'];
      for (let i = 1; i <= 5; i++) {
        const layers = firsts.slice(0, i);
        status(`reconstruct-style: ${layers.join('+')}`);
        const r = await reconstruct({ stylizer, image: starry, kind: 'style', layers, size: S.smallSize, iterations: S.long, seed: S.seed });
        items.push({ label: i === 1 ? 'conv1_1' : `..conv${i}_1`, image: await r.toPixels() });
        r.dispose();
      }
      endStatus();
      const img = strip(`Style reconstructions from noise, cumulative sets (${S.long} it, ${S.smallSize}px)`, items);
      await save('reconstruct-style.jpg', img);
      return { width: img.width, height: img.height, runs: items.length };
    },
  },
  // 6. Feature maps of the photo and Gram matrices of the painting, block by block.
  features: {
    files: ['features.png', 'grams.png'],
    make: async () => {
      const layers = ['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1'];
      const prep = (img, size) => {
        const full = toImageTensor(img);
        const [h, w] = fitSize(full.shape[1], full.shape[2], size);
        const small = resizeImage(full, h, w);
        full.dispose();
        return small;
      };
      const photo = prep(content, S.featureSize);
      const painting = prep(starry, S.featureSize);
      const acts = await extractFeatures(model, photo, layers);
      const sacts = await extractFeatures(model, painting, layers);
      const maps = [];
      const grams = [];
      for (const l of layers) {
        const a = acts[l];
        const scale = Math.max(1, Math.round(48 / a.shape[2]));
        const grid = await renderFeatureMaps(a, { channels: 16, columns: 4, sort: 'energy', scale });
        maps.push({ label: `${l} ${a.shape[2]}x${a.shape[1]}x${a.shape[3]}`, image: resizeRgba(grid, 200, Math.round((200 * grid.height) / grid.width)) });
        const g = gramMatrix(sacts[l]);
        const heat = await renderGram(g, { sort: 'energy', cellSize: 1 });
        g.dispose();
        grams.push({ label: `${l} ${heat.channels}x${heat.channels}`, image: resizeRgba(heat, 128, 128) });
      }
      tf.dispose([photo, painting, ...Object.values(acts), ...Object.values(sacts)]);
      const a = strip('Feature maps of the photo: the 16 most active channels per layer, each tile normalised', maps);
      const b = strip('Gram matrices of the painting (channels by energy; sqrt scale, 99th percentile)', grams);
      await save('features.png', a);
      await save('grams.png', b);
      return { width: a.width, height: a.height, runs: 0 };
    },
  },
  // docs/performance.md: a large result made by the CLI (its automatic coarse-to-fine schedule, tiled where the
  // memory plan says so), reduced, and a crop of it at full resolution. The CLI's --json lines (settings, per-scale
  // tiling, timings) and its peak RSS go to docs/generated/large.jsonl.
  large: {
    files: ['large.jpg', 'large-crop.jpg'],
    make: async () => {
      const { size, shownWidth, crop } = S.large;
      const png = join(RECORDS, 'large.png');
      // Square, the case issue 14's time target names (2048x2048): the photo's centre, written where the CLI reads it.
      const side = Math.min(content.width, content.height);
      const squarePath = join(tmpdir(), `nst-large-content-${process.pid}.png`);
      await writeImage(squarePath, cropCentre(content, side, side));
      const args = [join(ROOT, 'dist', 'cli.js'), 'stylize', squarePath, join(IMAGES, 'starry_night.jpg'), '-o', png,
        '--size', String(size), '--seed', String(S.seed), '--backend', 'wasm', '--json'];
      if (quick) args.push('--iterations', '8');
      // GNU time's "%M": the CLI process's peak RSS in KiB (where /usr/bin/time exists).
      const timed = existsSync('/usr/bin/time');
      const lines = await new Promise((done, fail) => {
        const child = spawn(timed ? '/usr/bin/time' : process.execPath, timed ? ['-f', 'peakRssKiB %M', process.execPath, ...args] : args, { stdio: ['ignore', 'pipe', 'pipe'] });
        const out = [];
        let err = '';
        child.stdout.setEncoding('utf8');
        let buffered = '';
        child.stdout.on('data', (d) => {
          buffered += d;
          const parts = buffered.split('\n');
          buffered = parts.pop();
          for (const l of parts) {
            out.push(l);
            const e = JSON.parse(l);
            if (e.event === 'iteration') status(`large: iteration ${e.iteration}/${e.iterations} at ${e.width}x${e.height}, loss ${e.loss.total.toExponential(3)}`);
            if (e.event === 'tile') status(`large: ${e.width}x${e.height}, ${e.pass} tile ${e.tile + 1}/${e.tiles}`);
          }
        });
        child.stderr.on('data', (d) => (err += d));
        child.on('close', async (code) => {
          await rm(squarePath, { force: true });
          const rss = /peakRssKiB (\d+)/.exec(err);
          const all = [...out, ...(rss ? [JSON.stringify({ event: 'peak-rss', bytes: Number(rss[1]) * 1024 })] : [])];
          // Kept either way: a failed run's progress says how far it got and how long each scale took.
          await writeFile(join(RECORDS, 'large.jsonl'), `${all.join('\n')}\n`);
          if (code !== 0) fail(new Error(`large: the CLI exited with ${code} (its --json lines: ${join(RECORDS, 'large.jsonl')}):\n${err}`));
          else done(all);
        });
      });
      endStatus();
      const doneEvent = lines.map((l) => JSON.parse(l)).find((e) => e.event === 'done');
      const output = await readImage(png);
      await save('large.jpg', resizeRgba(output, shownWidth, Math.round((output.height * shownWidth) / output.width)));
      // The crop: full resolution, from the middle of the picture.
      await save('large-crop.jpg', cropCentre(output, crop, crop));
      const notes = [...doneEvent.warnings, ...doneEvent.scales.map((sc) => `${sc.width}x${sc.height}: ${sc.tiling ? `${sc.tiling.tiles} tiles of ${sc.tiling.tileSize} px, halo ${sc.tiling.halo}` : 'whole'}, L-BFGS history ${sc.historySize}`)];
      return { width: output.width, height: output.height, runs: 1, notes };
    },
  },
};

/**
 * The layer study, measured (docs/layers.md, "Measured"): `neural-style-tfjs study` on the photo and the painting
 * (the 16 single layers and the 5 content reconstructions; the cumulative sets are left out to keep it under an hour),
 * its HTML report and record into docs/generated/ (with its state file, so a rerun only re-renders), and three of
 * the report's charts — its own inline SVGs, picked by their titles — into docs/figures/.
 */
const STUDY_CHARTS = {
  'study-texture.svg': 'Texture scale of what the style added, and receptive field, vs the style layer',
  'study-grams.svg': 'Gram distance at every layer after',
  'study-content.svg': 'How much content survives: PSNR vs the content image',
};
FIGURES.study = {
  files: Object.keys(STUDY_CHARTS),
  make: async () => {
    const report = join(RECORDS, 'study.html');
    const args = [join(ROOT, 'dist', 'cli.js'), 'study', join(IMAGES, 'tubingen.jpg'), join(IMAGES, 'starry_night.jpg'), '--size', String(S.smallSize), '--iterations', S.studyIters.join(','), '--no-cumulative', '-o', report, '--quiet'];
    execFileSync(process.execPath, args, { stdio: 'inherit' });
    const html = readFileSync(report, 'utf8');
    for (const [file, title] of Object.entries(STUDY_CHARTS)) {
      const svg = [...html.matchAll(/<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*aria-label="([^"]*)"[\s\S]*?<\/svg>/g)].find((m) => m[1].startsWith(title));
      if (!svg) throw new Error(`docs:figures: the study report has no chart titled "${title}…"`);
      await writeFile(join(OUT, file), `${svg[0]}\n`);
    }
    const record = JSON.parse(readFileSync(join(RECORDS, 'study.json'), 'utf8'));
    return { width: 0, height: 0, runs: record.timings.runs, notes: record.timings.cached ? [`${record.timings.cached} runs kept from docs/generated/study.state.json`] : [] };
  },
};

/**
 * Style statistics per layer (docs/layers.md): `neural-style-tfjs study --statistics all` on the painting (its
 * texture reconstructed from noise through each layer alone with each statistic), its report and record into
 * docs/generated/, and the report's sliced-Wasserstein chart (SVG) into docs/figures/. The report's contact sheet
 * goes to docs/generated/ as JPEG: at over 200 kB it does not fit the 2 MB that docs/ pictures may take.
 */
FIGURES['study-statistics'] = {
  files: ['study-statistics.svg'],
  make: async () => {
    const report = join(RECORDS, 'statistics.html');
    const { size, iterations, layers } = S.statistics;
    const args = [join(ROOT, 'dist', 'cli.js'), 'study', join(IMAGES, 'tubingen.jpg'), join(IMAGES, 'starry_night.jpg'), '--statistics', 'all', '--layers', layers.join(','), '--size', String(size), '--iterations', String(iterations), '-o', report, '--quiet'];
    execFileSync(process.execPath, args, { stdio: 'inherit' });
    const html = readFileSync(report, 'utf8');
    const sheet = /<img src="data:image\/png;base64,([^"]*)"[^>]*alt="contact sheet: layers × statistics">/.exec(html);
    const svg = [...html.matchAll(/<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*aria-label="([^"]*)"[\s\S]*?<\/svg>/g)].find((m) => m[1].startsWith('Sliced Wasserstein distance to the style at the optimised layer'));
    if (!sheet || !svg) throw new Error('docs:figures: the statistics report has no contact sheet or sliced-Wasserstein chart');
    const img = decodeImage(Buffer.from(sheet[1], 'base64'), 'the contact sheet');
    await writeImage(join(RECORDS, 'study-statistics.jpg'), img, { quality: JPEG_QUALITY });
    await writeFile(join(OUT, 'study-statistics.svg'), `${svg[0]}\n`);
    const record = JSON.parse(readFileSync(join(RECORDS, 'statistics.json'), 'utf8'));
    return { width: img.width, height: img.height, runs: record.timings.runs };
  },
};

if (only) {
  const unknown = [...only].filter((n) => !(n in FIGURES));
  if (unknown.length) {
    console.error(`docs:figures: no figure named ${unknown.join(', ')}; figures: ${Object.keys(FIGURES).join(', ')}.`);
    process.exit(1);
  }
}
console.log(`neural-style-tfjs ${VERSION} docs figures on ${backend}${quick ? ' (quick)' : ''} into ${OUT}`);
try {
  for (const [name, { files, make }] of Object.entries(FIGURES)) {
    if (only && !only.has(name)) continue;
    if (keep && files.every((f) => existsSync(join(OUT, f)))) {
      console.log(`  ${name}: kept`);
      continue;
    }
    const t = Date.now();
    const info = { name, files, ...(await make()), ms: Date.now() - t };
    made.push(info);
    console.log(`  ${name}: ${files.join(', ')} ${info.width}x${info.height}, ${info.runs} runs, ${secs(info.ms)}${info.notes?.length ? ` (${info.notes.join('; ')})` : ''}`);
  }
  // figures.json: what each figure was made with (entries of figures not remade this time are kept).
  const manifest = join(RECORDS, 'figures.json');
  const previous = existsSync(manifest) ? JSON.parse(readFileSync(manifest, 'utf8')).figures ?? [] : [];
  const figures = [...previous.filter((f) => !made.some((m) => m.name === f.name)), ...made.map((m) => ({ ...m, version: VERSION, backend, quick, settings: S, created: new Date().toISOString() }))];
  await writeFile(manifest, `${JSON.stringify({ weightsSha256: model.weightsSha256, figures }, null, 2)}\n`);
  console.log(`done in ${secs(Date.now() - t0)}`);
} finally {
  stylizer.dispose();
  model.dispose();
}
