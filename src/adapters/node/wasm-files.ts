import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';

/**
 * A `require` that finds installed packages from this module: from `import.meta.url`, or, where a bundler emptied
 * `import.meta` (a CommonJS bundle made from the ESM build, e.g. `esbuild --bundle --platform=node`), from the
 * bundle file, else from the working directory.
 */
export function packageRequire(): NodeRequire {
  const from = (import.meta as { url?: string }).url ?? (typeof __filename === 'string' ? __filename : join(process.cwd(), 'noop.js'));
  return createRequire(from);
}

/** Folder (with trailing separator) holding the installed tfjs-backend-wasm `.wasm` binaries. */
export function wasmDir(): string {
  const pkg = packageRequire().resolve('@tensorflow/tfjs-backend-wasm/package.json');
  return join(dirname(pkg), 'dist') + sep;
}
