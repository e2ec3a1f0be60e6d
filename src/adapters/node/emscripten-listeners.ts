/**
 * Keeps tfjs-backend-wasm from taking over the process's crash handling in Node.
 *
 * Its emscripten glue, when the backend starts, adds `process.on('uncaughtException', ex => { throw ex })` and
 * `process.on('unhandledRejection', reason => { throw reason })` (tensorflow/tfjs#5852, emscripten#7855). From
 * then on any uncaught error anywhere in the host app is re-thrown from inside a listener: Node exits with code 7
 * ("internal exception handler failed") and a tfjs-backend-wasm stack instead of code 1 and the app's own stack,
 * and an app's own `unhandledRejection` handling is overridden. The glue only needs them to report its own exit
 * status, which the library never uses. So the registered `wasm` factory is wrapped: once the backend has
 * started, the listeners it added are removed again.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';

type Factory = () => tf.KernelBackend | Promise<tf.KernelBackend>;
type ProcessEvent = 'uncaughtException' | 'unhandledRejection';

/**
 * The glue's listeners, recognised by their source so that listeners the app adds meanwhile (the factory is
 * async) are left alone: `function (ex) { if (!(ex instanceof ExitStatus)) { throw ex; } }` and
 * `function (reason) { throw reason; }` in tfjs-backend-wasm 4.x.
 */
const GLUE_LISTENER: Record<ProcessEvent, RegExp> = {
  uncaughtException: /ExitStatus/,
  unhandledRejection: /^function\s*\(\s*(\w+)\s*\)\s*\{\s*throw\s+\1;?\s*\}$|^function\s*\(\s*\w+\s*\)\s*\{\s*abort\(/,
};

let wrapped = false;

/** Removes the listeners the glue added since `before` was taken. */
function removeGlueListeners(before: Record<ProcessEvent, Function[]>): void {
  for (const event of Object.keys(GLUE_LISTENER) as ProcessEvent[]) {
    for (const listener of listenersOf(event)) {
      if (!before[event].includes(listener) && GLUE_LISTENER[event].test(String(listener))) process.removeListener(event, listener);
    }
  }
}

const listenersOf = (event: ProcessEvent): Array<(...args: any[]) => void> => process.listeners(event as 'uncaughtException');

/**
 * Wraps the registered `wasm` backend factory so the process listeners emscripten adds while it starts are
 * removed once it has started (or failed to). Call at import, before the backend starts; later calls do nothing.
 */
export function detachEmscriptenListeners(): void {
  if (wrapped || typeof process === 'undefined' || typeof process.listeners !== 'function') return;
  if ('wasm' in tf.engine().registry) return; // already started: too late to wrap
  const orig = tf.findBackendFactory('wasm') as Factory | null;
  if (!orig) return;
  const priority = tf.engine().registryFactory.wasm?.priority ?? 2;
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async () => {
      const before = { uncaughtException: listenersOf('uncaughtException'), unhandledRejection: listenersOf('unhandledRejection') };
      try {
        return await orig();
      } finally {
        removeGlueListeners(before);
      }
    },
    priority,
  );
  wrapped = true;
}
