/**
 * `neural-style-tfjs/node`: the Node adapter. Importing it
 * - registers the fastest backend the host has: `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node` when
 *   installed (optional peer dependencies, loaded only if present), else WASM with its `.wasm` files read from
 *   the installed package, else the plain-JS CPU backend;
 * - runs WASM multi-threaded (one thread per logical core by default): set `NST_WASM_THREADS` (a number; `1` =
 *   off) or call {@link setWasmThreads} before first use;
 * - makes `loadVgg19()` read the weights shipped in the package from disk (or a folder/path you pass).
 * Nothing else process-wide: the `uncaughtException`/`unhandledRejection` listeners the WASM backend's emscripten
 * glue adds when it starts are removed again (see `node/emscripten-listeners.ts`).
 * Everything from the core is re-exported, so one import is enough.
 * @packageDocumentation
 */
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { readyBackend } from './backend.js';
import { configurePlatform } from '../platform.js';
import { fileWeightsSource, packagedWeightsDir } from './node/file-source.js';
import { detachEmscriptenListeners } from './node/emscripten-listeners.js';
import { packageRequire, wasmDir } from './node/wasm-files.js';
import { nodeWeights } from './node/weights-platform.js';
import { nodeHostMemory } from './node/host-memory.js';
import { enableWasmThreads, threadsFromEnv, wasmThreads, type WasmThreadsResult } from './node/wasm-threads.js';

export * from '../index.js';
export {
  readImage,
  writeImage,
  decodeImage,
  decodeImageAsync,
  imageDecoder,
  encodeImage,
  readImageHeader,
  writeFileAtomic,
  sniffFormat,
  formatFromPath,
  DEFAULT_MAX_BYTES,
  type DecodeImageOptions,
  type DecodeImageAsyncOptions,
  type ImageDecoder,
  type ImageFormat,
  type ImageHeader,
  type ReadImageOptions,
  type WritablePixels,
  type WriteImageOptions,
} from './node/image-io.js';
export { fileWeightsSource, packagedWeightsDir, wasmThreads, type WasmThreadsResult };
export { readFrames, writeFrames, VIDEO_EXTENSIONS } from './node/video/io.js';
export { framesFromFolder, writeFramesToFolder, type WriteFolderOptions } from './node/video/folder.js';
export { framesFromVideo, writeFramesToVideo, findFfmpeg, type ReadVideoOptions, type WriteVideoOptions } from './node/video/ffmpeg.js';
export { readFlo, writeFlo, writeFlowTensor, floFolderFlowSource, type FloFolderOptions } from './node/video/flo-files.js';
export { stylizeVideoToFolder, encodeFolder, type VideoToFolderOptions, type WrittenFrame } from './node/video/stylize-files.js';
export { createWorkerStylizer, type WorkerStylizer, type WorkerStylizerConfig } from './node/worker-stylizer.js';

/** Which native TensorFlow binding was found, if any. */
export const nativeBinding: string | undefined = (() => {
  const require = packageRequire();
  for (const name of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      require(name); // registers the 'tensorflow' backend (priority above wasm)
      return name;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') {
        // Installed but broken (e.g. the native library failed to load): say so once, keep going with WASM.
        console.warn(`neural-style-tfjs: ${name} is installed but failed to load (${(e as Error).message.split('\n')[0]}); using WASM.`);
      }
    }
  }
  return undefined;
})();

setWasmPaths(wasmDir());
detachEmscriptenListeners();
// Takes effect synchronously (it wraps the wasm backend factory); the promise only reports the plan.
void enableWasmThreads({ threads: threadsFromEnv(process.env.NST_WASM_THREADS) });

/**
 * Chooses the WASM backend's thread count (`1` = single-threaded; default: `NST_WASM_THREADS`, else one per
 * logical core). Call before first use; resolves to the threads that will be asked for, with a `reason` when that
 * is 1. After the backend started, {@link wasmThreads} tells what it runs with.
 */
export async function setWasmThreads(threads?: number): Promise<WasmThreadsResult> {
  return enableWasmThreads({ threads: threads ?? threadsFromEnv(process.env.NST_WASM_THREADS) });
}

configurePlatform({ adapter: 'node', ...nodeWeights, hostMemory: nodeHostMemory });

export type NodeBackendName = 'tensorflow' | 'wasm' | 'cpu';

/**
 * Waits for the backend to be ready and returns its name (`'tensorflow'`, `'wasm'` or `'cpu'`). Pass a name to
 * force one; `loadVgg19()` also waits, so calling this is optional.
 */
export async function ready(backend?: NodeBackendName): Promise<string> {
  return readyBackend(backend);
}
