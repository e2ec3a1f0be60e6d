/**
 * stylize() end to end with the package's VGG-19 weights and real images (../shared/images, scaled down on the
 * host to ≤ 64 px): the losses fall, runs are reproducible, multiple styles blend, colours are preserved when
 * asked, every option that hooks into the loop (scales, snapshots, previews, taps, onIteration, Adam, 'paper'
 * normalisation, abort) does what it says, bad input fails with the right StyleTransferError, a non-finite loss
 * stops the run cleanly, and no tensor is left behind whether the call resolves, rejects or is aborted.
 *
 * Sizes are small (the CPU is shared): 64 px for the runs whose numbers are checked, 32–48 px for the mechanics.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ready,
  loadVgg19,
  stylize,
  createStylizer,
  extractFeatures,
  StyleTransferError,
  STYLIZE_DEFAULTS,
  type IterationInfo,
  type StyleTransferErrorCode,
  type StylizeRequest,
  type StylizeResult,
  type Vgg19,
} from '../src/adapters/node.js';
import { loadImage, meanChroma, type RgbPixels } from './helpers/images.js';

let model: Vgg19;
let content64: RgbPixels;
let starry64: RgbPixels;
let content48: RgbPixels;
let starry48: RgbPixels;
let scream48: RgbPixels;

beforeAll(async () => {
  await ready();
  model = await loadVgg19();
  content64 = loadImage('tubingen', 64); // 64x48
  starry64 = loadImage('starry_night', 64); // 64x40
  content48 = loadImage('tubingen', 48); // 48x36
  starry48 = loadImage('starry_night', 48);
  scream48 = loadImage('the_scream', 48);
});

afterAll(() => {
  model?.dispose();
});

/** Small, fast defaults for the mechanics tests. */
const small = (extra: Partial<StylizeRequest> = {}): StylizeRequest => ({ content: content48, style: starry48, model, size: 32, iterations: 3, ...extra });

/** Awaits a rejection and returns the error (fails the test if the promise resolves). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    const r = await p;
    (r as StylizeResult | undefined)?.dispose?.();
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to reject, but it resolved');
}

/** Expects a StyleTransferError with `code` whose message matches `message`; checks nothing leaked. */
async function expectStyleError(options: unknown, code: StyleTransferErrorCode, message: RegExp): Promise<StyleTransferError> {
  const before = tf.memory().numTensors;
  const e = await rejection(stylize(options as StylizeRequest));
  expect(e, String(e)).toBeInstanceOf(StyleTransferError);
  const err = e as StyleTransferError;
  expect(err.code, err.message).toBe(code);
  expect(err.message).toMatch(message);
  expect(tf.memory().numTensors).toBe(before);
  return err;
}

function allFinite(v: ArrayLike<number>): boolean {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) return false;
  return true;
}

/** Pearson correlation of the luminance of two images (RGB stride 3 or RGBA stride 4). */
function lumaCorrelation(a: ArrayLike<number>, sa: number, b: ArrayLike<number>, sb: number): number {
  const n = a.length / sa;
  const ya = new Float64Array(n);
  const yb = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    ya[p] = 0.299 * a[p * sa] + 0.587 * a[p * sa + 1] + 0.114 * a[p * sa + 2];
    yb[p] = 0.299 * b[p * sb] + 0.587 * b[p * sb + 1] + 0.114 * b[p * sb + 2];
  }
  const ma = ya.reduce((s, v) => s + v, 0) / n;
  const mb = yb.reduce((s, v) => s + v, 0) / n;
  let c = 0, va = 0, vb = 0;
  for (let i = 0; i < n; i++) {
    c += (ya[i] - ma) * (yb[i] - mb);
    va += (ya[i] - ma) ** 2;
    vb += (yb[i] - mb) ** 2;
  }
  return c / Math.sqrt(va * vb);
}

const chromaDistance = (a: { i: number; q: number }, b: { i: number; q: number }) => Math.hypot(a.i - b.i, a.q - b.q);

// ---- end to end at 64 px ----------------------------------------------------------------------------------

describe('end to end (64 px, default layers and weights)', () => {
  /** The plain run (no colour preservation) is shared with the colour test through its snapshot at PRESERVE_ITER. */
  let plainAtPreserveIter: Uint8ClampedArray | undefined;
  const ITER = 30;
  const PRESERVE_ITER = 20;

  it('the style loss falls ≥ 10x while the content loss stays bounded', async () => {
    const before = tf.memory().numTensors;
    const r = await stylize({ content: content64, style: starry64, model, size: 64, iterations: ITER, snapshots: [PRESERVE_ITER] });
    try {
      expect(r.image.shape).toEqual([48, 64, 3]);
      expect([r.width, r.height]).toEqual([64, 48]);
      expect(r.backend).toBe(tf.getBackend());
      const values = await r.image.data();
      expect(allFinite(values)).toBe(true);
      expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...values)).toBeLessThanOrEqual(255);
      const px = await r.toPixels();
      expect(px.data.length).toBe(64 * 48 * 4);
      expect([px.width, px.height]).toEqual([64, 48]);

      const h = r.history;
      expect(h.length).toBe(r.iterations);
      expect(r.iterations).toBeGreaterThanOrEqual(10);
      expect(r.iterations).toBeLessThanOrEqual(ITER);
      expect(r.evaluations).toBeGreaterThanOrEqual(r.iterations);
      expect(h.map((e) => e.iteration)).toEqual(h.map((_, i) => i + 1));
      const first = h[0].loss;
      const last = h.at(-1)!.loss;
      const styleDrop = first.style / last.style;
      // Content loss "bounded": the content's structure survives — the final (weighted) content loss is a small
      // fraction of where the run started, and the output's luminance still correlates with the content's.
      const corr = lumaCorrelation(px.data, 4, content64.data, 3);
      console.log(
        `64x48 px, ${r.iterations} L-BFGS iterations (${r.evaluations} evaluations, ${r.timings.perIterationMs.toFixed(0)} ms/iteration, stop: ${r.stopReason}): ` +
          `style loss ${first.style.toExponential(3)} → ${last.style.toExponential(3)} (${styleDrop.toFixed(1)}x lower); ` +
          `content loss ${first.content.toExponential(3)} → ${last.content.toExponential(3)} (${((100 * last.content) / first.total).toFixed(1)}% of the first total); ` +
          `total ${first.total.toExponential(3)} → ${last.total.toExponential(3)}; luminance correlation with the content ${corr.toFixed(3)}`,
      );
      expect(styleDrop).toBeGreaterThanOrEqual(10);
      expect(last.total).toBeLessThan(first.total / 5);
      expect(last.content).toBeLessThan(0.05 * first.total);
      expect(corr).toBeGreaterThan(0.7);
      // The breakdown adds up and names the default layers.
      for (const e of h) {
        expect(Math.abs(e.loss.total - (e.loss.content + e.loss.style + e.loss.tv)) / e.loss.total).toBeLessThan(1e-5);
        expect(Object.keys(e.loss.contentLayers)).toEqual(['relu4_2']);
        expect(Object.keys(e.loss.styleLayers)).toEqual([...STYLIZE_DEFAULTS.styleLayers]);
      }
      // L-BFGS with the strong-Wolfe line search never accepts a step that raises the loss.
      for (let i = 1; i < h.length; i++) expect(h[i].loss.total).toBeLessThanOrEqual(h[i - 1].loss.total);
      expect(r.timings.totalMs).toBeGreaterThanOrEqual(r.timings.setupMs);
      plainAtPreserveIter = r.snapshots.find((sn) => sn.iteration === PRESERVE_ITER)?.image.data;
    } finally {
      r.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('preserveColors "histogram" and "luminance" keep the content\'s colours (mean I, Q of YIQ)', async () => {
    expect(plainAtPreserveIter, 'needs the plain run above').toBeDefined();
    const target = meanChroma(content64.data, 3);
    const styleChroma = meanChroma(starry64.data, 3);
    const plainDist = chromaDistance(meanChroma(plainAtPreserveIter!, 4), target);
    const dists: Record<string, number> = {};
    for (const preserveColors of ['histogram', 'luminance'] as const) {
      const before = tf.memory().numTensors;
      const r = await stylize({ content: content64, style: starry64, model, size: 64, iterations: PRESERVE_ITER, preserveColors });
      expect(r.iterations).toBe(PRESERVE_ITER);
      const px = await r.toPixels();
      const last = r.history.at(-1)!.loss;
      expect(r.history[0].loss.style / last.style).toBeGreaterThan(5); // still stylised
      r.dispose();
      expect(tf.memory().numTensors).toBe(before);
      dists[preserveColors] = chromaDistance(meanChroma(px.data, 4), target);
    }
    console.log(
      `mean chroma (I, Q): content (${target.i.toFixed(2)}, ${target.q.toFixed(2)}), style (${styleChroma.i.toFixed(2)}, ${styleChroma.q.toFixed(2)}); ` +
        `distance of the output's from the content's after ${PRESERVE_ITER} iterations: no preservation ${plainDist.toFixed(2)}, histogram ${dists.histogram.toFixed(2)}, luminance ${dists.luminance.toFixed(2)}`,
    );
    // The style pulls the plain run's colours away from the content's; the preserving runs stay much closer.
    expect(plainDist).toBeGreaterThan(3);
    expect(dists.histogram).toBeLessThan(0.5 * plainDist);
    // Luminance-only transfer puts back the content's I and Q exactly (up to clipping to 0–255 and rounding).
    expect(dists.luminance).toBeLessThan(0.5);
    expect(dists.luminance).toBeLessThan(0.1 * plainDist);
  });
});

// ---- reproducibility, styles, options ------------------------------------------------------------------------

describe('options', () => {
  it('the same seed gives identical output bytes (init "noise", seed 7, twice); another seed differs', async () => {
    const run = async (seed: number) => {
      const r = await stylize(small({ init: 'noise', seed, iterations: 3 }));
      const px = await r.toPixels();
      const raw = await r.image.data();
      const loss = r.history.map((e) => e.loss.total);
      r.dispose();
      return { px: px.data, raw: Float32Array.from(raw), loss };
    };
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    expect(Buffer.from(a.px).equals(Buffer.from(b.px))).toBe(true);
    expect(Buffer.from(a.raw.buffer).equals(Buffer.from(b.raw.buffer))).toBe(true);
    expect(a.loss).toEqual(b.loss);
    expect(Buffer.from(a.px).equals(Buffer.from(c.px))).toBe(false);
  });

  it('several styles blend with styleBlendWeights; [1, 0] and [0, 1] give the single styles\' targets exactly', async () => {
    // Adam reports the loss at the point each update starts from, so with init 'content' the first reported
    // loss is the loss of the content image itself against each set of targets.
    const firstLoss = async (extra: Partial<StylizeRequest>) => {
      const r = await stylize(small({ optimizer: 'adam', iterations: 1, ...extra }));
      const l = r.history[0].loss;
      r.dispose();
      return l;
    };
    const starry = await firstLoss({ style: starry48 });
    const scream = await firstLoss({ style: scream48 });
    const blend10 = await firstLoss({ style: [starry48, scream48], styleBlendWeights: [1, 0] });
    const blend01 = await firstLoss({ style: [starry48, scream48], styleBlendWeights: [0, 1] });
    const even = await firstLoss({ style: [starry48, scream48] });
    const weighted = await firstLoss({ style: [starry48, scream48], styleBlendWeights: [3, 1] });
    expect(blend10.style).toBe(starry.style);
    expect(blend10.styleLayers).toEqual(starry.styleLayers);
    expect(blend01.style).toBe(scream.style);
    expect(starry.style).not.toBe(scream.style);
    // A blend's Grams lie between the two; its loss differs from both single-style losses.
    for (const l of [even, weighted]) {
      expect(l.style).not.toBe(starry.style);
      expect(l.style).not.toBe(scream.style);
    }
    expect(weighted.style).not.toBe(even.style);
    // The style term is convex in the target Gram: the even blend's loss is at most the mean of the two.
    expect(even.style).toBeLessThanOrEqual((starry.style + scream.style) / 2);
    // And a multi-style L-BFGS run works end to end.
    const before = tf.memory().numTensors;
    const r = await stylize(small({ style: [starry48, scream48], styleBlendWeights: [2, 1], iterations: 4 }));
    expect(r.history.at(-1)!.loss.style).toBeLessThan(r.history[0].loss.style);
    r.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('scales [0.5, 1]: optimises at half size, then at full size from the upsampled result', async () => {
    const infos: IterationInfo[] = [];
    const r = await stylize(small({ content: content64, size: 64, scales: [0.5, 1], iterations: [3, 2], onIteration: (i) => void infos.push(i) }));
    try {
      expect(r.image.shape).toEqual([48, 64, 3]);
      const scale0 = infos.filter((i) => i.scale === 0);
      const scale1 = infos.filter((i) => i.scale === 1);
      expect(scale0.length).toBeGreaterThan(0);
      expect(scale1.length).toBeGreaterThan(0);
      expect(scale0.every((i) => i.width === 32 && i.height === 24)).toBe(true);
      expect(scale1.every((i) => i.width === 64 && i.height === 48)).toBe(true);
      expect(infos.map((i) => i.iteration)).toEqual(infos.map((_, k) => k + 1));
      expect(infos.every((i) => i.iterations === 5)).toBe(true);
      expect(r.history.map((e) => e.scale)).toEqual(infos.map((i) => i.scale));
    } finally {
      r.dispose();
    }
  });

  it('snapshots, previewEvery, taps and onIteration: called at the right iterations with the right fields', async () => {
    const infos: IterationInfo[] = [];
    const taps: { name: string; iteration?: number; shape: number[]; kind: string }[] = [];
    const r = await stylize(small({
      size: 40,
      iterations: 7,
      snapshots: [2, 4, 1000],
      previewEvery: 3,
      taps: {
        layers: ['relu1_1', 'pool2'],
        every: 2,
        onActivation: (name, act, info) => {
          expect(act.isDisposed).toBe(false);
          taps.push({ name, iteration: info.iteration, shape: act.shape, kind: info.point.kind });
        },
      },
      onIteration: async (info) => {
        infos.push(info);
        await new Promise((res) => setTimeout(res, 1)); // async callbacks are awaited
      },
    }));
    try {
      const n = r.iterations;
      expect(n).toBeGreaterThanOrEqual(4);
      expect(r.image.shape).toEqual([30, 40, 3]);
      // onIteration: once per iteration, in order, with the run's numbers.
      expect(infos.map((i) => i.iteration)).toEqual(Array.from({ length: n }, (_, k) => k + 1));
      let prevEvals = 0;
      let prevElapsed = 0;
      infos.forEach((info, k) => {
        expect(info.iterations).toBe(7);
        expect(info.scale).toBe(0);
        expect([info.width, info.height]).toEqual([40, 30]);
        expect(info.evaluations).toBeGreaterThanOrEqual(Math.max(prevEvals, info.iteration));
        expect(info.elapsedMs).toBeGreaterThanOrEqual(prevElapsed);
        prevEvals = info.evaluations;
        prevElapsed = info.elapsedMs;
        expect(info.loss).toEqual(r.history[k].loss);
        expect(Number.isFinite(info.loss.total)).toBe(true);
        // previews every 3 iterations and on the last.
        const wantPreview = info.iteration % 3 === 0 || info.iteration === n;
        expect(info.preview !== undefined, `preview at ${info.iteration}`).toBe(wantPreview);
        if (info.preview) {
          expect([info.preview.width, info.preview.height]).toEqual([40, 30]);
          expect(info.preview.data.length).toBe(40 * 30 * 4);
        }
      });
      expect(r.evaluations).toBe(infos.at(-1)!.evaluations);
      // The last preview is the result's pixels.
      expect(Buffer.from(infos.at(-1)!.preview!.data).equals(Buffer.from((await r.toPixels()).data))).toBe(true);
      // snapshots: the requested iterations that happened, with their loss.
      expect(r.snapshots.map((s) => s.iteration)).toEqual([2, 4]);
      for (const s of r.snapshots) {
        expect([s.image.width, s.image.height]).toEqual([40, 30]);
        expect(s.loss).toEqual(r.history[s.iteration - 1].loss);
      }
      // The snapshot at 3 would equal the preview at 3; the one at 2 differs from the final image.
      expect(Buffer.from(r.snapshots[0].image.data).equals(Buffer.from((await r.toPixels()).data))).toBe(false);
      // taps: every 2 iterations and on the last, each time relu1_1 then pool2, with the iteration number.
      const tapIterations = [...new Set(taps.map((t) => t.iteration))];
      const expected = Array.from({ length: n }, (_, k) => k + 1).filter((i) => i % 2 === 0 || i === n);
      expect(tapIterations).toEqual(expected);
      for (const it of expected) {
        const at = taps.filter((t) => t.iteration === it);
        expect(at.map((t) => t.name)).toEqual(['relu1_1', 'pool2']);
        expect(at[0].shape).toEqual([1, 30, 40, 64]);
        expect(at[1].shape).toEqual([1, 7, 10, 128]);
        expect(at.map((t) => t.kind)).toEqual(['relu', 'pool']);
      }
    } finally {
      r.dispose();
    }
  });

  it("taps observe the optimisation's own passes (no extra forward pass): the activations of each step's image", async () => {
    // The content squeezed into 64–192, so that a few iterations never clip: the step's output is the optimised image.
    const mid = { ...content48, data: content48.data.map((v) => 64 + (v >> 1)) };
    const stylizer = await createStylizer({ model, cacheSize: 0 });
    // Every forward pass through the network adds conv1_1's bias once (whichever conv kernel runs: the WASM kernels
    // also read conv1_1's weights to choose between tf.conv2d and Winograd).
    const bias = vi.spyOn(model, 'bias');
    const passes = () => bias.mock.calls.filter(([i]) => i === 0).length;
    const before = tf.memory().numTensors;
    try {
      for (const optimizer of ['adam', 'lbfgs'] as const) {
        bias.mockClear();
        const tapped = new Map<number, tf.Tensor4D>();
        let checks = 0;
        let last = { iteration: 0, evaluations: 0 };
        const options = { size: 32, iterations: 5, optimizer, learningRate: optimizer === 'adam' ? 1 : undefined };
        const taps = { layers: ['relu2_1'], every: 2, onActivation: (_: string, a: tf.Tensor4D, info: { iteration?: number }) => void tapped.set(info.iteration!, tf.clone(a)) };
        for await (const step of stylizer.steps(mid, starry48, { ...options, taps })) {
          last = { iteration: step.iteration, evaluations: step.evaluations };
          const seen = tapped.get(step.iteration);
          if (!seen) continue;
          // What a separate forward pass of the step's image gives: the same activations.
          const img = step.toTensor();
          const { relu2_1 } = await extractFeatures(model, img, ['relu2_1']);
          checks++;
          const [diff, scale] = tf.tidy(() => [tf.max(tf.abs(tf.sub(seen, relu2_1))).dataSync()[0], tf.max(relu2_1).dataSync()[0]]);
          expect(diff, `${optimizer}, iteration ${step.iteration}`).toBeLessThanOrEqual(1e-5 * scale);
          tf.dispose([img, relu2_1]);
        }
        expect([...tapped.keys()], optimizer).toEqual([2, 4, 5]);
        expect(last.iteration).toBe(5);
        // Content targets, style Grams, one pass per evaluation, and the check's own passes: nothing more.
        expect(passes() - checks, optimizer).toBe(2 + last.evaluations);
        tf.dispose([...tapped.values()]);
      }
      // L-BFGS stopping early (its evaluation budget) on an iteration the taps did not expect: one forward pass then.
      bias.mockClear();
      const seenAt: number[] = [];
      const r = await stylizer.stylize(mid, starry48, { size: 32, iterations: 8, lbfgs: { maxEvaluations: 4 }, taps: { layers: ['pool1'], every: 10, onActivation: (_, a, info) => void seenAt.push(info.iteration!) } });
      expect(r.stopReason).toBe('max-evaluations');
      expect(seenAt).toEqual([r.iterations]);
      expect(passes()).toBe(2 + r.evaluations + 1);
      r.dispose();
    } finally {
      bias.mockRestore();
      stylizer.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('precondition "none" (plain pixels) and the default pyramid both lower the loss, along different paths', async () => {
    const before = tf.memory().numTensors;
    const plain = await stylize({ content: content64, style: starry64, model, size: 64, iterations: 8, precondition: 'none' });
    const pyr = await stylize({ content: content64, style: starry64, model, size: 64, iterations: 8 });
    try {
      for (const r of [plain, pyr]) expect(r.history.at(-1)!.loss.total).toBeLessThan(0.5 * r.history[0].loss.total);
      // Same start and loss function; the optimisers move along different paths (history[0] is after one step).
      expect(pyr.history[0].loss.total).not.toBe(plain.history[0].loss.total);
      const a = await plain.image.data();
      const b = await pyr.image.data();
      let diff = 0;
      for (let k = 0; k < a.length; k++) diff = Math.max(diff, Math.abs(a[k] - b[k]));
      expect(diff).toBeGreaterThan(1);
    } finally {
      plain.dispose();
      pyr.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('optimizer "adam": exactly the planned updates, one evaluation each, and the loss falls', async () => {
    const before = tf.memory().numTensors;
    const r = await stylize(small({ optimizer: 'adam', iterations: 10, learningRate: 8 }));
    expect(r.iterations).toBe(10);
    expect(r.evaluations).toBe(10);
    expect(r.stopReason).toBe('completed');
    expect(r.history.at(-1)!.loss.total).toBeLessThan(0.5 * r.history[0].loss.total);
    r.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('lossNormalization "paper": ½·Σ content, ¼·Σ Gram differences, style layer weights summing to 1', async () => {
    // Adam's first reported loss is at the start image, the same for both runs: compare the terms exactly.
    const at = async (lossNormalization: 'mean' | 'paper') => {
      const r = await stylize(small({ optimizer: 'adam', iterations: 1, init: 'style', lossNormalization }));
      const l = r.history[0].loss;
      r.dispose();
      return l;
    };
    const mean = await at('mean');
    const paper = await at('paper');
    // content (relu4_2 of a 32x24 image: 4x3x512 values): mean = 5·Σd²/N, paper = 5·½·Σd² → ratio N/2.
    const n = 4 * 3 * 512;
    expect(paper.content / mean.content).toBeCloseTo(n / 2, 0);
    // style per layer with C channels: mean = 100·Σd²/C², paper = 100·(1/5)·¼·Σd² → ratio C²/20.
    const channels: Record<string, number> = { relu1_1: 64, relu2_1: 128, relu3_1: 256, relu4_1: 512, relu5_1: 512 };
    for (const [layer, c] of Object.entries(channels)) {
      const ratio = paper.styleLayers[layer as keyof typeof paper.styleLayers]! / mean.styleLayers[layer as keyof typeof mean.styleLayers]!;
      expect(ratio / ((c * c) / 20), layer).toBeCloseTo(1, 4);
    }
    // And an L-BFGS run with it converges downwards.
    const r = await stylize(small({ lossNormalization: 'paper', iterations: 4 }));
    expect(r.history.at(-1)!.loss.total).toBeLessThan(r.history[0].loss.total);
    r.dispose();
  });
});

// ---- Stylizer ------------------------------------------------------------------------------------------------

describe('createStylizer()', () => {
  it('a second call with the same style image reuses its Grams; dispose() frees them', async () => {
    const start = tf.memory().numTensors;
    const s = await createStylizer({ model });
    const { content, style, model: _m, ...opts } = small({ iterations: 2 });
    void _m;
    // Conv weights read per call: the second call skips the style image's forward pass.
    const convReads = vi.spyOn(model, 'kernel');
    const r1 = await s.stylize(content, style, opts);
    r1.dispose();
    const firstReads = convReads.mock.calls.length;
    const withCache = tf.memory().numTensors;
    expect(withCache).toBeGreaterThan(start); // the style image and its Grams are kept
    const r2 = await s.stylize(content, style, opts);
    r2.dispose();
    const secondReads = convReads.mock.calls.length - firstReads;
    convReads.mockRestore();
    // No new Grams: the count is unchanged, and no forward pass of the style image (its 13 convs to relu5_1; a
    // count, not a time: timings compare nothing on a loaded machine).
    expect(tf.memory().numTensors).toBe(withCache);
    console.log(`Stylizer setup: first call ${r1.timings.setupMs.toFixed(0)} ms, second (cached Grams) ${r2.timings.setupMs.toFixed(0)} ms`);
    expect(secondReads).toBeLessThan(firstReads);
    expect((firstReads - secondReads) % 13).toBe(0);
    // Same images, other size: new Grams.
    const r3 = await s.stylize(content, style, { ...opts, size: 40 });
    r3.dispose();
    expect(tf.memory().numTensors).toBeGreaterThan(withCache);
    // Same results from cached Grams as from fresh ones.
    expect(r2.history.map((e) => e.loss.total)).toEqual(r1.history.map((e) => e.loss.total));
    s.dispose();
    expect(tf.memory().numTensors).toBe(start);
    expect(model.disposed).toBe(false); // a model passed in is the caller's
  });

  it('a stylizer that loaded its own model frees it on dispose()', async () => {
    const start = tf.memory().numTensors;
    const s = await createStylizer({ cacheSize: 1 });
    const r = await s.stylize(content48, starry48, { size: 32, iterations: 1 });
    r.dispose();
    expect(tf.memory().numTensors).toBeGreaterThan(start);
    s.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});

// ---- bad input -----------------------------------------------------------------------------------------------

describe('bad input: a StyleTransferError with the right code, naming the field, and nothing leaked', () => {
  it('unknown layer names → UNKNOWN_LAYER', async () => {
    await expectStyleError(small({ styleLayers: ['relu1_1', 'relu9_1'] }), 'UNKNOWN_LAYER', /styleLayers.*relu9_1/);
    await expectStyleError(small({ contentLayers: { conv4_7: 1 } }), 'UNKNOWN_LAYER', /contentLayers.*conv4_7/);
    await expectStyleError(small({ taps: { layers: ['nope'], onActivation: () => {} } }), 'UNKNOWN_LAYER', /taps\.layers.*nope/);
  });

  it('empty or zero-size images → INVALID_IMAGE', async () => {
    await expectStyleError(small({ content: { data: new Uint8Array(0), width: 0, height: 0 } }), 'INVALID_IMAGE', /`content`.*0x0/);
    await expectStyleError(small({ style: { data: new Uint8Array(0), width: 10, height: 0 } }), 'INVALID_IMAGE', /`style`/);
    await expectStyleError(small({ style: [starry48, { data: new Uint8Array(5), width: 2, height: 2 }] }), 'INVALID_IMAGE', /`style\[1\]\.data`/);
    const empty = tf.zeros([0, 5, 3]);
    await expectStyleError(small({ content: empty as tf.Tensor3D }), 'INVALID_IMAGE', /`content`/);
    empty.dispose();
    const disposed = tf.zeros([4, 4, 3]);
    disposed.dispose();
    await expectStyleError(small({ style: disposed as tf.Tensor3D }), 'INVALID_IMAGE', /`style` is a disposed tensor/);
  });

  it('non-finite or negative weights → INVALID_OPTION', async () => {
    await expectStyleError(small({ styleWeight: NaN }), 'INVALID_OPTION', /`styleWeight` is NaN/);
    await expectStyleError(small({ contentWeight: -1 }), 'INVALID_OPTION', /`contentWeight` is -1/);
    await expectStyleError(small({ tvWeight: Infinity }), 'INVALID_OPTION', /`tvWeight` is Infinity/);
    await expectStyleError(small({ styleLayers: { relu1_1: 1, relu2_1: -0.5 } }), 'INVALID_OPTION', /styleLayers\.relu2_1/);
    await expectStyleError(small({ style: [starry48, scream48], styleBlendWeights: [1, NaN] }), 'INVALID_OPTION', /styleBlendWeights\[1\]/);
    await expectStyleError(small({ style: [starry48, scream48], styleBlendWeights: [0, 0] }), 'INVALID_OPTION', /styleBlendWeights/);
    await expectStyleError(small({ learningRate: 0 }), 'INVALID_OPTION', /learningRate/);
  });

  it('iterations < 1, sizes out of range, bad enums and unknown keys → INVALID_OPTION', async () => {
    await expectStyleError(small({ iterations: 0 }), 'INVALID_OPTION', /`iterations` is 0/);
    await expectStyleError(small({ iterations: 2.5 }), 'INVALID_OPTION', /`iterations`.*whole number/);
    await expectStyleError(small({ scales: [0.5, 1], iterations: [3, 0] }), 'INVALID_OPTION', /iterations\[1\]/);
    await expectStyleError(small({ size: 8 }), 'INVALID_OPTION', /`size` is 8.*16–4096/);
    await expectStyleError(small({ size: 5000 }), 'INVALID_OPTION', /`size` is 5000/);
    await expectStyleError(small({ styleScale: 0 }), 'INVALID_OPTION', /styleScale/);
    await expectStyleError(small({ scales: [1, 0.5] }), 'INVALID_OPTION', /scales/);
    await expectStyleError(small({ optimizer: 'sgd' as 'adam' }), 'INVALID_OPTION', /`optimizer` is "sgd"/);
    await expectStyleError(small({ preserveColors: 'yes' as 'luminance' }), 'INVALID_OPTION', /preserveColors/);
    await expectStyleError(small({ init: 'random' as 'noise' }), 'INVALID_OPTION', /`init` is "random"/);
    await expectStyleError({ ...small(), iteratons: 10 }, 'INVALID_OPTION', /Unknown option `iteratons`/);
    await expectStyleError(small({ onIteration: 5 as unknown as () => void }), 'INVALID_OPTION', /onIteration/);
    await expectStyleError(small({ signal: {} as AbortSignal }), 'INVALID_OPTION', /signal/);
    await expectStyleError(small({ precondition: 'fourier' as 'none' }), 'INVALID_OPTION', /`precondition` is "fourier"/);
    await expectStyleError(small({ precondition: { levels: 0 } }), 'INVALID_OPTION', /precondition\.levels/);
    await expectStyleError(small({ precondition: { decay: 0.5, depth: 2 } as { decay: number } }), 'INVALID_OPTION', /Unknown option `precondition\.depth`/);
  });

  it('unsupported image types → UNSUPPORTED_IMAGE', async () => {
    await expectStyleError(small({ content: 'tubingen.jpg' as unknown as RgbPixels }), 'UNSUPPORTED_IMAGE', /`content` is "tubingen\.jpg".*readImage/);
    await expectStyleError(small({ style: 42 as unknown as RgbPixels }), 'UNSUPPORTED_IMAGE', /`style` is 42/);
    await expectStyleError(small({ style: [starry48, new Map() as unknown as RgbPixels] }), 'UNSUPPORTED_IMAGE', /`style\[1\]`/);
    await expectStyleError(small({ init: { width: 3 } as unknown as RgbPixels }), 'UNSUPPORTED_IMAGE', /`init`/);
  });

  it('style / blend-weight counts that do not match → INVALID_OPTION naming styleBlendWeights', async () => {
    const e = await expectStyleError(small({ style: [starry48, scream48], styleBlendWeights: [1] }), 'INVALID_OPTION', /styleBlendWeights.*1 entries.*2 style images/);
    expect(e.details?.field).toBe('styleBlendWeights');
    await expectStyleError(small({ styleBlendWeights: [0.5, 0.5] }), 'INVALID_OPTION', /styleBlendWeights.*1 style image/);
    await expectStyleError(small({ style: [] }), 'INVALID_OPTION', /style/);
  });

  it('an image too small for the deepest layer → INVALID_IMAGE naming the image and the layer (and the backend still works)', async () => {
    // At size 24 the 64x40 Starry Night becomes 24x15: relu5_1 (stride 16) would get an empty activation, which
    // on WASM used to crash the max pooling and corrupt the heap for every later call.
    await expectStyleError(small({ size: 24 }), 'INVALID_IMAGE', /`style` is 24x15 px.*relu5_1.*16x16/);
    await expectStyleError(small({ size: 24, style: [scream48, starry48] }), 'INVALID_IMAGE', /`style\[1\]` is 24x15 px/);
    await expectStyleError(small({ size: 20, styleLayers: ['relu1_1'], contentLayers: ['pool4'] }), 'INVALID_IMAGE', /`content` is 20x15 px.*pool4/);
    await expectStyleError(small({ taps: { layers: 'all', onActivation: () => {} } }), 'INVALID_IMAGE', /`content` is 32x24 px.*pool5.*32x32/);
    // Also when a Stylizer reuses Grams cached by a call without taps.
    const before = tf.memory().numTensors;
    const s = await createStylizer({ model });
    (await s.stylize(content48, starry48, { size: 32, iterations: 1 })).dispose();
    const e = await rejection(s.stylize(content48, starry48, { size: 32, iterations: 1, taps: { layers: ['pool5'], onActivation: () => {} } }));
    expect((e as StyleTransferError).code, String(e)).toBe('INVALID_IMAGE');
    expect((e as Error).message).toMatch(/pool5/);
    s.dispose();
    expect(tf.memory().numTensors).toBe(before);
    // Fine with layers that stop earlier, and with a larger styleScale.
    for (const extra of [{ size: 24, styleLayers: ['relu1_1', 'relu2_1', 'relu3_1', 'relu4_1'] }, { size: 24, styleScale: 2 }]) {
      const r = await stylize(small({ ...extra, iterations: 1 }));
      expect(allFinite(await r.image.data())).toBe(true);
      r.dispose();
    }
  });

  it('a one-off stylize() that loads its own model frees it when the input is bad', async () => {
    const start = tf.memory().numTensors;
    const e = await rejection(stylize({ content: { data: new Uint8Array(0), width: 0, height: 0 }, style: starry48, size: 32, iterations: 1 }));
    expect((e as StyleTransferError).code).toBe('INVALID_IMAGE');
    expect(tf.memory().numTensors).toBe(start);
  });
});

// ---- non-finite loss -------------------------------------------------------------------------------------------

describe('non-finite loss', () => {
  it('a diverging run (L-BFGS without line search, learningRate 1e6): "non-finite-loss", a warning, the last finite image', async () => {
    const before = tf.memory().numTensors;
    // The first step is scaled by 1/‖g‖₁ and stays finite; the second moves by 1e6 along the L-BFGS direction.
    const r = await stylize(small({ lbfgs: { lineSearch: 'none' }, learningRate: 1e6, iterations: 6, snapshots: [1] }));
    try {
      expect(r.stopReason).toBe('non-finite-loss');
      expect(r.warnings.join('\n')).toMatch(/loss became (NaN|Infinity|-Infinity) at iteration 2/);
      expect(r.iterations).toBe(1);
      expect(r.history.length).toBe(1);
      expect(Number.isFinite(r.history[0].loss.total)).toBe(true);
      expect(allFinite(await r.image.data())).toBe(true);
      // The image kept is the one after iteration 1, whose loss was finite.
      expect(Buffer.from((await r.toPixels()).data).equals(Buffer.from(r.snapshots[0].image.data))).toBe(true);
    } finally {
      r.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('Adam with a huge learning rate: the loss refuses the non-finite point (NON_FINITE_LOSS), the run keeps the last finite image', async () => {
    const before = tf.memory().numTensors;
    const r = await stylize(small({ optimizer: 'adam', learningRate: 1e6, styleWeight: 1e12, lossNormalization: 'paper', iterations: 6 }));
    try {
      expect(r.stopReason).toBe('non-finite-loss');
      expect(r.warnings.join('\n')).toMatch(/loss became (NaN|Infinity) at iteration 2; .*Lower the learning rate or the weights/);
      expect(r.iterations).toBe(1);
      expect(Number.isFinite(r.history[0].loss.total)).toBe(true);
      expect(allFinite(await r.image.data())).toBe(true);
    } finally {
      r.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a start image containing NaN or Infinity is refused before any work (INVALID_IMAGE naming `init`)', async () => {
    const init = new Float32Array(32 * 24 * 3).fill(100);
    init[5] = NaN;
    await expectStyleError(small({ init: { data: init, width: 32, height: 24 } }), 'INVALID_IMAGE', /`init` has 1 NaN or infinite value/);
    init[5] = Infinity;
    await expectStyleError(small({ init: { data: init, width: 32, height: 24 } }), 'INVALID_IMAGE', /`init` has 1 NaN or infinite value/);
  });
});

// ---- leaks, errors from callbacks, abort ---------------------------------------------------------------------

describe('no leaks: the tensor count returns to where it was', () => {
  it('after resolving, and after rejecting (bad option; a throwing onIteration)', async () => {
    const baseline = tf.memory().numTensors;
    const r = await stylize(small());
    r.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
    await expectStyleError(small({ size: 2 }), 'INVALID_OPTION', /size/);
    expect(tf.memory().numTensors).toBe(baseline);
    const e = await rejection(stylize(small({
      iterations: 5,
      onIteration: ({ iteration }) => {
        if (iteration === 2) throw new Error('callback failed');
      },
    })));
    expect((e as Error).message).toBe('callback failed');
    expect(tf.memory().numTensors).toBe(baseline);
    // A throwing tap too.
    const e2 = await rejection(stylize(small({ taps: { layers: ['relu2_1'], every: 1, onActivation: () => { throw new Error('tap failed'); } } })));
    expect((e2 as Error).message).toBe('tap failed');
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('abort from onIteration at iteration 3 → ABORTED within one iteration; the error owns no tensor and holds the image as bytes', async () => {
    const baseline = tf.memory().numTensors;
    const controller = new AbortController();
    const seen: number[] = [];
    const e = await rejection(stylize(small({
      iterations: 20,
      signal: controller.signal,
      onIteration: ({ iteration }) => {
        seen.push(iteration);
        if (iteration === 3) controller.abort();
      },
    })));
    expect(e).toBeInstanceOf(StyleTransferError);
    const err = e as StyleTransferError;
    expect(err.code).toBe('ABORTED');
    expect(seen).toEqual([1, 2, 3]);
    expect(tf.memory().numTensors).toBe(baseline); // nothing to dispose
    const partial = err.details?.partial as { data: Uint8ClampedArray; width: number; height: number };
    expect(err.details?.iteration).toBe(3);
    expect([partial.width, partial.height]).toEqual([32, 24]);
    expect(partial.data.length).toBe(32 * 24 * 4);
    expect(new Set(partial.data).size).toBeGreaterThan(10); // an image, not a blank
    expect(err.message).toMatch(/partial/);
  });

  it('an already-aborted signal rejects at once with ABORTED and no result', async () => {
    const baseline = tf.memory().numTensors;
    const e = await rejection(stylize(small({ signal: AbortSignal.abort('not today') })));
    expect((e as StyleTransferError).code).toBe('ABORTED');
    expect((e as Error).message).toMatch(/not today/);
    expect((e as StyleTransferError).details?.partial).toBeUndefined();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('an abort at any point (also inside the line search) leaks nothing', async () => {
    const baseline = tf.memory().numTensors;
    // A signal that turns aborted on its k-th read: the engine reads it before starting, at every objective
    // evaluation (so also between the evaluations of one line search) and after every iteration.
    const reasons = new Set<string>();
    let k = 1;
    for (; k <= 30; k++) {
      // A real AbortSignal (look-alikes are refused) whose \`aborted\` aborts it on its k-th read.
      let reads = 0;
      let fired = false;
      const controller = new AbortController();
      const signal = controller.signal;
      Object.defineProperty(signal, 'aborted', {
        get: () => {
          if (!fired && ++reads >= k) {
            fired = true;
            controller.abort(`read ${k}`);
          }
          return fired;
        },
      });
      // Once k exceeds the reads a whole 4-iteration run makes, the run completes: every point has been tried.
      const outcome = await stylize(small({ iterations: 4, signal })).then((r) => (r.dispose(), null), (err: unknown) => err);
      if (outcome === null) break;
      const e = outcome;
      expect((e as StyleTransferError).code, `abort at read ${k}: ${e}`).toBe('ABORTED');
      const at = (e as StyleTransferError).details?.iteration;
      if (at !== undefined) reasons.add(`${at}`);
      if (process.env.DEBUG_ABORT) console.log(`abort at read ${k}: ${at !== undefined ? `partial image after ${at} iterations` : 'no partial image'}`);
      expect(tf.memory().numTensors, `abort at read ${k}`).toBe(baseline);
    }
    expect(k).toBeGreaterThan(8); // a run makes at least a start read, 1 + evaluations, and one per iteration
    expect(tf.memory().numTensors).toBe(baseline);
    expect(reasons.size).toBeGreaterThan(1); // aborts happened at several different iterations
  });
});
