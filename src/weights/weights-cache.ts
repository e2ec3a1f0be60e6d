/**
 * The browsers' cache of the package's default weights (the Cache API, in pages and workers of secure contexts),
 * so a second visit does not download the 27 MB again. One cache per weight set, named after the sha256 of its
 * manifest (the build's pin): a new version of the package pins another set, finds nothing under the new name and
 * deletes the old caches. Entries are only written after they matched their sha256, and checked again when read.
 * Every failure (no Cache API, opaque origin, quota) just means no caching.
 */

interface CacheLike {
  match(key: string): Promise<Response | undefined>;
  put(key: string, response: Response): Promise<void>;
}
interface CacheStorageLike {
  open(name: string): Promise<CacheLike>;
  keys(): Promise<string[]>;
  delete(name: string): Promise<boolean>;
}

/** Caches of this package's weights are named this, followed by the manifest's sha256. */
export const WEIGHTS_CACHE_PREFIX = 'neural-style-tfjs-weights-';

export interface WeightsCache {
  /** The cache's name (`neural-style-tfjs-weights-<manifest sha256>`). */
  readonly name: string;
  get(file: string): Promise<Uint8Array | undefined>;
  put(file: string, bytes: Uint8Array): Promise<void>;
}

/** Opens the cache for the weight set whose manifest hashes to `manifestSha256`; undefined where there is none. */
export async function openWeightsCache(manifestSha256: string): Promise<WeightsCache | undefined> {
  const storage = (globalThis as { caches?: CacheStorageLike }).caches;
  if (!storage || typeof storage.open !== 'function') return undefined;
  const name = WEIGHTS_CACHE_PREFIX + manifestSha256;
  let cache: CacheLike;
  try {
    cache = await storage.open(name);
  } catch {
    return undefined;
  }
  // Other versions' weights are garbage now (in the background: nothing waits for it, failures do not matter).
  void storage
    .keys()
    .then((names) => Promise.all(names.filter((n) => n.startsWith(WEIGHTS_CACHE_PREFIX) && n !== name).map((n) => storage.delete(n))))
    .catch(() => {});
  // Keys are URLs (the Cache API wants http(s)); `.invalid` never resolves, so nothing else can match them.
  const key = (file: string) => `https://neural-style-tfjs.invalid/${manifestSha256}/${encodeURIComponent(file)}`;
  return {
    name,
    async get(file) {
      try {
        const r = await cache.match(key(file));
        return r ? new Uint8Array(await r.arrayBuffer()) : undefined;
      } catch {
        return undefined;
      }
    },
    async put(file, bytes) {
      try {
        await cache.put(key(file), new Response(bytes as unknown as BodyInit, { headers: { 'content-type': 'application/octet-stream' } }));
      } catch {
        // quota exceeded, private mode: the next visit downloads again
      }
    },
  };
}
