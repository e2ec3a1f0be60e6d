/**
 * Frames of a video in the browser, for `stylizeFrames()`: an `HTMLVideoElement` (or a `Blob`/`File` of a clip,
 * decoded by the browser's own `<video>`) is seeked to evenly spaced times, or to a fixed frame rate from `start`,
 * and each frame is drawn to a canvas and read back as RGBA bytes. Browser main thread only (workers have no
 * `<video>`); the frames are plain bytes, so they can be posted to a worker. Counts and sizes are capped. The
 * browser counterpart of Node's `framesFromVideo` (neural-style-tfjs/node, through ffmpeg).
 * @module
 */
import { StyleTransferError } from '../errors.js';
import { fitSize } from '../image/input.js';
import type { DomBlob, DomVideoElement } from '../image/dom-types.js';
import { OPTIONS } from '../options/check.js';
import { throwIfAborted } from '../util/checks.js';
import type { Frame } from '../video/frames.js';

/** The most frames {@link framesFromVideo} takes from one clip, and the largest side of a frame it yields. */
export const VIDEO_FRAME_LIMITS = { maxFrames: 240, maxSize: 2048 } as const;

/** Options of {@link framesFromVideo}. */
export interface VideoFramesOptions {
  /** How many frames (1–240). Default 8. */
  frames?: number;
  /** Frames per second from `start` (at most `frames` of them, up to `end`); default: `frames` evenly spaced over [start, end]. */
  fps?: number;
  /** Seconds into the clip where frames start. Default 0. */
  start?: number;
  /** Seconds into the clip where frames end. Default the clip's duration. */
  end?: number;
  /** Longest side of the frames yielded, px (16–2048). Default the clip's own size, capped at 512. */
  size?: number;
  /** Seconds a load or a seek may take before VIDEO_UNREADABLE. Default 20. */
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

/** The times (seconds) of the frames taken from [start, end]: `fps` apart, or `count` evenly spaced (both ends included). */
export function frameTimes(count: number, start: number, end: number, fps?: number): number[] {
  if (fps !== undefined) {
    const n = Math.min(count, Math.floor((end - start) * fps + 1e-9) + 1);
    return Array.from({ length: n }, (_, i) => start + i / fps);
  }
  if (count === 1) return [start];
  return Array.from({ length: count }, (_, i) => start + ((end - start) * i) / (count - 1));
}

const unreadable = (message: string, details?: Record<string, unknown>): StyleTransferError =>
  new StyleTransferError('VIDEO_UNREADABLE', `${message} Use a short clip the browser can play (WebM VP8/VP9 or MP4 H.264), or pass its frames as images.`, details);

/** Resolves on `ok`, rejects with VIDEO_UNREADABLE on the element's `error` event or after `ms`. */
function eventOnce(video: HTMLVideoElement, ok: string, ms: number, what: string, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (f: () => void) => {
      clearTimeout(timer);
      video.removeEventListener(ok, onOk);
      video.removeEventListener('error', onError);
      signal?.removeEventListener('abort', onAbort);
      f();
    };
    const onOk = () => done(resolve);
    const onError = () => done(() => reject(unreadable(`The video could not be decoded (${what}: ${video.error?.message || `media error ${video.error?.code ?? '?'}`}).`, { mediaError: video.error?.code })));
    const onAbort = () => done(() => reject(abortError(signal)));
    const timer = setTimeout(() => done(() => reject(unreadable(`The video did not answer within ${ms / 1000} s (${what}).`, { timeoutMs: ms }))), ms);
    video.addEventListener(ok, onOk);
    video.addEventListener('error', onError);
    signal?.addEventListener('abort', onAbort);
  });
}

function abortError(signal?: AbortSignal): unknown {
  try {
    throwIfAborted(signal, 'framesFromVideo()');
  } catch (e) {
    return e;
  }
  return new Error('aborted');
}

/**
 * The frames of `source` (an `HTMLVideoElement`, or a `Blob`/`File` of a clip) at the times {@link frameTimes}
 * gives, as RGBA {@link Frame}s of one size, one at a time (each seek waits for the last frame to be read). A
 * `Blob` gets its own hidden `<video>`, released when the loop ends; an element given is left where it was seeked
 * to. Errors: VIDEO_UNREADABLE (cannot decode, no video track, a seek that never completes), INVALID_OPTION,
 * ABORTED.
 */
export async function* framesFromVideo(source: DomVideoElement | DomBlob, options: VideoFramesOptions = {}): AsyncGenerator<Frame, void, undefined> {
  const check = OPTIONS;
  const o = check.object('options', options) as VideoFramesOptions;
  const L = VIDEO_FRAME_LIMITS;
  const count = check.number('frames', o.frames, { min: 1, max: L.maxFrames, integer: true }, 8);
  const fps = o.fps === undefined ? undefined : check.number('fps', o.fps, { min: 0.01, max: 240 });
  const timeoutMs = 1000 * check.number('timeoutSeconds', o.timeoutSeconds, { min: 0.1, max: 600 }, 20);
  const size = o.size === undefined ? undefined : check.number('size', o.size, { min: 16, max: L.maxSize, integer: true });
  const { signal } = o;
  throwIfAborted(signal, 'framesFromVideo()');
  if (typeof document === 'undefined') {
    throw new StyleTransferError('VIDEO_UNREADABLE', 'framesFromVideo() of the browser entries needs a page (a <video> element): not a worker, not Node. In a worker, read the frames on the page and post them; in Node, use framesFromVideo of neural-style-tfjs/node (ffmpeg).');
  }
  const isBlob = typeof Blob !== 'undefined' && source instanceof Blob;
  if (!isBlob && !(typeof HTMLVideoElement !== 'undefined' && source instanceof HTMLVideoElement)) {
    check.fail('source', source, 'an HTMLVideoElement, or a Blob or File of a video (in a browser page, not a worker)');
  }
  const video = isBlob ? document.createElement('video') : (source as HTMLVideoElement);
  const url = isBlob ? URL.createObjectURL(source as Blob) : undefined;
  try {
    if (url) {
      video.muted = true;
      video.playsInline = true;
      video.preload = 'auto';
      const loaded = eventOnce(video, 'loadeddata', timeoutMs, 'loading', signal);
      video.src = url;
      await loaded;
    } else if (video.readyState < 2) {
      await eventOnce(video, 'loadeddata', timeoutMs, 'loading', signal);
    }
    const { videoWidth: vw, videoHeight: vh, duration } = video;
    if (!vw || !vh) throw unreadable('The video has no picture (no video track, or one the browser cannot decode).', { width: vw, height: vh });
    // A clip recorded live may report an infinite duration until it was read through: frames then come from the start only.
    const known = Number.isFinite(duration) ? duration : 0;
    const start = check.number('start', o.start, { min: 0, max: known }, 0);
    const end = check.number('end', o.end, { min: start, max: known }, known);
    const [h, w] = fitSize(vh, vw, size ?? Math.min(512, Math.max(vw, vh)));
    const canvas = typeof OffscreenCanvas !== 'undefined' ? new OffscreenCanvas(w, h) : Object.assign(document.createElement('canvas'), { width: w, height: h });
    const g = canvas.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D | null;
    if (!g) throw unreadable('No 2D canvas is available to read the frames.');
    for (const t of frameTimes(count, start, end, fps)) {
      throwIfAborted(signal, 'framesFromVideo()');
      // The last frame sits just before the end: seeking to the end itself shows nothing in some browsers.
      const at = Math.max(0, Math.min(t, known - 1e-3));
      if (Math.abs(video.currentTime - at) > 1e-6 || video.readyState < 2) {
        const seeked = eventOnce(video, 'seeked', timeoutMs, `seeking to ${at.toFixed(3)} s`, signal);
        video.currentTime = at;
        await seeked;
      }
      g.drawImage(video, 0, 0, w, h);
      const d = g.getImageData(0, 0, w, h);
      yield { data: new Uint8ClampedArray(d.data.buffer as ArrayBuffer), width: w, height: h };
    }
  } finally {
    if (url) {
      video.removeAttribute('src');
      video.load();
      URL.revokeObjectURL(url);
    }
  }
}
