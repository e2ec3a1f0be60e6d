/**
 * The worker thread behind {@link createWorkerStylizer} (built as `dist/stylizer-worker.js`): its own TF.js with
 * the Node adapter's backend (WASM with its threads, or tfjs-node), one {@link createStylizer} session, and the
 * messages of worker-protocol.ts. A call's `signal` here is a real AbortSignal that also reads a shared flag the
 * main thread sets, so an abort is seen at the run's next check (between network passes) even while this
 * thread never returns to its event loop.
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { createStylizer, ready, setWasmThreads, type Stylizer, type StyleHandle, type StylizeResult } from '../node.js';
import type { FromWorker, RunMessage, ToWorker, WireImage, WireStyle } from './worker-protocol.js';
import { toWire } from './worker-protocol.js';
import { Inbox } from './worker-wire.js';
import { StyleTransferError } from '../../errors.js';

const port = parentPort!;
const post = (m: FromWorker, transfer: Transferable[] = []): void => port.postMessage(m, transfer as never);
const { config, threads, backend } = workerData as { config: Record<string, unknown>; threads?: number; backend?: 'wasm' | 'cpu' | 'tensorflow' };

const abortedGetter = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted')!.get!;

/** An AbortController whose signal also turns aborted when the main thread sets `flag[0]` (read at each check). */
function flaggedController(flag: Int32Array): AbortController {
  const ac = new AbortController();
  const { signal } = ac;
  Object.defineProperty(signal, 'aborted', {
    configurable: true,
    get: () => {
      if (!abortedGetter.call(signal) && Atomics.load(flag, 0) === 1) ac.abort(new Error('aborted by the caller'));
      return abortedGetter.call(signal);
    },
  });
  return ac;
}

const toInput = (w: WireImage): { data: WireImage['data']; width: number; height: number; channels: 3 | 4 } => w;

let session: Stylizer;
const handles = new Map<number, StyleHandle>();
let nextHandle = 1;
const controllers = new Map<number, AbortController>();
/** The running steps() loops' gates: true computes the next step, false ends the loop (break or abort). */
const gates = new Map<number, Inbox<boolean>>();

function styleOf(s: WireStyle): Parameters<Stylizer['stylize']>[1] {
  if ('handle' in s) {
    const h = handles.get(s.handle);
    if (!h) throw new StyleTransferError('DISPOSED', 'This style handle was disposed; prepare the style again with stylizer.prepareStyle().');
    return h;
  }
  return s.list ? s.images.map(toInput) : toInput(s.images[0]);
}

/** The result's image as float32 RGB values (transferred), and the fields that describe the run. */
async function wireResult(r: StylizeResult): Promise<{ value: unknown; transfer: Transferable[] }> {
  try {
    const values = new Float32Array(await r.image.data());
    const { history, snapshots, iterations, evaluations, stopReason, warnings, timings, backend: b, scales, width, height } = r;
    return { value: { values, width, height, history, snapshots, iterations, evaluations, stopReason, warnings, timings, backend: b, scales }, transfer: [values.buffer, ...snapshots.map((s) => s.image.data.buffer)] };
  } finally {
    r.dispose();
  }
}

/** A stylize or steps call's options: the caller's, with a signal reading the shared flag and callbacks that post. */
function runOptions(m: RunMessage, signal: AbortSignal): Record<string, unknown> {
  const id = m.id;
  return {
    ...m.options,
    signal,
    ...(m.callbacks.onIteration && {
      onIteration: (info: { preview?: { data: Uint8ClampedArray } }) => post({ type: 'iteration', id, info }, info.preview ? [info.preview.data.buffer] : []),
    }),
    ...(m.callbacks.onTile && { onTile: (info: object) => post({ type: 'tile', id, info: { ...info } }) }),
    ...(m.callbacks.onQueue && { onQueue: (position: number) => post({ type: 'queue', id, position }) }),
  };
}

/** A steps() loop: posts each step's fields and image, then waits for the caller to ask for the next one. */
async function runSteps(m: RunMessage, signal: AbortSignal, gate: Inbox<boolean>): Promise<void> {
  const run = session.steps(toInput(m.content), styleOf(m.style), runOptions(m, signal) as never);
  try {
    for (let r = await run.next(); !r.done; r = await run.next()) {
      const { toTensor, toPixels: _p, toImageData: _d, ...info } = r.value;
      const t = toTensor();
      const values = new Float32Array(await t.data().finally(() => t.dispose()));
      post({ type: 'step', id: m.id, info: info as never, values }, [values.buffer]);
      if (!(await gate.next())) break;
    }
  } finally {
    await run.return(undefined); // frees the session's queue and every tensor of the run
  }
}

async function handle(m: ToWorker): Promise<void> {
  if (m.type === 'abort') {
    controllers.get(m.id)?.abort(new Error(m.reason));
    gates.get(m.id)?.push(false);
    return;
  }
  if (m.type === 'step-next' || m.type === 'step-return') {
    gates.get(m.id)?.push(m.type === 'step-next');
    return;
  }
  if (m.type === 'dispose-handle') {
    handles.get(m.handle)?.dispose();
    handles.delete(m.handle);
    return;
  }
  const id = m.id;
  try {
    if (m.type === 'memory') {
      post({ type: 'result', id, value: { ...tf.memory(), backend: tf.getBackend() } });
    } else if (m.type === 'plan') {
      const style = typeof m.style === 'object' && m.style !== null && 'handle' in m.style ? handles.get((m.style as { handle: number }).handle) : m.style;
      post({ type: 'result', id, value: await session.plan(m.content as never, style as never, m.options) });
    } else if (m.type === 'prepare') {
      const ac = flaggedController(m.abortFlag);
      controllers.set(id, ac);
      const h = await session.prepareStyle(m.list ? m.style.map(toInput) : toInput(m.style[0]), { ...m.options, signal: ac.signal });
      const hid = nextHandle++;
      handles.set(hid, h);
      post({ type: 'result', id, value: { handle: hid, count: h.count, sizes: h.sizes } });
    } else if (m.type === 'steps') {
      const ac = flaggedController(m.abortFlag);
      controllers.set(id, ac);
      const gate = new Inbox<boolean>();
      gates.set(id, gate);
      await runSteps(m, ac.signal, gate).finally(() => gates.delete(id));
      post({ type: 'result', id, value: undefined });
    } else {
      const ac = flaggedController(m.abortFlag);
      controllers.set(id, ac);
      const r = await session.stylize(toInput(m.content), styleOf(m.style), runOptions(m, ac.signal) as never);
      const { value, transfer } = await wireResult(r);
      post({ type: 'result', id, value }, transfer);
    }
  } catch (e) {
    post({ type: 'error', id, error: toWire(e) });
  } finally {
    controllers.delete(id);
  }
}

try {
  if (threads !== undefined) await setWasmThreads(threads);
  const name = await ready(backend);
  session = await createStylizer(config);
  port.on('message', (m: ToWorker) => void handle(m));
  post({ type: 'ready', backend: name });
} catch (e) {
  post({ type: 'init-error', error: toWire(e) });
}
