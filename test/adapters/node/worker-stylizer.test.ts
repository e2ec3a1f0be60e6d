/**
 * createWorkerStylizer (src/adapters/node/worker-stylizer.ts): the same calls as an in-thread session with the same
 * bytes out; callbacks arrive as messages; the calling thread's event loop stays free during a run; an abort
 * rejects at once and the worker's run stops within a pass (its tensors back to the baseline); look-alike signals
 * and a `model` are refused; dispose() rejects what is in flight and terminates the thread. Runs the built worker
 * (dist/stylizer-worker.js: `npx tsup` first, as `npm test` does).
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStylizer, createWorkerStylizer, loadVgg19, ready, StyleTransferError, type StylizeResult, type StylizeStep, type Vgg19, type WorkerStylizer } from '../../../src/adapters/node.js';
import { loadImage, type RgbPixels } from '../../helpers/images.js';

let worker: WorkerStylizer;
let content: RgbPixels;
let style: RgbPixels;

beforeAll(async () => {
  content = loadImage('tubingen', 40);
  style = loadImage('starry_night', 40);
  worker = await createWorkerStylizer({ cacheSize: 0, threads: 1 });
});

let model: Vgg19 | undefined;
/** One in-thread model for the tests that compare with an in-thread session. */
async function localModel(): Promise<Vgg19> {
  await ready();
  return (model ??= await loadVgg19());
}

afterAll(() => {
  worker?.dispose();
  model?.dispose();
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    (await p as StylizeResult | undefined)?.dispose?.();
    return 'resolved';
  } catch (e) {
    return e instanceof StyleTransferError ? e.code : `not coded: ${String(e)}`;
  }
}

const RUN = { size: 32, iterations: 2, seed: 3 } as const;

/** Every step's RGBA bytes of an in-thread session's steps(): what the worker's steps() must give. */
async function inThreadSteps(options: typeof RUN): Promise<number[][]> {
  const local = await createStylizer({ model: await localModel() });
  const out: number[][] = [];
  for await (const step of local.steps(content, style, options)) out.push(Array.from((await step.toPixels()).data));
  local.dispose();
  return out;
}

describe('a worker stylizer', () => {
  it('gives the bytes of an in-thread session, forwards onIteration and onQueue, keeps the caller\'s arrays', async () => {
    const local = await createStylizer({ model: await localModel() });
    const want = await local.stylize(content, style, RUN);
    const wantPixels = Array.from((await want.toPixels()).data);
    want.dispose();
    local.dispose();

    const iterations: number[] = [];
    const positions: number[] = [];
    const first = worker.stylize(content, style, RUN);
    const second = worker.stylize(content, style, { ...RUN, onIteration: (i) => void iterations.push(i.iteration), onQueue: (p) => void positions.push(p) });
    const [a, b] = await Promise.all([first, second]);
    expect(content.data.byteLength).toBeGreaterThan(0); // not detached: the worker got a copy
    expect(Array.from((await a.toPixels()).data)).toEqual(wantPixels);
    expect(Array.from((await b.toPixels()).data)).toEqual(wantPixels);
    expect(b.image.shape).toEqual([want.height, want.width, 3]);
    a.dispose();
    b.dispose();
    expect(iterations).toEqual([1, 2]);
    expect(positions).toEqual([1, 0]);
  });

  it('prepareStyle and plan work through the worker; a disposed handle is DISPOSED', async () => {
    const handle = await worker.prepareStyle(style);
    expect(handle.sizes).toEqual([{ width: style.width, height: style.height }]);
    const plan = await worker.plan(content, handle, RUN);
    expect(plan.scales.at(-1)!.width).toBe(32);
    const r = await worker.stylize(content, handle, RUN);
    expect(r.width).toBe(32);
    r.dispose();
    handle.dispose();
    expect(await codeOf(worker.stylize(content, handle, RUN))).toBe('DISPOSED');
  });

  it('the calling thread stays free during a run; an abort rejects at once and the run stops within a pass', async () => {
    const base = (await worker.memory()).numTensors;
    const ac = new AbortController();
    let worst = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const t = performance.now();
      worst = Math.max(worst, t - last);
      last = t;
    }, 10);
    let abortedAt = 0;
    const run = worker.stylize(content, style, {
      size: 96, iterations: 50, signal: ac.signal,
      onIteration: (i) => {
        if (i.iteration === 2) {
          abortedAt = performance.now();
          ac.abort(new Error('client left'));
        }
      },
    });
    expect(await codeOf(run)).toBe('ABORTED');
    expect(performance.now() - abortedAt).toBeLessThan(50);
    // The worker's run stops at its next check and frees everything: its tensor count is back to the baseline
    // soon (a pass at 96 px takes well under a second here; 20 iterations would take many).
    const t = performance.now();
    while ((await worker.memory()).numTensors !== base && performance.now() - t < 10_000) await new Promise((r) => setTimeout(r, 20));
    expect((await worker.memory()).numTensors).toBe(base);
    clearInterval(ticker);
    expect(worst).toBeLessThan(250); // the event loop of this thread was never held by a network pass
  });

  it('images given as tensors in the options (init, contentWeightMap) cross as pixels', async () => {
    await ready();
    const tensor = (p: RgbPixels): tf.Tensor3D => tf.tensor3d(Float32Array.from(p.data), [p.height, p.width, 3]);
    const initT = tensor(style);
    const { width, height } = content;
    const mapT = tf.tidy(() => tf.add(tf.zeros([height, width, 3]), tf.reshape(tf.linspace(0, 255, width), [1, width, 1])) as tf.Tensor3D);
    const mapPixels = { data: (await mapT.data()) as Float32Array, width, height };
    const a = await worker.stylize(content, style, { ...RUN, init: initT, contentWeightMap: mapT });
    const b = await worker.stylize(content, style, { ...RUN, init: style, contentWeightMap: mapPixels });
    expect(Array.from((await a.toPixels()).data)).toEqual(Array.from((await b.toPixels()).data));
    a.dispose();
    b.dispose();
    tf.dispose([initT, mapT]);
  });

  it('refuses look-alike signals, a model, and functions it cannot send', async () => {
    expect(await codeOf(worker.stylize(content, style, { ...RUN, signal: { aborted: false } as AbortSignal }))).toBe('INVALID_OPTION');
    expect(await codeOf(createWorkerStylizer({ signal: { aborted: false } as AbortSignal }))).toBe('INVALID_OPTION');
    expect(await codeOf(createWorkerStylizer({ model: {} } as never))).toBe('INVALID_OPTION');
    expect(await codeOf(worker.stylize(content, style, { ...RUN, size: -4 }))).toBe('INVALID_OPTION'); // validated in the worker
    expect(await codeOf(worker.stylize('photo.png' as never, style, RUN))).toBe('UNSUPPORTED_IMAGE');
    expect(await codeOf(worker.prepareStyle(style, { signal: { aborted: false } as AbortSignal }))).toBe('INVALID_OPTION');
    expect(await codeOf(worker.prepareStyle(style, { pixelrange: '0-1' } as never))).toBe('INVALID_OPTION');
    const taps = { taps: { layers: ['relu1_1'], onTap: () => undefined } } as never;
    expect(await codeOf(worker.stylize(content, style, { ...RUN, ...(taps as object) }))).toBe('INVALID_OPTION');
    expect(await codeOf(worker.plan(content, style, { ...RUN, ...(taps as object) }))).toBe('INVALID_OPTION'); // could not be sent
    expect(worker.queued).toBe(0);
  });

  it('steps() gives the bytes of an in-thread steps(); a step read after the loop moved on is STEP_EXPIRED', async () => {
    const want = await inThreadSteps(RUN);
    const got: number[][] = [];
    const steps: StylizeStep[] = [];
    for await (const step of worker.steps(content, style, RUN)) {
      steps.push(step);
      got.push(Array.from((await step.toPixels()).data));
      const t = step.toTensor();
      expect(t.shape).toEqual([step.height, step.width, 3]);
      t.dispose();
    }
    expect(got).toEqual(want);
    expect(steps.map((s) => [s.iteration, s.last])).toEqual([[1, false], [2, true]]);
    expect(() => steps[0].toTensor()).toThrow(expect.objectContaining({ code: 'STEP_EXPIRED' }));
    expect(await codeOf(steps[1].toPixels())).toBe('STEP_EXPIRED');
  });

  it('steps(): break ends the worker\'s run and frees its queue (a call waiting behind it runs)', async () => {
    const base = (await worker.memory()).numTensors;
    let waiting: Promise<StylizeResult> | undefined;
    for await (const step of worker.steps(content, style, { ...RUN, iterations: 20 })) {
      waiting ??= worker.stylize(content, style, RUN); // queued in the worker behind the loop
      if (step.iteration === 2) break;
    }
    expect(await codeOf(waiting!)).toBe('resolved');
    expect(worker.queued).toBe(0);
    expect((await worker.memory()).numTensors).toBe(base);
  });

  it('steps(): an abort mid-loop rejects ABORTED and the worker frees every tensor', async () => {
    const base = (await worker.memory()).numTensors;
    const ac = new AbortController();
    const seen: number[] = [];
    const loop = async (): Promise<void> => {
      for await (const step of worker.steps(content, style, { ...RUN, iterations: 20, signal: ac.signal })) {
        seen.push(step.iteration);
        if (step.iteration === 2) ac.abort(new Error('client left'));
      }
    };
    expect(await codeOf(loop())).toBe('ABORTED');
    expect(seen).toEqual([1, 2]);
    const t = performance.now();
    while ((await worker.memory()).numTensors !== base && performance.now() - t < 10_000) await new Promise((r) => setTimeout(r, 20));
    expect((await worker.memory()).numTensors).toBe(base);
    expect(await codeOf(worker.stylize(content, style, RUN))).toBe('resolved'); // the queue moved on
  });

  it('dispose() rejects calls in flight with DISPOSED and terminates the thread', async () => {
    const w = await createWorkerStylizer({ threads: 1 });
    const running = w.stylize(content, style, { size: 64, iterations: 20 });
    const waiting = w.stylize(content, style, RUN);
    await new Promise((r) => setTimeout(r, 200));
    w.dispose();
    expect(await codeOf(running)).toBe('DISPOSED');
    expect(await codeOf(waiting)).toBe('DISPOSED');
    await w.exited; // the thread is gone, and with it every tensor and the model it held
    expect(w.disposed).toBe(true);
    expect(await codeOf(w.stylize(content, style, RUN))).toBe('DISPOSED');
  });
});
