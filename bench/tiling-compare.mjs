#!/usr/bin/env node
// Tiled against whole-image evaluation at a size where both fit: the loss after the same iterations, the time per
// evaluation (interleaved in one process, so load affects both alike), and a seam measure — the output's mean
// squared neighbour difference across tile borders over that elsewhere, tiled vs whole. Not a test.
//
//   node bench/tiling-compare.mjs                                 # 256 px, 10 iterations, tiles of 128, halos exact and 32
//   node bench/tiling-compare.mjs --size 512 --tile 256 --halos exact,64 --iterations 20
//   node bench/tiling-compare.mjs --content photo.jpg --style painting.jpg   # your own pictures
//
// Needs the built package. Default pictures: tubingen.jpg and starry_night.jpg from ../shared/images.
import { stylizeInputs, value } from './common.mjs';

const size = Number(value('size', '256'));
const tileSize = Number(value('tile', '128'));
const iterations = Number(value('iterations', '10'));
const halos = value('halos', 'exact,32').split(',').map((h) => (h === 'exact' ? 'exact' : Number(h)));

const { nst, backend, content, style, model } = await stylizeInputs();

/** Mean squared neighbour difference across the tile borders (multiples of the tile size) and elsewhere. */
function edgeEnergy(px, w, h, step) {
  let on = 0, nOn = 0, off = 0, nOff = 0;
  const d = (i, j) => (px[i] - px[j]) ** 2 + (px[i + 1] - px[j + 1]) ** 2 + (px[i + 2] - px[j + 2]) ** 2;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      if (x > 0) { const v = d(i, i - 4); if (x % step === 0) (on += v), nOn++; else (off += v), nOff++; }
      if (y > 0) { const v = d(i, i - 4 * w); if (y % step === 0) (on += v), nOn++; else (off += v), nOff++; }
    }
  }
  return on / nOn / (off / nOff);
}

const runs = [{ name: 'whole', tile: false }, ...halos.map((halo) => ({ name: `tiles ${tileSize}, halo ${halo}`, tile: { size: tileSize, halo } }))];
console.log(`${size} px on ${backend}, ${iterations} iterations, default layers and weights`);
const rows = [];
for (const r of runs) {
  const t0 = performance.now();
  const res = await nst.stylize({ model, content, style, size, iterations, tile: r.tile });
  const seconds = (performance.now() - t0) / 1000;
  const px = (await res.toPixels()).data;
  rows.push({
    name: r.name, tiling: res.scales[0].tiling, loss: res.history.at(-1).loss.total, firstLoss: res.history[0].loss.total,
    evaluations: res.evaluations, secondsPerEvaluation: seconds / res.evaluations, seam: edgeEnergy(px, res.width, res.height, tileSize),
  });
  res.dispose();
}
const whole = rows[0];
console.log('| run | tiles | loss after 1 iteration | loss at the end | vs whole | s / evaluation | border / elsewhere edge energy |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  console.log(`| ${r.name} | ${r.tiling ? r.tiling.tiles : 1} | ${r.firstLoss.toExponential(5)} | ${r.loss.toExponential(5)} | ${(((r.loss - whole.loss) / whole.loss) * 100).toFixed(2)}% | ${r.secondsPerEvaluation.toFixed(1)} | ${r.seam.toFixed(3)} |`);
}
model.dispose();
