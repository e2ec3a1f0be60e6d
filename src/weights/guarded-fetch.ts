import { StyleTransferError } from '../errors.js';

/** How long an HTTP weight source may send nothing (no answer, or no bytes mid-file) before loading fails. */
export const DEFAULT_WEIGHTS_TIMEOUT_MS = 30_000;

/** Per-file limits and cancellation for the sources the loader makes itself. */
export interface ReadGuard {
  signal: AbortSignal;
  /** Most bytes for `file` (a shard name or the manifest's name). */
  maxBytes(file: string): number;
  /** Milliseconds without an answer or without a byte before the read fails with WEIGHTS_FETCH; 0: no limit. */
  timeoutMs: number;
}

/**
 * `fetch` for the URL sources the loader makes: passes the abort signal on; fails with WEIGHTS_FETCH
 * (`details: { url, timeoutMs }`) when the server sends nothing for `timeoutMs` (before answering, or between two
 * chunks of the body: a slow but moving download is never cut); and fails a response longer than the file may be
 * (from Content-Length before its body is read, else while streaming) with WEIGHTS_TOO_LARGE. The file is the
 * URL's last path segment (shard names are plain file names; anything else is the manifest).
 */
export function guardedFetch(fetchImpl: typeof fetch | undefined, guard: ReadGuard): typeof fetch | undefined {
  const inner = fetchImpl ?? (globalThis.fetch?.bind(globalThis) as typeof fetch | undefined);
  if (!inner) return undefined;
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    // Cancels the request on the caller's abort and on a timeout (a custom fetch may ignore the signal: the
    // timeout also races it).
    const cancel = new AbortController();
    const onAbort = () => cancel.abort(guard.signal.reason);
    if (guard.signal.aborted) onAbort();
    guard.signal.addEventListener('abort', onAbort, { once: true });
    const timeoutError = (when: string) =>
      new StyleTransferError(
        'WEIGHTS_FETCH',
        `${url} sent nothing for ${guard.timeoutMs} ms ${when}. Check the weights URL and your network, or allow longer with loadVgg19({ timeoutMs }).`,
        { url, timeoutMs: guard.timeoutMs },
      );
    const silent = <T>(p: Promise<T>, when: string): Promise<T> => {
      if (!(guard.timeoutMs > 0) || !Number.isFinite(guard.timeoutMs)) return p;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const limit = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const e = timeoutError(when);
          cancel.abort(e);
          reject(e);
        }, guard.timeoutMs);
      });
      return Promise.race([p, limit]).finally(() => clearTimeout(timer));
    };
    const done = () => guard.signal.removeEventListener('abort', onAbort);
    let res: Response;
    try {
      res = await silent(inner(input, { ...init, signal: cancel.signal }), 'before answering');
    } catch (e) {
      done();
      throw e;
    }
    if (!res.ok || !res.body) {
      done();
      return res;
    }
    const path = url.replace(/[?#].*$/, '');
    const file = path.slice(path.lastIndexOf('/') + 1);
    const max = guard.maxBytes(file);
    const tooLarge = (what: string) =>
      new StyleTransferError('WEIGHTS_TOO_LARGE', `Weight file ${url} ${what}, more than the ${max} allowed: it is not this weight set's file. Check the weights URL.`, { url, maxBytes: max });
    // The errors go out through the body (fetch()'s own failures are reported as network errors).
    const declared = Number(res.headers.get('content-length') ?? NaN);
    const reader = res.body.getReader();
    let n = 0;
    const fail = async (controller: ReadableStreamDefaultController<Uint8Array>, e: unknown) => {
      done();
      await reader.cancel().catch(() => {});
      controller.error(e);
    };
    const capped = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (declared > max) return fail(controller, tooLarge(`declares ${declared} bytes`));
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await silent(reader.read(), `after ${n} bytes`);
        } catch (e) {
          return fail(controller, e);
        }
        if (chunk.done) {
          done();
          return controller.close();
        }
        n += chunk.value.length;
        if (n > max) return fail(controller, tooLarge(`sends more than ${max} bytes`));
        controller.enqueue(chunk.value);
      },
      cancel: (reason) => {
        done();
        return reader.cancel(reason);
      },
    });
    return new Response(capped, { status: res.status, statusText: res.statusText, headers: res.headers });
  }) as typeof fetch;
}
