/**
 * The Video card's download: the stylised frames recorded to a WebM file by the browser's own encoder
 * (`MediaRecorder` on a canvas's `captureStream(0)`, one `requestFrame()` per frame, `1/fps` s apart in real
 * time, so a clip of n frames takes n/fps seconds to record), then saved through a link with `download`.
 */
import type { Pixels } from './protocol';

/** WebM types tried in order (VP9, then VP8, then whatever WebM the browser picks). */
const TYPES = ['video/webm;codecs=vp9', 'video/webm;codecs=vp8', 'video/webm'];

/** The frames as a WebM `Blob` at `fps` frames per second. */
export async function recordWebm(frames: Pixels[], fps: number): Promise<Blob> {
  if (typeof MediaRecorder === 'undefined') throw new Error('This browser has no MediaRecorder, so the clip cannot be saved as a video.');
  const type = TYPES.find((t) => MediaRecorder.isTypeSupported(t));
  if (!type) throw new Error('This browser cannot record WebM video (MediaRecorder supports no WebM type here).');
  const { width, height } = frames[0];
  const canvas = Object.assign(document.createElement('canvas'), { width, height });
  const g = canvas.getContext('2d')!;
  const draw = (f: Pixels) => g.putImageData(new ImageData(new Uint8ClampedArray(f.data), f.width, f.height), 0, 0);
  draw(frames[0]);
  const stream = canvas.captureStream(0);
  const track = stream.getVideoTracks()[0] as CanvasCaptureMediaStreamTrack;
  const recorder = new MediaRecorder(stream, { mimeType: type, videoBitsPerSecond: Math.max(250_000, width * height * fps * 2) });
  const chunks: Blob[] = [];
  recorder.addEventListener('dataavailable', (e) => e.data.size > 0 && chunks.push(e.data));
  const stopped = new Promise<void>((resolve, reject) => {
    recorder.addEventListener('stop', () => resolve());
    recorder.addEventListener('error', (e) => reject(new Error(`Recording the clip failed: ${(e as ErrorEvent).message ?? 'MediaRecorder error'}`)));
  });
  recorder.start();
  try {
    for (const f of frames) {
      draw(f);
      track.requestFrame();
      await new Promise((r) => setTimeout(r, 1000 / fps));
    }
  } finally {
    recorder.stop();
    track.stop();
  }
  await stopped;
  return new Blob(chunks, { type: 'video/webm' });
}

/** Saves `blob` as `name` (a temporary object URL and a link with `download`). */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
