#!/usr/bin/env node
/**
 * `npm run docs:regions` — the pictures of docs/regions.md, from ../shared/images, into docs/figures/:
 * - regions-two-styles.jpg: the Tübingen photo, its sky (found by colour: deep blue, column by column from the
 *   top), and the result with The Starry Night in the sky and The Scream everywhere else (`uncovered`);
 * - regions-propagation.jpg: the same run with each way a mask reaches the layers (inside, nearest, area, all),
 *   each captioned with its leakage: the relative Gram distance at relu3_1 to The Starry Night in the band of the
 *   town along the skyline (`regionGramDistances`; lower = more of the sky's style in the town).
 * Prints the leakage table docs/regions.md quotes. Only the Tübingen photo (CC BY 3.0, Andreas Praefcke: credited
 * in each picture and docs/figures/README.md) and two public-domain paintings are used.
 *
 *   npm run docs:regions [-- --size 128 --iterations 30 --band 10]
 *
 * Uses the BUILT package (`npm run build`).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const IMAGES = resolve(ROOT, '..', 'shared', 'images');
if (!existsSync(join(ROOT, 'dist', 'node.js'))) {
  console.error('docs:regions: dist/ is missing; run "npm run build" first.');
  process.exit(1);
}
const { ready, loadVgg19, createStylizer, readImage, writeImage } = await import('neural-style-tfjs/node');
const { createImage, drawText, blit, resizeRgba, regionGramDistances } = await import('neural-style-tfjs/experiments');

const argv = process.argv.slice(2);
const arg = (name, def) => Number(argv[argv.indexOf(`--${name}`) + 1] || def);
const SIZE = arg('size', 128);
const ITERATIONS = arg('iterations', 30);
const BAND = arg('band', 10); // px at SIZE
const MODES = ['inside', 'nearest', 'area', 'all'];
const CREDIT = 'Photo: Andreas Praefcke, CC BY 3.0';

const backend = await ready(argv.includes('--backend') ? argv[argv.indexOf('--backend') + 1] : undefined);
const read = (name) => readImage(join(IMAGES, name), { decoder: 'js' }); // the same pixels on every machine
const [photo, starry, scream] = await Promise.all([read('tubingen.jpg'), read('starry_night.jpg'), read('the_scream.jpg')]);

/** The sky of the photo: deep-blue pixels, column by column from the top (gaps of ≤ 3 px bridged), as a 0/1 mask. */
function skyOf(img) {
  const { width: w, height: h, data } = img;
  const sky = new Float32Array(w * h);
  const blue = (i) => data[4 * i + 2] > 140 && data[4 * i + 2] > data[4 * i] + 50 && data[4 * i + 2] > data[4 * i + 1] + 15;
  for (let x = 0; x < w; x++) {
    for (let y = 0, miss = 0; y < h; y++) {
      if (blue(y * w + x)) miss = 0;
      else if (++miss > 3) break;
      sky[y * w + x] = 1;
    }
  }
  return { data: sky, width: w, height: h };
}

/** A 0/1 mask at `w`x`h` (area-averaged, then ≥ 0.5). */
function maskAt(m, w, h) {
  const rgba = createImage(m.width, m.height);
  for (let i = 0; i < m.data.length; i++) rgba.data.fill(m.data[i] * 255, 4 * i, 4 * i + 4);
  const small = resizeRgba(rgba, w, h);
  const data = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) data[i] = small.data[4 * i] >= 128 ? 1 : 0;
  return { data, width: w, height: h };
}

/** The pixels outside `m` within `r` px of it: the town's band along the skyline. */
function bandBelow(m, r) {
  const { width: w, height: h } = m;
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (m.data[y * w + x]) continue;
      search: for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          const [sy, sx] = [y + dy, x + dx];
          if (sy >= 0 && sy < h && sx >= 0 && sx < w && dx * dx + dy * dy <= r * r && m.data[sy * w + sx]) {
            data[y * w + x] = 1;
            break search;
          }
        }
      }
    }
  }
  return { data, width: w, height: h };
}

const toRgba = (m) => {
  const img = createImage(m.width, m.height);
  for (let i = 0; i < m.data.length; i++) img.data.fill(m.data[i] * 255, 4 * i, 4 * i + 3);
  return img;
};

const sky = skyOf(photo);
const model = await loadVgg19();
const stylizer = await createStylizer({ model });
const results = {};
const leakage = {};
let w = 0;
let h = 0;
for (const mode of MODES) {
  const t0 = performance.now();
  const r = await stylizer.stylize(photo, [starry, scream], { size: SIZE, iterations: ITERATIONS, regions: [{ mask: sky, styles: [0], name: 'sky' }], uncovered: 1, regionMasks: { mode } });
  results[mode] = await r.toPixels();
  [w, h] = [r.width, r.height];
  r.dispose();
  const band = bandBelow(maskAt(sky, w, h), BAND);
  const toSky = await regionGramDistances(model, results[mode], band, starry, ['relu2_1', 'relu3_1']);
  const toRest = await regionGramDistances(model, results[mode], band, scream, ['relu2_1', 'relu3_1']);
  leakage[mode] = { toSky, toRest };
  console.log(`${mode}: ${((performance.now() - t0) / 1000).toFixed(0)} s; band → Starry Night relu2_1 ${toSky.relu2_1.relative.toFixed(2)}, relu3_1 ${toSky.relu3_1.relative.toFixed(2)}; → The Scream relu2_1 ${toRest.relu2_1.relative.toFixed(2)}, relu3_1 ${toRest.relu3_1.relative.toFixed(2)}`);
}
stylizer.dispose();
model.dispose();

/** Tiles side by side with a caption above each and a credit line below. */
function sheet(tiles) {
  const gap = 4;
  const top = 12;
  const out = createImage(tiles.length * (w + gap) + gap, h + top + 14 + gap);
  tiles.forEach(([img, caption], i) => {
    const x = gap + i * (w + gap);
    drawText(out, caption, x, 2, [20, 20, 20]);
    blit(out, img.width === w ? img : resizeRgba(img, w, h), x, top);
  });
  drawText(out, CREDIT, gap, top + h + 4, [90, 90, 90]);
  return out;
}

const photoSmall = resizeRgba(photo, w, h);
const skyMask = toRgba(maskAt(sky, w, h));
const band = toRgba(bandBelow(maskAt(sky, w, h), BAND));
await writeImage(join(ROOT, 'docs', 'figures', 'regions-two-styles.jpg'), sheet([[photoSmall, 'content'], [skyMask, 'sky mask'], [results.inside, 'two styles']]), { quality: 85 });
await writeImage(
  join(ROOT, 'docs', 'figures', 'regions-propagation.jpg'),
  sheet([[band, `band (${BAND} px)`], ...MODES.map((m) => [results[m], `${m} ${leakage[m].toSky.relu3_1.relative.toFixed(2)}`])]),
  { quality: 85 },
);
console.log(`\n${backend}, ${w}x${h}, ${ITERATIONS} iterations; relative Gram distance in the town's ${BAND} px band along the skyline:\n`);
console.log('| mode | to The Starry Night (sky) relu2_1 | relu3_1 | to The Scream (town) relu2_1 | relu3_1 |');
console.log('| --- | --- | --- | --- | --- |');
for (const m of MODES) {
  const { toSky, toRest } = leakage[m];
  console.log(`| ${m} | ${toSky.relu2_1.relative.toFixed(2)} | ${toSky.relu3_1.relative.toFixed(2)} | ${toRest.relu2_1.relative.toFixed(2)} | ${toRest.relu3_1.relative.toFixed(2)} |`);
}
