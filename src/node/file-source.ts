import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WeightsSource } from '../weights/source.js';

/**
 * A weight set in a folder on disk (`location` may also be the path of its manifest.json, or of any `.json` file
 * to read as the manifest, or a file: URL).
 */
export function fileWeightsSource(location: string): WeightsSource {
  let dir = location.startsWith('file:') ? fileURLToPath(location) : location;
  // A .json path names the manifest itself (so a TF.js model.json given by mistake is read and reported as such).
  let manifestFile = 'manifest.json';
  if (/\.json$/i.test(dir)) {
    manifestFile = basename(dir);
    dir = dirname(dir);
  }
  dir = resolve(dir);
  return {
    location: dir.endsWith('/') ? dir : `${dir}/`,
    async read(file, onBytes) {
      const bytes = new Uint8Array(await readFile(resolve(dir, file === 'manifest.json' ? manifestFile : file)));
      onBytes?.(bytes.length);
      return bytes;
    },
  };
}

/**
 * The weights shipped in the package: `weights/` beside `dist/` (from the bundle, `dist/*.js`), or the repo's
 * `weights/` when running from the sources (`src/node/file-source.ts`, e.g. under vitest or tsx).
 */
export function packagedWeightsDir(): string {
  const candidates = [fileURLToPath(new URL('../weights/', import.meta.url)), fileURLToPath(new URL('../../weights/', import.meta.url))];
  return candidates.find((d) => existsSync(join(d, 'manifest.json'))) ?? candidates[0];
}
