/**
 * Sizes past what one pass holds: above {@link UNTILED_MAX} px the page asks for tiles of {@link PAGE_TILE} px
 * (the library's `tile` option: a fixed tile keeps the page's estimate simple; the automatic choice would tile
 * only past the GPU's 2 GiB default budget or its texture/buffer limits),
 * and up to {@link GPU_MAX} px when a hardware GPU runs the worker. Before a run the page shows the worker's memory
 * estimate and, once a run has measured a speed, the time it expects.
 */
export const UNTILED_MAX = 1024;
export const PAGE_TILE = 512;
export const GPU_MAX = 4096;
export const SOFTWARE_MAX = 1024;

/** The `tile` option the page passes for a size. */
export const tileFor = (size: number): number | undefined => (size > UNTILED_MAX ? PAGE_TILE : undefined);

/** Extra work of a tiled iteration over a whole-image one: crops with halos, and a second forward pass (~1/3). */
export function tiledCost(size: number, halo = 160): number {
  const tile = tileFor(size);
  if (!tile) return 1;
  const n = Math.ceil(size / tile);
  const crop = Math.min(size, tile + 2 * halo);
  return ((n * crop) / size) ** 2 * (4 / 3);
}

/** Milliseconds per iteration seen in the last run, per megapixel of its size (whole-image equivalent). */
let rate: number | undefined;
export function recordSpeed(size: number, perIterationMs: number): void {
  rate = perIterationMs / ((size * size) / 1e6) / tiledCost(size);
}

/** A line for the page: memory (from the worker) and time per iteration (when a run measured a speed). */
export function describeEstimate(size: number, iterations: number, memoryBytes: number, tiles: number): string {
  const mem = memoryBytes >= 2 ** 30 ? `${(memoryBytes / 2 ** 30).toFixed(1)} GB` : `${Math.round(memoryBytes / 2 ** 20)} MB`;
  const tiled = tiles > 1 ? `, in ${tiles} tiles of ${PAGE_TILE} px` : '';
  if (rate === undefined) return `≈ ${mem} of GPU memory per step${tiled}; time: shown after a first run measures this device's speed.`;
  const seconds = (rate * ((size * size) / 1e6) * tiledCost(size) * iterations) / 1000;
  const time = seconds < 90 ? `${Math.round(seconds)} s` : seconds < 5400 ? `${Math.round(seconds / 60)} min` : `${(seconds / 3600).toFixed(1)} h`;
  return `≈ ${mem} of GPU memory per step${tiled}; ≈ ${time} for ${iterations} iterations (from the last run's speed).`;
}
