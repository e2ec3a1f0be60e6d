/**
 * The Video card's clips, as frames of bytes for the worker: a built-in clip (the content image panned a few
 * pixels per frame, so trying the card needs no file) or the frames of an uploaded clip, read by the library's
 * `framesFromVideo` (a `<video>` on this thread, seeked to evenly spaced times), or a few seconds of the camera,
 * read by `framesFromStream`.
 */
import type { Pixels } from './protocol';

/** Pixels per frame the built-in clip pans by (at the run's size). */
export const PAN = 2;

/**
 * `count` frames of `size` px (longest side): a window over the content image, scaled so the window is `size`
 * wide after `count` − 1 steps of {@link PAN} px, moving right by PAN px per frame.
 */
export function pannedClip(content: Pixels, count: number, size: number): Pixels[] {
  const landscape = content.width >= content.height;
  const fw = landscape ? size : Math.max(1, Math.round((content.width * size) / content.height));
  const fh = landscape ? Math.max(1, Math.round((content.height * size) / content.width)) : size;
  const bigW = fw + (count - 1) * PAN;
  const bigH = Math.max(fh, Math.round((content.height * bigW) / content.width));
  const src = document.createElement('canvas');
  [src.width, src.height] = [content.width, content.height];
  src.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(content.data), content.width, content.height), 0, 0);
  const big = document.createElement('canvas');
  [big.width, big.height] = [bigW, bigH];
  const g = big.getContext('2d', { willReadFrequently: true })!;
  g.drawImage(src, 0, 0, bigW, bigH);
  const top = Math.floor((bigH - fh) / 2);
  return Array.from({ length: count }, (_, i) => {
    const d = g.getImageData(i * PAN, top, fw, fh);
    return { data: new Uint8ClampedArray(d.data), width: fw, height: fh };
  });
}

/**
 * `count` frames of an uploaded clip, evenly spaced over it, at `size` px. The library is loaded on this thread
 * only now (the worker has its own copy): `<video>` exists on the page's thread only.
 */
export async function clipFromFile(file: File, count: number, size: number, signal: AbortSignal): Promise<Pixels[]> {
  const { framesFromVideo } = await import('neural-style-tfjs/webgl');
  const out: Pixels[] = [];
  for await (const f of framesFromVideo(file, { frames: count, size, signal })) out.push({ data: new Uint8ClampedArray(f.data), width: f.width, height: f.height });
  return out;
}

/** The user's camera (`getUserMedia`), or an Error whose message says what to do. */
export async function openCamera(): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) throw new Error('This page cannot use a camera here (getUserMedia needs https or localhost).');
  try {
    return await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
  } catch (e) {
    const name = (e as DOMException).name;
    throw new Error(name === 'NotAllowedError' ? 'The camera was not allowed: allow it for this page and try again.' : name === 'NotFoundError' ? 'No camera was found.' : `The camera could not be opened (${(e as Error).message}).`);
  }
}

/**
 * `count` frames of the open camera `stream`, `1/fps` s apart, at `size` px, read by the library's
 * `framesFromStream` (which reads a clone of the track: the caller's stream, e.g. the live preview, keeps running).
 */
export async function clipFromCamera(stream: MediaStream, count: number, fps: number, size: number, signal: AbortSignal, onFrame: (frame: Pixels, n: number) => void): Promise<Pixels[]> {
  const { framesFromStream } = await import('neural-style-tfjs/webgl');
  const out: Pixels[] = [];
  for await (const f of framesFromStream(stream, { frames: count, fps, size, signal })) {
    const frame = { data: new Uint8ClampedArray(f.data), width: f.width, height: f.height };
    out.push(frame);
    onFrame(frame, out.length);
  }
  return out;
}
