import { constants, existsSync, type Stats } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StyleTransferError } from '../../errors.js';
import { throwIfAborted, type ReadLimits } from '../../weights/load.js';
import { MAX_MANIFEST_BYTES, MAX_WEIGHTS_BYTES, isPlainFileName } from '../../weights/manifest.js';
import type { WeightsSource } from '../../weights/source.js';

/** Bytes per read() call: between calls an abort is noticed. */
const CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * A weight set in a folder on disk (`location` may also be the path of its manifest.json, or of any `.json` file
 * to read as the manifest, or a file: URL).
 *
 * Only regular files are read (a FIFO, device or folder fails with `WEIGHTS_UNSAFE_FILE` without being opened),
 * never more bytes than allowed (`WEIGHTS_TOO_LARGE`: 1 MiB for the manifest, the manifest's size for a shard).
 * Shards must be plain file names whose real path, after following symlinks, is inside the folder: the names
 * come from the manifest, which is data. The manifest's own path is the caller's choice and may be a symlink.
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
  let realDir: Promise<string> | undefined;
  return {
    location: dir.endsWith('/') ? dir : `${dir}/`,
    async read(file: string, onBytes?: (n: number) => void, limits?: ReadLimits) {
      const isManifest = file === 'manifest.json';
      const maxBytes = limits?.maxBytes ?? (isManifest ? MAX_MANIFEST_BYTES : MAX_WEIGHTS_BYTES);
      if (isManifest) return readRegularFile(join(dir, manifestFile), file, maxBytes, limits?.signal, onBytes);
      if (!isPlainFileName(file)) {
        throw new StyleTransferError('WEIGHTS_UNSAFE_FILE', `Weight file name ${JSON.stringify(file)} is not a plain file name inside ${dir}: refusing to read it.`, { file });
      }
      const root = await (realDir ??= realpath(dir));
      const path = await realpath(join(root, file)); // ENOENT: the loader reports the shard as missing
      const inside = relative(root, path);
      if (!inside || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
        throw new StyleTransferError(
          'WEIGHTS_UNSAFE_FILE',
          `Weight shard ${file} in ${dir} is a link to ${path}, outside the weights folder: refusing to read it. Put the file itself in the folder.`,
          { file, path },
        );
      }
      return readRegularFile(path, file, maxBytes, limits?.signal, onBytes);
    },
  };
}

/** Reads a regular file of at most `maxBytes`, checking `signal` between chunks. */
async function readRegularFile(path: string, file: string, maxBytes: number, signal: AbortSignal | undefined, onBytes?: (n: number) => void): Promise<Uint8Array> {
  // stat before open: opening a FIFO blocks until a writer comes, and opening some devices has side effects.
  checkRegular(await stat(path), path, file, maxBytes);
  // O_NONBLOCK: should the file have been swapped for a FIFO since stat, open() still returns at once, and the
  // fstat below refuses it. Windows has no O_NONBLOCK (nor FIFOs at plain paths).
  const handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const { size } = checkRegular(await handle.stat(), path, file, maxBytes);
    const out = new Uint8Array(size);
    let n = 0;
    while (n < size) {
      throwIfAborted(signal);
      const { bytesRead } = await handle.read(out, n, Math.min(CHUNK_BYTES, size - n), n);
      if (bytesRead === 0) break; // the file shrank since fstat
      n += bytesRead;
      onBytes?.(n);
    }
    // Bytes appended since fstat are not read: never more than maxBytes.
    return n === size ? out : out.subarray(0, n);
  } finally {
    await handle.close();
  }
}

function checkRegular(st: Stats, path: string, file: string, maxBytes: number): Stats {
  if (!st.isFile()) {
    const kind = st.isFIFO() ? 'a FIFO' : st.isDirectory() ? 'a folder' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isSocket() ? 'a socket' : 'a special file';
    throw new StyleTransferError('WEIGHTS_UNSAFE_FILE', `Weight file ${path} is ${kind}, not a regular file: refusing to read it.`, { file, path });
  }
  if (st.size > maxBytes) {
    throw new StyleTransferError(
      'WEIGHTS_TOO_LARGE',
      `Weight file ${path} has ${st.size} bytes, more than the ${maxBytes} allowed (${file === 'manifest.json' ? 'a weights manifest is at most 1 MiB' : 'its size in the manifest'}): it is not this weight set's file. Rebuild with "npm run weights" or reinstall the package.`,
      { file, path, size: st.size, maxBytes },
    );
  }
  return st;
}

/**
 * The weights shipped in the package: `weights/` beside `dist/` (from the bundle, `dist/*.js`), or the repo's
 * `weights/` when running from the sources (`src/adapters/node/file-source.ts`, e.g. under vitest or tsx).
 */
export function packagedWeightsDir(): string {
  const candidates = [fileURLToPath(new URL('../weights/', import.meta.url)), fileURLToPath(new URL('../../../weights/', import.meta.url))];
  return candidates.find((d) => existsSync(join(d, 'manifest.json'))) ?? candidates[0];
}
