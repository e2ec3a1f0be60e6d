/**
 * Video files through an `ffmpeg` binary (on PATH or given), with no npm dependency: decoding spawns ffmpeg to
 * write raw RGBA frames to stdout (`-f rawvideo -pix_fmt rgba`) and reads exactly width·height·4 bytes per frame,
 * so memory stays at about one frame whatever the clip's length (the pipe's back-pressure pauses ffmpeg); the size
 * is read from ffmpeg's own log (its output stream's line, so it is the size after autorotation). Encoding feeds
 * raw RGBA frames to ffmpeg's stdin, one at a time, and publishes the file by renaming a temp file.
 *
 * Errors: FFMPEG_MISSING when no binary is found, FFMPEG_FAILED when it exits with an error or its output is
 * short (`details.stderr`: the end of its log), INVALID_IMAGE for a missing input file or frames of mixed sizes,
 * IMAGE_TOO_LARGE over `maxPixels`, ABORTED when the signal fires.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, rename, stat, unlink } from 'node:fs/promises';
import { delimiter, extname, isAbsolute, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { StyleTransferError, invalidOption } from '../../../errors.js';
import { tempPathBeside } from '../image-io.js';
import { DEFAULT_MAX_INPUT_PIXELS } from '../../../image/input.js';
import { checkSameSize, framesFromIterable, type Frame, type FrameIterable } from '../../../video/frames.js';

/** The most of ffmpeg's log kept for error messages. */
const STDERR_TAIL = 4000;

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, fsConstants.X_OK);
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * The path of the ffmpeg binary: `given` (a path, or a bare name looked up on PATH), else `ffmpeg` on PATH
 * (with PATHEXT's extensions on Windows). FFMPEG_MISSING when there is none.
 */
export async function findFfmpeg(given?: string): Promise<string> {
  const name = given ?? 'ffmpeg';
  if (typeof name !== 'string' || name === '') invalidOption('ffmpeg', given, 'the path or name of an ffmpeg binary');
  const missing = (where: string): never => {
    throw new StyleTransferError('FFMPEG_MISSING', `${where}; reading or writing video files needs ffmpeg: install it (apt-get install ffmpeg, brew install ffmpeg, https://ffmpeg.org/download.html) or pass its path as the \`ffmpeg\` option. Folders of numbered images need no ffmpeg.`, { ffmpeg: name });
  };
  if (isAbsolute(name) || name.includes('/') || name.includes('\\')) {
    if (await isExecutable(resolve(name))) return resolve(name);
    return missing(`No executable ffmpeg at ${name}`);
  }
  const exts = process.platform === 'win32' ? ['', ...(process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';')] : [''];
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const ext of exts) {
      const candidate = join(dir, name + ext);
      if (await isExecutable(candidate)) return candidate;
    }
  }
  return missing(`No ${name} binary on PATH`);
}

/** Collects the end of a child's stderr, and lets callers wait for a pattern in it. */
class LogTail {
  text = '';
  private waiters: (() => void)[] = [];
  constructor(stream: Readable) {
    stream.setEncoding('utf8');
    stream.on('data', (s: string) => {
      this.text = (this.text + s).slice(-64 * 1024);
      for (const w of this.waiters.splice(0)) w();
    });
  }
  tail(): string {
    return this.text.slice(-STDERR_TAIL);
  }
  /** Resolves to the first match of `re` in the log, or undefined once `done` settles without one. */
  async find(re: RegExp, done: Promise<unknown>): Promise<RegExpMatchArray | undefined> {
    let finished = false;
    void done.then(() => (finished = true), () => (finished = true));
    for (;;) {
      const m = this.text.match(re);
      if (m || finished) return m ?? undefined;
      await Promise.race([new Promise<void>((r) => this.waiters.push(r)), done.then(() => undefined, () => undefined)]);
    }
  }
}

/** Resolves with the exit code (or signal name) of a child process; rejects when it cannot be spawned. */
function exited(child: ChildProcess): Promise<number | string> {
  return new Promise((resolveExit, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolveExit(code ?? signal ?? -1));
  });
}

function failed(what: string, log: LogTail, details: Record<string, unknown> = {}): StyleTransferError {
  const last = log.tail().trim().split('\n').slice(-3).join(' / ');
  return new StyleTransferError('FFMPEG_FAILED', `ffmpeg ${what}${last ? `: ${last}` : ''}.`, { ...details, stderr: log.tail() });
}

/**
 * Reads a stream in pieces of exactly `size` bytes (the last may be shorter). It holds at most one piece plus one
 * chunk: the stream is paused once a piece is buffered and resumed when the piece is taken. (Not `read(n)` with a
 * `readable` listener: with fewer than n bytes buffered, that listener is re-fired on the next tick before any I/O,
 * which starves the pipe and spins.)
 */
class ExactReader {
  private chunks: Buffer[] = [];
  private length = 0;
  private ended = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly stream: Readable,
    private readonly size: number,
  ) {
    stream.pause();
    stream.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.length += chunk.length;
      if (this.length >= this.size) stream.pause();
      this.wake?.();
    });
    const end = (): void => {
      this.ended = true;
      this.wake?.();
    };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', (e: Error) => {
      this.error = e;
      this.wake?.();
    });
  }

  /** The next `size` bytes; fewer at the end of the stream; null once it has ended with nothing left. */
  async next(): Promise<Buffer | null> {
    while (this.length < this.size && !this.ended && !this.error) {
      await new Promise<void>((resolveWake) => {
        this.wake = resolveWake;
        this.stream.resume();
      });
      this.wake = undefined;
    }
    if (this.error) throw this.error;
    if (this.length === 0) return null;
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.length);
    const piece = all.subarray(0, Math.min(this.size, all.length));
    const rest = all.subarray(piece.length);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.length = rest.length;
    return piece;
  }
}

export interface ReadVideoOptions {
  /** The ffmpeg binary (path or name on PATH). Default: `ffmpeg` on PATH. */
  ffmpeg?: string;
  /** Resample to this many frames per second (ffmpeg's `fps` filter). Default: the file's own frames. */
  fps?: number;
  /** The most pixels a frame may have (IMAGE_TOO_LARGE above). Default 50 000 000. */
  maxPixels?: number;
  /** Stops decoding (ABORTED) and ends ffmpeg. */
  signal?: AbortSignal;
}

const aborted = (): StyleTransferError => new StyleTransferError('ABORTED', 'Reading the video was aborted.');

/**
 * Frames of a video file, decoded by ffmpeg and read one at a time (see the module notes). Breaking out of the
 * loop ends ffmpeg.
 */
export async function* framesFromVideo(path: string, options: ReadVideoOptions = {}): AsyncGenerator<Frame> {
  if (options.fps !== undefined && !(typeof options.fps === 'number' && options.fps > 0 && options.fps <= 1000)) invalidOption('fps', options.fps, 'a number of frames per second in (0, 1000]');
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_INPUT_PIXELS;
  const ffmpeg = await findFfmpeg(options.ffmpeg);
  const st = await stat(path).catch(() => undefined);
  if (!st?.isFile()) throw new StyleTransferError('INVALID_IMAGE', `Cannot read ${path}: ${st ? 'it is not a regular file' : 'no such file'}.`, { path });
  if (options.signal?.aborted) throw aborted();
  const args = ['-hide_banner', '-nostdin', '-i', path, ...(options.fps ? ['-vf', `fps=${options.fps}`] : []), '-an', '-f', 'rawvideo', '-pix_fmt', 'rgba', 'pipe:1'];
  const child = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exit = exited(child);
  const log = new LogTail(child.stderr!);
  const onAbort = (): void => {
    child.kill('SIGKILL');
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let finished = false;
  try {
    // ffmpeg logs its output stream (after autorotation and filters) before it writes the first frame.
    const m = await log.find(/Output #0[\s\S]*?Video: rawvideo[^\n]*?, (\d+)x(\d+)\D/, exit);
    if (!m) {
      const code = await exit.catch((e: unknown) => String(e));
      if (options.signal?.aborted) throw aborted();
      throw failed(`could not decode ${path} (exit ${code})`, log, { path, exitCode: code });
    }
    const width = Number(m[1]);
    const height = Number(m[2]);
    if (width * height > maxPixels) {
      throw new StyleTransferError('IMAGE_TOO_LARGE', `${path} has ${width}x${height} frames, more than the limit of ${maxPixels} pixels; raise maxPixels or pass a smaller video.`, { path, width, height, maxPixels });
    }
    const frameBytes = width * height * 4;
    const reader = new ExactReader(child.stdout!, frameBytes);
    for (let index = 0; ; index++) {
      const chunk = await reader.next();
      if (options.signal?.aborted) throw aborted();
      if (!chunk) break;
      if (chunk.length < frameBytes) throw failed(`ended inside frame ${index} of ${path} (${chunk.length} of ${frameBytes} bytes)`, log, { path, frame: index });
      const data = new Uint8ClampedArray(new ArrayBuffer(frameBytes));
      data.set(chunk);
      yield { data, width, height };
    }
    const code = await exit;
    if (options.signal?.aborted) throw aborted();
    if (code !== 0) throw failed(`failed on ${path} (exit ${code})`, log, { path, exitCode: code });
    finished = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !(e instanceof StyleTransferError)) {
      throw new StyleTransferError('FFMPEG_MISSING', `Could not run ${ffmpeg}.`, { ffmpeg }, { cause: e });
    }
    throw e;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    if (!finished) {
      child.kill('SIGKILL');
      // The child's 'close' (which `exit` waits for) comes only once its stdout has closed, and a paused stdout
      // holding two or more unread chunks never ends (resuming it delivers one chunk, which pauses it again). It
      // is destroyed here, or an early stop would wait forever — and with nothing else keeping the event loop
      // alive, Node would exit with code 0 in the middle of the command.
      child.stdout?.destroy();
      await exit.catch(() => undefined);
    }
  }
}

export interface WriteVideoOptions {
  /** The ffmpeg binary (path or name on PATH). Default: `ffmpeg` on PATH. */
  ffmpeg?: string;
  /** Frames per second of the file. Default 25; range (0, 1000]. */
  fps?: number;
  /** Extra ffmpeg output arguments placed before the file name (e.g. `['-crf', '18']`), after the defaults per extension. */
  outputArgs?: string[];
  /** Stops encoding (ABORTED); nothing is left behind. */
  signal?: AbortSignal;
}

/** Output arguments by extension: H.264-friendly yuv420p with even sides for MP4/MOV/MKV, a palette for GIF. */
function argsFor(path: string): string[] {
  const ext = extname(path).toLowerCase();
  if (['.mp4', '.m4v', '.mov', '.mkv'].includes(ext)) return ['-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2', '-pix_fmt', 'yuv420p'];
  if (ext === '.gif') return ['-vf', 'split[a][b];[a]palettegen[p];[b][p]paletteuse'];
  if (ext === '.webm') return ['-pix_fmt', 'yuv420p'];
  return [];
}

/** Writes a stream chunk, waiting for the pipe to drain; rejects when the pipe breaks. */
function writeChunk(stream: NodeJS.WritableStream, bytes: Uint8Array): Promise<void> {
  return new Promise((ok, fail) => {
    const onError = (e: Error): void => fail(e);
    stream.once('error', onError);
    const flushed = stream.write(bytes);
    const done = (): void => {
      stream.off('error', onError);
      ok();
    };
    if (flushed) done();
    else stream.once('drain', done);
  });
}

/**
 * Encodes frames into a video file with ffmpeg (format from the extension: .mp4, .gif, .webm, …); resolves to the
 * number of frames written. The file appears complete or not at all (a temp file beside it, renamed at the end).
 * Frames are fed one at a time; all must have the first one's size. MP4/MOV/MKV sides are padded to even.
 */
export async function writeFramesToVideo(frames: FrameIterable, path: string, options: WriteVideoOptions = {}): Promise<number> {
  const fps = options.fps ?? 25;
  if (!(typeof fps === 'number' && fps > 0 && fps <= 1000)) invalidOption('fps', options.fps, 'a number of frames per second in (0, 1000]');
  if (options.outputArgs !== undefined && !(Array.isArray(options.outputArgs) && options.outputArgs.every((a) => typeof a === 'string'))) invalidOption('outputArgs', options.outputArgs, 'an array of strings');
  const ffmpeg = await findFfmpeg(options.ffmpeg);
  const tmp = tempPathBeside(path) + extname(path);
  const iterator = framesFromIterable(frames)[Symbol.asyncIterator]();
  let child: ChildProcess | undefined;
  let exit: Promise<number | string> | undefined;
  let log: LogTail | undefined;
  let count = 0;
  let published = false;
  try {
    let next = await iterator.next();
    if (next.done) throw new StyleTransferError('INVALID_IMAGE', `No frames to write to ${path}.`, { path });
    const first = next.value;
    const args = ['-hide_banner', '-nostdin', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgba', '-s', `${first.width}x${first.height}`, '-framerate', String(fps), '-i', 'pipe:0', ...argsFor(path), ...(options.outputArgs ?? []), tmp];
    child = spawn(ffmpeg, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    exit = exited(child);
    log = new LogTail(child.stderr!);
    const stdin = child.stdin!;
    stdin.on('error', () => undefined); // a broken pipe is reported through the exit code below
    while (!next.done) {
      if (options.signal?.aborted) throw new StyleTransferError('ABORTED', 'Writing the video was aborted.', { path });
      checkSameSize(next.value, first, `frame ${count}`);
      try {
        const d = next.value.data;
        await writeChunk(stdin, new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
      } catch {
        break; // ffmpeg stopped reading: its exit code and log say why
      }
      count++;
      next = await iterator.next();
    }
    stdin.end();
    const code = await exit;
    // Ctrl-C in a terminal reaches ffmpeg too (one process group): it stops early, which is the abort, not a failure.
    if (options.signal?.aborted) throw new StyleTransferError('ABORTED', 'Writing the video was aborted.', { path });
    if (code !== 0 || !next.done) throw failed(`could not write ${path} (exit ${code})`, log, { path, exitCode: code });
    await rename(tmp, resolve(path));
    published = true;
    return count;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && !(e instanceof StyleTransferError) && !published && log === undefined) {
      throw new StyleTransferError('FFMPEG_MISSING', `Could not run ${ffmpeg}.`, { ffmpeg }, { cause: e });
    }
    throw e;
  } finally {
    if (!published) {
      child?.kill('SIGKILL');
      await exit?.catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      await iterator.return?.(undefined);
    }
  }
}
