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
