/**
 * `neural-style-tfjs/wasm`: registers and selects TF.js's WASM backend, in Node or a browser.
 * In Node the `.wasm` binaries are read from the installed `@tensorflow/tfjs-backend-wasm`; in a browser they are
 * fetched from beside the bundle unless you call {@link setWasmPaths} first (e.g. a CDN).
 * @packageDocumentation
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { readyBackend } from './backend.js';

export * from './index.js';
export { setWasmPaths };

/** Selects the WASM backend and waits for it; resolves to `'wasm'`. */
export async function ready(): Promise<string> {
  const isNode = typeof process !== 'undefined' && !!process.versions?.node;
  if (isNode) {
    const { wasmDir } = await import('./node/wasm-files.js');
    setWasmPaths(wasmDir());
  }
  return readyBackend('wasm');
}
