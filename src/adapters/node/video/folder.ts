/**
 * Frames from and to a folder of numbered images (PNG or JPEG, through src/adapters/node/image-io.ts), in natural
 * order: `frame2.png` before `frame10.png`.
 * @module
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { StyleTransferError, invalidOption } from '../../../errors.js';
import { formatFromPath, readImage, writeImage, type ReadImageOptions } from '../image-io.js';
import { checkSameSize, framesFromIterable, type Frame, type FrameIterable } from '../../../video/frames.js';

const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

/** Natural order of file names: runs of digits compare as numbers (`f2` < `f10`), letters case-insensitively. */
export function naturalCompare(a: string, b: string): number {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

/** The PNG and JPEG files of `folder` in natural order (names only). INVALID_IMAGE when it cannot be listed. */
export async function listFrameFiles(folder: string): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(folder, { withFileTypes: true })).filter((d) => !d.isDirectory() && !d.name.startsWith('.') && formatFromPath(d.name)).map((d) => d.name);
  } catch (e) {
    const errno = (e as NodeJS.ErrnoException).code;
    const why = errno === 'ENOENT' ? 'no such folder' : errno === 'ENOTDIR' ? 'it is not a folder' : String((e as Error).message ?? e);
    throw new StyleTransferError('INVALID_IMAGE', `Cannot list the frames in ${folder}: ${why}.`, { path: folder, errno }, { cause: e });
  }
  return names.sort(naturalCompare);
}

/**
 * Frames from the numbered PNG/JPEG images of `folder`, in natural order, read one at a time. INVALID_IMAGE when
 * the folder has none or a frame's size differs from the first; `options` bound each file (see readImage).
 */
export async function* framesFromFolder(folder: string, options: ReadImageOptions = {}): AsyncGenerator<Frame> {
  const names = await listFrameFiles(folder);
  if (names.length === 0) throw new StyleTransferError('INVALID_IMAGE', `${folder} has no PNG or JPEG frames.`, { path: folder });
  let first: Frame | undefined;
  for (const name of names) {
    const frame = await readImage(join(folder, name), options);
    checkSameSize(frame, first, join(folder, name));
    first ??= frame;
    yield frame;
  }
}

export interface WriteFolderOptions {
  /** File names: one printf-style number `%d` or `%0Nd` (as ffmpeg's), `.png`, `.jpg` or `.jpeg`. Default `frame_%05d.png`. */
  pattern?: string;
  /** The number of the first frame. Default 1 (as ffmpeg's image2 muxer). */
  start?: number;
  /** JPEG quality 1–100. Default 92. */
  quality?: number;
}

/** The file name of frame `n` under a `%d` / `%0Nd` pattern. */
export function frameFileName(pattern: string, n: number): string {
  return pattern.replace(/%(0(\d+))?d/, (_, _pad: string | undefined, width: string | undefined) => String(n).padStart(width ? Number(width) : 0, '0'));
}

/**
 * Writes frames to `folder` (created if missing) as numbered images, each atomically; resolves to the number
 * written. All frames must have the first one's size.
 */
export async function writeFramesToFolder(frames: FrameIterable, folder: string, options: WriteFolderOptions = {}): Promise<number> {
  const pattern = options.pattern ?? 'frame_%05d.png';
  if (typeof pattern !== 'string' || (pattern.match(/%(0\d+)?d/g) ?? []).length !== 1 || /[/\\]/.test(pattern) || !formatFromPath(pattern)) {
    invalidOption('pattern', pattern, 'a file name with one %d or %0Nd, ending in .png, .jpg or .jpeg');
  }
  const start = options.start ?? 1;
  if (!Number.isInteger(start) || start < 0) invalidOption('start', start, 'an integer ≥ 0');
  await mkdir(folder, { recursive: true });
  let count = 0;
  for await (const frame of framesFromIterable(frames)) {
    await writeImage(join(folder, frameFileName(pattern, start + count)), frame, { quality: options.quality });
    count++;
  }
  return count;
}
