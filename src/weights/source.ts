import { StyleTransferError } from '../errors.js';
import { VERSION } from '../version.js';

/** Progress of a weight download: bytes so far and in all (from the manifest). */
export interface LoadProgress {
  loaded: number;
  total: number;
  /** The file being read. */
  file: string;
}

/** Reads the files of one weight set (`manifest.json` and its shards). */
export interface WeightsSource {
  /** Human-readable location, used in error messages. */
  readonly location: string;
  /** Reads `file` relative to the set; `onBytes` reports bytes received so far for this file. */
  read(file: string, onBytes?: (n: number) => void): Promise<Uint8Array>;
}

/** A weight set served over HTTP(S) (or any URL `fetch` understands), e.g. a CDN serving the npm package. */
export function urlWeightsSource(location: string | URL, fetchImpl?: typeof fetch): WeightsSource {
  let base = String(location);
  // A URL of a .json file names the manifest itself (so a TF.js model.json given by mistake is reported as such).
  let manifestFile = 'manifest.json';
  if (/\.json$/i.test(base)) {
    const cut = base.lastIndexOf('/') + 1;
    manifestFile = base.slice(cut);
    base = base.slice(0, cut);
  }
  if (!base.endsWith('/')) base += '/';
  const doFetch = fetchImpl ?? (globalThis.fetch?.bind(globalThis) as typeof fetch | undefined);
  return {
    location: base,
    async read(file, onBytes) {
      if (!doFetch) throw new StyleTransferError('WEIGHTS_FETCH', 'No fetch() is available here: pass `fetch` to loadVgg19().');
      const url = resolveUrl(file === 'manifest.json' ? manifestFile : file, base);
      let res: Response;
      try {
        res = await doFetch(url);
      } catch (e) {
        if (e instanceof StyleTransferError) throw e; // e.g. the loader's timeout
        throw new StyleTransferError('WEIGHTS_FETCH', `Could not fetch ${url}: ${(e as Error).message}. Check the weights URL and your network.`, { url }, { cause: e });
      }
      if (res.status === 404) {
        throw new StyleTransferError('WEIGHTS_MISSING', `Weight file ${url} was not found (HTTP 404). Serve the package's weights/ folder at ${base}, or ${WEIGHTS_FIX}`, { url, file });
      }
      if (!res.ok) throw new StyleTransferError('WEIGHTS_FETCH', `Fetching ${url} failed with HTTP ${res.status}.`, { url, status: res.status });
      if (/^text\/html\b/i.test(res.headers?.get('content-type') ?? '')) {
        // A dev server or single-page-app host answers every unknown path with its page instead of a 404.
        throw new StyleTransferError('WEIGHTS_MISSING', `${url} answered with an HTML page, not the weight file ${file}: the weights are not served there. ${capitalize(WEIGHTS_FIX)}`, { url, file });
      }
      if (!res.body || !onBytes) return new Uint8Array(await res.arrayBuffer());
      const reader = res.body.getReader();
      const chunks: Uint8Array[] = [];
      let n = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        n += value.length;
        onBytes(n);
      }
      const out = new Uint8Array(n);
      let o = 0;
      for (const c of chunks) {
        out.set(c, o);
        o += c.length;
      }
      return out;
    },
  };
}

function resolveUrl(file: string, base: string): string {
  try {
    return new URL(file, base).toString();
  } catch {
    return base + file; // relative base such as "./weights/" in a page without a document URL
  }
}

const capitalize = (t: string): string => t[0].toUpperCase() + t.slice(1);

/**
 * The docs section on serving the weights (an absolute URL: it works from an error message anywhere), at this
 * version's tag as README's links are (main in a development build), so it describes the code that threw.
 */
export const WEIGHTS_DOCS = `https://github.com/neural-style-tfjs/neural-style-tfjs/blob/${VERSION.endsWith('-dev') ? 'main' : `v${VERSION}`}/docs/browser.md#serving-the-weights`;

/** What to do when a browser cannot find the weights (the same advice everywhere, so docs and errors agree). */
const WEIGHTS_FIX = `copy node_modules/neural-style-tfjs/weights/ into a folder your site serves (e.g. public/weights/) and pass loadVgg19({ weights: '/weights/' }); see ${WEIGHTS_DOCS}`;
