/**
 * `neural-style-tfjs/webgl`: the browser adapter for WebGL only. Importing it registers TF.js's WebGL backend (and
 * the plain-JS CPU backend, which WebGL uses for a few small ops); {@link ready} selects WebGL and waits. Needs the
 * optional peer dependency `@tensorflow/tfjs-backend-webgl`. With no `weights` option, weights load from beside
 * the package's files when they are there (a CDN or import map serving the package), else from the package's
 * files on jsDelivr, pinned to this version and checked against the sha256 this build pinned; the Cache API keeps
 * them across visits. Offline or self-hosted apps pass `loadVgg19({ weights: url })` (docs/browser.md).
 * @packageDocumentation
 */
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-cpu';
import { readyBackend } from './backend.js';
import { configurePlatform } from '../platform.js';
import { browserHostMemory } from './browser-memory.js';
import { browserDefaultWeights } from '../weights/browser-default.js';

export * from '../index.js';
export { framesFromVideo, frameTimes, VIDEO_FRAME_LIMITS, type VideoFramesOptions } from './browser-video.js';
export { framesFromStream, framesFromVideoFrames, type StreamFramesOptions, type VideoFrameInputOptions } from './browser-stream.js';
export { videoFromFrames, videoFramesFromFrames, MAX_ENCODE_FRAMES, MAX_ENCODE_SIZE, WEBM_TYPES, type EncodableFrame, type VideoEncodeOptions, type VideoFrameOutputOptions } from './browser-encode.js';

/**
 * The package's weights/ folder beside this file, written so that bundlers keep the build machine's path out of
 * the bundle (webpack resolves this form against the page, Vite leaves it alone).
 */
const besideThisFile = () => new URL(/* webpackIgnore: true */ /* @vite-ignore */ '../weights/', import.meta.url);

configurePlatform({ adapter: 'webgl', defaultWeights: (fetchImpl) => browserDefaultWeights(besideThisFile, fetchImpl), hostMemory: browserHostMemory });

/** Selects WebGL and waits for it; resolves to the backend name. Throws BACKEND if WebGL is unavailable. */
export async function ready(): Promise<string> {
  return readyBackend('webgl');
}
