/**
 * `neural-style-tfjs/browser` (also exported as `neural-style-tfjs/webgpu`): the browser adapter. Importing it
 * registers TF.js's WebGPU backend and, as the fallback, WebGL (and the plain-JS CPU backend, which WebGL uses for
 * a few small ops). {@link ready} selects WebGPU when the browser has `navigator.gpu` and grants an adapter, else
 * WebGL. Needs the optional peer dependencies `@tensorflow/tfjs-backend-webgpu` and `@tensorflow/tfjs-backend-webgl`.
 * Weights load the same way as with `neural-style-tfjs/webgl`: from beside the package's files unless
 * `loadVgg19({ weights: url })` says otherwise.
 * @packageDocumentation
 */
import '@tensorflow/tfjs-backend-webgpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-cpu';
import { readyBackend } from './backend.js';
import { StyleTransferError } from '../errors.js';
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

configurePlatform({ adapter: 'webgpu', defaultWeights: (fetchImpl) => browserDefaultWeights(besideThisFile, fetchImpl), hostMemory: browserHostMemory });

interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'low-power' | 'high-performance' }): Promise<unknown | null>;
}

/**
 * True when this browser (or worker) exposes WebGPU and grants an adapter. Some browsers define `navigator.gpu`
 * but return no adapter (blocklisted GPU, headless without a GPU); TF.js's WebGPU backend would then fail to
 * start, so this asks first.
 */
export async function isWebGpuAvailable(): Promise<boolean> {
  const gpu = (globalThis as { navigator?: { gpu?: GpuLike } }).navigator?.gpu;
  if (!gpu || typeof gpu.requestAdapter !== 'function') return false;
  try {
    return (await gpu.requestAdapter()) != null;
  } catch {
    return false;
  }
}

/**
 * Selects WebGPU where it is available, else WebGL, and waits for it; resolves to the backend name
 * (`'webgpu'` or `'webgl'`). Throws BACKEND if neither can start.
 */
export async function ready(): Promise<string> {
  if (await isWebGpuAvailable()) {
    try {
      return await readyBackend('webgpu');
    } catch {
      // The adapter was granted but the device could not be created: fall through to WebGL.
    }
  }
  try {
    return await readyBackend('webgl');
  } catch (e) {
    throw new StyleTransferError('BACKEND', 'Neither WebGPU nor WebGL could start in this browser; try "neural-style-tfjs/wasm".', undefined, { cause: e });
  }
}
