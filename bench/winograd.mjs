#!/usr/bin/env node
// Winograd vs tf.conv2d on WASM, side by side and interleaved in ONE process (the machine may be loaded: only
// ratios measured together mean anything). Run through `npm run bench -- --winograd [--layers]`, or directly:
//   node bench/winograd.mjs [--threads 2] [--sizes 256,512] [--reps 5] [--layers]
// --layers [--max-side N]: every VGG-19 conv shape (at most N px a side) (forward, and backward = Cin/Cout swapped) at each size, tf.conv2d vs F(2,3)
//           vs F(4,3): the measurements behind WINOGRAD_TABLE (src/kernels/winograd-plan.ts).
// --loss [--iterations 100] [--content F --style F]: final loss of a stylisation at the first size, with and without
//   Winograd, and with tf.conv2d summing its input channels in two halves (the float32 noise floor; see below).
//   --only conv2d|winograd|conv2d-split: just that one, so the process's peak RSS is that run's (the RSS comparison:
//   `node bench/winograd.mjs --loss --sizes 512 --iterations 10 --only conv2d`, then `--only winograd`).
// --gradient [--content F --style F]: one evaluation's gradient at the first size with Winograd, and with the
//   channel sums split as above, each against tf.conv2d's (relative L2, largest difference).
// default:  the conv stack of one forward+backward (the 13 forward and 13 backward convs up to relu5_1), and one
//           lossAndGradient evaluation (content relu4_2 + style relu1_1…relu5_1), with and without Winograd, peak RSS.
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const value = (n, d) => (args.includes(`--${n}`) ? args[args.indexOf(`--${n}`) + 1] : d);
process.env.NST_WASM_THREADS = value('threads', '2');
const here = dirname(fileURLToPath(import.meta.url));
const nst = await import(join(here, '..', 'dist', 'node.js'));
const core = await import(join(here, '..', 'dist', 'core.js'));
const tf = await import('@tensorflow/tfjs-core');
await nst.ready('wasm');
const threads = nst.wasmThreads()?.threads ?? 1;
const sizes = value('sizes', '256,512').split(',').map(Number);
const reps = Number(value('reps', '5'));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
let peakRss = process.memoryUsage().rss;
const sampleRss = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));
const out = { threads, cpu: cpus()[0]?.model, loadAvgStart: loadavg().map((x) => +x.toFixed(2)), reps, results: [] };
const log = (m) => process.stderr.write(`${m}\n`);

/** Times each of `fns` `reps` times, interleaved round-robin after one warm-up each: medians in ms. */
async function interleaved(fns) {
  const times = fns.map(() => []);
  for (let r = -1; r < reps; r++) {
    for (let f = 0; f < fns.length; f++) {
      const t = performance.now();
      const y = fns[f]();
      await y.data();
      y.dispose();
      sampleRss();
      if (r >= 0) times[f].push(performance.now() - t);
    }
  }
  return times.map(median);
}

/** tf.conv2d (as the network runs it) with the input-channel sum split in two halves: another rounding order. */
function splitSumConv(x, model, i, direction) {
  const cin = x.shape[3];
  const kernel = direction === 'forward' ? model.kernel(i) : model.flippedKernel(i);
  return tf.tidy(() => {
    const h = Math.ceil(cin / 2);
    const part = (c0, n) => tf.conv2d(tf.slice(x, [0, 0, 0, c0], [-1, -1, -1, n]), tf.slice(kernel, [0, 0, c0, 0], [-1, -1, n, -1]), 1, 'same');
    const y = cin < 2 ? tf.conv2d(x, kernel, 1, 'same') : tf.add(part(0, h), part(h, cin - h));
    return direction === 'forward' ? tf.add(y, model.bias(i)) : y;
  });
}

const IMAGES = join(here, '..', '..', 'shared', 'images');
// The default loss's points (src/core/layers.ts): style relu1_1 … relu5_1, content relu4_2.
const STYLE = ['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1', 'relu5_1'].map((n) => nst.resolveLayer(n).index);
const CONTENT = nst.resolveLayer('relu4_2').index;

const SHAPES = [[3, 64], [64, 64], [64, 128], [128, 128], [128, 256], [256, 256], [256, 512], [512, 512]];
const POOLS_BEFORE = { 64: 0, 128: 1, 256: 2, 512: 3 }; // by Cout of the forward conv (512→512 also at /16)

if (args.includes('--loss')) {
  // The final loss of a default stylisation (L-BFGS, --iterations, first --sizes) with and without Winograd, and —
  // for scale — with tf.conv2d whose input-channel sum is taken in two halves: the same arithmetic in another
  // float32 rounding order. Over 100 iterations L-BFGS amplifies any rounding difference (a ReLU or max-pool tie
  // that flips changes the gradient there outright), so that third run is the noise floor Winograd's difference
  // is to be read against.
  const vgg = await nst.loadVgg19();
  const content = await nst.readImage(join(IMAGES, value('content', 'tubingen.jpg')));
  const style = await nst.readImage(join(IMAGES, value('style', 'starry_night.jpg')));
  const iterations = Number(value('iterations', '100'));
  const loss = {};
  const only = value('only', undefined);
  const VARIANTS = ['conv2d', 'winograd', 'conv2d-split'];
  if (only !== undefined && !VARIANTS.includes(only)) throw new Error(`--only takes ${VARIANTS.join(', ')}, not ${only}`);
  for (const variant of only ? [only] : VARIANTS) {
    // conv2d-split: a stylizer without the `winograd` option uses the shared `wasmKernels` object, whose conv is
    // swapped for the run's duration (a bench-only patch; NST_WINOGRAD does not matter, nothing is prepared).
    const patched = variant === 'conv2d-split' && { conv: core.wasmKernels.conv, prepareConvs: core.wasmKernels.prepareConvs };
    if (patched) Object.assign(core.wasmKernels, { conv: splitSumConv, prepareConvs: () => ({ bytes: 0, dispose() {} }) });
    try {
      const stylizer = await nst.createStylizer({ model: vgg, ...(variant !== 'conv2d-split' && { winograd: variant === 'winograd' }) });
      const t = performance.now();
      const r = await stylizer.stylize(content, style, { size: sizes[0], iterations });
      loss[variant] = { finalLoss: r.history.at(-1).loss.total, seconds: +((performance.now() - t) / 1000).toFixed(1), evaluations: r.evaluations };
      sampleRss();
      r.dispose();
      await stylizer.dispose?.();
    } finally {
      if (patched) Object.assign(core.wasmKernels, patched);
    }
  }
  const rel = (v) => loss[v] && loss.conv2d && +(Math.abs(loss[v].finalLoss - loss.conv2d.finalLoss) / loss.conv2d.finalLoss).toExponential(2);
  const r = { size: sizes[0], iterations, ...loss, relativeDifference: { winograd: rel('winograd'), 'conv2d-split': rel('conv2d-split') } };
  log(JSON.stringify(r));
  out.results.push(r);
  vgg.dispose();
} else if (args.includes('--gradient')) {
  // One evaluation's gradient (content relu4_2 of the content image, style relu1_1 … relu5_1 of the style image,
  // at the content image) with Winograd and with tf.conv2d summing its input channels in two halves, each against
  // tf.conv2d: relative L2 and largest differences. Forward through a ReLU or max pool, a value within rounding of 0
  // or of a tie may land on the other side, which changes the gradient there outright.
  const vgg = await nst.loadVgg19();
  const size = sizes[0];
  const load = async (file) => {
    const image = await nst.readImage(join(IMAGES, file));
    return tf.tidy(() => core.resizeImage(core.toImageTensor(image), size, size));
  };
  const content = await load(value('content', 'tubingen.jpg'));
  const style = await load(value('style', 'starry_night.jpg'));
  const plain = core.wasmKernelsWith({ winograd: false });
  // The targets: what each loss point's activation gives (captured through a pass with zero losses).
  const capture = (img, points, f) => {
    const out = new Map();
    const r = core.lossAndGradient(vgg, img, new Map(points.map((i) => [i, (a) => (out.set(i, tf.keep(f(a))), { value: tf.scalar(0), grad: tf.zerosLike(a) })])), 'max', plain);
    tf.dispose([...r.values, r.grad]);
    return out;
  };
  const grams = capture(style, STYLE, (a) => core.gramMatrix(a));
  const features = capture(content, [CONTENT], (a) => a.clone());
  const gradient = (k) => {
    const losses = new Map([[CONTENT, (a) => core.contentLoss(a, features.get(CONTENT), 5, 'mean')], ...STYLE.map((i) => [i, (a) => core.styleLoss(a, grams.get(i), 100, 'mean', k)])]);
    const r = core.lossAndGradient(vgg, content, losses, 'max', k);
    tf.dispose(r.values);
    return r.grad;
  };
  const reference = gradient(plain);
  const winograd = core.wasmKernelsWith({ winograd: true });
  const prepared = winograd.prepareConvs(vgg, { height: size, width: size, forward: 13, backward: 13 });
  const r = { size };
  for (const [name, k] of [['winograd', winograd], ['conv2d-split', { ...plain, conv: splitSumConv }]]) {
    const g = gradient(k);
    r[name] = tf.tidy(() => ({
      relativeL2: +(tf.norm(tf.sub(g, reference)).dataSync()[0] / tf.norm(reference).dataSync()[0]).toExponential(2),
      largest: +(tf.max(tf.abs(tf.sub(g, reference))).dataSync()[0] / tf.max(tf.abs(reference)).dataSync()[0]).toExponential(2),
    }));
    g.dispose();
  }
  prepared.dispose();
  log(JSON.stringify(r));
  out.results.push(r);
  tf.dispose([content, style, reference, ...grams.values(), ...features.values()]);
  vgg.dispose();
} else if (args.includes('--layers')) {
  for (const size of sizes) {
    for (const [cin, cout] of SHAPES) {
      const levels = cin === 512 ? [3, 4] : [POOLS_BEFORE[cout]];
      for (const level of levels) {
        const side = size >> level;
        if (side > Number(value('max-side', '100000'))) continue;
        for (const [i, o, direction] of [[cin, cout, 'forward'], [cout, cin, 'backward']]) {
          const x = tf.randomNormal([1, side, side, i], 0, 10);
          const k = tf.randomNormal([3, 3, i, o], 0, 0.05);
          const w2 = core.transformWeights(k, 2);
          const w4 = core.transformWeights(k, 4);
          const [plain, f2, f4] = await interleaved([
            () => tf.conv2d(x, k, 1, 'same'),
            () => core.winogradConv2d(x, w2),
            () => core.winogradConv2d(x, w4),
          ]);
          const r = { size, side, direction, inChannels: i, outChannels: o, conv2dMs: +plain.toFixed(1), f23Ms: +f2.toFixed(1), f43Ms: +f4.toFixed(1) };
          log(JSON.stringify(r));
          out.results.push(r);
          tf.dispose([x, k, ...core.winogradTensors(w2), ...core.winogradTensors(w4)]);
        }
      }
    }
  }
} else {
  const vgg = await nst.loadVgg19();
  const on = core.wasmKernelsWith({ winograd: true });
  const off = core.wasmKernelsWith({ winograd: false });
  // The stride at each conv's input, conv1_1 … conv5_1 (1, 1, 2, 2, 4, …, 16).
  const CONV_STRIDE = nst.NETWORK_POINTS.filter((p) => p.kind === 'conv').slice(0, 13).map((p) => p.stride);
  for (const size of sizes) {
    const use = { height: size, width: size, forward: 13, backward: 13 };
    const tPrep = performance.now();
    const prepared = on.prepareConvs(vgg, use);
    const prepareMs = performance.now() - tPrep;
    sampleRss();
    // The conv stack: conv1_1 … conv5_1 forward and backward, each on a random input of its shape.
    const xs = CONV_STRIDE.map((s, i) => tf.randomNormal([1, Math.floor(size / s), Math.floor(size / s), vgg.kernel(i).shape[2]], 0, 20));
    const dys = CONV_STRIDE.map((s, i) => tf.randomNormal([1, Math.floor(size / s), Math.floor(size / s), vgg.kernel(i).shape[3]], 0, 1));
    const stack = (k) => () => {
      for (let i = 0; i < 13; i++) {
        tf.dispose([k.conv(xs[i], vgg, i, 'forward'), k.conv(dys[i], vgg, i, 'backward')]);
      }
      return tf.zeros([1]);
    };
    // One forward+backward: content at relu4_2, style at relu1_1 … relu5_1 (zero targets: the work is the same).
    const rgb = tf.randomUniform([1, size, size, 3], 0, 255);
    const targets = new Map([[CONTENT, null], ...STYLE.map((i) => [i, null])]);
    const losses = (k) => new Map([...targets.keys()].map((i) => [i, (a) => {
      if (i === CONTENT) return core.contentLoss(a, tf.zerosLike(a), 1, 'mean');
      return core.styleLoss(a, tf.zeros([a.shape[3], a.shape[3]]), 1, 'mean', k);
    }]));
    const evaluation = (k) => () => {
      const { values, grad } = core.lossAndGradient(vgg, rgb, losses(k), 'max', k);
      tf.dispose(values);
      return grad;
    };
    const [stackOff, stackOn, evalOff, evalOn] = await interleaved([stack(off), stack(on), evaluation(off), evaluation(on)]);
    const r = {
      size, loadAvg: loadavg().map((x) => +x.toFixed(1)), preparedMB: +(prepared.bytes / 2 ** 20).toFixed(1), prepareMs: Math.round(prepareMs),
      estimateMB: +(on.preparedConvBytes(use) / 2 ** 20).toFixed(1),
      convStackMs: { conv2d: Math.round(stackOff), winograd: Math.round(stackOn), speedup: +(stackOff / stackOn).toFixed(3) },
      forwardBackwardMs: { conv2d: Math.round(evalOff), winograd: Math.round(evalOn), speedup: +(evalOff / evalOn).toFixed(3) },
    };
    log(JSON.stringify(r));
    out.results.push(r);
    tf.dispose([...xs, ...dys, rgb]);
    prepared.dispose();
  }
  vgg.dispose();
}
out.loadAvgEnd = loadavg().map((x) => +x.toFixed(2));
out.peakRssMB = Math.round(peakRss / 2 ** 20);
console.log(JSON.stringify(out));
process.exit(0);
