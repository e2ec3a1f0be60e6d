import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';

/** Folder (with trailing separator) holding the installed tfjs-backend-wasm `.wasm` binaries. */
export function wasmDir(): string {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
  return join(dirname(pkg), 'dist') + sep;
}
