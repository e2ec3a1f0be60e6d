#!/usr/bin/env node
// Evaluations and loss per iteration across the scales of a coarse-to-fine run: what each scale's first iterations
// cost (the step-length search) and how far the loss jumps when the size doubles. Not a test.
//
//   node bench/coarse-to-fine.mjs                               # 512 px, scales 128 → 256 → 512, 40 + 10 + 4 iterations
//   node bench/coarse-to-fine.mjs --size 1024 --iterations 100,20,4
//   node bench/coarse-to-fine.mjs --content photo.jpg --style painting.jpg
//
// Needs the built package. Default pictures: tubingen.jpg and starry_night.jpg from ../shared/images.
import { stylizeInputs, value } from './common.mjs';

const size = Number(value('size', '512'));
const iterations = value('iterations', '40,10,4').split(',').map(Number);
const scales = iterations.map((_, i) => 1 / 2 ** (iterations.length - 1 - i));

const { nst, backend, content, style, model } = await stylizeInputs();

console.log(`${size} px on ${backend}, scales ${scales.join(', ')}, iterations ${iterations.join(' + ')}`);
console.log('| scale | size | iteration | evaluations | loss |');
console.log('| --- | --- | --- | --- | --- |');
let before = 0;
const r = await nst.stylize({
  model, content, style, size, scales, iterations,
  onIteration: (s) => {
    console.log(`| ${s.scale} | ${s.width}x${s.height} | ${s.iteration} | +${s.evaluations - before} | ${s.loss.total.toExponential(4)} |`);
    before = s.evaluations;
  },
});
console.log(`${r.evaluations} evaluations in all`);
r.dispose();
model.dispose();
