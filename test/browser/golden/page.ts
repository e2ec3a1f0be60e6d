/**
 * The golden checks' browser half: on the backend named in the URL (`?backend=webgl`, `webgl-f16` = WebGL with
 * float16 textures forced, `webgpu`), runs VGG-19 with the uint8-only weights (served at ./weights/) on the golden
 * images (./golden/*.rgb) and measures the quantities shared/golden/vgg19-activations.json holds: activation
 * summaries, Gram matrices, style and content losses, the full loss and its gradient. `window.goldenResult`
 * resolves to the numbers; test/browser/golden.test.ts compares them with the float64 reference. Nothing is
 * judged here.
 *
 * Summaries are accumulated in JS doubles over the downloaded float32 values (as test/golden.test.ts does), so the
 * error measured is the backend's, not the summation's; loss values come from the backend's own `tf.sum`.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { activeKernels, contentLoss, extractFeatures, floatPrecision, gramMatrix, loadVgg19, lossPass, NETWORK_POINTS, planPass, readyBackend, resolveLayer, styleLoss, stylize, tvLoss, type PointLoss, type Vgg19 } from './lib.js';
import type { GoldenRun, GramSummary, LayerSummary } from './types.js';

/** The golden fixture's shape, as far as the page reads it. */
interface GoldenJson {
  layers: Record<string, { positions: { y: number; x: number; c: number }[] }>;
  full_loss: { content_weight: number; style_weight: number; tv_weight: number; grad_wrt_rgb_pixels: { positions: { y: number; x: number; c: number }[] } };
  content_loss_starry_vs_tubingen: { layer: string };
}

const STYLE_LAYERS = ['block1_conv1', 'block2_conv1', 'block3_conv1', 'block4_conv1', 'block5_conv1'];
const SIZE = 224;

declare global {
  interface Window {
    goldenResult: Promise<GoldenRun>;
  }
}

window.goldenResult = run().catch((e: unknown) => {
  throw new Error(`golden page: ${e instanceof Error ? `${e.message}\n${e.stack}` : String(e)}`);
});

async function run(): Promise<GoldenRun> {
  const t0 = performance.now();
  const variant = new URLSearchParams(location.search).get('backend') ?? 'webgl';
  if (variant === 'webgl-f16') {
    // What a GPU without float32 render targets gets: TF.js then stores every tensor in half-float textures.
    tf.env().set('WEBGL_FORCE_F16_TEXTURES', true);
  }
  const backend = await readyBackend(variant === 'webgpu' ? 'webgpu' : 'webgl');
  const golden = (await (await fetch('./golden/vgg19-activations.json')).json()) as GoldenJson;
  const keras = Object.keys(golden.layers);
  const contentLayer = golden.content_loss_starry_vs_tubingen.layer;
  const [tubingen, starry] = await Promise.all(['tubingen-224.rgb', 'starry_night-224.rgb'].map(readRgb));
  const model = await loadVgg19({ weights: new URL('./weights/', location.href).href });
  const timings: Record<string, number> = { setupMs: performance.now() - t0 };
  const startTensors = tf.memory().numTensors;
  const pass = new URLSearchParams(location.search).get('pass');
  if (pass === 'probe') {
    // ?pass=probe: only what the backend is and what stylize() says on it (seconds, where float16 measurements
    // take a quarter of an hour on SwiftShader).
    const stylizeProbe = await probeStylize(model, tubingen);
    const leakedTensors = tf.memory().numTensors - startTensors;
    model.dispose();
    return { backend, floatBits: floatPrecision().floatBits, stylizeProbe, device: deviceName(backend), leakedTensors, timings };
  }

  // Starry Night to block5_conv1 (the style targets and the content-loss image), then one loss-and-gradient pass
  // on Tübingen that also hands over all 16 activations as it computes them: a 224 px pass on software WebGL takes
  // tens of seconds, so no pass is run twice. With ?pass=forward, Tübingen only goes forward (no gradient).
  const forwardOnly = pass === 'forward';
  let t = performance.now();
  const starryActs = await extractFeatures(model, { data: starry, width: SIZE, height: SIZE }, [...STYLE_LAYERS, contentLayer]);
  let tubActs: Record<string, tf.Tensor4D>;
  let fullLoss: GoldenRun['fullLoss'];
  if (forwardOnly) {
    tubActs = await extractFeatures(model, { data: tubingen, width: SIZE, height: SIZE }, keras);
    timings.forwardMs = performance.now() - t;
    progress(`forward passes done on ${backend}`);
  } else {
    timings.forwardMs = performance.now() - t;
    progress(`forward pass done on ${backend}`);
    t = performance.now();
    ({ fullLoss, activations: tubActs } = await lossAndGrad(model, golden, tubingen, keras, starryActs, contentLayer));
    timings.lossAndGradientMs = performance.now() - t;
    progress('loss-and-gradient pass done');
  }

  t = performance.now();
  const layers: Record<string, LayerSummary> = {};
  for (const k of keras) layers[k] = await summarize(tubActs[k], golden.layers[k].positions);
  const gram: NonNullable<GoldenRun['gram']> = { tubingen: {}, starry_night: {} };
  const styleLossJs: Record<string, number> = {};
  const styleLossTf: Record<string, { mean: number; paper: number }> = {};
  for (const k of STYLE_LAYERS) {
    const gx = await download(gramMatrix(tubActs[k]));
    const target = gramMatrix(starryActs[k]);
    const gs = (await target.data()) as Float32Array;
    gram.tubingen[k] = gramSummary(gx);
    gram.starry_night[k] = gramSummary(gs);
    let s = 0;
    for (let i = 0; i < gx.length; i++) s += (gx[i] - gs[i]) ** 2;
    styleLossJs[k] = s;
    const mean = styleLoss(tubActs[k], target, 1, 'mean');
    const paper = styleLoss(tubActs[k], target, 1 / 5, 'paper');
    styleLossTf[k] = { mean: (await download(mean.value))[0], paper: (await download(paper.value))[0] };
    tf.dispose([target, mean.grad, paper.grad]);
  }
  const x = starryActs[contentLayer];
  const p = tubActs[contentLayer];
  const cMean = contentLoss(x, p, 1, 'mean');
  const cPaper = contentLoss(x, p, 1, 'paper');
  const [dx, dp] = [await x.data(), await p.data()];
  let cJs = 0;
  for (let i = 0; i < dx.length; i++) cJs += (dx[i] - dp[i]) ** 2;
  const content = { mean: (await download(cMean.value))[0], paper: (await download(cPaper.value))[0], sumSqDiffJs: cJs };
  tf.dispose([cMean.grad, cPaper.grad]);
  timings.summariesGramsAndLossesMs = performance.now() - t;
  progress('summaries, Grams and losses done');

  tf.dispose([...Object.values(tubActs), ...Object.values(starryActs)]);

  t = performance.now();
  const stylizeProbe = await probeStylize(model, tubingen);
  timings.stylizeProbeMs = performance.now() - t;
  const leakedTensors = tf.memory().numTensors - startTensors;
  model.dispose();
  return {
    backend,
    floatBits: floatPrecision().floatBits,
    stylizeProbe,
    device: deviceName(backend),
    layers,
    gram,
    styleLoss: { tf: styleLossTf, sumSqDiffJs: styleLossJs },
    contentLoss: content,
    fullLoss,
    leakedTensors,
    timings,
  };
}

/** What stylize() says on this backend: a 32 px, one-iteration run (refused at once on float16 WebGL). */
async function probeStylize(model: Vgg19, pixels: Uint8Array): Promise<GoldenRun['stylizeProbe']> {
  const small = { data: pixels.subarray(0, 32 * 32 * 3), width: 32, height: 32 };
  return stylize({ model, content: small, style: small, size: 32, iterations: 1 }).then(
    (r) => (r.dispose(), { ok: true }),
    (e: unknown) => ({ ok: false, code: (e as { code?: string }).code, message: String((e as Error).message) }),
  );
}

/** A line the test prints as it goes (a variant takes minutes on a software GPU). */
const progress = (what: string): void => console.log(`[golden] ${what}`);

async function readRgb(file: string): Promise<Uint8Array> {
  const res = await fetch(`./golden/${file}`);
  if (!res.ok) throw new Error(`${file}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Downloads and disposes a tensor. */
async function download(t: tf.Tensor): Promise<Float32Array> {
  try {
    return (await t.data()) as Float32Array;
  } finally {
    t.dispose();
  }
}

async function summarize(a: tf.Tensor4D, positions: { y: number; x: number; c: number }[]): Promise<LayerSummary> {
  const [, h, w, c] = a.shape;
  const v = (await a.data()) as Float32Array;
  let s = 0;
  let max = -Infinity;
  let zeros = 0;
  let nonFinite = 0;
  const chSum = new Float64Array(8);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (!Number.isFinite(x)) nonFinite++;
    s += x;
    if (x > max) max = x;
    if (x === 0) zeros++;
    const ch = i % c;
    if (ch < 8) chSum[ch] += x;
  }
  const mean = s / v.length;
  let q = 0;
  for (let i = 0; i < v.length; i++) q += (v[i] - mean) ** 2;
  return {
    shape: a.shape,
    mean,
    std: Math.sqrt(q / v.length),
    max,
    fractionZero: zeros / v.length,
    channelMeans: [...chSum].map((x) => x / (h * w)),
    positions: positions.map((p) => v[(p.y * w + p.x) * c + p.c]),
    nonFinite,
  };
}

function gramSummary(m: Float32Array): GramSummary {
  const c = Math.round(Math.sqrt(m.length));
  let trace = 0;
  let sum = 0;
  for (let i = 0; i < c; i++) trace += m[i * c + i];
  for (let i = 0; i < m.length; i++) sum += m[i];
  return { trace, sum, row0: [...m.subarray(0, 8)] };
}

/**
 * `full_loss` (x = content = Tübingen, style = Starry Night) through the library's own backward pass, observing
 * every layer in `keras` on the way (clones, owned by the caller). The content target is the pass's own relu4_2
 * (x is the content image), so the content term is 0 up to float noise, as in the reference.
 */
async function lossAndGrad(
  model: Vgg19,
  golden: GoldenJson,
  tubingen: Uint8Array,
  keras: string[],
  starryActs: Record<string, tf.Tensor4D>,
  contentLayer: string,
): Promise<{ fullLoss: GoldenRun['fullLoss']; activations: Record<string, tf.Tensor4D> }> {
  const ref = golden.full_loss;
  const observed = new Map(keras.map((k) => [resolveLayer(k).index, k]));
  const activations: Record<string, tf.Tensor4D> = {};
  const contentIndex = resolveLayer(contentLayer).index;
  const targets = STYLE_LAYERS.map((k) => [resolveLayer(k).index, gramMatrix(starryActs[k])] as const);
  const out = tf.tidy(() => {
    const rgb = tf.tensor4d(Float32Array.from(tubingen), [1, SIZE, SIZE, 3]);
    const losses = new Map<number, PointLoss[]>([[contentIndex, [(a) => contentLoss(a, activations[contentLayer], ref.content_weight, 'mean')]]]);
    for (const [index, target] of targets) losses.set(index, [(a) => styleLoss(a, target, ref.style_weight, 'mean')]);
    const plan = planPass({ pooling: 'max', losses: [...losses.keys()].map((i) => NETWORK_POINTS[i]), observe: [...observed.keys()].map((i) => NETWORK_POINTS[i]) });
    const observe = { points: new Set(observed.keys()), onActivation: (p: { index: number }, a: tf.Tensor4D) => void (activations[observed.get(p.index)!] = tf.keep(tf.clone(a))) };
    const { values, grad } = lossPass(model, rgb, plan, losses, activeKernels(), observe);
    const tv = tvLoss(rgb, ref.tv_weight);
    const style = [...values].filter(([i]) => i !== contentIndex).map(([, v]) => v[0]);
    const all = [...values.values()].flat();
    return {
      content: values.get(contentIndex)![0],
      style: tf.addN(style),
      tv: tv.value,
      total: tf.add(tf.addN(all), tv.value),
      grad: tf.add(grad, tv.grad),
    };
  });
  tf.dispose(targets.map(([, t]) => t));
  const g = await download(out.grad);
  let l2 = 0;
  let maxAbs = 0;
  let sum = 0;
  let nonFinite = 0;
  for (const v of g) {
    if (!Number.isFinite(v)) nonFinite++;
    l2 += v * v;
    sum += v;
    if (Math.abs(v) > maxAbs) maxAbs = Math.abs(v);
  }
  const fullLoss = {
    content: (await download(out.content))[0],
    style: (await download(out.style))[0],
    tv: (await download(out.tv))[0],
    total: (await download(out.total))[0],
    grad: {
      l2Norm: Math.sqrt(l2),
      maxAbs,
      sum,
      positions: ref.grad_wrt_rgb_pixels.positions.map((p) => g[(p.y * SIZE + p.x) * 3 + p.c]),
      nonFinite,
    },
  };
  return { fullLoss, activations };
}

/** The GPU the backend runs on: WebGL's unmasked renderer string, or the WebGPU adapter's vendor/architecture. */
function deviceName(backend: string): string {
  try {
    if (backend === 'webgl') {
      const gl = (tf.backend() as unknown as { gpgpu: { gl: WebGL2RenderingContext } }).gpgpu.gl;
      const ext = gl.getExtension('WEBGL_debug_renderer_info');
      return String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    }
    if (backend === 'webgpu') {
      const info = (tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string } }).adapterInfo;
      return [info?.vendor, info?.architecture].filter(Boolean).join(' ');
    }
  } catch {
    /* informational only */
  }
  return '';
}
