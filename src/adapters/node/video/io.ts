/**
 * One way in and one way out for clips in Node: a folder of numbered images, a video file (through ffmpeg), or
 * any (async) iterable of images; the CLI's `video` command and `video()` take their frames from here.
 * @module
 */
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { framesFromIterable, type Frame, type FrameIterable } from '../../../video/frames.js';
import { framesFromFolder, writeFramesToFolder, type WriteFolderOptions } from './folder.js';
import { framesFromVideo, writeFramesToVideo, type ReadVideoOptions, type WriteVideoOptions } from './ffmpeg.js';

/** Extensions written as video files through ffmpeg; any other target is a folder of numbered images. */
export const VIDEO_EXTENSIONS = ['.mp4', '.m4v', '.mov', '.mkv', '.webm', '.avi', '.gif'];

/** Frames from a folder (numbered PNG/JPEG), a video file (ffmpeg) or an iterable of images. */
export async function* readFrames(source: string | FrameIterable, options: ReadVideoOptions = {}): AsyncGenerator<Frame> {
  if (typeof source !== 'string') return yield* framesFromIterable(source);
  const st = await stat(source).catch(() => undefined);
  if (st?.isDirectory()) return yield* framesFromFolder(source, { maxPixels: options.maxPixels });
  return yield* framesFromVideo(source, options);
}

/**
 * Writes frames to a video file when `target` ends in one of {@link VIDEO_EXTENSIONS} (through ffmpeg), else to
 * a folder of numbered images; resolves to the number of frames written.
 */
export async function writeFrames(frames: FrameIterable, target: string, options: WriteVideoOptions & WriteFolderOptions = {}): Promise<number> {
  if (VIDEO_EXTENSIONS.includes(extname(target).toLowerCase())) {
    return writeFramesToVideo(frames, target, { ffmpeg: options.ffmpeg, fps: options.fps, outputArgs: options.outputArgs, signal: options.signal });
  }
  return writeFramesToFolder(frames, target, { pattern: options.pattern, start: options.start, quality: options.quality });
}
