/**
 * `neural-style-tfjs/wasm` in Node (selected by the `node` export condition; browsers and bundles for them get
 * `wasm.ts`): registers and selects TF.js's WASM backend (single-threaded; `neural-style-tfjs/node` runs it
 * multi-threaded), with the `.wasm` binaries read from the installed `@tensorflow/tfjs-backend-wasm`, and makes
 * `loadVgg19()` read the weights shipped in the package from disk, or a folder, path or URL you pass. As with the
 * Node adapter, the process listeners emscripten adds when the backend starts are removed again.
 * @packageDocumentation
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { readyBackend } from './backend.js';
import { configurePlatform } from '../platform.js';
import { detachEmscriptenListeners } from './node/emscripten-listeners.js';
import { wasmDir } from './node/wasm-files.js';
import { nodeWeights } from './node/weights-platform.js';
import { nodeHostMemory } from './node/host-memory.js';

export * from '../index.js';
export { setWasmPaths };

setWasmPaths(wasmDir());
detachEmscriptenListeners();

configurePlatform({ adapter: 'wasm', ...nodeWeights, hostMemory: nodeHostMemory });

/** Selects the WASM backend and waits for it; resolves to `'wasm'`. */
export async function ready(): Promise<string> {
  return readyBackend('wasm');
}
