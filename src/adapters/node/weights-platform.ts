import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Platform } from '../../platform.js';
import { urlWeightsSource } from '../../weights/source.js';
import { fileWeightsSource, packagedWeightsDir } from './file-source.js';
import { packageRequire } from './wasm-files.js';

/**
 * The weights shipped in the package: beside its `dist/` files, or, when the package was bundled into an app (so
 * this code no longer sits in the package folder), in the installed package the bundle can still resolve.
 */
function installedWeightsDir(): string {
  let dir: string | undefined;
  try {
    dir = packagedWeightsDir();
    if (existsSync(join(dir, 'manifest.json'))) return dir;
  } catch {
    // import.meta.url emptied by a bundler: fall through to resolving the package
  }
  try {
    return join(dirname(packageRequire().resolve('neural-style-tfjs/package.json')), 'weights');
  } catch {
    return dir ?? join(process.cwd(), 'node_modules', 'neural-style-tfjs', 'weights');
  }
}

/** How the Node adapters find weights: the package's own on disk by default; a location is a URL or a path. */
export const nodeWeights: Pick<Platform, 'defaultWeights' | 'weightsFromLocation'> = {
  defaultWeights: () => fileWeightsSource(installedWeightsDir()),
  weightsFromLocation: (loc, fetchImpl) => (/^(https?|data|blob):/i.test(loc) ? urlWeightsSource(loc, fetchImpl) : fileWeightsSource(loc)),
};
