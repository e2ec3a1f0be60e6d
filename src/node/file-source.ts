import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WeightsSource } from '../weights/source.js';

/** A weight set in a folder on disk (`location` may also be the path of its manifest.json or a file: URL). */
export function fileWeightsSource(location: string): WeightsSource {
  let dir = location.startsWith('file:') ? fileURLToPath(location) : location;
  if (dir.endsWith('manifest.json')) dir = dir.slice(0, -'manifest.json'.length);
  dir = resolve(dir);
  return {
    location: dir.endsWith('/') ? dir : `${dir}/`,
    async read(file, onBytes) {
      const bytes = new Uint8Array(await readFile(resolve(dir, file)));
      onBytes?.(bytes.length);
      return bytes;
    },
  };
}

/** The weights shipped in the package: `weights/` beside `dist/`. */
export function packagedWeightsDir(): string {
  return fileURLToPath(new URL('../weights/', import.meta.url));
}
