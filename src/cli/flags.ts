/**
 * The CLI's shared flags: the ones every command takes ({@link COMMON_FLAGS}) and the ones that map onto
 * `stylize()` options ({@link STYLIZE_FLAGS}), with {@link flagForField} to name a flag from an option's field.
 * The command specs (`specs.ts`) spread these; help and parsing read them.
 * @module
 */
import { DEFAULT_MAX_INPUT_PIXELS } from '../image/input.js';
import { DEFAULT_MAX_BYTES } from '../adapters/node/image-io.js';
import { STYLIZE_DEFAULTS as D, STYLIZE_RANGES as R, defaultText as t, rangeText } from '../defaults.js';
import type { FlagSpec } from './args.js';

export const COMMON_FLAGS: FlagSpec[] = [
  { name: 'help', short: 'h', type: 'boolean', help: 'show this help' },
  { name: 'quiet', short: 'q', type: 'boolean', help: 'no progress bar or summary on stderr (errors still print)' },
  { name: 'json', type: 'boolean', help: 'machine-readable progress on stdout: one JSON object per line' },
  { name: 'backend', type: 'string', arg: 'NAME', help: 'TF.js backend: tensorflow (needs @tensorflow/tfjs-node), wasm or cpu', default: 'best available' },
  { name: 'weights', type: 'string', arg: 'DIR', help: 'VGG-19 weight folder (or manifest.json)', default: 'the weights shipped in the package' },
  { name: 'max-megapixels', type: 'number', arg: 'X', min: 0.01, max: 1000, help: 'refuse input images with more pixels (read from the header, before decoding)', default: String(DEFAULT_MAX_INPUT_PIXELS / 1e6) },
  { name: 'max-file-mb', type: 'number', arg: 'X', min: 0.01, max: 65536, help: 'refuse input files larger than X MiB', default: String(DEFAULT_MAX_BYTES / 2 ** 20) },
];

/**
 * Flags that map onto stylize() options (shared by stylize, sweep as the base of every cell, and study), each with
 * the option `field` it sets; {@link stylizeOptionsFromFlags} (`stylize-options.ts`) turns them into options.
 */
export const STYLIZE_FLAGS: FlagSpec[] = [
  { name: 'size', field: 'size', type: 'int', arg: 'N', help: `longest side of the output in pixels (${rangeText(R.size)})`, default: t(D.size) },
  { name: 'style-layers', field: 'styleLayers', type: 'string', arg: 'LAYERS', help: 'style layers: "conv1_1,conv3_1" (equal weights) or "relu1_1:1,relu2_1:0.5"', default: t(D.styleLayers) },
  { name: 'content-layers', field: 'contentLayers', type: 'string', arg: 'LAYERS', help: 'content layers, same syntax', default: t(D.contentLayers) },
  { name: 'content-weight', field: 'contentWeight', type: 'number', arg: 'X', help: 'content loss weight (alpha)', default: t(D.contentWeight) },
  { name: 'style-weight', field: 'styleWeight', type: 'number', arg: 'X', help: 'style loss weight (beta)', default: t(D.styleWeight) },
  { name: 'tv-weight', field: 'tvWeight', type: 'number', arg: 'X', help: 'total-variation (smoothness) weight', default: D.tvWeight.toExponential() },
  { name: 'loss-normalization', field: 'lossNormalization', type: 'string', arg: 'mean|paper', help: 'loss constants', default: t(D.lossNormalization) },
  { name: 'optimizer', field: 'optimizer', type: 'string', arg: 'lbfgs|adam', help: 'optimiser', default: t(D.optimizer) },
  { name: 'learning-rate', field: 'learningRate', type: 'number', arg: 'X', help: 'L-BFGS step multiplier / Adam step size', default: t(D.learningRate) },
  { name: 'lbfgs-history', field: 'lbfgs.historySize', type: 'int', arg: 'N', help: 'L-BFGS correction pairs kept', default: t(D.lbfgs.historySize) },
  { name: 'line-search', field: 'lbfgs.lineSearch', type: 'string', arg: 'strong-wolfe|none', help: 'L-BFGS line search', default: t(D.lbfgs.lineSearch) },
  { name: 'precondition', field: 'precondition', type: 'string', arg: 'pyramid|none', help: 'what the optimiser moves: a multi-scale pyramid or plain pixels', default: t(D.precondition) },
  { name: 'normalize-gradients', field: 'normalizeGradients', type: 'boolean', help: "divide each layer's gradient by its L1 norm" },
  { name: 'preserve-colors', field: 'preserveColors', type: 'optional-string', arg: 'luminance|histogram', help: "keep the content's colours (alone: luminance)", choices: ['luminance', 'histogram'] },
  { name: 'pooling', field: 'pooling', type: 'string', arg: 'max|avg', help: 'pooling between blocks', default: t(D.pooling) },
  { name: 'init', field: 'init', type: 'string', arg: 'content|style|noise|FILE', help: 'start image', default: t(D.init) },
  { name: 'seed', field: 'seed', type: 'int', arg: 'N', help: 'seed for --init noise', default: t(D.seed) },
  { name: 'style-scale', field: 'styleScale', type: 'number', arg: 'X', help: `style images resized to size·X (${rangeText(R.styleScale)})`, default: t(D.styleScale) },
  { name: 'style-blend-weights', field: 'styleBlendWeights', type: 'string', arg: 'W,W,…', help: 'relative weights of several style images', default: 'equal' },
  { name: 'scales', field: 'scales', type: 'string', arg: 'F,F,…', help: `coarse-to-fine fractions of --size ending in 1, e.g. 0.5,1; auto: 1 up to ${D.coarseToFine.above} px, above it halvings from ≥ ${D.coarseToFine.coarsest} px (2048: 0.25,0.5,1)`, default: t(D.scales) },
  { name: 'tile', field: 'tile', type: 'string', arg: 'N|auto|off', help: 'evaluate in tiles of N px (for images larger than the backend holds); auto: only when the whole image does not fit', default: 'auto' },
  { name: 'tile-halo', field: 'tile.halo', type: 'string', arg: 'N|exact', help: 'with --tile N: context around each tile in px; fewer than exact is faster but approximate', default: 'exact (160 px for the default layers)' },
];

/**
 * The flag that sets the option `field` (as in an INVALID_OPTION error's `details.field`), among `flags`:
 * `styleWeight` → `--style-weight`, `lbfgs.historySize` → `--lbfgs-history`, `styleBlendWeights[1]` →
 * `--style-blend-weights[1]`. Undefined when no flag sets it (the error then keeps the option's name).
 */
export function flagForField(field: string, flags: readonly FlagSpec[]): string | undefined {
  const exact = flags.find((f) => f.field === field);
  if (exact) return `--${exact.name}`;
  // The longest field that `field` is an entry or a member of (`scales[2]`, `tile.size` of `tile`).
  let best: FlagSpec | undefined;
  for (const f of flags) {
    if (!f.field || !field.startsWith(f.field)) continue;
    const next = field[f.field.length];
    if ((next === '[' || next === '.') && (!best || f.field.length > best.field!.length)) best = f;
  }
  return best ? `--${best.name}${field.slice(best.field!.length)}` : undefined;
}
