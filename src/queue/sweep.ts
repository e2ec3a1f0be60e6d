/**
 * A sweep through the queue: one job per run (a sweep point: one stylisation whose snapshots feed a row of
 * cells), each a one-run `sweep()` on a worker, merged back into the record a local `sweep()` makes.
 * @module
 */
import { createHash } from 'node:crypto';
import { StyleTransferError } from '../errors.js';
import { applyAxis, buildAxes, settingsOf } from '../experiments/sweep/axes.js';
import { cellAt } from '../experiments/sweep/run.js';
import type { SweepAxis, SweepCell, SweepOptions, SweepRecord, SweepResult } from '../experiments/sweep/types.js';
import { decodeImage } from '../adapters/node/image-io.js';
import type { StylizeOptions } from '../stylize/options.js';
import { imageRef, sourceBytes, type QueuedJob, type CancelOutcome } from './job.js';
import type { Storage } from './storage.js';
import type { ImageSource, QueueJobData, QueueJobResult, QueueSweepOptions, SweepPointJobResult } from './types.js';

/** Options of {@link StyleQueue.sweep}. */
export interface SweepRunOptions {
  /** The sweep's id (job ids are `sweep-<id>-<run>`). Default: a hash of its options and images, so the same sweep resumes. */
  id?: string;
}

/** A sweep in the queue. */
export interface QueuedSweep {
  readonly id: string;
  /** One job per run, in run order. */
  readonly jobs: QueuedJob<SweepPointJobResult>[];
  /** Waits for every run and merges them; rejects with the first failure. */
  result(): Promise<QueueSweepResult>;
  /** Cancels every run not finished. */
  cancel(): Promise<CancelOutcome[]>;
}

/** A finished sweep: the record (as `sweep()` makes it) and where each cell's image is stored. */
export interface QueueSweepResult {
  record: SweepRecord;
  /** Storage key of each cell's PNG, in the order of `record.cells`. */
  keys: string[];
  /** Reads the images back: the same shape `sweep()` resolves to (for `renderContactSheet`). */
  load(): Promise<SweepResult>;
}

/** What enqueueing a sweep or study needs of the client. */
export interface EnqueueCtx {
  queue: { getJob(id: string): Promise<{ getState(): Promise<string>; retry(state?: 'failed' | 'completed'): Promise<void> } | undefined> };
  name: string;
  storage: Storage;
  handle<R extends QueueJobResult>(id: string): QueuedJob<R>;
  add<R extends QueueJobResult>(data: QueueJobData, jobId?: string): Promise<QueuedJob<R>>;
}

/** One run of the sweep: its index in every non-iteration axis. */
function combos(other: SweepAxis[]): number[][] {
  if (other.length === 0) return [[]];
  if (other.length === 1) return other[0].values.map((_, i) => [i]);
  return other[0].values.flatMap((_, i) => other[1].values.map((_, j) => [i, j]));
}

export async function enqueueSweep(ctx: EnqueueCtx, options: QueueSweepOptions, run: SweepRunOptions = {}): Promise<QueuedSweep> {
  if (!options || typeof options !== 'object') throw new StyleTransferError('INVALID_OPTION', '`sweep()` takes an options object with content, style and vary.', { field: 'options' });
  const { content, style, ...rest } = options;
  const styles = (Array.isArray(style) ? style : [style]) as ImageSource[];
  const json = JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
  const axes = buildAxes(json as unknown as SweepOptions);
  const other = axes.filter((a) => a.parameter !== 'iterations');
  const iterAxis = axes.find((a) => a.parameter === 'iterations');
  const counts = iterAxis ? (iterAxis.values as number[]) : [typeof json.iterations === 'number' ? json.iterations : 100];
  const maxIter = Math.max(...counts);
  const { vary, presetKind: _p, iterations: _i, ...base } = json;
  void _p, void _i;
  const runs = combos(other);
  // Every cell validated before the first job is enqueued, as sweep() does before its first run.
  for (const idx of runs) {
    const opts = { ...base } as StylizeOptions;
    idx.forEach((vi, ai) => applyAxis(opts, other[ai], vi));
    opts.iterations = Math.ceil(maxIter / (opts.scales ?? [1]).length);
    for (const n of counts) settingsOf(opts, n, styles.length);
  }
  const refs = { content: imageRef(content, 'content'), style: styles.map((s, i) => imageRef(s, `style[${i}]`)) };
  const id = run.id ?? (await workId(json, [content, ...styles]));
  if (!/^[A-Za-z0-9_.-]{1,80}$/.test(id)) throw new StyleTransferError('INVALID_OPTION', `\`id\` is ${JSON.stringify(id)}; expected 1–80 letters, digits, "_", ".", "-".`, { field: 'id' });

  const jobs: QueuedJob<SweepPointJobResult>[] = [];
  for (const [k, idx] of runs.entries()) {
    const pointVary: Record<string, unknown> = {};
    idx.forEach((vi, ai) => (pointVary[other[ai].parameter] = [other[ai].values[vi]]));
    if (vary && typeof vary === 'object' && 'iterations' in vary) pointVary.iterations = (vary as Record<string, unknown>).iterations;
    const data: QueueJobData = { kind: 'sweep-point', ...refs, options: { ...json, vary: pointVary } };
    jobs.push(await addOrResume<SweepPointJobResult>(ctx, data, `sweep-${id}-${k}`));
  }

  return {
    id,
    jobs,
    async result() {
      const points = await Promise.all(jobs.map((j) => j.result()));
      return mergeSweep(ctx.storage, axes, runs, points, vary);
    },
    cancel: () => Promise.all(jobs.map((j) => j.cancel())),
  };
}

/** Enqueues `data` as `jobId`, or finds the job already there (a finished one is kept, a failed one retried). */
export async function addOrResume<R extends QueueJobResult>(ctx: EnqueueCtx, data: QueueJobData, jobId: string): Promise<QueuedJob<R>> {
  const existing = await ctx.queue.getJob(jobId);
  if (!existing) return ctx.add<R>(data, jobId);
  if ((await existing.getState()) === 'failed') await existing.retry('failed');
  return ctx.handle<R>(jobId);
}

/** A hash of options and images, as an id: the same work gets the same id, so enqueueing it again resumes it. */
export async function workId(options: unknown, images: ImageSource[]): Promise<string> {
  const h = createHash('sha256').update(JSON.stringify(options));
  for (const img of images) h.update(await sourceBytes(img));
  return h.digest('hex').slice(0, 16);
}

/** The one-run records merged into the record of the whole sweep, cells placed as `sweep()` places them. */
function mergeSweep(storage: Storage, axes: SweepAxis[], runs: number[][], points: SweepPointJobResult[], vary: unknown): QueueSweepResult {
  const other = axes.filter((a) => a.parameter !== 'iterations');
  const rows = axes.length === 2 ? axes[0] : undefined;
  const columns = axes.length === 2 ? axes[1] : axes[0];
  const placed: { cell: Omit<SweepCell, 'image'>; key: string }[] = [];
  points.forEach((p, k) => {
    const idx = runs[k];
    p.record.cells.forEach((c, i) => {
      const ci = p.record.columns.parameter === 'iterations' ? c.column : 0;
      const pos = (a: SweepAxis | undefined): number => (!a ? 0 : a.parameter === 'iterations' ? ci : idx[other.indexOf(a)]);
      const row = pos(rows);
      const column = pos(columns);
      placed.push({ cell: { ...c, row, column, rowLabel: rows ? rows.labels[row] : '', columnLabel: columns.labels[column] }, key: p.keys[i] });
    });
  });
  placed.sort((a, b) => a.cell.row - b.cell.row || a.cell.column - b.cell.column);
  const first = points[0].record;
  const totalMs = points.reduce((s, p) => s + p.record.timings.totalMs, 0);
  const record: SweepRecord = {
    ...first,
    created: new Date().toISOString(),
    options: { ...first.options, vary: JSON.parse(JSON.stringify(vary)) as unknown },
    rows,
    columns,
    cells: placed.map((x) => x.cell),
    // Run time summed over the runs (what one process would have spent), not the wall time.
    timings: { totalMs, runs: points.length },
  };
  if (!rows) delete record.rows;
  const keys = placed.map((x) => x.key);
  return {
    record,
    keys,
    async load() {
      const cells: SweepCell[] = [];
      for (const [i, c] of record.cells.entries()) {
        const bytes = await storage.get(keys[i]);
        if (!bytes) throw new StyleTransferError('INVALID_IMAGE', `The stored image ${keys[i]} is missing.`, { key: keys[i] });
        cells.push({ ...c, image: decodeImage(bytes, keys[i]) });
      }
      return { rows, columns, cells, at: cellAt(cells), record, timings: record.timings };
    },
  };
}
