/**
 * `neural-style-tfjs/wasm` for browsers and bundles (the `node` export condition selects `wasm-node.ts` instead):
 * registers and selects TF.js's WASM backend. The `.wasm` binaries are fetched from beside the bundle unless you
 * call {@link setWasmPaths} first, e.g. with the URL of the folder where you serve
 * `node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm`, or a CDN. Weights load as with
 * `neural-style-tfjs/webgl`: from beside the package's files unless `loadVgg19({ weights: url })` says otherwise.
 * @packageDocumentation
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { readyBackend } from './backend.js';
import { configurePlatform } from '../platform.js';
import { browserHostMemory } from './browser-memory.js';
import { browserDefaultWeights } from '../weights/browser-default.js';

export * from '../index.js';
export { framesFromVideo, frameTimes, VIDEO_FRAME_LIMITS, type VideoFramesOptions } from './browser-video.js';
export { framesFromStream, framesFromVideoFrames, type StreamFramesOptions, type VideoFrameInputOptions } from './browser-stream.js';
export { videoFromFrames, videoFramesFromFrames, MAX_ENCODE_FRAMES, MAX_ENCODE_SIZE, WEBM_TYPES, type EncodableFrame, type VideoEncodeOptions, type VideoFrameOutputOptions } from './browser-encode.js';
export { setWasmPaths };

/**
 * The package's weights/ folder beside this file, written so that bundlers keep the build machine's path out of
 * the bundle (webpack resolves this form against the page, Vite leaves it alone).
 */
const besideThisFile = () => new URL(/* webpackIgnore: true */ /* @vite-ignore */ '../weights/', import.meta.url);

configurePlatform({ adapter: 'wasm', defaultWeights: (fetchImpl) => browserDefaultWeights(besideThisFile, fetchImpl), hostMemory: browserHostMemory });

/** Selects the WASM backend and waits for it; resolves to `'wasm'`. */
export async function ready(): Promise<string> {
  return readyBackend('wasm');
}
