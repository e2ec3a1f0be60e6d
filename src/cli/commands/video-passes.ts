/**
 * The `video` command's multi-pass mode (`--passes N`: Ruder et al.'s §3.3, src/video/multi-pass.ts): its options
 * from the flags, and its rule about resuming. It cannot resume: every pass is kept in memory and the frames are
 * written only after the last one, so there is no finished pass on disk to go on from. It therefore refuses a
 * frames folder that already holds frames (they could only be stale or from a single-pass run) unless `--fresh`
 * says to replace them.
 * @module
 */
import { readdir } from 'node:fs/promises';
import type { MultiPassOptions } from '../../video/multi-pass.js';
import { UsageError } from '../args.js';
import { numFlag, type Flags } from '../context.js';

/** Single-pass flags, and what to give instead with --passes. */
const SINGLE_PASS_ONLY: [flag: string, instead: string][] = [
  ['iterations', 'give --pass-iterations N, the iterations of every frame in every pass'],
  ['first-frame-iterations', 'every frame gets --pass-iterations in every pass'],
  ['consistency', 'the passes use the warped start, and the temporal loss from --temporal-from-pass on'],
  ['long-term', 'the temporal loss of a pass looks at the neighbour just stylised'],
];

const PASS_FLAGS = ['pass-iterations', 'blend-weight', 'temporal-from-pass', 'max-frames'];

/** The multi-pass options the flags set, over `base` (the stylize options and the flow); throws UsageError for a flag of the single pass. */
export function multiPassOptions(f: Flags, base: Omit<MultiPassOptions, 'onIteration'>): MultiPassOptions {
  for (const [flag, instead] of SINGLE_PASS_ONLY) {
    if (f.has(flag)) throw new UsageError(`--${flag} is for a single pass; with --passes, ${instead}`);
  }
  const set = (flag: string, key: keyof MultiPassOptions) => (f.has(flag) ? { [key]: numFlag(f, flag) } : {});
  return {
    ...base,
    passes: numFlag(f, 'passes'),
    ...set('pass-iterations', 'iterations'),
    ...set('blend-weight', 'blendWeight'),
    ...set('temporal-from-pass', 'temporalFromPass'),
    ...set('max-frames', 'maxFrames'),
  };
}

/** Throws UsageError when a pass flag is given without --passes. */
export function checkNoPassFlags(f: Flags): void {
  const stray = PASS_FLAGS.find((flag) => f.has(flag));
  if (stray) throw new UsageError(`--${stray} is for the multi-pass mode: give --passes N too`);
}

/** Throws UsageError when `folder` already holds stylised frames and `fresh` is not set (see the module notes). */
export async function refuseResume(folder: string, fresh: boolean, folderFlag: string): Promise<void> {
  if (fresh) return;
  const kept = (await readdir(folder).catch(() => [] as string[])).filter((n) => /^frame_\d+\.png$/.test(n));
  if (kept.length) {
    throw new UsageError(
      `${folder} already holds ${kept.length} stylised frames, and a multi-pass run (--passes) cannot resume: its passes are kept in memory and the frames written after the last one. Add --fresh to recompute and replace them, or choose another ${folderFlag}.`,
      'CANNOT_RESUME',
    );
  }
}
