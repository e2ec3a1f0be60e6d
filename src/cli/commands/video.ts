/**
 * `neural-style-tfjs video <in.mp4|frames/> <style…> -o <out.mp4|out/>`: a clip stylised frame by frame with
 * temporal consistency (src/video/stylize-video.ts). Every finished frame is written to a folder at once, so Ctrl-C
 * loses at most the frame in progress and the same command resumes; a video output is encoded from that folder at
 * the end (ffmpeg).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { stat } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { createStylizer, VERSION, isStyleTransferError } from '../../adapters/node.js';
import { listFrameFiles } from '../../adapters/node/video/folder.js';
import { floFolderFlowSource } from '../../adapters/node/video/flo-files.js';
import { VIDEO_EXTENSIONS } from '../../adapters/node/video/io.js';
import { encodeFolder, stylizeVideoToFolder, stylizeVideoToFolderMultiPass } from '../../adapters/node/video/stylize-files.js';
import { resolveMultiPass, type MultiPassOptions } from '../../video/multi-pass.js';
import { resolveVideoOptions, type VideoOptions } from '../../video/stylize-video.js';
import { UsageError } from '../args.js';
import { numFlag, str, type Ctx } from '../context.js';
import { backendFlag, inputLimits, numberList, oneOf } from '../flag-values.js';
import { fmtMs } from '../progress.js';
import { loadModel, readInputs } from '../run-io.js';
import { stylizeOptionsFromFlags } from '../stylize-options.js';
import { checkDefaultLayers } from '../network-flag.js';
import { STYLIZE_DEFAULTS } from '../../defaults.js';
import { checkNoPassFlags, multiPassOptions, refuseResume } from './video-passes.js';

const isVideoFile = (p: string): boolean => VIDEO_EXTENSIONS.includes(extname(p).toLowerCase());

/** The options both modes take: the stylize flags' (but the start image and iterations, set per frame) and the flow. */
function baseOptions(ctx: Ctx): Omit<MultiPassOptions, 'onIteration'> {
  const f = ctx.flags;
  checkDefaultLayers(f, { 'style-layers': STYLIZE_DEFAULTS.styleLayers, 'content-layers': STYLIZE_DEFAULTS.contentLayers });
  const { initPath: _init, iterations: _iterations, ...base } = stylizeOptionsFromFlags(f);
  const flow = str(f, 'flow');
  return { ...base, ...(flow !== undefined ? { flow: floFolderFlowSource(flow) } : {}) };
}

/** The single pass's video options the flags set (checked by the library's one validation before any work). */
function videoOptions(ctx: Ctx): VideoOptions {
  const f = ctx.flags;
  checkNoPassFlags(f);
  const longTerm = str(f, 'long-term');
  return {
    ...baseOptions(ctx),
    ...(f.has('iterations') ? { iterations: numFlag(f, 'iterations') } : {}),
    ...(f.has('first-frame-iterations') ? { firstFrameIterations: numFlag(f, 'first-frame-iterations') } : {}),
    ...(longTerm !== undefined ? { longTerm: numberList('long-term', longTerm, true) } : {}),
    consistency: oneOf('consistency', str(f, 'consistency'), ['temporal', 'warped-start', 'independent'] as const),
  };
}

/** What Ctrl-C leaves: the single pass resumes; the multi-pass mode writes only after its last pass and cannot. */
function interruptedLine(folder: string, done: number, multi: { pass: number; passes: number } | undefined): string {
  if (!multi) return `interrupted after ${done} frames: they are in ${folder}; run the same command again to resume.`;
  if (done === 0) return `interrupted in pass ${multi.pass} of ${multi.passes}: nothing was written (a multi-pass run writes its frames after its last pass and cannot resume); run the same command again to start over.`;
  return `interrupted after writing ${done} frames to ${folder}; a multi-pass run cannot resume: run the same command with --fresh to start over.`;
}

export async function runVideo(ctx: Ctx): Promise<void> {
  const f = ctx.flags;
  const [input, ...stylePaths] = ctx.positionals;
  const out = str(f, 'output');
  if (!out) throw new UsageError('--output is required: a video file (-o out.mp4) or a folder of frames (-o out/)');
  backendFlag(f);
  // --passes: the multi-pass mode (video-passes.ts); checked, as the single pass's options are, before any work.
  const multi = f.has('passes') ? multiPassOptions(f, baseOptions(ctx)) : undefined;
  const options = multi ? {} : videoOptions(ctx);
  const maxFrames = multi ? resolveMultiPass(multi, stylePaths.length).maxFrames : undefined;
  if (!multi) resolveVideoOptions(options, stylePaths.length);
  const videoOut = isVideoFile(out);
  const folder = videoOut ? (str(f, 'frames') ?? `${out}.frames`) : out;
  const inputStat = await stat(input).catch(() => undefined);
  if (!inputStat) throw new UsageError(`${input}: no such file or folder`);
  for (const [label, p] of [['-o', out], ['the frames folder', folder]] as const) {
    if (resolve(p) === resolve(input)) throw new UsageError(`${label} ${p} is the input; give another name`, 'OUTPUT_IS_INPUT');
  }
  const fresh = f.get('fresh') === true;
  if (multi) await refuseResume(folder, fresh, videoOut ? '--frames folder' : 'output folder');
  if (videoOut && !(await stat(dirname(resolve(out))).catch(() => undefined))?.isDirectory()) throw new UsageError(`-o ${out}: the folder ${dirname(resolve(out))} does not exist`);
  const styles = await readInputs(ctx, stylePaths);
  const total = inputStat.isDirectory() ? (await listFrameFiles(input)).length : undefined;
  // A folder's frames are counted now; a video file's only as they are decoded (the library's own check).
  if (maxFrames !== undefined && total !== undefined && total > maxFrames) throw new UsageError(`${input} has ${total} frames, more than --max-frames ${maxFrames}: the multi-pass mode keeps every frame in memory; raise --max-frames, or leave out --passes (one pass)`);
  const ffmpeg = str(f, 'ffmpeg');
  const fps = numFlag(f, 'fps');
  const model = await loadModel(ctx);
  const stylizer = await createStylizer({ model, cacheSize: 0, maxPixels: inputLimits(f).maxPixels });
  const bar = ctx.progress('video');
  ctx.emit({ event: 'start', command: 'video', input, style: stylePaths, output: out, frames: folder, total, ...(multi && { passes: multi.passes }), backend: tf.getBackend(), network: model.architecture.name, weightsSha256: model.weightsSha256, version: VERSION });
  const of = (i: number) => `frame ${i + 1}${total ? `/${total}` : ''}`;
  let done = 0;
  let resumed = 0;
  let computedMs = 0;
  const errors: number[] = [];
  let pass = 0;
  const passes = multi?.passes;
  try {
    const style = styles.length === 1 ? styles[0] : styles;
    const source = { ffmpeg, ...(fps !== undefined && !inputStat.isDirectory() ? { fps } : {}), signal: ctx.signal };
    const frames = multi
      ? stylizeVideoToFolderMultiPass(stylizer, input, style, folder, {
          ...multi,
          ...source,
          onIteration: (info) => {
            if (info.pass !== pass) {
              pass = info.pass;
              const direction = pass % 2 === 1 ? 'forward' : 'backward';
              bar.log(`pass ${pass}/${passes} (${direction})`);
              ctx.emit({ event: 'pass', pass, passes, direction });
            }
            bar.update(info.iteration, info.iterations, `pass ${pass}/${passes} ${of(info.frame)} loss ${info.loss.total.toExponential(3)}`);
            ctx.emit({ event: 'iteration', pass, frame: info.frame, iteration: info.iteration, iterations: info.iterations, loss: info.loss, elapsedMs: Math.round(info.elapsedMs) });
          },
        })
      : stylizeVideoToFolder(stylizer, input, style, folder, {
          ...options,
          ...source,
          resume: !fresh,
          onIteration: (info) => {
            bar.update(info.iteration, info.iterations, `${of(info.frame)} loss ${info.loss.total.toExponential(3)}`);
            ctx.emit({ event: 'iteration', frame: info.frame, iteration: info.iteration, iterations: info.iterations, loss: info.loss, elapsedMs: Math.round(info.elapsedMs) });
          },
        });
    for await (const fr of frames) {
      done++;
      if (fr.resumed) resumed++;
      else computedMs += fr.ms;
      if (fr.temporalError !== undefined) errors.push(fr.temporalError);
      const err = fr.temporalError === undefined ? '' : `, temporal error ${fr.temporalError.toFixed(1)} on ${(100 * (fr.reliable ?? 0)).toFixed(0)}% of pixels`;
      bar.log(fr.resumed ? `${of(fr.index)}: kept ${fr.path}` : `${of(fr.index)}: ${fr.path} (${fr.iterations} iterations, ${fmtMs(fr.ms)}${err})`);
      ctx.emit({ event: 'frame', index: fr.index, path: fr.path, resumed: fr.resumed, iterations: fr.iterations, loss: fr.loss, temporalError: fr.temporalError, reliable: fr.reliable, ms: Math.round(fr.ms) });
    }
    bar.done();
    if (videoOut) {
      ctx.status(`encoding ${out}…`);
      await encodeFolder(folder, out, { ffmpeg, fps, signal: ctx.signal }).finally(() => ctx.status(undefined));
    }
    const computed = done - resumed;
    const mean = errors.length ? errors.reduce((a, b) => a + b, 0) / errors.length : undefined;
    ctx.say(`wrote ${out} (${done} frames${resumed ? `, ${resumed} kept from before` : ''}${computed ? `, ${fmtMs(computedMs / computed)} a frame` : ''}${mean !== undefined ? `, mean temporal error ${mean.toFixed(1)}` : ''})`);
    ctx.emit({ event: 'done', output: out, frames: folder, count: done, resumed, ...(passes !== undefined && { passes }), meanTemporalError: mean, msPerFrame: computed ? Math.round(computedMs / computed) : undefined });
  } catch (e) {
    if (isStyleTransferError(e, 'ABORTED')) ctx.say(interruptedLine(folder, done, passes === undefined ? undefined : { pass, passes }));
    throw e;
  } finally {
    bar.done();
    stylizer.dispose();
    model.dispose();
  }
}
