/**
 * Gradients against finite differences, and the colour helpers against what they promise.
 *
 * - contentLoss, styleLoss ('mean' and 'paper'), tvLoss, gramMatrix/gramBackward on tiny random tensors: the
 *   analytic directional derivative ⟨∇f, d⟩ along random directions d against the central difference
 *   (f(x + εd) − f(x − εd)) / 2ε. Each function is at most quartic in x, so with ε ~1e-2 of x's scale the
 *   truncation error is far below the float32 rounding of f; tolerance: relative error < 1e-2 (measured ≤ 3e-3,
 *   the worst being float32 rounding of f for tvLoss on 0–255 values).
 * - the backend kernels: the WASM fast paths (blocked transpose in Grams, fused ReLU + max-pool backward) equal
 *   the generic ones.
 * - lossAndGradient (the hand-written VGG-19 backward pass) on a 20x20 image with the real weights, losses at a
 *   conv (pre-ReLU), ReLU and pool point of blocks 1–2, with max and with average pooling, and with Winograd
 *   F(2,3) forced on every conv (max pooling).
 * - symPow, matchColorHistogram, matchLuminance, combineLuminance and the RGB↔YIQ round trip.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ready, loadVgg19, type Vgg19 } from '../src/adapters/node.js';
import { gramBackward, gramMatrix } from '../src/core/gram.js';
import { genericKernels, kernelsFor, wasmKernels, wasmKernelsWith, webglKernels, webgpuKernels } from '../src/kernels/index.js';
import { blockedTranspose } from '../src/kernels/wasm.js';
import { tvLossHost } from '../src/core/losses.js';
import { contentLoss, styleLoss, tvLoss, type LossNormalization } from '../src/core/losses.js';
import { forward, lossAndGradient, lossPass, planPass, preprocess, type Pooling, type PointLoss } from '../src/core/network.js';
import { resolveLayer, type LayerName } from '../src/core/layers.js';
import { colorStats, combineLuminance, luminanceImage, matchColorHistogram, matchLuminance, rgbToYiq, symPow, yiqToRgb } from '../src/image/color.js';
import { mulberry32 } from '../src/image/noise.js';
import { loadImage } from './helpers/images.js';

beforeAll(async () => {
  await ready();
});

// ---- helpers --------------------------------------------------------------------------------------------

/** Seeded standard normals (Box–Muller on mulberry32). */
function normals(n: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = Math.max(rand(), 1e-12);
    out[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  }
  return out;
}

function randomTensor(shape: number[], seed: number, scale = 1, offset = 0): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(normals(n, seed).map((v) => offset + scale * v), shape);
}

const scalarOf = (t: tf.Tensor): number => {
  const v = t.dataSync()[0];
  return v;
};

/**
 * Compares ⟨grad, d⟩ with the central difference of `f` along d (ε·d added to x). Returns the relative error.
 * `f` returns a scalar tensor; everything it makes is freed.
 */
function directionalCheck(f: (x: tf.Tensor) => tf.Scalar, x: tf.Tensor, grad: tf.Tensor, d: tf.Tensor, eps: number): { analytic: number; numeric: number; rel: number } {
  const analytic = tf.tidy(() => scalarOf(tf.sum(tf.mul(grad, d))));
  const fp = tf.tidy(() => scalarOf(f(tf.add(x, tf.mul(d, eps)))));
  const fm = tf.tidy(() => scalarOf(f(tf.sub(x, tf.mul(d, eps)))));
  const numeric = (fp - fm) / (2 * eps);
  return { analytic, numeric, rel: Math.abs(analytic - numeric) / Math.max(Math.abs(numeric), 1e-12) };
}

// ---- the loss terms ---------------------------------------------------------------------------------------

describe('loss gradients vs finite differences', () => {
  const shape: [number, number, number, number] = [1, 5, 4, 6];

  it('contentLoss (mean and paper): value and gradient', () => {
    const before = tf.memory().numTensors;
    const a = randomTensor(shape, 1) as tf.Tensor4D;
    const target = randomTensor(shape, 2) as tf.Tensor4D;
    for (const norm of ['mean', 'paper'] as LossNormalization[]) {
      const w = 3;
      const { value, grad } = contentLoss(a, target, w, norm);
      // Value from doubles on the host.
      const av = a.dataSync(), tv = target.dataSync();
      let ss = 0;
      for (let i = 0; i < av.length; i++) ss += (av[i] - tv[i]) ** 2;
      expect(scalarOf(value)).toBeCloseTo(norm === 'mean' ? (w * ss) / av.length : w * 0.5 * ss, 4);
      for (const seed of [10, 11, 12]) {
        const d = randomTensor(shape, seed);
        const r = directionalCheck((x) => contentLoss(x as tf.Tensor4D, target, w, norm).value, a, grad, d, 1e-2);
        expect(r.rel, `${norm} seed ${seed}: ${r.analytic} vs ${r.numeric}`).toBeLessThan(1e-2);
        d.dispose();
      }
      tf.dispose([value, grad]);
    }
    tf.dispose([a, target]);
    expect(tf.memory().numTensors).toBe(before);
  });

  for (const norm of ['mean', 'paper'] as LossNormalization[]) {
    it(`styleLoss (${norm}): value and gradient`, () => {
      const before = tf.memory().numTensors;
      // Non-negative activations as after a ReLU; a target Gram from another activation.
      const a = tf.tidy(() => tf.abs(randomTensor(shape, 3))) as tf.Tensor4D;
      const other = tf.tidy(() => tf.abs(randomTensor(shape, 4, 1.5))) as tf.Tensor4D;
      const targetGram = gramMatrix(other);
      const w = 7;
      const { value, grad } = styleLoss(a, targetGram, w, norm);
      // Value from doubles: G = FᵀF / (C·H·W).
      const [, h, wd, c] = shape;
      const n = h * wd;
      const av = a.dataSync(), ov = other.dataSync();
      let ss = 0;
      for (let i = 0; i < c; i++) {
        for (let j = 0; j < c; j++) {
          let ga = 0, go = 0;
          for (let p = 0; p < n; p++) {
            ga += av[p * c + i] * av[p * c + j];
            go += ov[p * c + i] * ov[p * c + j];
          }
          ss += ((ga - go) / (n * c)) ** 2;
        }
      }
      const expected = norm === 'mean' ? (w * ss) / (c * c) : w * 0.25 * ss;
      expect(Math.abs(scalarOf(value) - expected) / expected).toBeLessThan(1e-4);
      for (const seed of [20, 21, 22]) {
        const d = randomTensor(shape, seed);
        const r = directionalCheck((x) => styleLoss(x as tf.Tensor4D, targetGram, w, norm).value, a, grad, d, 1e-2);
        expect(r.rel, `seed ${seed}: ${r.analytic} vs ${r.numeric}`).toBeLessThan(1e-2);
        d.dispose();
      }
      tf.dispose([a, other, targetGram, value, grad]);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('tvLoss: value and gradient (also 1-pixel-high and 1-pixel-wide images)', () => {
    const before = tf.memory().numTensors;
    for (const s of [[1, 6, 7, 3], [1, 1, 9, 3], [1, 8, 1, 3]] as [number, number, number, number][]) {
      const img = randomTensor(s, 5, 40, 128) as tf.Tensor4D;
      const w = 0.01;
      const { value, grad } = tvLoss(img, w);
      const v = img.dataSync();
      const [, h, wd, c] = s;
      let ss = 0;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < wd; x++) {
          for (let k = 0; k < c; k++) {
            const i = (y * wd + x) * c + k;
            if (y + 1 < h) ss += (v[i + wd * c] - v[i]) ** 2;
            if (x + 1 < wd) ss += (v[i + c] - v[i]) ** 2;
          }
        }
      }
      expect(Math.abs(scalarOf(value) - w * ss) / (w * ss)).toBeLessThan(1e-5);
      for (const seed of [30, 31]) {
        const d = randomTensor(s, seed);
        const r = directionalCheck((x) => tvLoss(x as tf.Tensor4D, w).value, img, grad, d, 0.5);
        expect(r.rel, `${s} seed ${seed}: ${r.analytic} vs ${r.numeric}`).toBeLessThan(1e-2);
        d.dispose();
      }
      tf.dispose([img, value, grad]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gramMatrix: FᵀF/(C·H·W), symmetric; gramBackward: the gradient of ⟨W, G(F)⟩ for a non-symmetric W', () => {
    const before = tf.memory().numTensors;
    const f = randomTensor(shape, 6) as tf.Tensor4D;
    const g = gramMatrix(f);
    const gv = g.dataSync();
    const [, h, wd, c] = shape;
    expect(g.shape).toEqual([c, c]);
    const fv = f.dataSync();
    for (let i = 0; i < c; i++) {
      for (let j = 0; j < c; j++) {
        let s = 0;
        for (let p = 0; p < h * wd; p++) s += fv[p * c + i] * fv[p * c + j];
        expect(gv[i * c + j]).toBeCloseTo(s / (h * wd * c), 5);
        expect(gv[i * c + j]).toBeCloseTo(gv[j * c + i], 6);
      }
    }
    // [H,W,C] input gives the same Gram.
    const g3 = tf.tidy(() => gramMatrix(tf.squeeze(f, [0])));
    expect(Array.from(g3.dataSync())).toEqual(Array.from(gv));
    // L(F) = Σ W ⊙ G(F), dL/dG = W (not symmetric on purpose).
    const W = randomTensor([c, c], 7) as tf.Tensor2D;
    const grad = gramBackward(f, W);
    expect(grad.shape).toEqual(shape);
    for (const seed of [40, 41, 42]) {
      const d = randomTensor(shape, seed);
      const r = directionalCheck((x) => tf.sum(tf.mul(W, gramMatrix(x))) as tf.Scalar, f, grad, d, 1e-2);
      expect(r.rel, `seed ${seed}: ${r.analytic} vs ${r.numeric}`).toBeLessThan(1e-2);
      d.dispose();
    }
    expect(() => tf.tidy(() => gramMatrix(tf.zeros([2, 3, 3, 4])))).toThrow(/gramMatrix expects/);
    tf.dispose([f, g, g3, W, grad]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('blockedTranspose (the two-stage transpose WASM Grams use) equals tf.transpose, for shapes it blocks and not', () => {
    const before = tf.memory().numTensors;
    for (const [r, c] of [[4096, 64], [1024, 3], [2048, 5], [1030, 8], [96, 7]] as const) {
      const m = randomTensor([r, c], r + c) as tf.Tensor2D;
      const t = blockedTranspose(m);
      expect(t.shape).toEqual([c, r]);
      const want = tf.transpose(m);
      expect(Array.from(t.dataSync())).toEqual(Array.from(want.dataSync()));
      tf.dispose([m, t, want]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('backend kernels', () => {
  it('are chosen by backend name: WASM, WebGL and WebGPU their own, every other backend the generic ones', () => {
    expect(kernelsFor('wasm')).toBe(wasmKernels);
    expect(kernelsFor('webgl')).toBe(webglKernels);
    expect(kernelsFor('webgpu')).toBe(webgpuKernels);
    for (const b of ['cpu', 'tensorflow', 'constructor']) expect(kernelsFor(b)).toBe(genericKernels);
    expect(wasmKernels.memoryLimit).toBe(4 * 1024 ** 3);
    expect(genericKernels.memoryLimit).toBeUndefined();
  });

  it('the GPU backends’ Gram (one transposed-read matMul) equals the generic one', () => {
    const before = tf.memory().numTensors;
    const f = tf.randomNormal([300, 24]) as tf.Tensor2D;
    const [a, b] = [webglKernels.gram(f), genericKernels.gram(f)];
    expect(webgpuKernels.gram).toBe(webglKernels.gram);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0])).toBeLessThan(1e-3);
    tf.dispose([f, a, b]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('WASM Grams equal the generic ones (the blocked transpose is exact), through gramMatrix too', () => {
    const before = tf.memory().numTensors;
    for (const [n, c] of [[4096, 64], [1030, 8]] as const) {
      const f = randomTensor([n, c], n) as tf.Tensor2D;
      const [a, b] = [wasmKernels.gram(f), genericKernels.gram(f)];
      expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
      const act = tf.reshape(f, [1, n / 2, 2, c]);
      const [ga, gb] = [gramMatrix(act, wasmKernels), gramMatrix(act, genericKernels)];
      expect(Array.from(ga.dataSync())).toEqual(Array.from(gb.dataSync()));
      tf.dispose([f, a, b, act, ga, gb]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it("the fused ReLU + max-pool backward equals MaxPoolGrad then the ReLU mask, on even and odd sizes", () => {
    const before = tf.memory().numTensors;
    for (const [h, w] of [[16, 12], [9, 7]] as const) {
      // ReLU outputs with exact zeros (a quarter of the windows all zero) and distinct positive values elsewhere.
      const reluOut = tf.tidy(() => tf.relu(tf.sub(randomTensor([1, h, w, 5], h), 0.6))) as tf.Tensor4D;
      const pooled = tf.maxPool(reluOut, 2, 2, 'valid');
      const dy = randomTensor(pooled.shape, w) as tf.Tensor4D;
      const fused = wasmKernels.reluMaxPoolBackward(dy, reluOut, pooled);
      const twoSteps = genericKernels.reluMaxPoolBackward(dy, reluOut, pooled);
      const separate = tf.tidy(() => tf.mul(genericKernels.maxPoolBackward(dy, reluOut, pooled), tf.step(reluOut)));
      expect(fused.shape).toEqual([1, h, w, 5]);
      // Equal values (a zero's sign may differ: 0·(−dy) is −0 in one and 0 in the other).
      const values = (t: tf.Tensor) => Array.from(t.dataSync(), (v) => v + 0);
      expect(values(fused)).toEqual(values(twoSteps));
      expect(values(twoSteps)).toEqual(values(separate));
      expect(twoSteps.dataSync().some((v) => v !== 0)).toBe(true);
      tf.dispose([reluOut, pooled, dy, fused, twoSteps, separate]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the resize adjoint is the adjoint of align-corners bilinear upsampling: ⟨U a, b⟩ = ⟨a, Uᵀ b⟩', () => {
    const before = tf.memory().numTensors;
    const a = randomTensor([1, 5, 7, 3], 1) as tf.Tensor4D;
    const b = randomTensor([1, 17, 13, 3], 2) as tf.Tensor4D;
    const lhs = tf.tidy(() => tf.sum(tf.mul(tf.image.resizeBilinear(a, [17, 13], true), b)).dataSync()[0]);
    for (const k of [genericKernels, wasmKernels]) {
      const ub = k.resizeBilinearAdjoint(b, 5, 7);
      expect(ub.shape).toEqual([1, 5, 7, 3]);
      const rhs = tf.tidy(() => tf.sum(tf.mul(a, ub)).dataSync()[0]);
      expect(Math.abs(lhs - rhs) / Math.abs(lhs)).toBeLessThan(1e-5);
      ub.dispose();
    }
    tf.dispose([a, b]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

// ---- the network's backward pass ----------------------------------------------------------------------------

describe('lossAndGradient through VGG-19 (real weights) vs finite differences', () => {
  let model: Vgg19;
  const H = 20;
  const W = 20;

  beforeAll(async () => {
    model = await loadVgg19();
  });
  afterAll(() => model?.dispose());

  /** Image-like tensor [1,20,20,3] in 0–255 with structure (smooth gradients + noise), from a seed. */
  function image(seed: number): tf.Tensor4D {
    const noise = normals(H * W * 3, seed);
    const v = new Float32Array(H * W * 3);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        for (let c = 0; c < 3; c++) {
          const i = (y * W + x) * 3 + c;
          v[i] = 128 + 60 * Math.sin((x + 2 * c + seed) / 4) * Math.cos((y - c) / 5) + 25 * noise[i];
        }
      }
    }
    return tf.tensor4d(v, [1, H, W, 3]);
  }

  /** Activations at `names` for an RGB image, read back to the host. */
  async function activations(img: tf.Tensor4D, names: LayerName[], pooling: Pooling): Promise<Float64Array[]> {
    const input = preprocess(img);
    const acts = await forward(model, input, names.map((n) => resolveLayer(n)), pooling);
    input.dispose();
    const out = names.map((n) => Float64Array.from(acts.get(n)!.dataSync()));
    tf.dispose([...acts.values()]);
    return out;
  }

  /** Gram (C·H·W-normalised) of a host activation with `c` channels, in doubles. */
  function hostGram(a: Float64Array, c: number): Float64Array {
    const n = a.length / c;
    const g = new Float64Array(c * c);
    for (let p = 0; p < n; p++) {
      for (let i = 0; i < c; i++) {
        const ai = a[p * c + i];
        if (ai === 0) continue;
        for (let j = 0; j < c; j++) g[i * c + j] += ai * a[p * c + j];
      }
    }
    for (let k = 0; k < g.length; k++) g[k] /= n * c;
    return g;
  }

  it('lossPass: every term\'s value keyed by its point, several terms at one point, taps observing the same sweep', async () => {
    const before = tf.memory().numTensors;
    const x = image(3);
    const [r21, c21, p1] = ['relu2_1', 'conv2_1', 'pool1'].map((n) => resolveLayer(n));
    const gram = tf.tidy(() => tf.mul(tf.eye(128), 0.5)) as tf.Tensor2D;
    const target = tf.zeros([1, H / 2, W / 2, 128]) as tf.Tensor4D;
    const style: PointLoss = (a) => styleLoss(a, gram, 10);
    const content: PointLoss = (a) => contentLoss(a, target, 1);
    const conv: PointLoss = (a) => contentLoss(a, target, 2);
    const plan = planPass({ pooling: 'max', losses: [r21, c21], observe: [p1, resolveLayer('relu3_1')] });
    const seen: string[] = [];
    const observed = new Map<string, tf.Tensor4D>();
    const onActivation = (p: { name: string }, a: tf.Tensor4D) => {
      seen.push(p.name);
      observed.set(p.name, tf.clone(a));
    };
    const r = lossPass(model, x, plan, new Map([[r21.index, [style, content]], [c21.index, [conv]]]), kernelsFor(tf.getBackend()), { points: new Set([p1.index, resolveLayer('relu3_1').index]), onActivation });
    expect([...r.values.keys()].sort((a, b) => a - b)).toEqual([c21.index, r21.index]);
    expect(r.values.get(r21.index)!.length).toBe(2);
    // The same terms one at a time through lossAndGradient: the same values, and gradients that add up.
    const one = (i: number, f: PointLoss) => lossAndGradient(model, x, new Map([[i, f]]), 'max');
    const parts = [one(r21.index, style), one(r21.index, content), one(c21.index, conv)];
    const got = [...r.values.get(r21.index)!, ...r.values.get(c21.index)!].map((v) => v.dataSync()[0]);
    parts.forEach((p, k) => expect(got[k]).toBeCloseTo(p.values[0].dataSync()[0], 3));
    const gap = tf.tidy(() => tf.max(tf.abs(tf.sub(r.grad, tf.addN(parts.map((p) => p.grad))))).dataSync()[0]);
    const scale = tf.tidy(() => tf.max(tf.abs(r.grad)).dataSync()[0]);
    expect(gap).toBeLessThan(1e-4 * scale);
    // The observed points, in forward order (relu3_1 past the deepest loss too), equal a forward pass's.
    expect(seen).toEqual(['pool1', 'relu3_1']);
    const input = preprocess(x);
    const acts = await forward(model, input, [p1, resolveLayer('relu3_1')], 'max');
    for (const [name, a] of observed) expect(Array.from(a.dataSync())).toEqual(Array.from(acts.get(name as LayerName)!.dataSync()));
    tf.dispose([x, gram, target, input, r.grad, ...[...r.values.values()].flat(), ...parts.flatMap((p) => [p.grad, ...p.values]), ...observed.values(), ...acts.values()]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('lossPass: a plan whose deepest loss point has no term (a loss spec dropped it) backpropagates from the deepest term', () => {
    const before = tf.memory().numTensors;
    const x = image(5);
    const [r21, c21] = ['relu2_1', 'conv2_1'].map((n) => resolveLayer(n));
    const target = tf.zeros([1, H / 2, W / 2, 128]) as tf.Tensor4D;
    const conv: PointLoss = (a) => contentLoss(a, target, 2);
    const plan = planPass({ pooling: 'max', losses: [r21, c21] }); // deepest loss: relu2_1, which gets no term
    const kernels = kernelsFor(tf.getBackend());
    const r = lossPass(model, x, plan, new Map([[r21.index, []], [c21.index, [conv]]]), kernels);
    const alone = lossAndGradient(model, x, new Map([[c21.index, conv]]), 'max');
    expect(r.values.get(c21.index)![0].dataSync()[0]).toBeCloseTo(alone.values[0].dataSync()[0], 3);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(r.grad, alone.grad))).dataSync()[0])).toBeLessThan(1e-4 * tf.tidy(() => tf.max(tf.abs(alone.grad)).dataSync()[0]));
    // No term anywhere: a zero gradient of the input's shape.
    const none = lossPass(model, x, plan, new Map([[r21.index, []]]), kernels);
    expect(none.grad.shape).toEqual(x.shape);
    expect(tf.tidy(() => tf.max(tf.abs(none.grad)).dataSync()[0])).toBe(0);
    tf.dispose([x, target, r.grad, none.grad, alone.grad, ...alone.values, ...[...r.values.values()].flat()]);
    expect(tf.memory().numTensors).toBe(before);
  });

  // The third run takes the gradient with Winograd F(2,3) forced on every conv of the pass (conv1_1 … conv2_2, forward
  // and backward); the finite differences still come from tf.conv2d's forward pass.
  for (const [pooling, winograd] of [['max', false], ['avg', false], ['max', true]] as const) {
    it(`style (relu2_1) + content (conv2_1 before its ReLU, pool2) losses, ${pooling} pooling${winograd ? ', Winograd on every conv' : ''}`, async () => {
      const before = tf.memory().numTensors;
      const kernels = winograd ? wasmKernelsWith({ winograd: true, winogradTile: () => 2 }) : undefined;
      const prepared = kernels?.prepareConvs(model, { height: H, width: W, forward: 4, backward: 4 });
      if (prepared) expect(prepared.bytes).toBeGreaterThan(0);
      const names: LayerName[] = ['relu2_1', 'conv2_1', 'pool2'];
      const [styleW, contentW] = [1e3, 1];
      // Targets from a nearby image (x plus ±2 noise): the loss stays small, so its float32 rounding is small next
      // to its change over the finite-difference step.
      const x = image(1);
      const other = tf.tidy(() => tf.add(x, randomTensor([1, H, W, 3], 2, 2))) as tf.Tensor4D;
      const [o21, oConv, oPool] = await activations(other, names, pooling);
      const gram21 = tf.tensor2d(Float32Array.from(hostGram(o21, 128)), [128, 128]);
      const targetConv = tf.tensor4d(Float32Array.from(oConv), [1, H / 2, W / 2, 128]);
      const targetPool = tf.tensor4d(Float32Array.from(oPool), [1, H / 4, W / 4, 128]);
      const losses = new Map<number, PointLoss>([
        [resolveLayer('relu2_1').index, (a) => styleLoss(a, gram21, styleW)],
        [resolveLayer('conv2_1').index, (a) => contentLoss(a, targetConv, contentW)],
        [resolveLayer('pool2').index, (a) => contentLoss(a, targetPool, contentW)],
      ]);
      const { grad, parts } = tf.tidy(() => {
        const r = lossAndGradient(model, x, losses, pooling, kernels);
        return { grad: r.grad, parts: tf.stack(r.values) };
      });
      expect(grad.shape).toEqual([1, H, W, 3]);
      // The same loss in doubles on the host, from the network's activations: f(x) for the finite differences.
      const g21 = hostGram(o21, 128);
      const f = async (img: tf.Tensor4D): Promise<number[]> => {
        const [a21, aConv, aPool] = await activations(img, names, pooling);
        const ga = hostGram(a21, 128);
        let s = 0;
        for (let k = 0; k < ga.length; k++) s += (ga[k] - g21[k]) ** 2;
        let c1 = 0;
        for (let k = 0; k < aConv.length; k++) c1 += (aConv[k] - oConv[k]) ** 2;
        let c2 = 0;
        for (let k = 0; k < aPool.length; k++) c2 += (aPool[k] - oPool[k]) ** 2;
        return [(styleW * s) / (128 * 128), (contentW * c1) / aConv.length, (contentW * c2) / aPool.length];
      };
      // The values lossAndGradient returns (forward order of their points: conv2_1, relu2_1, pool2).
      const host = await f(x);
      const partValues = Array.from(parts.dataSync());
      const expectedParts = [host[1], host[0], host[2]];
      partValues.forEach((v, i) => expect(Math.abs(v - expectedParts[i]) / expectedParts[i], `part ${i}`).toBeLessThan(1e-3));
      // Directional derivatives along random directions, and along a mix of the gradient and a random direction.
      // The central difference has two error sources: float32 noise in the activations (~1/ε) and the kinks of
      // ReLU and max pooling crossed within the step (~ε; with max pooling on a noisy image ~0.5% at ε = 0.01).
      // So the step is tried at ε = 0.005, 0.01, 0.02 pixel and the best agreement must be within 1%: a wrong
      // gradient (channel order, unflipped kernel, missing ReLU mask, wrong pool routing) is off by far more
      // at every ε.
      const along = async (d: tf.Tensor4D): Promise<{ analytic: number; numeric: number; rel: number }> => {
        const analytic = tf.tidy(() => tf.sum(tf.mul(grad, d)).dataSync()[0]);
        let best = { analytic, numeric: NaN, rel: Infinity };
        for (const eps of [0.005, 0.01, 0.02]) {
          const xp = tf.tidy(() => tf.add(x, tf.mul(d, eps))) as tf.Tensor4D;
          const xm = tf.tidy(() => tf.sub(x, tf.mul(d, eps))) as tf.Tensor4D;
          const fp = (await f(xp)).reduce((a, b) => a + b);
          const fm = (await f(xm)).reduce((a, b) => a + b);
          tf.dispose([xp, xm]);
          const numeric = (fp - fm) / (2 * eps);
          const rel = Math.abs(analytic - numeric) / Math.abs(numeric);
          if (rel < best.rel) best = { analytic, numeric, rel };
        }
        return best;
      };
      const rels: string[] = [];
      for (const seed of [50, 51, 52]) {
        const d = randomTensor([1, H, W, 3], seed) as tf.Tensor4D;
        const r = await along(d);
        rels.push(r.rel.toExponential(1));
        expect(r.rel, `${pooling} random direction ${seed}: ${r.analytic} vs ${r.numeric}`).toBeLessThan(1e-2);
        d.dispose();
      }
      const mixed = tf.tidy(() => tf.add(tf.mul(grad, tf.div(1, tf.max(tf.abs(grad)))), randomTensor([1, H, W, 3], 53))) as tf.Tensor4D;
      const r = await along(mixed);
      rels.push(r.rel.toExponential(1));
      expect(r.analytic).toBeGreaterThan(0);
      expect(r.rel, `${pooling} gradient + random: ${r.analytic} vs ${r.numeric}`).toBeLessThan(1e-2);
      console.log(`lossAndGradient, ${pooling} pooling${winograd ? ', Winograd' : ''}: loss parts ${partValues.map((v) => v.toPrecision(3)).join(', ')}; relative errors of directional derivatives ${rels.join(', ')}`);
      tf.dispose([x, other, gram21, targetConv, targetPool, grad, parts, mixed]);
      prepared?.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});

// ---- colour helpers ---------------------------------------------------------------------------------------

const mat3 = (a: number[][], b: number[][]) => a.map((row) => [0, 1, 2].map((j) => row[0] * b[0][j] + row[1] * b[1][j] + row[2] * b[2][j]));
const maxDiff3 = (a: number[][], b: number[][]) => Math.max(...a.flatMap((r, i) => r.map((v, j) => Math.abs(v - b[i][j]))));

describe('colour helpers', () => {
  it('symPow: S^½·S^½ = S, S^−½·S·S^−½ = I, S¹ = S for random SPD 3x3 matrices', () => {
    const rand = mulberry32(99);
    for (let trial = 0; trial < 20; trial++) {
      const m = [0, 1, 2].map(() => [0, 1, 2].map(() => 2 * rand() - 1));
      // S = MᵀM·scale + small ridge: SPD, eigenvalues spread over orders of magnitude for some trials.
      const scale = 10 ** (4 * rand() - 1);
      const s = [0, 1, 2].map((i) => [0, 1, 2].map((j) => scale * (m[0][i] * m[0][j] + m[1][i] * m[1][j] + m[2][i] * m[2][j]) + (i === j ? 1e-3 * scale : 0)));
      const norm = Math.max(...s.flat().map(Math.abs));
      const half = symPow(s, 0.5);
      expect(maxDiff3(half, half.map((_, i) => half.map((r) => r[i]))) / norm ** 0.5).toBeLessThan(1e-12); // symmetric
      expect(maxDiff3(mat3(half, half), s) / norm).toBeLessThan(1e-9);
      const invHalf = symPow(s, -0.5);
      expect(maxDiff3(mat3(mat3(invHalf, s), invHalf), [[1, 0, 0], [0, 1, 0], [0, 0, 1]])).toBeLessThan(1e-6);
      expect(maxDiff3(symPow(s, 1), s) / norm).toBeLessThan(1e-9);
    }
    // A diagonal matrix: elementwise powers.
    expect(maxDiff3(symPow([[4, 0, 0], [0, 9, 0], [0, 0, 0.25]], 0.5), [[2, 0, 0], [0, 3, 0], [0, 0, 0.5]])).toBeLessThan(1e-12);
  });

  it('matchColorHistogram: the output has the content\'s mean and covariance', async () => {
    const before = tf.memory().numTensors;
    const content = loadImage('tubingen', 48);
    const style = loadImage('starry_night', 40);
    const c = tf.tensor4d(Float32Array.from(content.data), [1, content.height, content.width, 3]);
    const s = tf.tensor4d(Float32Array.from(style.data), [1, style.height, style.width, 3]);
    const out = await matchColorHistogram(s, c);
    expect(out.shape).toEqual(s.shape);
    const cs = await colorStats(c);
    const ss = await colorStats(s);
    const os = await colorStats(out);
    const covScale = Math.max(...cs.cov.flat().map(Math.abs));
    // Before: the two images' statistics differ a lot; after: equal to float32 precision.
    expect(Math.max(...ss.mean.map((v, i) => Math.abs(v - cs.mean[i])))).toBeGreaterThan(10);
    expect(Math.max(...os.mean.map((v, i) => Math.abs(v - cs.mean[i])))).toBeLessThan(0.05);
    expect(maxDiff3(os.cov, cs.cov) / covScale).toBeLessThan(1e-3);
    tf.dispose([c, s, out]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('RGB → YIQ → RGB round trip is the identity; Y is the usual luma', () => {
    const before = tf.memory().numTensors;
    const x = randomTensor([1, 6, 5, 3], 8, 60, 128) as tf.Tensor4D;
    const yiq = rgbToYiq(x);
    const back = yiqToRgb(yiq);
    const xv = x.dataSync(), bv = back.dataSync(), yv = yiq.dataSync();
    for (let i = 0; i < xv.length; i++) expect(Math.abs(bv[i] - xv[i])).toBeLessThan(1e-3);
    for (let p = 0; p < xv.length; p += 3) expect(yv[p]).toBeCloseTo(0.299 * xv[p] + 0.587 * xv[p + 1] + 0.114 * xv[p + 2], 3);
    // A grey pixel has no chroma.
    const grey = tf.fill([1, 2, 2, 3], 77) as tf.Tensor4D;
    const gy = tf.tidy(() => rgbToYiq(grey).dataSync());
    for (let p = 0; p < gy.length; p += 3) {
      expect(gy[p]).toBeCloseTo(77, 3);
      expect(Math.abs(gy[p + 1])).toBeLessThan(1e-3);
      expect(Math.abs(gy[p + 2])).toBeLessThan(1e-3);
    }
    tf.dispose([x, yiq, back, grey]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('luminanceImage, matchLuminance and combineLuminance keep luminance and chroma where they should', () => {
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const a = randomTensor([1, 6, 7, 3], 9, 50, 120) as tf.Tensor4D;
      const b = randomTensor([1, 6, 7, 3], 10, 30, 90) as tf.Tensor4D;
      const ya = rgbToYiq(a).dataSync();
      const yb = rgbToYiq(b).dataSync();
      // luminanceImage: grey (R = G = B) with value Y.
      const la = luminanceImage(a).dataSync();
      for (let p = 0; p < la.length; p += 3) {
        expect(la[p]).toBeCloseTo(ya[p], 3);
        expect(la[p + 1]).toBe(la[p]);
        expect(la[p + 2]).toBe(la[p]);
      }
      // combineLuminance(a, b): Y of a, I and Q of b.
      const comb = rgbToYiq(combineLuminance(a, b)).dataSync();
      for (let p = 0; p < comb.length; p += 3) {
        expect(Math.abs(comb[p] - ya[p])).toBeLessThan(1e-3);
        expect(Math.abs(comb[p + 1] - yb[p + 1])).toBeLessThan(1e-3);
        expect(Math.abs(comb[p + 2] - yb[p + 2])).toBeLessThan(1e-3);
      }
      // matchLuminance: mean and std of the reference.
      const m = tf.moments(matchLuminance(luminanceImage(a), luminanceImage(b)));
      const r = tf.moments(luminanceImage(b));
      expect(scalarOf(m.mean)).toBeCloseTo(scalarOf(r.mean), 2);
      expect(Math.sqrt(scalarOf(m.variance))).toBeCloseTo(Math.sqrt(scalarOf(r.variance)), 2);
    });
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('tvLossHost', () => {
  it('equals tvLoss on an image in JS memory (odd sizes, 0–255 values)', () => {
    for (const [h, w] of [[7, 5], [1, 6], [9, 1]] as const) {
      const x = tf.randomUniform([1, h, w, 3], 0, 255, 'float32', h * 10 + w) as tf.Tensor4D;
      const device = tvLoss(x, 0.3);
      const host = tvLossHost(x.dataSync() as Float32Array, h, w, 0.3);
      const v = device.value.dataSync()[0];
      expect(Math.abs(host.value - v) / Math.max(1, Math.abs(v))).toBeLessThan(1e-5);
      const g = device.grad.dataSync();
      for (let i = 0; i < g.length; i++) expect(Math.abs(host.grad[i] - g[i])).toBeLessThan(1e-3);
      tf.dispose([x, device.value, device.grad]);
    }
  });
});
