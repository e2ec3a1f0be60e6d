/**
 * Stylised frames back to video in the browser, the counterpart of `framesFromVideo` / `framesFromVideoFrames`
 * (./browser-video.ts, ./browser-stream.ts) and of Node's `writeFramesToVideo` (ffmpeg): {@link videoFromFrames}
 * records them to a WebM (or another type the browser's `MediaRecorder` writes) `Blob`, and
 * {@link videoFramesFromFrames} turns them into WebCodecs `VideoFrame`s for callers who encode with a
 * `VideoEncoder` themselves.
 * @module
 */
import { StyleTransferError } from '../errors.js';
import type { DomBlob, DomVideoFrame } from '../image/dom-types.js';
import { OPTIONS } from '../options/check.js';
import { throwIfAborted } from '../util/checks.js';
import { checkSameSize, type FrameIterable } from '../video/frames.js';
import { type EncodableFrame, type Picture, pictureOf } from './browser-picture.js';

export { type EncodableFrame, MAX_ENCODE_SIZE } from './browser-picture.js';

/** The most frames one call encodes (more: VIDEO_UNWRITABLE), so no iterable can grow the recording without bound. */
export const MAX_ENCODE_FRAMES = 3600;

/** The types {@link videoFromFrames} tries, in order, when no `mimeType` is given: VP9, VP8, then any WebM. */
export const WEBM_TYPES = ['video/webm;codecs=vp9', 'video/webm;codecs=vp8', 'video/webm'] as const;

/** Options of {@link videoFramesFromFrames}. */
export interface VideoFrameOutputOptions {
  /** Frames per second: frame i gets `timestamp` i · 10⁶/fps µs and that `duration`. Default 25; range 0.01–240. */
  fps?: number;
  signal?: AbortSignal;
}

/** Options of {@link videoFromFrames}. */
export interface VideoEncodeOptions extends VideoFrameOutputOptions {
  /** The `MediaRecorder` type, e.g. `'video/webm;codecs=vp8'` or `'video/mp4'`. Default the first of {@link WEBM_TYPES} the browser records. */
  mimeType?: string;
  /** Video bits per second (10 000–100 000 000). Default max(250 000, 2 · width · height · fps). */
  bitsPerSecond?: number;
  /** Called after each frame was handed to the encoder, with how many have been so far. */
  onProgress?: (progress: { frames: number }) => void;
}

const unwritable = (message: string, details?: Record<string, unknown>, cause?: unknown): StyleTransferError => new StyleTransferError('VIDEO_UNWRITABLE', message, details, cause === undefined ? undefined : { cause });

function checkFrames(frames: unknown): void {
  if (frames === null || typeof frames !== 'object' || !(Symbol.asyncIterator in frames || Symbol.iterator in frames)) {
    OPTIONS.fail('frames', frames, 'an array, iterable or async iterable of frames (pixels, ImageData, tensors, canvases, VideoFrames or stylizeFrames() results)');
  }
}

/** The pictures of `frames`, in order, all of the first one's size, at most {@link MAX_ENCODE_FRAMES}. */
async function* picturesOf(frames: FrameIterable<EncodableFrame>, what: string, signal?: AbortSignal): AsyncGenerator<Picture, void, undefined> {
  let first: Picture | undefined;
  let index = 0;
  for await (const item of frames as AsyncIterable<EncodableFrame>) {
    throwIfAborted(signal, what);
    if (index === MAX_ENCODE_FRAMES) throw unwritable(`${what} encodes at most ${MAX_ENCODE_FRAMES} frames in one call; encode a long clip in parts.`, { maxFrames: MAX_ENCODE_FRAMES });
    const p = await pictureOf(item, index);
    checkSameSize(p, first, `frame ${index}`);
    first ??= p;
    index++;
    yield p;
  }
  if (index === 0) throw new StyleTransferError('INVALID_IMAGE', `No frames to encode (${what} got an empty iterable).`);
}

/**
 * WebCodecs `VideoFrame`s of `frames` (RGBA, one per frame, `1/fps` s apart by `timestamp`), made one at a time as
 * the loop asks: hand them to a `VideoEncoder` (and a muxer of your choice), or draw them. Each frame yielded is
 * the caller's to `close()`; the inputs are read, not closed or disposed. Works in a page or a worker. Errors:
 * VIDEO_UNWRITABLE (no WebCodecs, more than {@link MAX_ENCODE_FRAMES}), INVALID_IMAGE (frames of different sizes,
 * none at all), UNSUPPORTED_IMAGE, IMAGE_TOO_LARGE, INVALID_OPTION, ABORTED.
 */
export async function* videoFramesFromFrames(frames: FrameIterable<EncodableFrame>, options: VideoFrameOutputOptions = {}): AsyncGenerator<DomVideoFrame, void, undefined> {
  const what = 'videoFramesFromFrames()';
  const o = OPTIONS.object('options', options, ['fps', 'signal']) as VideoFrameOutputOptions;
  const fps = OPTIONS.number('fps', o.fps, { min: 0.01, max: 240 }, 25);
  const signal = OPTIONS.signal('signal', o.signal);
  checkFrames(frames);
  throwIfAborted(signal, what);
  if (typeof VideoFrame === 'undefined') throw unwritable(`This host has no WebCodecs VideoFrame: ${what} needs a browser with WebCodecs (Chrome 94+, Safari 16.4+, Firefox 130+). Use videoFromFrames() (MediaRecorder) instead.`);
  let i = 0;
  for await (const p of picturesOf(frames, what, signal)) {
    const init = { timestamp: Math.round((i * 1e6) / fps), duration: Math.round(1e6 / fps) };
    i++;
    yield (p.rgba ? new VideoFrame(p.rgba, { format: 'RGBA', codedWidth: p.width, codedHeight: p.height, ...init }) : new VideoFrame(p.source as CanvasImageSource, init)) as DomVideoFrame;
  }
}

/** The type to record: `asked` when the browser records it, else the first WebM type it does. */
function chooseType(asked: string | undefined): string {
  const supported = (t: string) => MediaRecorder.isTypeSupported(t);
  if (asked !== undefined) {
    if (supported(asked)) return asked;
    const alternatives = [...WEBM_TYPES, 'video/mp4'].filter(supported);
    throw unwritable(`This browser's MediaRecorder cannot record ${JSON.stringify(asked)}. ${alternatives.length ? `It records ${alternatives.map((t) => JSON.stringify(t)).join(', ')}; pass one of those, or leave mimeType out.` : 'Leave mimeType out, or encode with WebCodecs (videoFramesFromFrames).'}`, { mimeType: asked, supported: alternatives });
  }
  const type = WEBM_TYPES.find(supported);
  if (!type) throw unwritable('This browser cannot record WebM (MediaRecorder supports no WebM type here): pass a mimeType it records (e.g. "video/mp4"), or encode with WebCodecs (videoFramesFromFrames).');
  return type;
}

/** Waits `ms`, or rejects with ABORTED when `signal` fires first. */
function sleep(ms: number, what: string, signal?: AbortSignal): Promise<void> {
  return waitFor(new Promise((r) => setTimeout(r, ms)), what, signal);
}

/** Waits for `p`, or rejects with ABORTED when `signal` fires first. */
function waitFor<T>(p: Promise<T>, what: string, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      try {
        throwIfAborted(signal, what);
      } catch (e) {
        reject(e);
      }
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Records `frames` to a video `Blob` with the browser's own encoder: each frame is drawn to a canvas whose
 * `captureStream(0)` track feeds a `MediaRecorder`, and `requestFrame()` hands exactly that frame to it, so no
 * frame is dropped or repeated. Recording runs in real time, `1/fps` s a frame (n frames take n/fps s); while the
 * next frame is not ready yet (e.g. still being stylised), recording is paused, so frames keep their `1/fps` s
 * each. Resolves to the whole file (type: the recorder's, WebM by default); on an error or abort nothing is
 * returned and the recorder, the canvas track and the iterable are stopped. Page main thread only (a canvas
 * element); in a worker use {@link videoFramesFromFrames} with a `VideoEncoder`. Errors: VIDEO_UNWRITABLE (no
 * page, no MediaRecorder, a type it cannot record, a recorder failure or an empty recording, more than
 * {@link MAX_ENCODE_FRAMES}), INVALID_IMAGE (frames of different sizes, none at all), UNSUPPORTED_IMAGE,
 * IMAGE_TOO_LARGE, INVALID_OPTION, ABORTED.
 */
export async function videoFromFrames(frames: FrameIterable<EncodableFrame>, options: VideoEncodeOptions = {}): Promise<DomBlob> {
  const what = 'videoFromFrames()';
  const o = OPTIONS.object('options', options, ['fps', 'mimeType', 'bitsPerSecond', 'signal', 'onProgress']) as VideoEncodeOptions;
  const fps = OPTIONS.number('fps', o.fps, { min: 0.01, max: 240 }, 25);
  const asked = o.mimeType === undefined ? undefined : OPTIONS.string('mimeType', o.mimeType, /^video\/[\w.+-]+(;.*)?$/, 'a video MIME type such as "video/webm;codecs=vp9"');
  const bits = o.bitsPerSecond === undefined ? undefined : OPTIONS.number('bitsPerSecond', o.bitsPerSecond, { min: 1e4, max: 1e8 });
  const signal = OPTIONS.signal('signal', o.signal);
  const onProgress = OPTIONS.fn<NonNullable<VideoEncodeOptions['onProgress']>>('onProgress', o.onProgress);
  checkFrames(frames);
  throwIfAborted(signal, what);
  if (typeof document === 'undefined') throw unwritable(`${what} needs a page (a <canvas> to capture): not a worker, not Node. In a worker, encode videoFramesFromFrames() with a VideoEncoder, or post the frames to the page; in Node, use writeFramesToVideo of neural-style-tfjs/node (ffmpeg).`);
  if (typeof MediaRecorder === 'undefined') throw unwritable(`This browser has no MediaRecorder, so ${what} cannot encode; use videoFramesFromFrames() with a VideoEncoder where WebCodecs exists.`);
  const mimeType = chooseType(asked);

  const pictures = picturesOf(frames, what, signal);
  let recorder: MediaRecorder | undefined;
  let track: CanvasCaptureMediaStreamTrack | undefined;
  // True while a next() is pending: return() would then wait for it (a frame still being stylised), so it is not awaited.
  let asking = false;
  const ask = (): Promise<IteratorResult<Picture, void>> => {
    asking = true;
    const p = pictures.next();
    p.then(() => (asking = false), () => (asking = false));
    return waitFor(p, what, signal);
  };
  try {
    let next = await ask();
    if (next.done) throw new Error('unreachable: picturesOf throws on no frames');
    const { width, height } = next.value;
    const canvas = Object.assign(document.createElement('canvas'), { width, height });
    const g = canvas.getContext('2d');
    if (!g) throw unwritable('No 2D canvas is available to draw the frames.');
    const draw = (p: Picture) => (p.rgba ? g.putImageData(new ImageData(p.rgba, width, height), 0, 0) : g.drawImage(p.source!, 0, 0, width, height));
    // Captured before anything is drawn: Chromium sends a canvas that already has content as an extra first frame.
    // (Nor is the recorder's `start` awaited: Chromium fires it with the first frame.)
    track = canvas.captureStream(0).getVideoTracks()[0] as CanvasCaptureMediaStreamTrack;
    try {
      recorder = new MediaRecorder(new MediaStream([track]), { mimeType, videoBitsPerSecond: bits ?? Math.max(250_000, Math.round(2 * width * height * fps)) });
    } catch (e) {
      throw unwritable(`MediaRecorder refused to record ${mimeType} (${(e as Error).message}).`, { mimeType }, e);
    }
    const rec = recorder;
    const chunks: Blob[] = [];
    let failure: unknown;
    rec.addEventListener('dataavailable', (e) => e.data.size > 0 && chunks.push(e.data));
    const stopped = new Promise<void>((resolve) => rec.addEventListener('stop', () => resolve(), { once: true }));
    rec.addEventListener('error', (e) => (failure ??= unwritable(`Recording the video failed (${(e as ErrorEvent).error?.message ?? (e as ErrorEvent).message ?? 'MediaRecorder error'}).`, { mimeType })));
    rec.start();
    let count = 0;
    while (!next.done) {
      draw(next.value);
      track.requestFrame();
      onProgress?.({ frames: ++count });
      // The next frame is asked for now, so it is made while this one is shown.
      const pending = ask();
      let ready = false;
      pending.then(() => (ready = true), () => (ready = true));
      await sleep(1000 / fps, what, signal);
      if (failure) throw failure;
      if (!ready) {
        // Not ready: the recording waits for it (a paused MediaRecorder does not count the time).
        rec.pause();
        await pending;
        rec.resume();
      }
      next = await pending;
    }
    rec.stop();
    await waitFor(stopped, what, signal);
    if (failure) throw failure;
    const blob = new Blob(chunks, { type: rec.mimeType || mimeType });
    if (blob.size === 0) throw unwritable(`MediaRecorder recorded nothing (${count} frames, ${mimeType}).`, { mimeType, frames: count });
    return blob as DomBlob;
  } finally {
    if (recorder && recorder.state !== 'inactive') recorder.stop();
    track?.stop();
    const ended = pictures.return(undefined).catch(() => undefined);
    if (!asking) await ended;
  }
}
