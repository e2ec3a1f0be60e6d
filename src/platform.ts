import type { WeightsSource } from './weights/source.js';

/**
 * Host-specific pieces the backend-agnostic core needs, installed by an adapter (`neural-style-tfjs/node`,
 * `/browser`, `/webgl`, `/wasm`). Stored on `globalThis` under a registered symbol so the ESM and CJS builds of the package,
 * if both end up loaded, share one registration.
 */
export interface Platform {
  /** Where `loadVgg19()` reads weights from when no location is given (`fetchImpl`: its `fetch` option). */
  defaultWeights?: (fetchImpl?: typeof fetch) => WeightsSource;
  /** Turns a user-given location string (path or URL) into a source; the default treats it as a URL. */
  weightsFromLocation?: (location: string, fetchImpl?: typeof fetch) => WeightsSource;
  /** Name of the adapter that configured the platform, for messages. */
  adapter?: string;
  /**
   * Bytes of memory this process may use (Node: the machine's, or the container's limit when lower; browsers:
   * `navigator.deviceMemory`, where the browser reports it). The run plan keeps optimiser state it moves to JS
   * memory within half of it. Undefined: unknown (the state is then capped at a fixed size only).
   */
  hostMemory?: () => number | undefined;
}

const KEY = Symbol.for('neural-style-tfjs.platform');

export function getPlatform(): Platform {
  const g = globalThis as unknown as Record<symbol, Platform | undefined>;
  return (g[KEY] ??= {});
}

/** Merges host hooks into the platform registration (used by adapters). */
export function configurePlatform(p: Platform): void {
  Object.assign(getPlatform(), p);
}
