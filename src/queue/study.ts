/**
 * A layer study through the queue: one job per run (`studyRuns()`: a pair's receptive fields, each style layer,
 * cumulative set and reconstruction layer), each `study({ ..., select })` of its one pair on a worker. The finished
 * runs make a {@link StudyCache} from which `study()` assembles the same result as a local study, computing only
 * what is cheap (the style's Grams, the baseline).
 * @module
 */
import { StyleTransferError } from '../errors.js';
import { decodeImage } from '../adapters/node/image-io.js';
import { studyRuns } from '../insight/study.js';
import type { StudyCache, StudyCacheEntry, StudyOptions, StudyRunInfo } from '../insight/study-types.js';
import { imageRef, type CancelOutcome, type QueuedJob } from './job.js';
import { addOrResume, workId, type EnqueueCtx } from './sweep.js';
import type { QueueStudyOptions, StudyRunJobResult } from './types.js';

/** A study in the queue. */
export interface QueuedStudy {
  /** The study's id (a hash of its options and images). */
  readonly id: string;
  /** Its runs, in `studyRuns()` order; `jobs[i]` computes `runs[i]`. */
  readonly runs: StudyRunInfo[];
  readonly jobs: QueuedJob<StudyRunJobResult>[];
  /**
   * Waits for every run (rejects with the first failure) and resolves to a cache holding them, images read back
   * from the storage: `study({ ...options, pairs, cache })` then assembles the study without running any of them.
   */
  result(): Promise<StudyCache & { size: number }>;
  /** Cancels every run not finished. */
  cancel(): Promise<CancelOutcome[]>;
}

export async function enqueueStudy(ctx: EnqueueCtx, options: QueueStudyOptions): Promise<QueuedStudy> {
  if (!options || typeof options !== 'object' || !Array.isArray(options.pairs)) throw new StyleTransferError('INVALID_OPTION', '`study()` takes an options object with pairs.', { field: 'options' });
  const { pairs, ...rest } = options;
  const json = JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
  // Checks the options and lists the runs (the images are only counted here).
  const runs = studyRuns({ ...(json as Omit<StudyOptions, 'pairs'>), pairs: pairs as StudyOptions['pairs'] });
  const perPair = runs.length / pairs.length;
  const refs = pairs.map((p, i) => ({ content: imageRef(p.content, `pairs[${i}].content`), style: imageRef(p.style, `pairs[${i}].style`) }));
  // Job ids per pair, from the options and the pair's images: a study given one more pair keeps the others' runs.
  const pairIds = await Promise.all(pairs.map((p) => workId(json, [p.content, p.style])));
  const id = await workId({ json, pairIds }, []);
  const jobs: QueuedJob<StudyRunJobResult>[] = [];
  for (const run of runs) {
    const select = run.index - run.pair * perPair;
    jobs.push(await addOrResume<StudyRunJobResult>(ctx, { kind: 'study-run', ...refs[run.pair], options: json, select }, `study-${pairIds[run.pair]}-${select}`));
  }
  return {
    id,
    runs,
    jobs,
    async result() {
      const done = await Promise.all(jobs.map((j) => j.result()));
      const entries = new Map<string, StudyCacheEntry>();
      for (const r of done) entries.set(r.key, await withImages(ctx, r));
      return {
        size: entries.size,
        get: (key) => entries.get(key),
        put: (key, entry) => void entries.set(key, entry),
      };
    },
    cancel: () => Promise.all(jobs.map((j) => j.cancel())),
  };
}

/** A finished run's cache entry with its images read back from the storage. */
async function withImages(ctx: EnqueueCtx, r: StudyRunJobResult): Promise<StudyCacheEntry> {
  if (r.entry.kind !== 'run') return r.entry;
  const images = [];
  for (const key of r.keys) {
    const bytes = await ctx.storage.get(key);
    if (!bytes) throw new StyleTransferError('INVALID_IMAGE', `The stored image ${key} is missing.`, { key });
    images.push(decodeImage(bytes, key));
  }
  return { kind: 'run', run: { ...r.entry.run, images } };
}
