/**
 * Where a queue's results go: a small key → bytes interface, and the default, a folder (shared between machines
 * over NFS/SMB, or local for one machine). Writes are atomic (temp file + rename) and keyed by job id, so a retried
 * job overwrites its earlier output instead of leaving a second one.
 * @module
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { StyleTransferError } from '../errors.js';

/**
 * Results storage shared by the workers and the client that reads results. Keys are `/`-separated paths made of
 * letters, digits, `.`, `_`, `-` (e.g. `nst-1/output.png`). An object store (S3, GCS) is a plug-in: three methods.
 */
export interface Storage {
  /** Stores `bytes` under `key`, replacing what was there; readers never see a partial value. */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** The bytes under `key`, or `undefined` when there are none. */
  get(key: string): Promise<Uint8Array | undefined>;
  has(key: string): Promise<boolean>;
}

const KEY = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/** Checks a storage key (no `..`, no absolute paths), or throws INVALID_OPTION naming it. */
export function checkKey(key: string): string {
  if (typeof key !== 'string' || !KEY.test(key) || key.split('/').some((p) => p === '.' || p === '..') || key.length > 512) {
    throw new StyleTransferError('INVALID_OPTION', `Storage key ${JSON.stringify(key)} is not a relative path of letters, digits, ".", "_", "-".`, { field: 'key', got: key });
  }
  return key;
}

/**
 * A folder as {@link Storage}: `put` writes a temp file beside the target and renames it over (atomic on one
 * file system), so a crash mid-write leaves the old value or none, never half of one.
 */
export function folderStorage(dir: string): Storage {
  const root = resolve(dir);
  const pathOf = (key: string): string => {
    const p = join(root, ...checkKey(key).split('/'));
    if (!p.startsWith(root + sep)) throw new StyleTransferError('INVALID_OPTION', `Storage key ${JSON.stringify(key)} leaves the folder.`, { field: 'key', got: key });
    return p;
  };
  return {
    async put(key, bytes) {
      const p = pathOf(key);
      await mkdir(dirname(p), { recursive: true });
      const tmp = `${p}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        await writeFile(tmp, bytes);
        await rename(tmp, p);
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
    },
    async get(key) {
      try {
        return new Uint8Array(await readFile(pathOf(key)));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      }
    },
    async has(key) {
      try {
        return (await stat(pathOf(key))).isFile();
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
        throw e;
      }
    },
  };
}
