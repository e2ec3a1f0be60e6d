#!/usr/bin/env node
/**
 * `npm run docs:figures` — makes the pictures of docs/layers.md ("What each layer sees") from the images in
 * ../shared/images, into docs/generated/ (gitignored: they derive from those images, so they are made at
 * docs-build time and never committed). Each contact sheet comes with the JSON record that reproduces it
 * (`neural-style-tfjs sweep --replay docs/generated/<name>.json -o again.png`).
 *
 *   npm run docs:figures                          # everything (~20 min on 2 CPU cores)
 *   npm run docs:figures -- --quick               # 64 px, a quarter of the iterations (~2 min): a smoke test
 *   npm run docs:figures -- --only style-single,features
 *   npm run docs:figures -- --keep                # skip figures whose PNG already exists
 *
 * Uses the BUILT package (`npm run build`).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const IMAGES = resolve(ROOT, '..', 'shared', 'images');
const OUT = join(ROOT, 'docs', 'generated');
if (!existsSync(join(ROOT, 'dist', 'node.js'))) {
  console.error('docs:figures: dist/ is missing; run "npm run build" first.');
  process.exit(1);
}
if (!existsSync(join(IMAGES, 'tubingen.jpg'))) {
  console.error(`docs:figures: the shared images are missing (expected ${IMAGES}/tubingen.jpg and friends).`);
  process.exit(1);
}
const {
  ready, loadVgg19, createStylizer, sweep, renderContactSheet, reconstruct, extractFeatures, gramMatrix,
  renderFeatureMaps, renderGram, readImage, writeImage, createImage, drawText, measureText, wrapText, blit, resizeRgba,
  fitSize, resizeImage, toImageTensor, VERSION,
} = await import('neural-style-tfjs/node');
const tf = await import('@tensorflow/tfjs-core');

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const keep = argv.includes('--keep');
const onlyArg = argv.find((a, i) => argv[i - 1] === '--only') ?? argv.find((a) => a.startsWith('--only='))?.slice(7);
const only = onlyArg ? new Set(onlyArg.split(',')) : undefined;
const q = (n) => (quick ? Math.max(2, Math.round(n / 4)) : n);
const px = (n) => (quick ? 64 : n);

/** Settings shared by every figure (stated in docs/layers.md). */
const S = { styleSize: px(128), smallSize: px(96), iters: [q(20), q(80)], long: q(80), ratioIters: q(60), seed: 0 };

mkdirSync(OUT, { recursive: true });
const backend = await ready();
const model = await loadVgg19();
const stylizer = createStylizer({ model, cacheSize: 8 });
const content = await readImage(join(IMAGES, 'tubingen.jpg'));
const starry = await readImage(join(IMAGES, 'starry_night.jpg'));
const t0 = Date.now();
const made = [];
const secs = (ms) => `${(ms / 1000).toFixed(0)}s`;
// Progress redrawn in place on a terminal; in a log only the one summary line per figure.
const tty = Boolean(process.stdout.isTTY);
const status = (text) => tty && process.stdout.write(`\r\x1b[2K  ${text}`);
const endStatus = () => tty && process.stdout.write('\r\x1b[2K');
const progress = (name) => (p) => {
  if (p.iteration === p.iterations || p.iteration % 5 === 0) status(`${name}: run ${p.run + 1}/${p.runs} ${p.label} ${p.iteration}/${p.iterations}`);
};

async function sheetFigure(name, title, options) {
  const t = Date.now();
  const res = await sweep({ content, style: starry, stylizer, seed: S.seed, onProgress: progress(name), ...options });
  endStatus();
  const sheet = renderContactSheet(res, { title });
  sheet.record.inputs.content.path = '../../../shared/images/tubingen.jpg';
  sheet.record.inputs.style[0].path = '../../../shared/images/starry_night.jpg';
  await writeImage(join(OUT, `${name}.png`), sheet);
  await writeFile(join(OUT, `${name}.json`), `${JSON.stringify(sheet.record, null, 2)}\n`);
  return { name, width: sheet.width, height: sheet.height, runs: res.timings.runs, ms: Date.now() - t, notes: res.cells.filter((c) => c.note).map((c) => `${c.rowLabel} ${c.columnLabel}: ${c.note}`) };
}

/** A labelled row of images (for figures that are not sweeps): a title, then each image with its label above. */
function strip(title, items, fontScale = 1) {
  const gap = 4, lineH = 10 * fontScale;
  const tw = Math.max(...items.map((i) => i.image.width)), th = Math.max(...items.map((i) => i.image.height));
  const width = gap + items.length * (tw + gap);
  const lines = wrapText(title, width - 2 * gap, fontScale);
  const top = gap + lines.length * lineH;
  const height = top + gap + lineH + th + gap;
  const img = createImage(width, height, [255, 255, 255]);
  lines.forEach((l, i) => drawText(img, l, gap, gap + i * lineH, [24, 24, 24], fontScale));
  items.forEach((it, i) => {
    const x = gap + i * (tw + gap);
    const label = it.label.length * 6 * fontScale > tw ? it.label.slice(0, Math.floor(tw / (6 * fontScale))) : it.label;
    drawText(img, label, x + Math.max(0, (tw - measureText(label, fontScale).width) >> 1), top + gap, [24, 24, 24], fontScale);
    blit(img, it.image, x, top + gap + lineH);
  });
  return img;
}

const FIGURES = {
  // 1. Style from one layer at a time (conv1_1 … conv5_1), two iteration counts from the same runs.
  'style-single': () => sheetFigure('style-single', `Style from one layer (conv, before ReLU); content relu4_2; ${S.styleSize}px, seed ${S.seed}`, {
    size: S.styleSize, vary: { styleLayers: 'single' }, iterations: S.iters,
  }),
  // 2. Cumulative style sets (Gatys et al. 2016, Fig. 3 rows).
  'style-cumulative': () => sheetFigure('style-cumulative', `Style from cumulative layer sets; content relu4_2; ${S.styleSize}px, seed ${S.seed}`, {
    size: S.styleSize, vary: { styleLayers: 'cumulative' }, iterations: S.iters,
  }),
  // 3. Which layer carries the content: start from noise so only the content layer can bring the photo back.
  'content-layers': () => sheetFigure('content-layers', `Content layer, from noise, a/b=1; style relu1_1..relu5_1; ${S.smallSize}px, seed ${S.seed}`, {
    size: S.smallSize, init: 'noise', contentWeight: 100, styleWeight: 100, vary: { contentLayers: ['conv1_2', 'conv2_2', 'conv3_2', 'conv4_2', 'conv5_2'] }, iterations: S.iters,
  }),
  // 4. Content/style weight ratio, from the content image and from noise.
  'weight-ratio': () => sheetFigure('weight-ratio', `Content/style weight ratio a/b (style weight 100); ${S.smallSize}px, ${S.ratioIters} it, seed ${S.seed}`, {
    size: S.smallSize, iterations: S.ratioIters, vary: { init: ['content', 'noise'], weightRatio: [1e-3, 1e-2, 1e-1, 1, 10] },
  }),
  // 5. Gatys et al. 2016 Fig. 1: reconstructions from white noise.
  'reconstruct-content': async () => {
    const t = Date.now();
    const items = [];
    for (const layer of ['conv1_2', 'conv2_2', 'conv3_2', 'conv4_2', 'conv5_2']) {
      status(`reconstruct-content: ${layer}`);
      const r = await reconstruct({ stylizer, image: content, kind: 'content', layer, size: S.smallSize, iterations: S.long, seed: S.seed });
      items.push({ label: layer, image: await r.toPixels() });
      r.dispose();
    }
    endStatus();
    const img = strip(`Content reconstructions from noise (${S.long} it, ${S.smallSize}px)`, items);
    await writeImage(join(OUT, 'reconstruct-content.png'), img);
    return { name: 'reconstruct-content', width: img.width, height: img.height, runs: items.length, ms: Date.now() - t };
  },
  'reconstruct-style': async () => {
    const t = Date.now();
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
    await writeImage(join(OUT, 'reconstruct-style.png'), img);
    return { name: 'reconstruct-style', width: img.width, height: img.height, runs: items.length, ms: Date.now() - t };
  },
  // 6. Feature maps of the photo and Gram matrices of the painting, block by block.
  features: async () => {
    const t = Date.now();
    const layers = ['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1'];
    const prep = (img, size) => {
      const full = toImageTensor(img);
      const [h, w] = fitSize(full.shape[1], full.shape[2], size);
      const small = resizeImage(full, h, w);
      full.dispose();
      return small;
    };
    const photo = prep(content, px(224));
    const painting = prep(starry, px(224));
    const acts = await extractFeatures(model, photo, layers);
    const sacts = await extractFeatures(model, painting, layers);
    const maps = [];
    const grams = [];
    for (const l of layers) {
      const a = acts[l];
      const scale = Math.max(1, Math.round(48 / a.shape[2]));
      const grid = await renderFeatureMaps(a, { channels: 16, columns: 4, sort: 'energy', scale });
      await writeImage(join(OUT, `features-${l}.png`), grid);
      maps.push({ label: `${l} ${a.shape[2]}x${a.shape[1]}x${a.shape[3]}`, image: resizeRgba(grid, 200, Math.round((200 * grid.height) / grid.width)) });
      const g = gramMatrix(sacts[l]);
      const heat = await renderGram(g, { sort: 'energy', cellSize: 1 });
      g.dispose();
      grams.push({ label: `${l} ${heat.channels}x${heat.channels}`, image: resizeRgba(heat, 128, 128) });
    }
    tf.dispose([photo, painting, ...Object.values(acts), ...Object.values(sacts)]);
    const a = strip('Feature maps of the photo: the 16 most active channels per layer, each tile normalised', maps);
    const b = strip('Gram matrices of the painting (channels by energy; sqrt scale, 99th percentile)', grams);
    await writeImage(join(OUT, 'features.png'), a);
    await writeImage(join(OUT, 'grams.png'), b);
    return { name: 'features', width: a.width, height: a.height, runs: 0, ms: Date.now() - t };
  },
};

console.log(`neural-style-tfjs ${VERSION} docs figures on ${backend}${quick ? ' (quick)' : ''} into ${OUT}`);
try {
  for (const [name, make] of Object.entries(FIGURES)) {
    if (only && !only.has(name)) continue;
    if (keep && existsSync(join(OUT, `${name === 'features' ? 'features' : name}.png`))) {
      console.log(`  ${name}: kept`);
      continue;
    }
    const info = await make();
    made.push(info);
    console.log(`  ${name}: ${info.width}x${info.height}, ${info.runs} runs, ${secs(info.ms)}${info.notes?.length ? ` (${info.notes.join('; ')})` : ''}`);
  }
  // figures.json: what each figure was made with (entries of figures not remade this time are kept).
  const manifest = join(OUT, 'figures.json');
  const previous = existsSync(manifest) ? JSON.parse(readFileSync(manifest, 'utf8')).figures ?? [] : [];
  const figures = [...previous.filter((f) => !made.some((m) => m.name === f.name)), ...made.map((m) => ({ ...m, version: VERSION, backend, quick, settings: S, created: new Date().toISOString() }))];
  await writeFile(manifest, `${JSON.stringify({ weightsSha256: model.weightsSha256, figures }, null, 2)}\n`);
  console.log(`done in ${secs(Date.now() - t0)}`);
} finally {
  stylizer.dispose();
  model.dispose();
}
