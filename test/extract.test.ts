/**
 * extractFeatures(): the image inputs it accepts and rejects, which points of the network it computes and taps
 * (in forward order, with the right shapes and kinds), the conv/relu/pool relations, average pooling, and that
 * nothing leaks. Small images only (≤ 64 px); the numbers themselves are checked in golden.test.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadVgg19, extractFeatures, NETWORK_POINTS, StyleTransferError, type LayerName, type TapInfo, type Vgg19 } from '../src/adapters/node.js';
import { readyTestBackend } from './helpers/backend.js';

const H = 40;
const W = 56;

/** Deterministic RGB bytes H×W×3 with some structure (gradients + texture). */
function rgbBytes(h = H, w = W): Uint8Array {
  const out = new Uint8Array(h * w * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      out[i] = (x * 255) / (w - 1);
      out[i + 1] = (y * 255) / (h - 1);
      out[i + 2] = ((x * 7 + y * 13) * 37) % 256;
    }
  }
  return out;
}

/** The same pixels as RGBA with a varying alpha channel (which must be ignored). */
function rgbaBytes(rgb: Uint8Array): Uint8ClampedArray {
  const px = rgb.length / 3;
  const out = new Uint8ClampedArray(px * 4);
  for (let i = 0; i < px; i++) {
    out[i * 4] = rgb[i * 3];
    out[i * 4 + 1] = rgb[i * 3 + 1];
    out[i * 4 + 2] = rgb[i * 3 + 2];
    out[i * 4 + 3] = (i * 31) % 256;
  }
  return out;
}

async function errorOf(p: Promise<unknown>): Promise<StyleTransferError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e, 'expected a StyleTransferError').toBeInstanceOf(StyleTransferError);
  return e as StyleTransferError;
}

let model: Vgg19;
const rgb = rgbBytes();
let reference: Float32Array; // relu1_2 of `rgb` from RGB bytes

beforeAll(async () => {
  await readyTestBackend();
  model = await loadVgg19();
  const { relu1_2 } = await extractFeatures(model, { data: rgb, width: W, height: H }, ['relu1_2']);
  reference = relu1_2.dataSync() as Float32Array;
  relu1_2.dispose();
});

afterAll(() => model?.dispose());

describe('image inputs', () => {
  const asFloat = Float32Array.from(rgb);
  const cases: [string, () => { input: Parameters<typeof extractFeatures>[1]; owned?: tf.Tensor }][] = [
    ['RGB bytes {data, width, height}', () => ({ input: { data: rgb, width: W, height: H } })],
    ['RGBA bytes (Uint8ClampedArray, alpha ignored)', () => ({ input: { data: rgbaBytes(rgb), width: W, height: H } })],
    ['RGB float32 pixels with channels: 3', () => ({ input: { data: asFloat, width: W, height: H, channels: 3 } })],
    ['RGB number[]', () => ({ input: { data: Array.from(rgb), width: W, height: H } })],
    ['Tensor3D [H,W,3] float32', () => {
      const t = tf.tensor3d(asFloat, [H, W, 3]);
      return { input: t, owned: t };
    }],
    ['Tensor3D [H,W,3] int32', () => {
      const t = tf.tensor3d(Int32Array.from(rgb), [H, W, 3], 'int32');
      return { input: t, owned: t };
    }],
    ['Tensor4D [1,H,W,3]', () => {
      const t = tf.tensor4d(asFloat, [1, H, W, 3]);
      return { input: t, owned: t };
    }],
    ['Tensor3D [H,W,4] RGBA (alpha dropped)', () => {
      const t = tf.tensor3d(Float32Array.from(rgbaBytes(rgb)), [H, W, 4]);
      return { input: t, owned: t };
    }],
  ];

  it.each(cases)('%s gives the same activations', async (_, make) => {
    const { input, owned } = make();
    const before = tf.memory().numTensors;
    const { relu1_2 } = await extractFeatures(model, input, ['relu1_2']);
    expect(relu1_2.shape).toEqual([1, H, W, 64]);
    expect(relu1_2.dataSync()).toEqual(reference);
    relu1_2.dispose();
    expect(tf.memory().numTensors).toBe(before);
    if (owned) {
      // The caller's tensor is neither disposed nor changed.
      expect(owned.isDisposed).toBe(false);
      owned.dispose();
    }
  });

  const bad: [string, () => unknown, 'INVALID_IMAGE' | 'UNSUPPORTED_IMAGE', RegExp][] = [
    ['a rank-2 tensor', () => tf.zeros([H, W]), 'INVALID_IMAGE', /shape \[40,56\]/],
    ['a 2-channel tensor', () => tf.zeros([H, W, 2]), 'INVALID_IMAGE', /\[H,W,3\]/],
    ['a batch of 2', () => tf.zeros([2, H, W, 3]), 'INVALID_IMAGE', /\[1,H,W,3\|4\]/],
    ['a 0x0 tensor', () => tf.zeros([0, 0, 3]), 'INVALID_IMAGE', /0x0/],
    ['a disposed tensor', () => {
      const t = tf.zeros([H, W, 3]);
      t.dispose();
      return t;
    }, 'INVALID_IMAGE', /disposed/],
    ['0x0 pixels', () => ({ data: new Uint8Array(0), width: 0, height: 0 }), 'INVALID_IMAGE', /0x0.*at least 1x1/],
    ['pixels of the wrong length', () => ({ data: new Uint8Array(H * W * 3 - 1), width: W, height: H }), 'INVALID_IMAGE', /6719 values for a 56x40 image; expected 6720 \(RGB\) or 8960 \(RGBA\)/],
    ['fractional width', () => ({ data: new Uint8Array(30), width: 2.5, height: 4 }), 'INVALID_IMAGE', /at least 1x1/],
    ['a file path string', () => 'images/tubingen.jpg', 'UNSUPPORTED_IMAGE', /readImage\(path\)/],
    ['null', () => null, 'UNSUPPORTED_IMAGE', /null/],
    ['a number', () => 42, 'UNSUPPORTED_IMAGE', /42/],
    ['a plain object that is not an image', () => ({ foo: 1 }), 'UNSUPPORTED_IMAGE', /not an image/],
  ];

  it.each(bad)('%s → %s', async (_, make, code, message) => {
    const input = make();
    const before = tf.memory().numTensors;
    const e = await errorOf(extractFeatures(model, input as never, ['relu1_1']));
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
    expect(tf.memory().numTensors).toBe(before);
    if (input instanceof tf.Tensor && !input.isDisposed) input.dispose();
  });
});

describe('which points are computed and tapped', () => {
  const image = { data: rgb, width: W, height: H };

  /** Expected activation shape at a network point for the H×W test image ('valid' pooling floors). */
  function expectedShape(name: LayerName): number[] {
    const p = NETWORK_POINTS.find((q) => q.name === name)!;
    let h = H;
    let w = W;
    for (const q of NETWORK_POINTS.slice(0, p.index + 1)) {
      if (q.kind === 'pool') {
        h = Math.floor(h / 2);
        w = Math.floor(w / 2);
      }
    }
    return [1, h, w, p.channels];
  }

  it("taps: 'all' sees exactly the points up to the deepest requested layer, in forward order", async () => {
    const calls: { name: LayerName; shape: number[]; info: TapInfo }[] = [];
    const before = tf.memory().numTensors;
    const { relu2_1 } = await extractFeatures(model, image, ['relu2_1'], {
      taps: { layers: 'all', onActivation: (name, a, info) => void calls.push({ name, shape: a.shape, info }) },
    });
    const upTo = NETWORK_POINTS.findIndex((p) => p.name === 'relu2_1');
    expect(calls.map((c) => c.name)).toEqual(NETWORK_POINTS.slice(0, upTo + 1).map((p) => p.name));
    expect(calls.map((c) => c.name)).toEqual(['conv1_1', 'relu1_1', 'conv1_2', 'relu1_2', 'pool1', 'conv2_1', 'relu2_1']);
    for (const c of calls) {
      expect(c.info.point.name).toBe(c.name);
      expect(c.info.point.kind).toBe(c.name.replace(/\d.*$/, ''));
      expect(c.info.shape).toEqual(c.shape);
      expect(c.shape).toEqual(expectedShape(c.name));
      expect(c.info.iteration).toBeUndefined();
    }
    expect(relu2_1.shape).toEqual([1, H / 2, W / 2, 128]);
    relu2_1.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a tap deeper than the returned layers extends the computation to it (and no further)', async () => {
    const seen: LayerName[] = [];
    const { relu1_1 } = await extractFeatures(model, image, ['relu1_1'], {
      taps: { layers: ['pool2', 'block1_conv2'], onActivation: (name, a, info) => {
        seen.push(name);
        expect(a.shape).toEqual(expectedShape(name));
        expect(info.point.kind).toBe(name === 'pool2' ? 'pool' : 'relu');
      } },
    });
    // Keras block1_conv2 = relu1_2 (post-ReLU); taps come in forward order whatever order they were listed in.
    expect(seen).toEqual(['relu1_2', 'pool2']);
    relu1_1.dispose();
  });

  it('returns the layers keyed by the names given, canonical or Keras, each its own tensor', async () => {
    const names = ['block3_conv1', 'relu3_1', 'pool5', 'block4_pool', 'conv2_2'] as const;
    const out = await extractFeatures(model, image, names);
    expect(Object.keys(out).sort()).toEqual([...names].sort());
    expect(out.block3_conv1).not.toBe(out.relu3_1);
    expect(out.block3_conv1.dataSync()).toEqual(out.relu3_1.dataSync());
    expect(out.pool5.shape).toEqual([1, 1, 1, 512]);
    expect(out.block4_pool.shape).toEqual(expectedShape('pool4'));
    expect(out.conv2_2.shape).toEqual(expectedShape('conv2_2'));
    tf.dispose(Object.values(out));
    expect(Object.values(out).every((t) => t.isDisposed)).toBe(true);
  });

  it('relu = max(conv, 0), and conv has negative values', async () => {
    const out = await extractFeatures(model, image, ['conv1_1', 'relu1_1', 'conv3_2', 'relu3_2', 'conv5_1', 'relu5_1']);
    for (const [conv, relu] of [['conv1_1', 'relu1_1'], ['conv3_2', 'relu3_2'], ['conv5_1', 'relu5_1']] as const) {
      const c = out[conv].dataSync();
      const r = out[relu].dataSync();
      expect(out[relu].shape).toEqual(out[conv].shape);
      expect(c.some((v) => v < 0)).toBe(true);
      expect(r).toEqual(c.map((v) => Math.max(v, 0)));
    }
    tf.dispose(Object.values(out));
  });

  it('pool shapes floor odd sizes; max pooling takes the max of each 2x2 block', async () => {
    // 38x50: odd sizes after pool1 (19x25) and further down.
    const h = 38;
    const w = 50;
    const img = { data: rgbBytes(h, w), width: w, height: h };
    const out = await extractFeatures(model, img, ['relu1_2', 'pool1', 'pool2', 'pool3', 'pool4', 'pool5']);
    expect(out.pool1.shape).toEqual([1, 19, 25, 64]);
    expect(out.pool2.shape).toEqual([1, 9, 12, 128]);
    expect(out.pool3.shape).toEqual([1, 4, 6, 256]);
    expect(out.pool4.shape).toEqual([1, 2, 3, 512]);
    expect(out.pool5.shape).toEqual([1, 1, 1, 512]);
    const r = out.relu1_2.dataSync();
    const p = out.pool1.dataSync();
    const C = 64;
    const at = (y: number, x: number, c: number) => r[(y * w + x) * C + c];
    for (let y = 0; y < 19; y++) {
      for (let x = 0; x < 25; x++) {
        for (let c = 0; c < C; c++) {
          const m = Math.max(at(2 * y, 2 * x, c), at(2 * y, 2 * x + 1, c), at(2 * y + 1, 2 * x, c), at(2 * y + 1, 2 * x + 1, c));
          if (p[(y * 25 + x) * C + c] !== m) expect.fail(`pool1[${y},${x},${c}] = ${p[(y * 25 + x) * C + c]}, expected ${m}`);
        }
      }
    }
    tf.dispose(Object.values(out));
  });

  it("pooling: 'avg' averages each 2x2 block and changes what follows, not what precedes", async () => {
    const layers = ['relu1_2', 'pool1', 'relu2_1'] as const;
    const mx = await extractFeatures(model, image, layers);
    const av = await extractFeatures(model, image, layers, { pooling: 'avg' });
    expect(av.relu1_2.dataSync()).toEqual(mx.relu1_2.dataSync());
    const r = av.relu1_2.dataSync();
    const p = av.pool1.dataSync();
    const C = 64;
    const pw = W / 2;
    let worst = 0;
    for (let y = 0; y < H / 2; y++) {
      for (let x = 0; x < pw; x++) {
        for (let c = 0; c < C; c++) {
          const at = (yy: number, xx: number) => r[(yy * W + xx) * C + c];
          const mean = (at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) + at(2 * y + 1, 2 * x + 1)) / 4;
          worst = Math.max(worst, Math.abs(p[(y * pw + x) * C + c] - mean) / (Math.abs(mean) + 1e-3));
        }
      }
    }
    expect(worst).toBeLessThan(1e-5);
    const a = av.relu2_1.dataSync();
    const b = mx.relu2_1.dataSync();
    expect(a.some((v, i) => v !== b[i])).toBe(true);
    tf.dispose([...Object.values(mx), ...Object.values(av)]);
  });

  it('rejects an unknown pooling mode and malformed taps with INVALID_OPTION', async () => {
    const before = tf.memory().numTensors;
    expect((await errorOf(extractFeatures(model, image, ['relu1_1'], { pooling: 'min' as never }))).code).toBe('INVALID_OPTION');
    expect((await errorOf(extractFeatures(model, image, ['relu1_1'], { taps: { layers: 'all', onActivation: 'log' as never } }))).code).toBe('INVALID_OPTION');
    expect((await errorOf(extractFeatures(model, image, ['relu1_1'], { taps: { layers: 'relu1_1' as never, onActivation: () => {} } }))).code).toBe('INVALID_OPTION');
    expect((await errorOf(extractFeatures(model, image, 'relu1_1' as never))).code).toBe('INVALID_OPTION');
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('memory', () => {
  const image = { data: rgb, width: W, height: H };

  it('no tensors leak across 3 repeated calls, with and without taps', async () => {
    const start = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const out = await extractFeatures(model, image, ['relu1_1', 'relu3_1', 'pool4'], {
        taps: { layers: ['conv2_1', 'pool2'], onActivation: () => {} },
      });
      tf.dispose(Object.values(out));
      expect(tf.memory().numTensors).toBe(start);
    }
    for (let i = 0; i < 3; i++) {
      const out = await extractFeatures(model, image, ['relu5_4']);
      out.relu5_4.dispose();
      expect(tf.memory().numTensors).toBe(start);
    }
  });

  it('a tap that throws fails the call and leaks nothing', async () => {
    const start = tf.memory().numTensors;
    const err = await extractFeatures(model, image, ['relu1_1', 'relu3_1'], {
      taps: { layers: ['pool2'], onActivation: () => {
        throw new Error('tap failed');
      } },
    }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('tap failed');
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('async taps', () => {
  const image = { data: rgb, width: W, height: H };

  it('are awaited one at a time, in order, with the activation valid until they resolve', async () => {
    const start = tf.memory().numTensors;
    const events: string[] = [];
    const seen: tf.Tensor4D[] = [];
    const maxima = new Map<string, number>();
    let kept: tf.Tensor4D | undefined;
    const out = await extractFeatures(model, image, ['relu2_2'], {
      taps: {
        layers: ['relu1_1', 'pool1', 'relu2_1'],
        async onActivation(name, activation) {
          events.push(`start ${name}`);
          await new Promise((r) => setTimeout(r, 10));
          // Still valid after an await: read it back asynchronously.
          const values = (await activation.data()) as Float32Array;
          maxima.set(name, values.reduce((a, b) => Math.max(a, b), -Infinity));
          seen.push(activation);
          if (name === 'pool1') kept = tf.clone(activation);
          events.push(`end ${name}`);
        },
      },
    });
    expect(events).toEqual(['start relu1_1', 'end relu1_1', 'start pool1', 'end pool1', 'start relu2_1', 'end relu2_1']);
    expect(maxima.get('pool1')).toBeGreaterThan(0);
    // Tapped activations that are not returned are freed after the call; a clone made in the tap survives.
    expect(seen.every((t) => t.isDisposed)).toBe(true);
    expect(kept!.isDisposed).toBe(false);
    expect(kept!.shape).toEqual([1, H / 2, W / 2, 64]);
    expect(Math.max(...kept!.dataSync())).toBe(maxima.get('pool1'));
    kept!.dispose();
    out.relu2_2.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('a tapped point that is also returned stays valid for the caller', async () => {
    let tapped: tf.Tensor4D | undefined;
    const out = await extractFeatures(model, image, ['relu1_2', 'relu2_1'], {
      taps: { layers: ['relu1_2'], onActivation: async (_, a) => {
        await Promise.resolve();
        tapped = a;
      } },
    });
    expect(tapped).toBe(out.relu1_2);
    expect(out.relu1_2.isDisposed).toBe(false);
    expect(out.relu1_2.dataSync()).toEqual(reference);
    tf.dispose(Object.values(out));
  });
});
