/**
 * Gatys et al. 2016, Fig. 1: what a layer keeps of an image, shown by reconstructing the image from white noise
 * using only that layer's content representation (its activations), or only a layer set's style representation
 * (its Gram matrices). Built on `stylize()` with the other loss term's weight at 0.
 * @module
 */
import { OPTIONS } from '../options/check.js';
import type { ImageInput } from '../image/input.js';
import { VGG19, type NetworkArchitecture } from '../core/architecture.js';
import type { LossNormalization } from '../core/losses.js';
import type { LossNetwork } from '../core/model.js';
import type { Pooling } from '../core/network.js';
import { createStylizer, type Stylizer } from '../stylize/session.js';
import type { IterationInfo, LayerWeights, StylizeRequest } from '../stylize/options.js';
import type { StylizeResult } from '../stylize/result.js';

/** Options of {@link reconstruct}. */
export interface ReconstructOptions {
  /** The image to reconstruct. */
  image: ImageInput;
  /** `'content'`: match the layer's activations (keeps layout); `'style'`: match the Gram matrices (keeps texture). */
  kind: 'content' | 'style';
  /** One layer (any point: conv3_1, relu3_1, pool3, block3_conv1). Give this or `layers`. */
  layer?: string;
  /** Several layers (a list, or a map name → weight), e.g. the style set conv1_1…conv3_1. */
  layers?: LayerWeights;
  /** A loaded model (not disposed). Default: loaded for this call (pass one, or `stylizer`, to reuse it). */
  model?: LossNetwork;
  /** A stylizer to run on (its model is used). */
  stylizer?: Stylizer;
  /** Default 200. */
  iterations?: number;
  /** Longest side in pixels. Default 128. */
  size?: number;
  /** Seed of the white-noise start image. Default 0. */
  seed?: number;
  /** Default `'lbfgs'`. */
  optimizer?: 'lbfgs' | 'adam';
  learningRate?: number;
  /** Total-variation weight. Default 0 (the paper's reconstructions have none). */
  tvWeight?: number;
  /** Weight of the one loss term. Default 1 (content) or 1000 (style, whose 'mean'-normalised loss is small). */
  weight?: number;
  /** Default `'max'`. */
  pooling?: Pooling;
  /** Default `'mean'`. */
  lossNormalization?: LossNormalization;
  /** Keep images at these iterations (`result.snapshots`). */
  snapshots?: readonly number[];
  onIteration?: (info: IterationInfo) => void | Promise<void>;
  signal?: AbortSignal;
}

const KNOWN = ['image', 'kind', 'layer', 'layers', 'model', 'stylizer', 'iterations', 'size', 'seed', 'optimizer', 'learningRate', 'tvWeight', 'weight', 'pooling', 'lossNormalization', 'snapshots', 'onIteration', 'signal'];

/**
 * The `stylize()` options a reconstruction runs with (exposed so the recipe is visible and reusable). Layer names
 * are `network`'s: by default the given stylizer's or model's, else VGG-19's.
 */
export function reconstructionOptions(o: ReconstructOptions, network?: NetworkArchitecture): StylizeRequest {
  if (!o || typeof o !== 'object') OPTIONS.fail('options', o, 'an options object with image, kind and layer');
  OPTIONS.knownKeys(o as unknown as Record<string, unknown>, KNOWN, 'for reconstruct()');
  OPTIONS.oneOf('kind', o.kind, ['content', 'style']);
  if ((o.layer === undefined) === (o.layers === undefined)) {
    OPTIONS.fail('layer', o.layer, 'exactly one of `layer` (one name, e.g. "conv4_2") and `layers` (a list or a map name → weight)', 'Give exactly one of `layer` (one name, e.g. "conv4_2") and `layers` (a list or a map name → weight).');
  }
  const layers: LayerWeights = o.layer !== undefined ? [o.layer] : o.layers!;
  const names = Array.isArray(layers) ? (layers as readonly string[]) : Object.keys(layers as Record<string, number>);
  if (names.length === 0) OPTIONS.fail('layers', layers, 'at least one layer', '`layers` is empty; name at least one layer.');
  const net = network ?? o.stylizer?.model.architecture ?? o.model?.architecture ?? VGG19;
  const points = names.map((n) => net.resolve(n, o.layer !== undefined ? 'layer' : 'layers'));
  // The other term gets weight 0, on the shallowest named point so it never makes the network run deeper.
  const shallowest = names[points.reduce((best, p, i) => (p.index < points[best].index ? i : best), 0)];
  const w = o.weight ?? (o.kind === 'content' ? 1 : 1000);
  if (typeof w !== 'number' || !Number.isFinite(w) || w <= 0) OPTIONS.fail('weight', w, 'a finite number > 0');
  return {
    content: o.image,
    style: o.image,
    init: 'noise',
    seed: o.seed ?? 0,
    size: o.size ?? 128,
    iterations: o.iterations ?? 200,
    tvWeight: o.tvWeight ?? 0,
    optimizer: o.optimizer,
    learningRate: o.learningRate,
    pooling: o.pooling,
    lossNormalization: o.lossNormalization,
    snapshots: o.snapshots,
    onIteration: o.onIteration,
    signal: o.signal,
    ...(o.kind === 'content'
      ? { contentLayers: layers, contentWeight: w, styleLayers: [shallowest], styleWeight: 0 }
      : { styleLayers: layers, styleWeight: w, contentLayers: [shallowest], contentWeight: 0 }),
  };
}

/**
 * Reconstructs an image from white noise using only one layer's content representation (`kind: 'content'`) or
 * only a layer set's style representation (`kind: 'style'`). Shallow content layers give the image back almost
 * exactly; deep ones keep the arrangement but lose the pixels. Style reconstructions keep colours and textures
 * at a scale that grows with depth, and lose the layout. Resolves to a {@link StylizeResult} (dispose it).
 *
 * @example
 * ```ts
 * const rec = await reconstruct({ model: vgg, image, layer: 'conv4_2', kind: 'content', iterations: 200, size: 128 });
 * await writeImage('rec.png', await rec.toPixels());
 * rec.dispose();
 * ```
 */
export async function reconstruct(options: ReconstructOptions): Promise<StylizeResult> {
  const opts = reconstructionOptions(options);
  const { content, style, model: _m, ...run } = opts;
  void _m;
  const stylizer = options.stylizer ?? (await createStylizer({ model: options.model, cacheSize: 0, signal: options.signal }));
  try {
    return await stylizer.stylize(content, style, run);
  } finally {
    if (!options.stylizer) stylizer.dispose();
  }
}
