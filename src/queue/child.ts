/**
 * A worker's child process: holds one session (weights loaded once, prepared styles cached) and runs one job at a
 * time for its parent, which stays free to renew the queue's locks while this process computes. Started by
 * `runWorker` with `fork()`; talks only over IPC; exits when its parent goes away.
 * @module
 */
import { stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { createStylizer, decodeImage, encodeImage, readImage, ready, type RgbaImage, type Stylizer } from '../adapters/node.js';
import { StyleTransferError } from '../errors.js';
import { sweep } from '../experiments/sweep/run.js';
import { study } from '../insight/study.js';
import type { StudyOptions } from '../insight/study-types.js';
import type { StyleHandle } from '../stylize/style-handle.js';
import type { StylizeOptions } from '../stylize/options.js';
import type { SweepOptions } from '../experiments/sweep/types.js';
import { serializeError, type ChildFile, type FromChild, type ToChild } from './protocol.js';
import type { ImageRef, JobProgress, QueueJobData, StudyRunJobData, StylizeJobData, SweepPointJobData } from './types.js';

/** Sends to the parent; once the parent is gone (killed), there is nobody to work for: exit. */
const send = (m: FromChild): void => {
  if (!process.connected) process.exit(0);
  process.send?.(m, undefined, {}, (e) => {
    if (e) process.exit(0);
  });
};

let session: Promise<Stylizer> | undefined;
const getSession = (): Promise<Stylizer> => (session ??= (async () => {
  await ready(process.env.NST_QUEUE_BACKEND as 'wasm' | 'cpu' | 'tensorflow' | undefined || undefined);
  return createStylizer();
})());

/** Prepared styles by content (path + mtime + size, or the bytes' hash), most recently used last. */
const styles = new Map<string, StyleHandle>();
const STYLE_CACHE = 8;

async function refKey(ref: ImageRef): Promise<string> {
  if ('path' in ref) {
    const s = await stat(ref.path).catch(() => undefined);
    return `path:${ref.path}:${s?.mtimeMs ?? 0}:${s?.size ?? 0}`;
  }
  return `bytes:${createHash('sha256').update(ref.base64).digest('hex')}`;
}

async function readRef(ref: ImageRef, field: string): Promise<RgbaImage> {
  if (ref && typeof ref === 'object' && 'path' in ref && typeof ref.path === 'string') return readImage(ref.path);
  if (ref && typeof ref === 'object' && 'base64' in ref && typeof ref.base64 === 'string') return decodeImage(new Uint8Array(Buffer.from(ref.base64, 'base64')), field);
  throw new StyleTransferError('INVALID_IMAGE', `\`${field}\` is neither { path } nor { base64 }.`, { field });
}

async function styleHandle(stylizer: Stylizer, refs: ImageRef[], pixelRange: StylizeOptions['pixelRange'], signal: AbortSignal): Promise<StyleHandle> {
  const key = `${pixelRange ?? ''}|${(await Promise.all(refs.map(refKey))).join('|')}`;
  const hit = styles.get(key);
  if (hit && !hit.disposed) {
    styles.delete(key);
    styles.set(key, hit);
    return hit;
  }
  const images = await Promise.all(refs.map((r, i) => readRef(r, `style[${i}]`)));
  const handle = await stylizer.prepareStyle(images, { pixelRange, signal });
  styles.set(key, handle);
  while (styles.size > STYLE_CACHE) {
    const [oldest, h] = styles.entries().next().value as [string, StyleHandle];
    styles.delete(oldest);
    h.dispose();
  }
  return handle;
}

function progressReporter(id: string, everyMs: number, label?: string): (p: Omit<JobProgress, 'label'>) => void {
  let last = 0;
  return (p) => {
    const t = Date.now();
    if (t - last < everyMs && p.iteration < p.iterations) return;
    last = t;
    send({ type: 'progress', id, progress: { ...p, ...(label ? { label } : {}) } });
  };
}

async function runStylize(id: string, data: StylizeJobData, signal: AbortSignal, everyMs: number) {
  const stylizer = await getSession();
  const { options } = data;
  if (!options || typeof options !== 'object') throw new StyleTransferError('INVALID_OPTION', 'A stylize job needs an options object.', { field: 'options' });
  const content = await readRef(data.content, 'content');
  const handle = await styleHandle(stylizer, data.style, options.pixelRange, signal);
  const report = progressReporter(id, everyMs);
  const result = await stylizer.stylize(content, handle, {
    ...(options as StylizeOptions),
    signal,
    onIteration: (i) => report({ iteration: i.iteration, iterations: i.iterations, loss: i.loss }),
  });
  try {
    if (result.stopReason === 'aborted') throw new StyleTransferError('ABORTED', 'The job was cancelled.');
    const format = data.format === 'jpeg' ? 'jpeg' : 'png';
    const ext = format === 'jpeg' ? 'jpg' : 'png';
    const files: ChildFile[] = [{ name: `output.${ext}`, bytes: encodeImage(await result.toPixels(), format) }];
    for (const s of result.snapshots) files.push({ name: `snapshot-${s.iteration}.png`, bytes: encodeImage(s.image, 'png') });
    const last = result.history[result.history.length - 1];
    return {
      files,
      result: {
        kind: 'stylize',
        width: result.width,
        height: result.height,
        iterations: result.iterations,
        stopReason: result.stopReason,
        loss: last?.loss,
        backend: result.backend,
        timings: { totalMs: result.timings.totalMs, perIterationMs: result.timings.perIterationMs },
        snapshots: result.snapshots.map((s) => s.iteration),
      },
    };
  } finally {
    result.dispose();
  }
}

async function runSweepPoint(id: string, data: SweepPointJobData, signal: AbortSignal, everyMs: number) {
  const stylizer = await getSession();
  const content = await readRef(data.content, 'content');
  const style = await Promise.all(data.style.map((r, i) => readRef(r, `style[${i}]`)));
  let report: ReturnType<typeof progressReporter> | undefined;
  const res = await sweep({
    ...(data.options as unknown as SweepOptions),
    content,
    style: style.length === 1 ? style[0] : style,
    stylizer,
    signal,
    onProgress: (p) => {
      report ??= progressReporter(id, everyMs, p.label);
      report({ iteration: p.iteration, iterations: p.iterations, loss: p.loss });
    },
  });
  if (res.cells.some((c) => c.stopReason === 'aborted')) throw new StyleTransferError('ABORTED', 'The job was cancelled.');
  return {
    files: res.cells.map((c, i) => ({ name: `cell-${i}.png`, bytes: encodeImage(c.image, 'png') })),
    result: { kind: 'sweep-point', record: res.record },
  };
}

async function runStudyRun(id: string, data: StudyRunJobData, signal: AbortSignal, everyMs: number) {
  const stylizer = await getSession();
  const pair = { content: await readRef(data.content, 'content'), style: await readRef(data.style, 'style') };
  let report: ReturnType<typeof progressReporter> | undefined;
  const sel = await study({
    ...(data.options as Omit<StudyOptions, 'pairs'>),
    pairs: [pair],
    select: data.select,
    stylizer,
    signal,
    onProgress: (p) => {
      report ??= progressReporter(id, everyMs, p.label);
      report({ iteration: p.iteration, iterations: p.iterations });
    },
  });
  // The images travel as files; the entry keeps the rest.
  const { entry } = sel;
  const images = entry.kind === 'run' ? entry.run.images : [];
  const stripped = entry.kind === 'run' ? { kind: 'run', run: { ...entry.run, images: [] } } : entry;
  return {
    files: images.map((img, i) => ({ name: `image-${i}.png`, bytes: encodeImage(img, 'png') })),
    result: { kind: 'study-run', run: sel.run, key: sel.key, entry: stripped },
  };
}

let current: { id: string; controller: AbortController } | undefined;

async function run(id: string, data: QueueJobData, everyMs: number): Promise<void> {
  const controller = new AbortController();
  current = { id, controller };
  try {
    const out =
      data?.kind === 'stylize' ? await runStylize(id, data, controller.signal, everyMs)
      : data?.kind === 'sweep-point' ? await runSweepPoint(id, data, controller.signal, everyMs)
      : data?.kind === 'study-run' ? await runStudyRun(id, data, controller.signal, everyMs)
      : data?.kind === 'empty' ? { files: [], result: { kind: 'empty' } }
      : (() => { throw new StyleTransferError('INVALID_OPTION', `Unknown job kind ${JSON.stringify((data as { kind?: unknown })?.kind)}.`, { field: 'kind' }); })();
    send({ type: 'done', id, result: out.result, files: out.files });
  } catch (e) {
    send({ type: 'error', id, error: serializeError(controller.signal.aborted ? new StyleTransferError('ABORTED', 'The job was cancelled.') : e) });
  } finally {
    current = undefined;
  }
}

process.on('message', (m: ToChild) => {
  if (m.type === 'run') void run(m.id, m.data, m.progressEveryMs);
  else if (m.type === 'abort' && current?.id === m.id) current.controller.abort();
});
// The parent died or closed the channel: nothing more will come.
process.on('disconnect', () => process.exit(0));

getSession().then(
  async () => send({ type: 'ready', backend: await ready() }),
  (e) => {
    send({ type: 'error', id: '', error: serializeError(e) });
    process.exit(1);
  },
);
