#!/usr/bin/env node
// The picture grid of docs/quality.md: rows are the licence-clean pairs of the quality harness, columns the style
// image then one result per style statistic, made with the harness's settings (bench/quality.mjs: content and
// style resized to --size, L-BFGS, --iterations, normalizeGradients off, seed 0), tiles enlarged 2x:
//   npm run build && node scripts/quality-figures.mjs [--size 64] [--iterations 16] [--pairs 4]
// Writes docs/figures/quality-grid.jpg only. Inputs: ../shared/images (see docs/figures/README.md for credits).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const args = process.argv.slice(2);
const value = (name, def) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : def);
const size = Number(value('size', '64'));
const iterations = Number(value('iterations', '16'));
const nst = await import(join(ROOT, 'dist', 'node.js'));
const core = await import(join(ROOT, 'dist', 'core.js'));
const xp = await import(join(ROOT, 'dist', 'experiments.js'));
await nst.ready('wasm');
const shared = join(ROOT, '..', 'shared', 'images');
// The harness's first pairs (bench/quality.mjs): licence-clean only.
const PAIRS = [
  ['tubingen.jpg', 'starry_night.jpg'],
  ['tubingen.jpg', 'the_scream.jpg'],
  ['tubingen.jpg', 'shipwreck.jpg'],
  ['tubingen.jpg', 'woman-with-hat-matisse.jpg'],
].slice(0, Number(value('pairs', '4')));
const fit = async (file) => {
  const t = core.toImageTensor(await nst.readImage(join(shared, file), { decoder: 'js' }));
  const s = size / Math.max(t.shape[1], t.shape[2]);
  const r = core.resizeImage(t, Math.round(t.shape[1] * s), Math.round(t.shape[2] * s));
  t.dispose();
  return r;
};
const model = await nst.loadVgg19();
const stats = core.STYLE_STATISTICS;
const tile = 2 * size;
const pad = 6;
const label = 14;
const grid = xp.createImage(pad + (stats.length + 1) * (tile + pad), label + pad + PAIRS.length * (tile + pad));
['style', ...stats].forEach((name, i) => xp.drawText(grid, name, pad + i * (tile + pad), 4));
for (const [row, [c, s]] of PAIRS.entries()) {
  const content = await fit(c);
  const style = await fit(s);
  const y = label + pad + row * (tile + pad);
  const put = async (t, col) => {
    const rgba = await core.toRgba(t);
    xp.blit(grid, xp.resizeRgba(rgba, Math.round((rgba.width * tile) / size), Math.round((rgba.height * tile) / size)), pad + col * (tile + pad), y);
  };
  await put(style, 0);
  for (const [k, styleStatistic] of stats.entries()) {
    const r = await nst.stylize({ content, style, model, size, iterations, styleStatistic });
    await put(r.image, k + 1);
    r.dispose();
    process.stderr.write(`${c} × ${s} ${styleStatistic}\n`);
  }
  content.dispose();
  style.dispose();
}
model.dispose();
await nst.writeImage(join(ROOT, 'docs', 'figures', 'quality-grid.jpg'), grid, { quality: 85 });
