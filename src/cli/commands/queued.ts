/**
 * The commands' queue side (`--queue URL`): a sweep or study enqueued one job per run and assembled here when the
 * workers are done, and `stylize` over a folder of photos, one job each. Job ids come from the settings and the
 * images, so the same command again finds the finished jobs and redoes nothing (a failed job is retried).
 * @module
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import { fileKind, writeFileAtomic } from '../../adapters/node/image-io.js';
import { StyleTransferError } from '../../errors.js';
import type { SweepResult } from '../../experiments/sweep/types.js';
import type { StudyCache } from '../../insight/study-types.js';
import { resolveOptions } from '../../stylize/options.js';
import { workId } from '../../queue/sweep.js';
import type { QueueStudyOptions, QueueStylizeOptions, QueueSweepOptions } from '../../queue/types.js';
import { UsageError } from '../args.js';
import { str, type Ctx } from '../context.js';
import { iterationsFlag } from '../flag-values.js';
import { fmtMs } from '../progress.js';
import { OutputPlan } from '../outputs.js';
import { followJobs, openQueue, type QueueFlags } from '../queue-run.js';
import { stylizeOptionsFromFlags } from '../stylize-options.js';

/** A sweep through the queue, waited for and read back: what a local `sweep()` resolves to. */
export async function queuedSweep(ctx: Ctx, q: QueueFlags, options: QueueSweepOptions): Promise<SweepResult> {
  const queue = await openQueue(q);
  try {
    const sweep = await queue.sweep(options);
    await followJobs(ctx, queue, 'sweep', sweep.jobs, sweep.jobs.map((_, i) => `run ${i + 1}/${sweep.jobs.length}`));
    return await (await sweep.result()).load();
  } finally {
    await queue.close();
  }
}

/** A study's runs through the queue, waited for: the cache from which `study()` assembles the study here. */
export async function queuedStudy(ctx: Ctx, q: QueueFlags, options: QueueStudyOptions): Promise<StudyCache & { size: number }> {
  const queue = await openQueue(q);
  try {
    const s = await queue.study(options);
    await followJobs(ctx, queue, 'study', s.jobs, s.runs.map((r) => `pair ${r.pair + 1} ${r.experiment} ${r.label}`));
    return await s.result();
  } finally {
    await queue.close();
  }
}

const IMAGE = /\.(png|jpe?g)$/i;

/**
 * `stylize <content|folder> <style…> -o <out|folder> --queue URL`: one job per content image (every PNG/JPEG of a
 * folder, in name order), results copied from the storage to the output (a folder: `<name>.png` each).
 */
export async function runStylizeQueued(ctx: Ctx, q: QueueFlags): Promise<void> {
  const f = ctx.flags;
  const [contentArg, ...stylePaths] = ctx.positionals;
  const out = str(f, 'output');
  if (!out) throw new UsageError('stylize needs -o <out.png> (with a folder of photos: -o <folder>)');
  for (const fl of ['save-every', 'quality']) if (f.get(fl) !== undefined) throw new UsageError(`--${fl} does not travel in a queue job: drop it or --queue`);
  const { initPath, ...base } = stylizeOptionsFromFlags(f);
  if (initPath !== undefined) throw new UsageError('--init with an image file does not travel in a queue job: use content, style or noise, or drop --queue');
  const iterations = iterationsFlag(f);
  const options = { ...base, ...(iterations !== undefined ? { iterations } : {}) } as QueueStylizeOptions;
  resolveOptions(options, stylePaths.length);
  const isFolder = (await stat(contentArg).catch(() => undefined))?.isDirectory() ?? false;
  const contents = isFolder ? (await readdir(contentArg)).filter((n) => IMAGE.test(n)).sort().map((n) => join(contentArg, n)) : [contentArg];
  if (contents.length === 0) throw new UsageError(`${contentArg} holds no .png, .jpg or .jpeg file`);
  // The results would be taken for photos by the same command again.
  if (isFolder && resolve(out) === resolve(contentArg)) throw new UsageError('-o is the folder of the photos: give another folder');
  const jpeg = !isFolder && /\.jpe?g$/i.test(out);
  const targets = contents.map((c) => (isFolder ? join(out, `${basename(c, extname(c))}.png`) : out));
  // As a local run: no output may be an input, and no two outputs the same file (a.jpg and a.png of one folder).
  const outputs = new OutputPlan();
  if (isFolder) await mkdir(out, { recursive: true });
  for (const t of targets) await outputs.output('-o', t);
  for (const c of contents) await outputs.input('the content image', c);
  for (const p of stylePaths) await outputs.input('the style image', p);
  await outputs.check();
  // The workers read the images; a missing one is said here, before anything is enqueued.
  for (const p of [...contents, ...stylePaths]) {
    const st = await stat(p).catch(() => undefined);
    if (!st?.isFile()) throw new StyleTransferError('INVALID_IMAGE', `Cannot read ${p}: ${st ? fileKind(st) : 'no such file'}.`, { path: p });
  }
  const queue = await openQueue(q);
  try {
    const t0 = Date.now();
    const format = jpeg ? 'jpeg' : 'png';
    const jobs = [];
    for (const c of contents) jobs.push(await queue.stylize(c, stylePaths, options, { format, jobId: `stylize-${await workId({ options, format }, [c, ...stylePaths])}` }));
    ctx.emit({ event: 'start', command: 'stylize', queue: queue.name, content: contents, style: stylePaths, output: out });
    const results = await followJobs(ctx, queue, 'stylize', jobs, contents.map((c) => basename(c)));
    for (const [i, r] of results.entries()) {
      const bytes = await queue.storage.get(r.key);
      if (!bytes) throw new UsageError(`the result of ${contents[i]} (${r.key}) is not in the storage: give the workers' --storage`, 'INVALID_IMAGE');
      await writeFileAtomic(targets[i], bytes);
    }
    ctx.say(`wrote ${isFolder ? `${targets.length} images to ${out}` : out} in ${fmtMs(Date.now() - t0)} (queue ${queue.name})`);
    ctx.emit({ event: 'done', output: out, outputs: targets, jobs: results.map((r, i) => ({ content: contents[i], output: targets[i], width: r.width, height: r.height, iterations: r.iterations, stopReason: r.stopReason, loss: r.loss, attempt: r.attempt, worker: r.worker })) });
  } finally {
    await queue.close();
  }
}
