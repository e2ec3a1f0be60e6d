/**
 * The device's memory as the browser reports it (`navigator.deviceMemory`, in GiB, rounded down and capped at 8 by
 * the browser; Chromium only, in pages and workers), or undefined where it is not reported.
 */
export function browserHostMemory(): number | undefined {
  const gib = (globalThis.navigator as { deviceMemory?: unknown } | undefined)?.deviceMemory;
  return typeof gib === 'number' && gib > 0 ? gib * 2 ** 30 : undefined;
}
