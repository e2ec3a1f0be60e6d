import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError } from '../errors.js';

/** The npm package that provides each TF.js backend (all optional or peer dependencies of this package). */
const BACKEND_PACKAGES: Record<string, string> = {
  tensorflow: '@tensorflow/tfjs-node',
  webgl: '@tensorflow/tfjs-backend-webgl',
  webgpu: '@tensorflow/tfjs-backend-webgpu',
  wasm: '@tensorflow/tfjs-backend-wasm',
  cpu: '@tensorflow/tfjs-backend-cpu',
};

/**
 * Waits for TF.js to pick a backend and returns its name. Fails with a BACKEND error when none could start; when
 * the one asked for is not registered at all, the message names the package to install.
 */
export async function readyBackend(preferred?: string): Promise<string> {
  if (preferred) {
    const registered = Object.keys(tf.engine().registryFactory);
    if (!registered.includes(preferred)) {
      const pkg = BACKEND_PACKAGES[preferred];
      const install = pkg ? ` Install it (npm install ${pkg}) and import it, or the adapter that registers it.` : '';
      throw new StyleTransferError('BACKEND', `The "${preferred}" backend is not registered here (registered: ${registered.join(', ') || 'none'}).${install}`, { backend: preferred, package: pkg });
    }
    const ok = await tf.setBackend(preferred).catch(() => false);
    if (!ok) throw new StyleTransferError('BACKEND', `The "${preferred}" backend could not start here. Registered backends: ${registered.join(', ')}.`, { backend: preferred });
  }
  await tf.ready();
  const name = tf.getBackend();
  if (!name) throw new StyleTransferError('BACKEND', 'No TensorFlow.js backend is available: import "neural-style-tfjs/node", "/browser", "/webgl" or "/wasm" first.');
  return name;
}

/** The imports that register a backend, for messages. */
export const ADAPTER_IMPORTS = ['neural-style-tfjs/node', 'neural-style-tfjs/browser', 'neural-style-tfjs/webgl', 'neural-style-tfjs/wasm'];

/**
 * Throws NO_BACKEND when TF.js has no backend registered at all (the root entry imported without an adapter), before
 * TF.js would fail later with its bare "No backend found in registry.".
 */
export function assertBackendRegistered(): void {
  if (Object.keys(tf.engine().registryFactory).length > 0) return;
  throw new StyleTransferError(
    'NO_BACKEND',
    `No TensorFlow.js backend is registered. Import an adapter, which registers one and re-exports the whole API: ${ADAPTER_IMPORTS.map((i) => `"${i}"`).join(', ')} (e.g. import { stylize } from 'neural-style-tfjs/node'); or register a backend yourself (import '@tensorflow/tfjs-backend-webgl') before calling this.`,
    { imports: ADAPTER_IMPORTS },
  );
}
