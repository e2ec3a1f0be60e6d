/**
 * Where the browser adapters (`/browser`, `/webgl`, `/wasm`) load the package's weights from when `loadVgg19()` is
 * given no `weights`: first the `weights/` folder beside the package's files (a CDN or an import map serving the
 * package as published, or a site that serves a copy at `/weights/`), else the package's own files on jsDelivr,
 * pinned to this version. Either way the manifest must hash to the sha256 this build pinned
 * (`PACKAGED_WEIGHTS_INTEGRITY`; the loader checks it, and the shards against the manifest), so a CDN can serve
 * nothing but the set this version shipped. Verified files are kept in the Cache API ({@link openWeightsCache}).
 */
import { StyleTransferError, isStyleTransferError } from '../errors.js';
import { VERSION } from '../version.js';
import { PACKAGED_WEIGHTS_INTEGRITY } from './pinned.js';
import { sha256Hex } from './sha256.js';
import { WEIGHTS_DOCS, urlWeightsSource, type WeightsSource } from './source.js';
import { openWeightsCache, type WeightsCache } from './weights-cache.js';

/** The package's `weights/` folder on jsDelivr, for a published version. */
export function cdnWeightsUrl(version: string = VERSION): string {
  return `https://cdn.jsdelivr.net/npm/neural-style-tfjs@${version}/weights/`;
}

/** What to do when the default weights cannot be had (offline, CDN blocked): the `weights` option. */
const OFFLINE_FIX = `For an offline or self-hosted app, serve a copy of node_modules/neural-style-tfjs/weights/ and pass its URL: loadVgg19({ weights: '/weights/' }) (one line per bundler: ${WEIGHTS_DOCS}).`;

/** Why the folder beside the package cannot hold the weights, when that is known without asking the server. */
function besideProblem(url: URL): string | undefined {
  const page = (globalThis as { location?: { protocol?: string } }).location;
  if (url.protocol === 'file:' && page?.protocol && page.protocol !== 'file:') return 'the package is bundled (its location is a path on the build machine)';
  if (/\/node_modules\/\.vite\//.test(url.pathname)) return "Vite's dev server serves the package from its dependency cache";
  if (!/^(https?|file):$/.test(url.protocol)) return `the package was loaded from a ${url.protocol} URL`;
  return undefined;
}

type Read = (file: string, onBytes?: (n: number) => void, limits?: unknown) => Promise<Uint8Array>;

/**
 * The default weights of the browser adapters. `beside` computes the `weights/` folder beside the package's files;
 * the adapter writes it as `new URL('../weights/', import.meta.url)`, a form webpack and Vite resolve without
 * putting the build machine's path into the bundle (it throws where a bundle has no `import.meta.url`).
 */
export function browserDefaultWeights(beside: () => URL, fetchImpl?: typeof fetch): WeightsSource {
  const pin = PACKAGED_WEIGHTS_INTEGRITY;
  const tried: string[] = [];
  const candidates: WeightsSource[] = [];
  try {
    const url = beside();
    const why = besideProblem(url);
    if (why) tried.push(`${url.href}: ${why}`);
    else candidates.push(urlWeightsSource(url, fetchImpl));
  } catch {
    tried.push('beside the package: this bundle has no import.meta.url');
  }
  // Without a pin (a build from the sources without weights) nothing could vouch for the CDN's bytes.
  const cdn = pin ? urlWeightsSource(cdnWeightsUrl(), fetchImpl) : undefined;
  if (cdn) candidates.push(cdn);
  let chosen: WeightsSource | undefined;
  let cache: Promise<WeightsCache | undefined> | undefined;
  let shardSha: Map<string, string> | undefined;
  let fromCache = false;

  const learnShards = (manifest: Uint8Array) => {
    try {
      const m = JSON.parse(new TextDecoder().decode(manifest)) as { shards?: { file?: unknown; sha256?: unknown }[] };
      shardSha = new Map((m.shards ?? []).filter((s) => typeof s.file === 'string' && typeof s.sha256 === 'string').map((s) => [s.file as string, s.sha256 as string]));
    } catch {
      shardSha = undefined; // the loader reports the bad manifest
    }
  };

  /** Reads the manifest from the first candidate that has the pinned one; the last candidate's answer stands. */
  const pick = async (onBytes: ((n: number) => void) | undefined, limits: unknown): Promise<Uint8Array> => {
    for (const [i, source] of candidates.entries()) {
      const last = i === candidates.length - 1;
      try {
        const bytes = await (source.read as Read).call(source, 'manifest.json', onBytes, limits);
        if (last || !pin || (await sha256Hex(bytes)) === pin) {
          chosen = source;
          return bytes;
        }
        tried.push(`${source.location}: another weight set (its manifest is not the one this version pinned)`);
      } catch (e) {
        if ((limits as { signal?: AbortSignal } | undefined)?.signal?.aborted) throw e;
        if (!last) {
          tried.push(`${source.location}: ${isStyleTransferError(e) ? e.code : 'error'}`);
          continue;
        }
        throw unavailable(e, source);
      }
    }
    throw new StyleTransferError('WEIGHTS_MISSING', `The package's weights cannot be found from here (${tried.join('; ')}), and this build has no pinned weights to fetch from the CDN. ${OFFLINE_FIX}`, { tried });
  };

  const unavailable = (e: unknown, source: WeightsSource): StyleTransferError => {
    const code = isStyleTransferError(e) ? e.code : 'WEIGHTS_FETCH';
    const where = tried.length ? ` They are not beside the package either (${tried.join('; ')}).` : '';
    const what = source === cdn ? `The weights could not be downloaded from the CDN (${(e as Error).message})` : `The weights could not be read (${(e as Error).message})`;
    const details = { ...(isStyleTransferError(e) ? e.details : undefined), location: source.location, tried, option: 'weights' };
    return new StyleTransferError(code === 'WEIGHTS_MISSING' ? 'WEIGHTS_MISSING' : code, `${what}.${where} ${OFFLINE_FIX}`, details, { cause: e });
  };

  return {
    get location() {
      if (chosen) return chosen.location;
      return fromCache ? `${cdn?.location ?? ''}` : (candidates[0]?.location ?? 'weights/ beside the package');
    },
    async read(file, onBytes, ...rest: unknown[]) {
      const limits = rest[0];
      const store = pin ? await (cache ??= openWeightsCache(pin)) : undefined;
      if (file === 'manifest.json') {
        const hit = await store?.get(file);
        if (hit && (await sha256Hex(hit)) === pin) {
          fromCache = true;
          learnShards(hit);
          onBytes?.(hit.length);
          return hit;
        }
        const bytes = await pick(onBytes, limits);
        if (store && (await sha256Hex(bytes)) === pin) {
          learnShards(bytes);
          await store.put(file, bytes);
        }
        return bytes;
      }
      const expected = shardSha?.get(file);
      const hit = expected ? await store?.get(file) : undefined;
      if (hit && (await sha256Hex(hit)) === expected) {
        onBytes?.(hit.length);
        return hit;
      }
      if (!chosen) await pick(undefined, limits); // the manifest came from the cache, this shard did not
      const source = chosen as WeightsSource;
      let bytes: Uint8Array;
      try {
        bytes = await (source.read as Read).call(source, file, onBytes, limits);
      } catch (e) {
        if ((limits as { signal?: AbortSignal } | undefined)?.signal?.aborted || !(source === cdn)) throw e;
        throw unavailable(e, source);
      }
      if (store && expected && (await sha256Hex(bytes)) === expected) await store.put(file, bytes);
      return bytes;
    },
  };
}
