/**
 * Video style transfer in one call ({@link stylizeVideo}): a session for one clip around the frame loop of
 * ./frame-loop.ts, which is re-exported here (`stylizeFrames`, its options and frames), so this module is the one
 * to import for video. A session's own `video()` method runs the same loop (stylize/session.ts).
 * @module
 */
import type { ImageInput } from '../image/input.js';
import { OPTIONS } from '../options/check.js';
import { createStylizer } from '../stylize/session.js';
import type { LossNetwork } from '../core/model.js';
import type { FrameIterable } from './frames.js';
import { resolveVideoOptions, type StylizedFrame, type VideoOptions } from './frame-loop.js';

export { resolveVideoOptions, stylizeFrames, temporalError, type FrameStylizer, type StylizedFrame, type VideoConsistency, type VideoOptions } from './frame-loop.js';

/** What {@link stylizeVideo} takes: the frames, the style, optionally a loaded model, and {@link VideoOptions}. */
export interface StylizeVideoRequest extends VideoOptions {
  frames: FrameIterable;
  style: ImageInput | readonly ImageInput[];
  /** A loaded model to use (not disposed); default: the shipped weights, loaded for this call. */
  model?: LossNetwork;
}

/**
 * {@link stylizeFrames} in one call (`session.video()`): a session around `model` (or the shipped weights) for this clip, disposed when
 * the loop ends, however it ends.
 */
export async function* stylizeVideo(request: StylizeVideoRequest): AsyncGenerator<StylizedFrame, void, undefined> {
  const { frames, style, model, ...options } = OPTIONS.object('request', request) as unknown as StylizeVideoRequest;
  resolveVideoOptions(options, Array.isArray(style) ? style.length : 1, model?.architecture); // bad options fail before the model loads
  const session = await createStylizer({ model, cacheSize: 0, signal: options.signal });
  try {
    yield* session.video(frames, style, options);
  } finally {
    session.dispose();
  }
}
