/**
 * The worker's side of the Video card: the library's `stylizeFrames` over the page's frames, each stylised frame
 * posted as soon as it is done (with its temporal error), iterations reported per frame, cancel through `signal`.
 */
import type { StyleHandle, Stylizer, StylizeOptions } from 'neural-style-tfjs';
import type { FromWorker, ToWorker } from './protocol';

type Lib = typeof import('neural-style-tfjs/webgl');
type Post = (msg: FromWorker, transfer?: Transferable[]) => void;

/**
 * Runs one clip. `base` is the page's run options (size, layers, weights…); `init`, `previewEvery` and the
 * iteration count are the video loop's own. Resolves when the clip ended or was cancelled; rejects on errors.
 */
export async function runVideo(lib: Lib, stylizer: Stylizer, style: StyleHandle, base: StylizeOptions, msg: Extract<ToWorker, { type: 'video' }>, signal: AbortSignal, post: Post): Promise<void> {
  const rest: StylizeOptions = { ...base };
  for (const key of ['init', 'previewEvery', 'iterations'] as const) delete rest[key];
  const frames = msg.frames.length;
  const t0 = performance.now();
  let done = 0;
  try {
    const loop = lib.stylizeFrames(stylizer, msg.frames, style, {
      ...rest,
      iterations: msg.video.iterations,
      consistency: msg.video.consistency,
      signal,
      onIteration: (info) => post({ type: 'video-iteration', id: msg.id, frame: info.frame, frames, iteration: info.iteration, iterations: info.iterations }),
    });
    for await (const f of loop) {
      const image = { data: new Uint8ClampedArray(f.image.data), width: f.image.width, height: f.image.height };
      post({ type: 'video-frame', id: msg.id, index: f.index, frames, image, iterations: f.iterations, temporalError: f.temporalError, reliable: f.reliable, ms: f.ms }, [image.data.buffer]);
      done++;
    }
  } catch (e) {
    if (!signal.aborted) throw e;
  }
  post({ type: 'video-end', id: msg.id, done, cancelled: signal.aborted && done < frames, totalMs: performance.now() - t0 });
}
