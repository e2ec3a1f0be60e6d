#!/usr/bin/env node
// Does fusing bias + ReLU into the conv (tf.fused.conv2d) pay on this backend? Times VGG-19's conv stack up to
// relu5_1 both ways (median of N). Used to decide where src/core/network.ts fuses.
//   node bench/fused.mjs [--backend wasm|cpu] [--size 256] [--reps 5]
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const value = (n, d) => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1] : d);
const here = dirname(fileURLToPath(import.meta.url));
const nst = await import(join(here, '..', 'dist', 'node.js'));
const tf = await import('@tensorflow/tfjs-core');
const backend = await nst.ready(value('backend', 'wasm'));
const size = Number(value('size', '256'));
const reps = Number(value('reps', '5'));
const vgg = await nst.loadVgg19();
const x0 = tf.randomUniform([1, size, size, 3], -100, 100);
const convs = 13; // conv1_1 … conv5_1

function run(fused) {
  return tf.tidy(() => {
    let x = x0;
    let block = 1;
    const perBlock = [2, 2, 4, 4, 1];
    let i = 0;
    for (const n of perBlock) {
      for (let j = 0; j < n; j++, i++) {
        x = fused
          ? tf.fused.conv2d({ x, filter: vgg.kernel(i), strides: 1, pad: 'same', bias: vgg.bias(i), activation: 'relu' })
          : tf.relu(tf.add(tf.conv2d(x, vgg.kernel(i), 1, 'same'), vgg.bias(i)));
      }
      if (block < 5) x = tf.maxPool(x, 2, 2, 'valid');
      block++;
    }
    return tf.sum(x);
  });
}
const time = async (fused) => {
  const ts = [];
  for (let r = 0; r < reps + 1; r++) {
    const t = performance.now();
    const s = run(fused);
    await s.data();
    s.dispose();
    if (r > 0) ts.push(performance.now() - t);
  }
  return ts.sort((a, b) => a - b)[ts.length >> 1];
};
const separate = await time(false);
const fused = await time(true);
console.log(JSON.stringify({ backend, size, convs, separateMs: +separate.toFixed(1), fusedMs: +fused.toFixed(1), fusedSpeedup: +(separate / fused).toFixed(3) }));
vgg.dispose();
x0.dispose();
process.exit(0);
