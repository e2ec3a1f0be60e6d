/**
 * Frames of live or decoded video in the browser, for `stylizeFrames()`: WebCodecs `VideoFrame`s (from a
 * `VideoDecoder`, a `MediaStreamTrackProcessor`, `new VideoFrame(canvas)`…) and a `MediaStream` (a webcam from
 * `getUserMedia`, a canvas's `captureStream()`). Each picture is drawn to a canvas at the run's size and read back
 * as RGBA bytes, one at a time; every `VideoFrame` read is closed at once. Same caps as `framesFromVideo`
 * (src/adapters/browser-video.ts): 240 frames, 2048 px.
 * @module
 */
import { VIDEO_FRAME_LIMITS } from './browser-video.js';
import { StyleTransferError } from '../errors.js';
import { fitSize } from '../image/input.js';
import type { DomMediaStream, DomMediaStreamTrack, DomVideoFrame } from '../image/dom-types.js';
import { OPTIONS } from '../options/check.js';
import { throwIfAborted } from '../util/checks.js';
import type { Frame, FrameIterable } from '../video/frames.js';

/** Options of {@link framesFromVideoFrames}. */
export interface VideoFrameInputOptions {
  /** The most frames taken (1–240); the rest of the iterable is left unread (and unclosed). Default 240. */
  frames?: number;
  /** Frames per second to keep, by the frames' `timestamp`s; the others are closed and skipped. Default: every frame. */
  fps?: number;
  /** Longest side of the frames yielded, px (16–2048). Default the first frame's own size, capped at 512. */
  size?: number;
  signal?: AbortSignal;
}

/** Options of {@link framesFromStream}. */
export interface StreamFramesOptions extends Omit<VideoFrameInputOptions, 'frames'> {
  /** How many frames to record (1–240). Default 8. */
  frames?: number;
  /** Seconds to wait for the stream's first frame, or for any next one, before VIDEO_UNREADABLE. Default 20. */
  timeoutSeconds?: number;
}

/** One picture to read: a VideoFrame, or (the stream fallback) the `<video>` playing the stream. */
interface Picture {
  image: CanvasImageSource;
  width: number;
  height: number;
  /** Microseconds, as `VideoFrame.timestamp`. */
  timestamp: number;
  release(): void;
}

type Processor = new (init: { track: MediaStreamTrack; maxBufferSize?: number }) => { readable: ReadableStream<VideoFrame> };

const unreadable = (message: string, details?: Record<string, unknown>): StyleTransferError => new StyleTransferError('VIDEO_UNREADABLE', message, details);

interface ReadOptions {
  count: number;
  fps?: number;
  size?: number;
  signal?: AbortSignal;
  what: string;
}

function checkCommon(o: VideoFrameInputOptions, defaultCount: number): Omit<ReadOptions, 'what'> {
  const check = OPTIONS;
  const L = VIDEO_FRAME_LIMITS;
  return {
    count: check.number('frames', o.frames, { min: 1, max: L.maxFrames, integer: true }, defaultCount),
    fps: o.fps === undefined ? undefined : check.number('fps', o.fps, { min: 0.01, max: 240 }),
    size: o.size === undefined ? undefined : check.number('size', o.size, { min: 16, max: L.maxSize, integer: true }),
    signal: check.signal('signal', o.signal),
  };
}

/**
 * Draws each picture at one size (the first picture's, fitted to `size`) and yields its RGBA bytes; with `fps`,
 * keeps the pictures on a grid `1/fps` s apart by timestamp (skipping the others). Every picture is released
 * after it was read or skipped, also on errors; the source iterator is ended (`return()`) when the loop stops.
 */
async function* readPictures(pictures: AsyncIterator<Picture>, o: ReadOptions): AsyncGenerator<Frame, void, undefined> {
  let g: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | undefined;
  let w = 0;
  let h = 0;
  let taken = 0;
  let due: number | undefined;
  const step = o.fps === undefined ? 0 : 1e6 / o.fps;
  try {
    while (taken < o.count) {
      throwIfAborted(o.signal, o.what);
      const next = await pictures.next();
      if (next.done) break;
      const p = next.value;
      try {
        throwIfAborted(o.signal, o.what);
        // 1 ms of slack: camera timestamps are rounded.
        if (due !== undefined && p.timestamp < due - 1000) continue;
        if (due !== undefined) due = p.timestamp >= due + step ? p.timestamp + step : due + step;
        else due = p.timestamp + step;
        if (!g) {
          [h, w] = fitSize(p.height, p.width, o.size ?? Math.min(512, Math.max(p.width, p.height)));
          g = context2d(w, h);
        }
        g.drawImage(p.image, 0, 0, w, h);
        const d = g.getImageData(0, 0, w, h);
        taken++;
        yield { data: new Uint8ClampedArray(d.data.buffer as ArrayBuffer), width: w, height: h };
      } finally {
        p.release();
      }
    }
  } finally {
    await pictures.return?.();
  }
}

function context2d(w: number, h: number): CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D {
  const canvas = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(w, h) : typeof document !== 'undefined' ? Object.assign(document.createElement('canvas'), { width: w, height: h }) : undefined;
  const g = canvas?.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null | undefined;
  if (!g) throw unreadable('No 2D canvas (OffscreenCanvas or a page’s <canvas>) is available to read the frames.');
  return g;
}

/** The pictures of an iterable of VideoFrames; INVALID_IMAGE for an item that is not one, or is closed. */
async function* videoFramePictures(frames: FrameIterable<DomVideoFrame>): AsyncGenerator<Picture, void, undefined> {
  let index = 0;
  for await (const f of frames as AsyncIterable<unknown>) {
    if (!(f instanceof VideoFrame)) {
      throw new StyleTransferError('INVALID_IMAGE', `frame ${index} is ${describe(f)}, not a VideoFrame. Pass images ({ data, width, height }) to stylizeFrames directly.`, { path: `frame ${index}` });
    }
    if (!f.displayWidth || !f.displayHeight) {
      f.close();
      throw new StyleTransferError('INVALID_IMAGE', `frame ${index} is a closed VideoFrame (or has no picture): a frame can be read once; do not close it before the loop reads it.`, { path: `frame ${index}` });
    }
    index++;
    yield { image: f, width: f.displayWidth, height: f.displayHeight, timestamp: f.timestamp, release: () => f.close() };
  }
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  const name = typeof v === 'object' ? ((v as object).constructor?.name ?? 'object') : typeof v;
  return `${/^[aeiou]/i.test(name) ? 'an' : 'a'} ${name}`;
}

/**
 * RGBA {@link Frame}s from an (async) iterable of WebCodecs `VideoFrame`s, at most `frames` of them, all of one
 * size (later frames are scaled to the first one's). Takes ownership of each frame it reads: it is closed as soon
 * as it was drawn (or skipped by `fps`), also on errors and abort. Works in a page or a worker (OffscreenCanvas).
 * Errors: INVALID_IMAGE (an item that is not a VideoFrame, or a closed one), VIDEO_UNREADABLE (no WebCodecs, no
 * 2D canvas), INVALID_OPTION, ABORTED.
 */
export async function* framesFromVideoFrames(frames: FrameIterable<DomVideoFrame>, options: VideoFrameInputOptions = {}): AsyncGenerator<Frame, void, undefined> {
  const o = checkCommon(OPTIONS.object('options', options) as VideoFrameInputOptions, VIDEO_FRAME_LIMITS.maxFrames);
  if (frames === null || typeof frames !== 'object' || !(Symbol.asyncIterator in frames || Symbol.iterator in frames)) {
    OPTIONS.fail('frames', frames, 'an array, iterable or async iterable of VideoFrames');
  }
  throwIfAborted(o.signal, 'framesFromVideoFrames()');
  if (typeof VideoFrame === 'undefined') throw unreadable('This host has no WebCodecs VideoFrame: framesFromVideoFrames() needs a browser with WebCodecs (Chrome 94+, Safari 16.4+, Firefox 130+).');
  yield* readPictures(videoFramePictures(frames), { ...o, what: 'framesFromVideoFrames()' });
}

/** Waits for `p`, or fails with VIDEO_UNREADABLE after `ms`, or with ABORTED on `signal`. */
function bounded<T>(p: Promise<T>, ms: number, what: string, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const done = (f: () => void) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      f();
    };
    const onAbort = () => done(() => reject(abortError(signal)));
    const timer = setTimeout(() => done(() => reject(unreadable(`The stream gave no frame within ${ms / 1000} s (${what}). Is the camera in use elsewhere, or the tab hidden? Raise timeoutSeconds for a slow source.`, { timeoutMs: ms }))), ms);
    signal?.addEventListener('abort', onAbort);
    p.then(
      (v) => done(() => resolve(v)),
      (e: unknown) => done(() => reject(e instanceof StyleTransferError ? e : unreadable(`The stream could not be read (${what}: ${(e as Error)?.message ?? String(e)}).`))),
    );
  });
}

function abortError(signal?: AbortSignal): unknown {
  try {
    throwIfAborted(signal, 'framesFromStream()');
  } catch (e) {
    return e;
  }
  return new Error('aborted');
}

/** The pictures of a track through MediaStreamTrackProcessor (Chromium): VideoFrames as the track delivers them. */
async function* processorPictures(Proc: Processor, track: MediaStreamTrack, ms: number, signal?: AbortSignal): AsyncGenerator<Picture, void, undefined> {
  const reader = new Proc({ track, maxBufferSize: 2 }).readable.getReader();
  try {
    for (;;) {
      const r = await bounded(reader.read(), ms, 'reading a frame', signal);
      if (r.done) return;
      const f = r.value;
      yield { image: f, width: f.displayWidth, height: f.displayHeight, timestamp: f.timestamp, release: () => f.close() };
    }
  } finally {
    // Cancelling ends the read; a frame already queued by the processor is closed by it.
    await reader.cancel().catch(() => undefined);
  }
}

/** The fallback: the track played by a hidden `<video>` of the page, drawn every `1/fps` s (30 fps without `fps`). */
async function* elementPictures(track: MediaStreamTrack, fps: number | undefined, ms: number, signal?: AbortSignal): AsyncGenerator<Picture, void, undefined> {
  if (typeof document === 'undefined') throw unreadable('framesFromStream() needs MediaStreamTrackProcessor or a page (a <video> element); in a worker without it, read the frames on the page.');
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = new MediaStream([track]);
  const step = 1000 / (fps ?? 30);
  try {
    const loaded = new Promise<void>((resolve, reject) => {
      video.addEventListener('loadeddata', () => resolve(), { once: true });
      video.addEventListener('error', () => reject(new Error(video.error?.message || 'media error')), { once: true });
    });
    await bounded(Promise.all([loaded, video.play()]), ms, 'starting the stream', signal);
    for (let t = performance.now(); track.readyState === 'live'; t += step) {
      if (!video.videoWidth || !video.videoHeight) throw unreadable('The stream has no picture (its video track gives no frames the browser can show).');
      yield { image: video, width: video.videoWidth, height: video.videoHeight, timestamp: Math.round(t * 1000), release: () => undefined };
      await bounded(new Promise((r) => setTimeout(r, Math.max(0, t + step - performance.now()))), ms + step, 'waiting for the next frame', signal);
    }
  } finally {
    video.pause();
    video.srcObject = null;
  }
}

/**
 * Records up to `frames` frames of a live `MediaStream`'s (or a `MediaStreamTrack`'s) video — a webcam from
 * `getUserMedia`, a canvas's `captureStream()`, a `<video>`'s `captureStream()` — as RGBA {@link Frame}s of one
 * size, `fps` apart (default: every frame the track delivers). Reads a clone of the track through
 * `MediaStreamTrackProcessor` where the browser has it (Chromium), else plays it in a hidden `<video>` (page
 * only); the clone is stopped at the end, the caller's track is left running. Frames are taken when the loop asks
 * for them, so to record at an even rate collect them first (an array) and stylise after. A stream that ends
 * early ends the frames early. Errors: VIDEO_UNREADABLE (no live video track, no frame within `timeoutSeconds`,
 * the stream ended before its first frame), INVALID_OPTION, ABORTED.
 */
export async function* framesFromStream(stream: DomMediaStream | DomMediaStreamTrack, options: StreamFramesOptions = {}): AsyncGenerator<Frame, void, undefined> {
  const opts = OPTIONS.object('options', options) as StreamFramesOptions;
  const o = checkCommon(opts, 8);
  const ms = 1000 * OPTIONS.number('timeoutSeconds', opts.timeoutSeconds, { min: 0.1, max: 600 }, 20);
  const what = 'framesFromStream()';
  throwIfAborted(o.signal, what);
  const isStream = typeof MediaStream !== 'undefined' && stream instanceof MediaStream;
  const isTrack = typeof MediaStreamTrack !== 'undefined' && stream instanceof MediaStreamTrack;
  if (!isStream && !isTrack) OPTIONS.fail('stream', stream, 'a MediaStream or a video MediaStreamTrack (in a browser)');
  const tracks = isStream ? (stream as MediaStream).getVideoTracks() : [stream as MediaStreamTrack].filter((t) => t.kind === 'video');
  const live = tracks.find((t) => t.readyState === 'live');
  if (!live) throw unreadable(tracks.length ? 'The stream’s video track has ended: ask for the camera (getUserMedia) again.' : 'The stream has no video track (an audio-only stream?): ask getUserMedia for { video: true }.', { videoTracks: tracks.length });
  const track = live.clone();
  const Proc = (globalThis as { MediaStreamTrackProcessor?: Processor }).MediaStreamTrackProcessor;
  let taken = 0;
  try {
    const pictures = Proc ? processorPictures(Proc, track, ms, o.signal) : elementPictures(track, o.fps, ms, o.signal);
    for await (const f of readPictures(pictures, { ...o, what })) {
      taken++;
      yield f;
    }
    if (taken === 0) throw unreadable('The stream ended before its first frame.');
  } finally {
    track.stop();
  }
}
