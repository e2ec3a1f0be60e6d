/**
 * `neural-style-tfjs/webgl`: the browser adapter. Importing it registers TF.js's WebGL backend;
 * {@link ready} selects it and waits. Weights are fetched from beside the package's files (as a CDN serving the
 * npm package lays them out) unless `loadVgg19({ weights: url })` says otherwise; the browser's HTTP cache keeps
 * them across visits.
 * @packageDocumentation
 */
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-cpu';
import { readyBackend } from './backend.js';
import { configurePlatform } from './platform.js';

export * from './index.js';

configurePlatform({ adapter: 'webgl' });

/** Selects WebGL and waits for it; resolves to the backend name. Throws BACKEND if WebGL is unavailable. */
export async function ready(): Promise<string> {
  return readyBackend('webgl');
}
