/**
 * The session (createStylizer): concurrent calls on one session give the bytes of sequential runs and leak
 * nothing whatever the cache size; the queue reports places, refuses past maxQueue, lets waiting calls abort;
 * style handles are reused and freed safely; the step iterator's images are lazy and expire; config and image
 * inputs are validated with coded errors; 50 sequential calls keep the tensor count and RSS flat.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ready,
  loadVgg19,
  createStylizer,
  stylize,
  StyleTransferError,
  type Stylizer,
  type StylizeResult,
  type StyleTransferErrorCode,
  type Vgg19,
} from '../src/adapters/node.js';
import { loadImage, type RgbPixels } from './helpers/images.js';

let model: Vgg19;
let contents: RgbPixels[];
let styles: RgbPixels[];

beforeAll(async () => {
  await ready();
  model = await loadVgg19();
  contents = [loadImage('tubingen', 40), loadImage('golden_gate', 40)];
  styles = ['starry_night', 'the_scream', 'shipwreck', 'woman-with-hat-matisse'].map((n) => loadImage(n, 40));
});

afterAll(() => model?.dispose());

const RUN = { size: 32, iterations: 2 } as const;

async function bytesOf(r: StylizeResult): Promise<number[]> {
  try {
    return Array.from((await r.toPixels()).data);
  } finally {
    r.dispose();
  }
}

async function codeOf(p: Promise<unknown>): Promise<StyleTransferErrorCode | string> {
  try {
    const r = await p;
    (r as StylizeResult | undefined)?.dispose?.();
    return 'resolved';
  } catch (e) {
    return e instanceof StyleTransferError ? e.code : `not a StyleTransferError: ${e}`;
  }
}

describe('concurrency', () => {
  it('16 concurrent calls, 4 styles, cacheSize 1: all succeed with the bytes of sequential runs, nothing leaks', async () => {
    const jobs = Array.from({ length: 16 }, (_, i) => ({ content: contents[i % 2], style: styles[i % 4] }));
    const before = tf.memory().numTensors;
    // Sequential references, each on a fresh session without any cache.
    const expected = new Map<string, number[]>();
    const seq = await createStylizer({ model, cacheSize: 0 });
    for (const j of jobs) {
      const key = `${contents.indexOf(j.content)}:${styles.indexOf(j.style)}`;
      if (!expected.has(key)) expected.set(key, await bytesOf(await seq.stylize(j.content, j.style, RUN)));
    }
    seq.dispose();
    expect(tf.memory().numTensors).toBe(before);

    const s = await createStylizer({ model, cacheSize: 1 });
    const places: number[][] = jobs.map(() => []);
    const results = await Promise.all(jobs.map((j, i) => s.stylize(j.content, j.style, { ...RUN, onQueue: (p) => places[i].push(p) })));
    for (let i = 0; i < jobs.length; i++) {
      const key = `${contents.indexOf(jobs[i].content)}:${styles.indexOf(jobs[i].style)}`;
      expect(await bytesOf(results[i]), `call ${i}`).toEqual(expected.get(key));
    }
    // The first started at once; the last waited behind 15 and moved up one place at a time.
    expect(places[0]).toEqual([]);
    expect(places[15]).toEqual([15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(s.queued).toBe(0);
    s.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the same inputs in concurrent calls, with the default cache and with none: same bytes, nothing leaks', async () => {
    const before = tf.memory().numTensors;
    for (const cacheSize of [0, 4]) {
      const s = await createStylizer({ model, cacheSize });
      const out = await Promise.all([0, 1, 2].map(() => s.stylize(contents[0], styles[0], RUN).then(bytesOf)));
      expect(out[1]).toEqual(out[0]);
      expect(out[2]).toEqual(out[0]);
      s.dispose();
      expect(tf.memory().numTensors, `cacheSize ${cacheSize}`).toBe(before);
      expect(model.disposed).toBe(false);
    }
  });

  it('50 sequential calls: a flat tensor count and no RSS trend', async () => {
    const s = await createStylizer({ model, cacheSize: 2 });
    const counts: number[] = [];
    const rss: number[] = [];
    for (let i = 0; i < 50; i++) {
      // Small and shallow: this is about what stays behind, not about the picture.
      (await s.stylize(contents[i % 2], styles[i % 4], { size: 24, iterations: 1, styleLayers: ['relu1_1', 'relu2_1', 'relu3_1'], contentLayers: ['relu3_2'] })).dispose();
      counts.push(tf.memory().numTensors);
      rss.push(process.memoryUsage().rss / 2 ** 20);
    }
    s.dispose();
    // After the cache is full (2 styles), every call leaves the same count behind.
    expect(new Set(counts.slice(4)).size).toBe(1);
    // Least-squares slope of RSS over calls 10–50 (after warm-up): under 0.5 MB per call.
    const ys = rss.slice(10);
    const n = ys.length;
    const mx = (n - 1) / 2;
    const my = ys.reduce((a, b) => a + b, 0) / n;
    const slope = ys.reduce((a, y, x) => a + (x - mx) * (y - my), 0) / ys.reduce((a, _, x) => a + (x - mx) ** 2, 0);
    console.log(`50 sequential calls: tensors ${counts[4]}…${counts[49]}, RSS ${rss[10].toFixed(0)} → ${rss[49].toFixed(0)} MB, slope ${slope.toFixed(3)} MB/call`);
    expect(slope).toBeLessThan(0.5);
  });
});

describe('the queue', () => {
  it('maxQueue: one call more than may wait is refused with QUEUE_FULL; the others complete', async () => {
    const s = await createStylizer({ model, maxQueue: 1 });
    const a = s.stylize(contents[0], styles[0], RUN);
    const b = s.stylize(contents[0], styles[0], RUN);
    expect(await codeOf(s.stylize(contents[0], styles[0], RUN))).toBe('QUEUE_FULL');
    expect(s.queued).toBe(1);
    (await a).dispose();
    (await b).dispose();
    s.dispose();
  });

  it('a waiting call that is aborted leaves the line at once (ABORTED, nothing leaked); the line moves up', async () => {
    const before = tf.memory().numTensors;
    const s = await createStylizer({ model });
    const first = s.stylize(contents[0], styles[0], { size: 32, iterations: 4 });
    const controller = new AbortController();
    const waiting = s.stylize(contents[1], styles[1], { ...RUN, signal: controller.signal });
    const placesC: number[] = [];
    const third = s.stylize(contents[1], styles[2], { ...RUN, onQueue: (p) => placesC.push(p) });
    expect(s.queued).toBe(2);
    const t = performance.now();
    controller.abort(new Error('client went away'));
    const err = await waiting.then(() => undefined, (e: unknown) => e as StyleTransferError);
    expect(err?.code).toBe('ABORTED');
    expect(err?.message).toMatch(/client went away/);
    expect(performance.now() - t).toBeLessThan(1000); // did not wait for the running call
    expect(placesC).toEqual([2, 1]);
    (await first).dispose();
    (await third).dispose();
    expect(placesC).toEqual([2, 1, 0]);
    s.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('dispose() rejects waiting calls with DISPOSED, lets the running one finish, then frees the model it loaded', async () => {
    const before = tf.memory().numTensors;
    const s = await createStylizer();
    const running = s.stylize(contents[0], styles[0], RUN);
    const waiting = s.stylize(contents[0], styles[1], RUN);
    await new Promise((r) => setTimeout(r, 0));
    s.dispose();
    expect(await codeOf(waiting)).toBe('DISPOSED');
    const r = await running;
    expect(r.iterations).toBe(2);
    r.dispose();
    expect(s.model.disposed).toBe(true);
    expect(await codeOf(s.stylize(contents[0], styles[0], RUN))).toBe('DISPOSED');
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('style handles', () => {
  it('prepareStyle(): reused across calls and sizes, same bytes as images given directly; freed by dispose', async () => {
    const before = tf.memory().numTensors;
    const s = await createStylizer({ model, cacheSize: 0 });
    const direct = await bytesOf(await s.stylize(contents[0], [styles[0], styles[1]], { ...RUN, styleBlendWeights: [3, 1] }));
    expect(tf.memory().numTensors).toBe(before); // cacheSize 0 keeps nothing
    const h = await s.prepareStyle([styles[0], styles[1]]);
    expect(h.count).toBe(2);
    const viaHandle = await bytesOf(await s.stylize(contents[0], h, { ...RUN, styleBlendWeights: [3, 1] }));
    expect(viaHandle).toEqual(direct);
    const kept = tf.memory().numTensors;
    (await s.stylize(contents[1], h, { ...RUN, styleBlendWeights: [3, 1] })).dispose();
    expect(tf.memory().numTensors).toBe(kept); // same size and layers: no new Grams
    (await s.stylize(contents[1], h, { ...RUN, size: 40 })).dispose();
    expect(tf.memory().numTensors).toBeGreaterThan(kept); // another size: its Grams are added
    h.dispose();
    expect(h.disposed).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    expect(await codeOf(s.stylize(contents[0], h, RUN))).toBe('DISPOSED');
    s.dispose();
  });

  it('a handle disposed while a call uses it is freed after that call; another session cannot use it', async () => {
    const before = tf.memory().numTensors;
    const s = await createStylizer({ model });
    const other = await createStylizer({ model });
    const h = await s.prepareStyle(styles[2]);
    expect(await codeOf(other.stylize(contents[0], h, RUN))).toBe('INVALID_OPTION');
    const p = s.stylize(contents[0], h, RUN);
    h.dispose();
    (await p).dispose();
    s.dispose();
    other.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('steps(): the loop one iteration at a time', () => {
  it('lazy images owned by the caller, equal to stylize(); expire when the loop moves on; break frees everything', async () => {
    const before = tf.memory().numTensors;
    const s = await createStylizer({ model });
    const expected = await bytesOf(await s.stylize(contents[0], styles[0], { size: 32, iterations: 3 }));
    const afterFirst = tf.memory().numTensors;
    const seen: number[] = [];
    let lastBytes: number[] = [];
    let previous: { toTensor(): tf.Tensor3D } | undefined;
    for await (const step of s.steps(contents[0], styles[0], { size: 32, iterations: 3 })) {
      seen.push(step.iteration);
      expect(step.iterations).toBe(3);
      expect(Number.isFinite(step.loss.total)).toBe(true);
      if (previous) expect(() => previous!.toTensor()).toThrow(/moved on/);
      previous = step;
      if (step.last) lastBytes = Array.from((await step.toPixels()).data);
    }
    expect(seen).toEqual([1, 2, 3]);
    expect(lastBytes).toEqual(expected);
    expect(tf.memory().numTensors).toBe(afterFirst);
    // Leaving early frees the run; a tensor taken from a step is the caller's.
    let kept: tf.Tensor3D | undefined;
    for await (const step of s.steps(contents[0], styles[0], { size: 32, iterations: 10 })) {
      kept?.dispose();
      kept = step.toTensor();
      if (step.iteration === 2) break;
    }
    expect(kept!.shape).toEqual([24, 32, 3]);
    kept!.dispose();
    expect(tf.memory().numTensors).toBe(afterFirst);
    s.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('validation', () => {
  it('createStylizer config: unknown keys, ranges and types are named (INVALID_OPTION)', async () => {
    const cases: [unknown, RegExp][] = [
      [{ cachesize: 2 }, /Unknown option `cachesize` for createStylizer\(\)/],
      [{ cacheSize: -1 }, /`cacheSize` is -1/],
      [{ cacheSize: 1.5 }, /`cacheSize`/],
      [{ cacheSize: 65 }, /`cacheSize`/],
      [{ maxQueue: -1 }, /`maxQueue`/],
      [{ maxPixels: 0 }, /`maxPixels`/],
      [{ model: {} }, /`model`/],
      [{ model: undefined, load: 'weights/' }, /`load`/],
      [{ signal: 'stop' }, /`signal`/],
      ['config', /`config`/],
    ];
    for (const [config, message] of cases) {
      const e = await (createStylizer(config as never) as Promise<Stylizer>).then(() => undefined, (err: unknown) => err as StyleTransferError);
      expect(e?.code, JSON.stringify(config)).toBe('INVALID_OPTION');
      expect(e?.message).toMatch(message);
    }
    const e = await createStylizer({ model, load: {} }).then(() => undefined, (err: unknown) => err as StyleTransferError);
    expect(e?.message).toMatch(/`load`.*model/);
  });

  it('pixel values: 0–1 floats, 16-bit values, NaN, strings and odd tensors are refused with what to do; pixelRange "0-1" works', async () => {
    const before = tf.memory().numTensors;
    const s = await createStylizer({ model, maxPixels: 10_000 });
    const c = contents[0];
    const unit = Float32Array.from(c.data, (v) => v / 255);
    const cases: [unknown, StyleTransferErrorCode, RegExp][] = [
      [{ data: unit, width: c.width, height: c.height }, 'INVALID_IMAGE', /float values in 0–0\.\d+.*pixelRange: '0-1'/],
      [{ data: Float32Array.from(c.data, (v) => v * 257), width: c.width, height: c.height }, 'INVALID_IMAGE', /values from \d+ to \d+; expected 0–255.*divide by 257/],
      [{ data: Float32Array.from(c.data, (v, i) => (i === 7 ? NaN : v)), width: c.width, height: c.height }, 'INVALID_IMAGE', /1 NaN or infinite value/],
      [{ data: Float32Array.from(c.data, (v, i) => (i === 7 ? -3 : v)), width: c.width, height: c.height }, 'INVALID_IMAGE', /values from -3 to/],
      [{ data: 'x'.repeat(c.data.length), width: c.width, height: c.height }, 'INVALID_IMAGE', /`content.data` is "x+"; expected a Uint8Array/],
      [{ data: new DataView(new ArrayBuffer(c.data.length)), width: c.width, height: c.height }, 'INVALID_IMAGE', /expected a Uint8Array/],
      [{ data: new Uint8Array(200 * 200 * 3), width: 200, height: 200 }, 'IMAGE_TOO_LARGE', /200x200.*maxPixels/],
    ];
    for (const [content, code, message] of cases) {
      const e = await s.stylize(content as never, styles[0], RUN).then(() => undefined, (err: unknown) => err as StyleTransferError);
      expect(e?.code, String(message)).toBe(code);
      expect(e?.message).toMatch(message);
    }
    const tensorCases: [() => tf.Tensor, RegExp][] = [
      [() => tf.tensor3d(unit, [c.height, c.width, 3]), /float values in 0–0\.\d+/],
      [() => tf.fill([c.height, c.width, 3], NaN), /NaN or infinite/],
      [() => tf.fill([c.height, c.width, 3], 70000), /values from 70000 to 70000/],
      [() => tf.tensor([['a', 'b', 'c']]), /string tensor/],
      [() => tf.ones([c.height, c.width, 3], 'bool'), /bool tensor/],
    ];
    for (const [make, message] of tensorCases) {
      const t = make();
      const e = await s.stylize(t as tf.Tensor3D, styles[0], RUN).then(() => undefined, (err: unknown) => err as StyleTransferError);
      t.dispose();
      expect(e?.code, String(message)).toBe('INVALID_IMAGE');
      expect(e?.message).toMatch(message);
    }
    // Declared 0–1 input gives the same image as the bytes.
    const fromBytes = await bytesOf(await s.stylize(c, styles[0], RUN));
    const fromUnit = await bytesOf(await s.stylize({ data: unit, width: c.width, height: c.height }, { data: Float32Array.from(styles[0].data, (v) => v / 255), width: styles[0].width, height: styles[0].height }, { ...RUN, pixelRange: '0-1' }));
    const maxDiff = fromBytes.reduce((m, v, i) => Math.max(m, Math.abs(v - fromUnit[i])), 0);
    expect(maxDiff).toBeLessThanOrEqual(1); // float rounding of v/255·255 only
    // pixelRange '0-1' with 0–255 values is refused too.
    const bright = tf.fill([24, 32, 3], 200) as tf.Tensor3D;
    expect(await codeOf(s.stylize(bright, styles[0], { ...RUN, pixelRange: '0-1' }))).toBe('INVALID_IMAGE');
    bright.dispose();
    s.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('createStylizer({ signal }) aborted while loading: ABORTED, nothing kept', async () => {
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const p = createStylizer({ signal: controller.signal, load: { onProgress: () => controller.abort(new Error('user left')) } });
    const e = await p.then(() => undefined, (err: unknown) => err as StyleTransferError);
    expect(e?.code).toBe('ABORTED');
    expect(e?.message).toMatch(/user left/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('the one-shot stylize() validates its options before loading a model', async () => {
    const before = tf.memory().numTensors;
    const e = await stylize({ content: contents[0], style: styles[0], itrations: 3 } as never).then(() => undefined, (err: unknown) => err as StyleTransferError);
    expect(e?.code).toBe('INVALID_OPTION');
    expect(e?.message).toMatch(/Unknown option `itrations`/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
