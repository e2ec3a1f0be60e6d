import { STYLIZE_DEFAULTS as D } from '../defaults.js';
import { rangeOf } from '../options/table.js';

/**
 * Ranges and defaults of the multi-pass options, in one place: `resolveMultiPass` checks against them and the
 * `video --passes` flags show them. No tensor code here, so the CLI's flag table can import it cheaply.
 */
export const MULTI_PASS_LIMITS = {
  passes: { min: 1, max: 100, default: 6 },
  /** Per frame and pass; Ruder et al. use 100 against single-pass 500, hence a fifth of `stylize()`'s default. */
  iterations: { ...rangeOf('iterations'), default: Math.max(1, Math.round(D.iterations / 5)) },
  blendWeight: { min: 0, max: 1e6, default: 1 },
  /** Default: the pass after half of them (`floor(passes / 2) + 1`). */
  temporalFromPass: { min: 1, max: 101 },
  maxFrames: { min: 2, max: 10_000, default: 100 },
} as const;
