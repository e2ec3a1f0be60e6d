/**
 * Video style transfer to and from files in Node: frames from a folder, a video file (ffmpeg) or an iterable; each
 * stylised frame written to a folder as soon as it is done (atomically), so an interrupted run resumes where it
 * stopped; the folder encoded into a video file at the end.
 * @module
 */
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidOption } from '../../../errors.js';
import type { Stylizer, StyleInput } from '../../../stylize/session.js';
import type { FrameIterable } from '../../../video/frames.js';
import { stylizeFramesMultiPass, type MultiPassOptions } from '../../../video/multi-pass.js';
import { stylizeFrames, type StylizedFrame, type VideoOptions } from '../../../video/stylize-video.js';
import { readImage, writeImage } from '../image-io.js';
import { framesFromFolder, frameFileName } from './folder.js';
import { writeFramesToVideo, type WriteVideoOptions } from './ffmpeg.js';
import { readFrames } from './io.js';

/** Options of {@link stylizeVideoToFolder}: {@link VideoOptions} (but `finished`, which the folder answers) and these. */
export interface VideoToFolderOptions extends Omit<VideoOptions, 'finished'> {
  /** Names of the stylised frames: one `%d` / `%0Nd`, `.png`. Default `frame_%05d.png` (1-based, as ffmpeg's). */
  pattern?: string;
  /** Reuse frames already in the folder (default true); false recomputes and overwrites them. */
  resume?: boolean;
  /** The ffmpeg binary, for a video file source. Default `ffmpeg` on PATH. */
  ffmpeg?: string;
  /** Resample a video file source to this many frames per second. Default: its own frames. */
  fps?: number;
}

/** A stylised frame and the file it was written to. */
export interface WrittenFrame extends StylizedFrame {
  path: string;
}

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

/**
 * Stylises a clip (`source`: a folder of numbered images, a video file read through ffmpeg, or an iterable of
 * images) into `folder` (created if missing), one PNG per frame written atomically before it is yielded. With
 * `resume` (default), frames already in the folder are yielded without being recomputed (`resumed: true`) and the
 * next frames are tied to them: rerun the same command after an interruption. Use the same style and options, or
 * an empty folder to start again.
 */
export async function* stylizeVideoToFolder(stylizer: Stylizer, source: string | FrameIterable, style: StyleInput, folder: string, options: VideoToFolderOptions = {}): AsyncGenerator<WrittenFrame, void, undefined> {
  const { pattern = 'frame_%05d.png', resume = true, ffmpeg, fps, ...video } = options;
  if (typeof pattern !== 'string' || (pattern.match(/%(0\d+)?d/g) ?? []).length !== 1 || /[/\\]/.test(pattern) || !pattern.toLowerCase().endsWith('.png')) {
    invalidOption('pattern', pattern, 'a file name with one %d or %0Nd, ending in .png');
  }
  await mkdir(folder, { recursive: true });
  const pathOf = (index: number) => join(folder, frameFileName(pattern, index + 1));
  const finished = resume ? async (index: number) => ((await exists(pathOf(index))) ? readImage(pathOf(index)) : undefined) : undefined;
  const frames = readFrames(source, { ffmpeg, fps, signal: video.signal });
  for await (const frame of stylizeFrames(stylizer, frames, style, { ...video, finished })) {
    const path = pathOf(frame.index);
    if (!frame.resumed) await writeImage(path, frame.image);
    yield { ...frame, path };
  }
}

/** Options of {@link stylizeVideoToFolderMultiPass}: {@link MultiPassOptions} and the source's. */
export interface MultiPassToFolderOptions extends MultiPassOptions {
  /** The ffmpeg binary, for a video file source. Default `ffmpeg` on PATH. */
  ffmpeg?: string;
  /** Resample a video file source to this many frames per second. Default: its own frames. */
  fps?: number;
}

/**
 * {@link stylizeFramesMultiPass} into `folder`: the frames as `frame_00001.png`, … (each atomically), written only
 * once the last pass is done (the folder is created then), so an interrupted run leaves nothing behind before that.
 * It does not resume: a multi-pass run keeps its passes in memory, and frames from an earlier run are overwritten.
 */
export async function* stylizeVideoToFolderMultiPass(stylizer: Stylizer, source: string | FrameIterable, style: StyleInput, folder: string, options: MultiPassToFolderOptions = {}): AsyncGenerator<WrittenFrame, void, undefined> {
  const { ffmpeg, fps, ...passes } = options;
  const frames = readFrames(source, { ffmpeg, fps, signal: passes.signal });
  for await (const frame of stylizeFramesMultiPass(stylizer, frames, style, passes)) {
    if (frame.index === 0) await mkdir(folder, { recursive: true }); // frames come in order, after the last pass
    const path = join(folder, frameFileName('frame_%05d.png', frame.index + 1));
    await writeImage(path, frame.image);
    yield { ...frame, path };
  }
}

/** Encodes a folder of numbered frames into a video file through ffmpeg (see `writeFramesToVideo`); resolves to the frames written. */
export async function encodeFolder(folder: string, path: string, options: WriteVideoOptions = {}): Promise<number> {
  return writeFramesToVideo(framesFromFolder(folder), path, options);
}
