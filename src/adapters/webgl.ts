/**
 * `neural-style-tfjs/webgl`: the browser adapter for WebGL only. Importing it registers TF.js's WebGL backend (and
 * the plain-JS CPU backend, which WebGL uses for a few small ops); {@link ready} selects WebGL and waits. Needs the
 * optional peer dependency `@tensorflow/tfjs-backend-webgl`. Weights load from beside the package's files (as a
 * CDN serving the npm package lays them out) unless `loadVgg19({ weights: url })` says otherwise; from a bundle,
 * pass `weights` (docs/browser.md says how). The browser's HTTP cache keeps them across visits.
 * @packageDocumentation
 */
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-cpu';
import { readyBackend } from './backend.js';
import { configurePlatform } from '../platform.js';
import { browserHostMemory } from './browser-memory.js';
import { besidePackageWeights } from '../weights/source.js';

export * from '../index.js';

configurePlatform({ adapter: 'webgl', defaultWeights: (fetchImpl) => besidePackageWeights(import.meta.url, fetchImpl), hostMemory: browserHostMemory });

/** Selects WebGL and waits for it; resolves to the backend name. Throws BACKEND if WebGL is unavailable. */
export async function ready(): Promise<string> {
  return readyBackend('webgl');
}
