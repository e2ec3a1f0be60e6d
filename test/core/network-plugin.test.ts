/**
 * Loss networks as a plug-in: a randomly initialised VGG-16 (seeded, He-uniform), written in the manifest/shard
 * layout to a temp folder and loaded back with `loadNetwork`, runs every feature with its own layer names — taps,
 * stylize, the backward pass (against finite differences), the layer study, feature-map pictures — and refuses
 * VGG-19-only names (`relu5_4`) naming the network. A small non-VGG conv stack (RGB input normalised by a std, a
 * pool straight after a conv) checks the walker's generality: its forward pass against plain tf ops, its gradient
 * against finite differences. VGG-19's derived points equal the list the library had before specs. Images ≤ 48 px.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createStylizer,
  defineNetwork,
  extractFeatures,
  loadNetwork,
  loadVgg19,
  networkFromWeights,
  stylize,
  StyleTransferError,
  VGG16,
  VGG16_SPEC,
  VGG19,
  NETWORK_POINTS,
  type ConvWeightsInput,
  type LossNetwork,
  type NetworkArchitecture,
  type NetworkSpec,
} from '../../src/adapters/node.js';
import { lossAndGradient, preprocess, type PointLoss } from '../../src/core/network.js';
import { estimateMemory } from '../../src/core.js';
import { edgeReach, tileLayout } from '../../src/stylize/tiling/layout.js';
import { renderFeatureMaps, study, theoreticalReceptiveField } from '../../src/experiments.js';
import { readyTestBackend } from '../helpers/backend.js';
import { loadImage } from '../helpers/images.js';
import { prng, randomWeights, writeNetwork } from '../helpers/random-network.js';

/**
 * The network's forward pass up to point `last`, written with plain tf ops from the spec and the weights,
 * independent of the library's walker. (Not past the input's size: an empty pooling output corrupts WASM's heap.)
 */
function referenceForward(arch: NetworkArchitecture, weights: { kernel: Float32Array; bias: Float32Array }[], rgb: tf.Tensor4D, last: string): Map<string, tf.Tensor4D> {
  const out = new Map<string, tf.Tensor4D>();
  tf.tidy(() => {
    const { order, mean, std } = arch.input;
    let x: tf.Tensor4D = order === 'bgr' ? tf.reverse(rgb, -1) : rgb;
    x = tf.sub(x, tf.tensor1d([...mean]));
    if (std) x = tf.div(x, tf.tensor1d([...std]));
    for (const p of arch.points.slice(0, arch.resolve(last).index + 1)) {
      if (p.kind === 'conv') {
        const c = arch.convs[p.convIndex];
        const w = weights[p.convIndex];
        x = tf.add(tf.conv2d(x, tf.tensor4d(w.kernel, [3, 3, c.inChannels, c.outChannels]), 1, 'same'), tf.tensor1d(w.bias));
      } else if (p.kind === 'relu') x = tf.relu(x);
      else x = tf.maxPool(x, 2, 2, 'valid');
      out.set(p.name, tf.keep(x));
    }
  });
  return out;
}

const maxRelDiff = (a: tf.Tensor, b: tf.Tensor): number =>
  tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / Math.max(1e-12, tf.max(tf.abs(b)).dataSync()[0]));

async function errorOf(p: Promise<unknown> | (() => unknown)): Promise<StyleTransferError> {
  const e = await (typeof p === 'function' ? Promise.resolve().then(p) : p).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, 'expected a StyleTransferError').toBeInstanceOf(StyleTransferError);
  return e as StyleTransferError;
}

const content = () => loadImage('tubingen', 48);
const style = () => loadImage('starry_night', 48);

let dir: string;
let weights16: { kernel: Float32Array; bias: Float32Array }[];
let vgg16: LossNetwork;
let memorySha: string;

beforeAll(async () => {
  await readyTestBackend();
  weights16 = randomWeights(VGG16, 16);
  // In memory → the manifest/shard layout on disk → loaded back as a user would.
  dir = mkdtempSync(join(tmpdir(), 'nst-vgg16-'));
  memorySha = await writeNetwork(VGG16_SPEC, weights16, dir);
  vgg16 = await loadNetwork(VGG16_SPEC, { weights: dir });
}, 120_000);

afterAll(() => {
  vgg16?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('network specs', () => {
  it("VGG-19's points, derived from its spec, are the library's 37 points as before (names, kinds, channels, strides, conv indices)", () => {
    expect(VGG19.points).toBe(NETWORK_POINTS);
    expect(VGG19.points.length).toBe(37);
    const row = (n: string) => {
      const p = VGG19.resolve(n);
      return [p.index, p.kind, p.block, p.convIndex, p.channels, p.stride];
    };
    expect(row('conv1_1')).toEqual([0, 'conv', 1, 0, 64, 1]);
    expect(row('pool1')).toEqual([4, 'pool', 1, 1, 64, 2]);
    expect(row('relu3_4')).toEqual([17, 'relu', 3, 7, 256, 4]);
    expect(row('relu4_2')).toEqual([22, 'relu', 4, 9, 512, 8]);
    expect(row('pool5')).toEqual([36, 'pool', 5, 15, 512, 32]);
    expect(VGG19.resolve('block3_conv1').name).toBe('relu3_1');
    expect(VGG19.convs.map((c) => [c.inChannels, c.outChannels])).toEqual([
      [3, 64], [64, 64], [64, 128], [128, 128], [128, 256], [256, 256], [256, 256], [256, 256],
      [256, 512], [512, 512], [512, 512], [512, 512], [512, 512], [512, 512], [512, 512], [512, 512],
    ]);
  });

  it('VGG-16: 13 convs in blocks of 2, 2, 3, 3, 3; relu5_3 is its last ReLU; VGG-19-only names are refused naming VGG-16', () => {
    expect(VGG16.points.length).toBe(31);
    expect(VGG16.convBlocks.map((b) => b.length)).toEqual([2, 2, 3, 3, 3]);
    expect(VGG16.resolve('relu5_3')).toMatchObject({ kind: 'relu', channels: 512, stride: 16, convIndex: 12 });
    expect(VGG16.resolve('block5_conv3').name).toBe('relu5_3');
    expect(theoreticalReceptiveField('conv5_3', VGG16).size).toBe(196);
    expect(theoreticalReceptiveField('conv5_4').size).toBe(252); // VGG-19 by default
    const e = (() => {
      try {
        VGG16.resolve('relu5_4', 'styleLayers');
      } catch (err) {
        return err as StyleTransferError;
      }
    })()!;
    expect(e.code).toBe('UNKNOWN_LAYER');
    expect(e.message).toContain('unknown VGG-16 layer "relu5_4"');
    expect(e.message).toMatch(/M in 1–2 for blocks 1–2, 1–3 for blocks 3–5/);
    expect(e.message).toMatch(/did you mean relu5_3\?/);
    expect(e.details).toMatchObject({ field: 'styleLayers', layer: 'relu5_4', network: 'VGG-16' });
  });

  it("tiling's exact halo follows the network's convs and pools (VGG-16 relu5_3 192 px, VGG-19 relu5_4 256 px)", () => {
    const halo = (network: NetworkArchitecture, layer: string) => tileLayout({ height: 512, width: 512, tileSize: 128, lossPoints: [network.resolve(layer)], network }).exactHalo;
    expect(halo(VGG16, 'relu5_3')).toBe(192);
    expect(halo(VGG19, 'relu5_4')).toBe(256);
    expect(halo(VGG19, 'relu5_1')).toBe(160);
    // A stack with a pool straight after a conv: conv (reach 1), pool (1), conv (2) → 2 · stride 2 · 2.
    const tiny = defineNetwork({ name: 't', layers: [{ conv: 'a', filters: 2 }, { pool: 'p' }, { conv: 'b', filters: 2 }] });
    expect(edgeReach(tiny.resolve('b'), tiny)).toBe(2);
    expect(halo(tiny, 'b')).toBe(8);
  });

  const bad: [string, unknown, string][] = [
    ['no name', { layers: [{ conv: 'c', filters: 4 }] }, 'name'],
    ['an unknown field', { name: 'x', layers: [{ conv: 'c', filters: 4 }], blocks: [2] }, 'blocks'],
    ['a layer of no known kind', { name: 'x', layers: [{ conv: 'c', filters: 4 }, { dense: 'd' }] }, 'layers[1]'],
    ['a repeated name', { name: 'x', layers: [{ conv: 'c', filters: 4 }, { relu: 'c' }] }, 'layers[1]'],
    ['zero filters', { name: 'x', layers: [{ conv: 'c', filters: 0 }] }, 'layers[0].filters'],
    ['a ReLU before any conv', { name: 'x', layers: [{ relu: 'r' }, { conv: 'c', filters: 4 }] }, 'layers[0]'],
    ['no conv', { name: 'x', layers: [{ pool: 'p' }] }, 'layers'],
    ['a two-channel mean', { name: 'x', layers: [{ conv: 'c', filters: 4 }], input: { order: 'rgb', mean: [1, 2] } }, 'input.mean'],
    ['an alias to nothing', { name: 'x', layers: [{ conv: 'c', filters: 4 }], aliases: { a: 'zz' } }, 'aliases.a'],
  ];
  for (const [what, spec, field] of bad) {
    it(`a spec with ${what} → NETWORK_SPEC naming \`${field}\``, async () => {
      const e = await errorOf(() => defineNetwork(spec as NetworkSpec));
      expect(e.code).toBe('NETWORK_SPEC');
      expect(e.details?.field).toBe(field);
    });
  }
});

describe('weights that do not match the spec', () => {
  it('the VGG-16 set on disk equals the one built in memory; loadVgg19 refuses it and loadNetwork(VGG-16) refuses VGG-19\'s', async () => {
    expect(vgg16.weightsSha256).toBe(memorySha);
    expect(vgg16.architecture).toBe(VGG16);
    expect(Array.from(vgg16.kernel(12).dataSync().slice(0, 5))).toEqual(Array.from(weights16[12].kernel.slice(0, 5)));
    const before = tf.memory().numTensors;
    const asVgg19 = await errorOf(loadVgg19({ weights: dir }));
    expect(asVgg19.code).toBe('WEIGHTS_ARCHITECTURE');
    expect(asVgg19.message).toContain('"vgg16-conv"');
    const vgg19AsVgg16 = await errorOf(loadNetwork(VGG16_SPEC, { weights: join(process.cwd(), 'weights') }));
    expect(vgg19AsVgg16.code).toBe('WEIGHTS_ARCHITECTURE');
    expect(vgg19AsVgg16.message).toMatch(/expected "vgg16-conv" \(VGG-16's conv layers\)/);
    // Without `weights`, only VGG-19's spec can load (the package ships VGG-19's weights only).
    expect((await errorOf(loadNetwork(VGG16_SPEC))).details?.field).toBe('weights');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('in-memory weights of the wrong shape → WEIGHTS_ARCHITECTURE naming the layer and the expected shape, nothing kept', async () => {
    const before = tf.memory().numTensors;
    const wrong: ConvWeightsInput[] = weights16.map((w) => ({ ...w }));
    wrong[4] = { kernel: new Float32Array(9 * 128 * 128), bias: weights16[4].bias };
    const e = await errorOf(networkFromWeights(VGG16_SPEC, wrong));
    expect(e.code).toBe('WEIGHTS_ARCHITECTURE');
    expect(e.message).toBe('`weights[4] (conv3_1).kernel` is 147456 values; VGG-16 expects shape [3,3,128,256] (294912 values).');
    const byName = Object.fromEntries(VGG16.convs.map((c, i) => [c.name, weights16[i]]));
    const asTensor = tf.zeros([3, 3, 3, 32]);
    const e2 = await errorOf(networkFromWeights(VGG16_SPEC, { ...byName, conv1_1: { kernel: asTensor, bias: weights16[0].bias } }));
    expect(e2.message).toContain('`weights.conv1_1.kernel` is a tensor of shape [3,3,3,32]; VGG-16 expects shape [3,3,3,64]');
    const e3 = await errorOf(networkFromWeights(VGG16_SPEC, { ...byName, conv5_4: weights16[12] }));
    expect(e3.details?.field).toBe('weights.conv5_4');
    asTensor.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('VGG-16 through every feature', () => {
  it('taps: its own names, in forward order, equal to a forward pass written with plain tf ops', async () => {
    const before = tf.memory().numTensors;
    const seen: string[] = [];
    const { relu5_3, block4_conv3 } = await extractFeatures(vgg16, content(), ['relu5_3', 'block4_conv3'], {
      taps: { layers: 'all', onActivation: (name) => void seen.push(name) },
    });
    expect(seen).toEqual(VGG16.names.slice(0, VGG16.resolve('relu5_3').index + 1));
    const img = content();
    expect(relu5_3.shape).toEqual([1, Math.floor(img.height / 16), 3, 512]);
    const rgb = tf.tensor4d(Float32Array.from(img.data), [1, img.height, img.width, 3]);
    const ref = referenceForward(VGG16, weights16, rgb, 'relu5_3');
    expect(maxRelDiff(relu5_3, ref.get('relu5_3')!)).toBeLessThan(1e-4);
    expect(maxRelDiff(block4_conv3, ref.get('relu4_3')!)).toBeLessThan(1e-4);
    tf.dispose([relu5_3, block4_conv3, rgb, ...ref.values()]);
    const e = await errorOf(extractFeatures(vgg16, content(), ['relu1_1', 'relu5_4']));
    expect(e.message).toContain('unknown VGG-16 layer "relu5_4"');
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stylize: its layers (relu5_3 among them), taps and the loss breakdown; relu5_4 refused before any work', async () => {
    const before = tf.memory().numTensors;
    const tapped: string[] = [];
    const result = await stylize({
      content: content(), style: style(), model: vgg16, size: 32, iterations: 3,
      styleLayers: ['relu1_1', 'relu3_3', 'relu5_3'], contentLayers: ['relu4_3'],
      taps: { layers: ['conv5_3'], every: 3, onActivation: (name, a) => void tapped.push(`${name} ${a.shape}`) },
    });
    expect(Object.keys(result.history.at(-1)!.loss.styleLayers).sort()).toEqual(['relu1_1', 'relu3_3', 'relu5_3']);
    expect(result.history.every((h) => Number.isFinite(h.loss.total))).toBe(true);
    expect(tapped.at(-1)).toMatch(/^conv5_3 1,[12],[12],512$/);
    const px = await result.toPixels();
    expect(Math.max(px.width, px.height)).toBe(32);
    result.dispose();
    const e = await errorOf(stylize({ content: content(), style: style(), model: vgg16, size: 32, iterations: 1, styleLayers: ['relu5_4'] }));
    expect(e.code).toBe('UNKNOWN_LAYER');
    expect(e.message).toContain('unknown VGG-16 layer "relu5_4"');
    expect(vgg16.disposed).toBe(false);
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  it("a session on VGG-16: its plan and the memory estimate count VGG-16's activations, not VGG-19's", async () => {
    const before = tf.memory().numTensors;
    const stylizer = await createStylizer({ model: vgg16 });
    const plan = await stylizer.plan({ width: 512, height: 512 }, { width: 512, height: 512 }, { styleLayers: ['relu5_3'], contentLayers: ['relu4_3'], iterations: 1, size: 256 });
    const last = plan.scales.at(-1)!;
    expect([last.width, last.height]).toEqual([256, 256]);
    expect(last.memoryBytes).toBeGreaterThan(0);
    await expect(stylizer.plan({ width: 64, height: 64 }, { width: 64, height: 64 }, { styleLayers: ['relu5_4'] })).rejects.toThrow(/unknown VGG-16 layer "relu5_4"/);
    stylizer.dispose();
    expect(vgg16.disposed).toBe(false);
    // The same depth (relu5_1) in both: VGG-19 keeps one more ReLU output in block 3 (64x64x256 at 256 px) and in
    // block 4 (32x32x512) for the backward pass; the rest is the same.
    const estimate = (network: NetworkArchitecture) => estimateMemory({ network, height: 256, width: 256, optimizer: 'adam', lossPoints: [network.resolve('relu5_1')] });
    const [m16, m19] = [estimate(VGG16), estimate(VGG19)];
    expect(m16.activations).toBeLessThan(m19.activations);
    expect(m19.activations - m16.activations).toBe(4 * (64 * 64 * 256 + 32 * 32 * 512));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the layer study on VGG-16: its 13 conv layers, receptive fields from its own geometry, and a feature-map picture of relu5_3', async () => {
    const before = tf.memory().numTensors;
    const s = await study({ pairs: [{ content: content(), style: style() }], model: vgg16, size: 32, iterations: [2], styleLayers: ['conv5_3'], contentLayers: ['conv5_3'], cumulative: false });
    const p = s.pairs[0];
    expect(p.receptiveFields.map((r) => r.layer)).toEqual(VGG16.convs.map((c) => c.name));
    expect(p.receptiveFields.at(-1)!.theoretical).toBe(196);
    expect(Object.keys(p.baseline)).toEqual(VGG16.convs.map((c) => c.name));
    const single = p.experiments.find((x) => x.name === 'single')!;
    expect(Object.keys(single.measurements[0].gram ?? {})).toContain('conv5_3');
    expect(s.record.weightsSha256).toBe(vgg16.weightsSha256);
    const { relu5_3 } = await extractFeatures(vgg16, content(), ['relu5_3']);
    const picture = await renderFeatureMaps(relu5_3, { channels: 16 });
    relu5_3.dispose();
    expect(picture.width).toBeGreaterThan(0);
    expect(picture.data.some((v, i) => i % 4 !== 3 && v > 0)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
  }, 180_000);
});

describe('the backward pass on other networks vs finite differences', () => {
  /**
   * ⟨grad, d⟩ against the central difference of `f` along `d`. As in losses.test.ts, the step is tried at several
   * ε (float32 noise in the activations grows as ε shrinks, ReLU and max-pool kinks crossed within the step as it
   * grows) and the best agreement is returned: a wrong gradient is off at every ε.
   */
  function directional(f: (x: tf.Tensor4D) => number, x: tf.Tensor4D, grad: tf.Tensor4D, d: tf.Tensor4D): { analytic: number; numeric: number; rel: number } {
    const analytic = tf.tidy(() => tf.sum(tf.mul(grad, d)).dataSync()[0]);
    let best = { analytic, numeric: NaN, rel: Infinity };
    for (const eps of [0.01, 0.03, 0.1]) {
      const at = (s: number) => tf.tidy(() => tf.add(x, tf.mul(d, s)) as tf.Tensor4D);
      const [xp, xm] = [at(eps), at(-eps)];
      const numeric = (f(xp) - f(xm)) / (2 * eps);
      tf.dispose([xp, xm]);
      const rel = Math.abs(analytic - numeric) / Math.abs(numeric);
      if (rel < best.rel) best = { analytic, numeric, rel };
    }
    return best;
  }

  /** A loss at `point` whose value is Σ w·a (w fixed, seeded): its gradient is w, so the check tests the network alone. */
  function linearLoss(shape: number[], seed: number): { term: PointLoss; weights: tf.Tensor4D } {
    const rand = prng(seed);
    const weights = tf.tensor4d(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rand() - 0.5), shape as [number, number, number, number]);
    return { weights, term: (a) => tf.tidy(() => ({ value: tf.sum(tf.mul(a, weights)) as tf.Scalar, grad: tf.clone(weights) })) };
  }

  const tiny: NetworkSpec = {
    name: 'tiny',
    input: { order: 'rgb', mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375] },
    layers: [{ conv: 'a', filters: 6 }, { relu: 'a_relu' }, { pool: 'p1' }, { conv: 'b', filters: 5 }, { pool: 'p2' }, { conv: 'c', filters: 4 }, { relu: 'out' }],
  };

  for (const [label, build, layer, size] of [
    ['a non-VGG stack (RGB/std input, a pool straight after a conv)', () => defineNetwork(tiny), 'out', 12],
    ['VGG-16 at relu3_3', () => VGG16, 'relu3_3', 16],
  ] as const) {
    it(label, async () => {
      const before = tf.memory().numTensors;
      const arch = build();
      const w = arch === VGG16 ? weights16 : randomWeights(arch, 7);
      const model = arch === VGG16 ? vgg16 : await networkFromWeights(arch, w);
      const rand = prng(3);
      const x = tf.tensor4d(Float32Array.from({ length: size * size * 3 }, () => 40 + 175 * rand()), [1, size, size, 3]);
      const point = arch.resolve(layer);
      const shape = [1, size / point.stride, size / point.stride, point.channels];
      const { term, weights } = linearLoss(shape, 5);
      const { values, grad } = lossAndGradient(model, x, new Map([[point.index, term]]), 'max');
      // f in the reference forward pass (plain tf ops), so the check also covers the forward walker.
      const f = (img: tf.Tensor4D) => {
        const acts = referenceForward(arch, w, img, point.name);
        // Summed in doubles on the host: a float32 sum's rounding would swamp the difference.
        const a = acts.get(point.name)!.dataSync();
        const wv = weights.dataSync();
        let v = 0;
        for (let k = 0; k < a.length; k++) v += a[k] * wv[k];
        tf.dispose([...acts.values()]);
        return v;
      };
      expect(values[0].dataSync()[0]).toBeCloseTo(f(x), 1);
      // Two random directions, and one mixed with the gradient's (a large derivative, little cancellation).
      const gradMax = tf.tidy(() => tf.max(tf.abs(grad)).dataSync()[0]);
      for (const [seed, mix] of [[11, 0], [12, 0], [13, 1]]) {
        const r = prng(seed);
        const d = tf.tidy(() => tf.add(tf.tensor4d(Float32Array.from({ length: size * size * 3 }, () => r() - 0.5), [1, size, size, 3]), tf.mul(grad, mix / gradMax)) as tf.Tensor4D);
        const { analytic, numeric, rel } = directional(f, x, grad, d);
        expect(rel, `direction ${seed}${mix ? ' + gradient' : ''}: ${analytic} vs ${numeric}`).toBeLessThan(1e-2);
        d.dispose();
      }
      // The input convention's adjoint: for an RGB/std network, the gradient reaches the pixels divided by std.
      if (arch !== VGG16) expect(tf.tidy(() => preprocess(tf.zeros([1, 1, 1, 3]), arch.input).dataSync()[0])).toBeCloseTo(-123.675 / 58.395, 5);
      tf.dispose([x, grad, weights, ...values]);
      if (model !== vgg16) model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }, 60_000);
  }
});
