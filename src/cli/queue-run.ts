/**
 * What stylize, sweep and study share when they run through a queue (`--queue URL`): the queue flags read and
 * checked, the queue opened (`queue-name`, `storage`), and the jobs followed to the end with the usual progress bar
 * and `--json` events. Ctrl-C stops following, not the jobs: they stay queued, and the same command resumes.
 * @module
 */
import { StyleTransferError } from '../errors.js';
import { raceAbort } from '../util/signal.js';
import type { QueuedJob } from '../queue/job.js';
import type { StyleQueue } from '../queue/client.js';
import type { JobProgress, QueueJobResult } from '../queue/types.js';
import { UsageError } from './args.js';
import { str, type Ctx, type Flags } from './context.js';

/** The queue flags as given: undefined without `--queue`. */
export interface QueueFlags {
  url: string;
  name?: string;
  storage?: string;
}

/** Reads `--queue`, `--queue-name` and `--storage`; the latter two without `--queue` are a usage error. */
export function queueFlags(f: Flags, command: string): QueueFlags | undefined {
  const url = str(f, 'queue');
  if (url === undefined) {
    for (const fl of ['queue-name', 'storage']) if (f.get(fl) !== undefined) throw new UsageError(`--${fl} goes with --queue URL`);
    return undefined;
  }
  // The workers load their own weights and pick their own backend: a flag here would not reach them.
  for (const fl of command === 'study' ? ['weights', 'network'] : ['weights', 'network', 'backend']) if (f.get(fl) !== undefined) throw new UsageError(`--${fl} does not reach the workers: give it to "neural-style-tfjs worker" (or drop --queue)`);
  if (f.get('replay') !== undefined) throw new UsageError('--replay runs here: drop --queue');
  return { url, name: str(f, 'queue-name'), storage: str(f, 'storage') };
}

/** Opens the queue (Redis is reached now: a wrong URL fails before any work). */
export async function openQueue(q: QueueFlags): Promise<StyleQueue> {
  const [{ createQueue }, { folderStorage }] = await Promise.all([import('../queue/client.js'), import('../queue/storage.js')]);
  return createQueue({ connection: q.url, name: q.name, storage: q.storage ? folderStorage(q.storage) : undefined });
}

/**
 * Follows `jobs` (labelled `labels`) until every one has finished: a bar counting finished jobs, `--json` events
 * `queued` (with how many were already done: kept from an earlier run), `iteration` and `job-done`. Rejects with
 * the first failure, or ABORTED on Ctrl-C (the jobs stay in the queue).
 */
export async function followJobs<R extends QueueJobResult>(ctx: Ctx, queue: StyleQueue, command: string, jobs: readonly QueuedJob<R>[], labels: readonly string[]): Promise<R[]> {
  const index = new Map(jobs.map((j, i) => [j.id, i]));
  const states = await Promise.all(jobs.map((j) => j.state()));
  const kept = states.filter((s) => s === 'completed').length;
  ctx.emit({ event: 'queued', command, queue: queue.name, jobs: jobs.map((j) => j.id), kept });
  ctx.say(`${command}: ${jobs.length} job${jobs.length === 1 ? '' : 's'} on queue ${queue.name}${kept ? ` (${kept} already done)` : ''}; waiting for workers (neural-style-tfjs worker)`);
  const bar = ctx.progress(command);
  let done = 0;
  const update = (text: string) => bar.update(done, jobs.length, text);
  update('');
  const stop = queue.onProgress((id: string, p: JobProgress) => {
    const i = index.get(id);
    if (i === undefined) return;
    update(`${labels[i]} ${p.iteration}/${p.iterations}`);
    ctx.emit({ event: 'iteration', job: id, run: i, runs: jobs.length, label: labels[i], iteration: p.iteration, iterations: p.iterations, ...(p.loss ? { loss: p.loss } : {}) });
  });
  try {
    const all = Promise.all(
      jobs.map(async (j, i) => {
        const r = await j.result();
        done++;
        update(`${labels[i]} done`);
        ctx.emit({ event: 'job-done', job: j.id, run: i, runs: jobs.length, label: labels[i], ...('attempt' in r ? { attempt: r.attempt, worker: r.worker } : {}) });
        return r;
      }),
    );
    all.catch(() => undefined);
    return await raceAbort(all, [ctx.signal], () => new StyleTransferError('ABORTED', `Stopped following; the jobs stay on queue ${queue.name} (the same command resumes).`));
  } finally {
    stop();
    bar.done();
  }
}
