import { StyleTransferError } from '../errors.js';

/** The part of tfjs-backend-wasm's emscripten module the guard touches. */
interface WasmModule {
  _malloc(bytes: number): number;
  HEAPU8: Uint8Array;
}

const guarded = new WeakSet<WasmModule>();
const MiB = 2 ** 20;

/**
 * Makes a failed WASM heap allocation throw OUT_OF_MEMORY. tfjs-backend-wasm allocates every tensor with its
 * module's `_malloc`, which returns 0 when the heap cannot grow (its 4 GiB cap, or no free block large enough
 * after fragmentation) and takes byte counts as 32-bit; TF.js then writes the tensor at address 0 and the process
 * computes on corrupted memory until it dies with "memory access out of bounds" (tensorflow/tfjs#4208). With the
 * guard the allocation throws, the op fails, and the run's tensors are freed as for any other error. Installed once
 * per module (the backend TF.js uses, shared with the app; only failures behave differently).
 */
export function guardWasmMalloc(backend: unknown): void {
  const wasm = (backend as { wasm?: WasmModule } | undefined)?.wasm;
  if (!wasm || typeof wasm._malloc !== 'function' || guarded.has(wasm)) return;
  const malloc = wasm._malloc;
  wasm._malloc = (bytes: number): number => {
    const address = bytes < 2 ** 32 ? malloc(bytes) : 0;
    if (address === 0 && bytes > 0) {
      const heap = wasm.HEAPU8.length;
      throw new StyleTransferError(
        'OUT_OF_MEMORY',
        `The WASM heap could not hold another ${(bytes / MiB).toFixed(1)} MiB tensor (it has grown to ${(heap / MiB).toFixed(0)} MiB of its 4096 MiB, and no free block is large enough). Use a smaller \`size\` or \`tile\` size, or the tensorflow (tfjs-node) backend.`,
        { bytes, heapBytes: heap },
      );
    }
    return address;
  };
  guarded.add(wasm);
}
