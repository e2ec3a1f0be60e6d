/**
 * The sha256 (hex) of the `weights/manifest.json` this build of the package was made with, baked in by the build
 * (tsup's `define`); undefined when running from the sources. The manifest lists every shard's sha256 and the
 * whole set's, so pinning it pins every byte: weights loaded from their default place (the package on disk, or
 * beside the package's files on a CDN) must be the very set the package shipped with. The manifest's own hashes
 * only catch damage; this catches a swapped set.
 */
export const PACKAGED_WEIGHTS_INTEGRITY: string | undefined =
  typeof __NST_WEIGHTS_INTEGRITY__ === 'string' && /^[0-9a-f]{64}$/.test(__NST_WEIGHTS_INTEGRITY__) ? __NST_WEIGHTS_INTEGRITY__ : undefined;
declare const __NST_WEIGHTS_INTEGRITY__: string | undefined;
