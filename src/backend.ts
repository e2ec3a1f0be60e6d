import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError } from './errors.js';

/**
 * Waits for TF.js to pick a backend and returns its name. Fails with a BACKEND error when none could start.
 */
export async function readyBackend(preferred?: string): Promise<string> {
  if (preferred) {
    const ok = await tf.setBackend(preferred).catch(() => false);
    if (!ok) throw new StyleTransferError('BACKEND', `The "${preferred}" backend could not start here. Registered backends: ${Object.keys(tf.engine().registryFactory).join(', ') || 'none'}.`);
  }
  await tf.ready();
  const name = tf.getBackend();
  if (!name) throw new StyleTransferError('BACKEND', 'No TensorFlow.js backend is available: import "neural-style-tfjs/node", "/webgl" or "/wasm" first.');
  return name;
}
