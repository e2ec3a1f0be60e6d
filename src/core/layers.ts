import { VGG19, type NetworkArchitecture, type NetworkPoint } from './architecture.js';
import type { ConvName, LayerName } from './vgg-names.js';

export type { NetworkPoint, PointKind } from './architecture.js';

/**
 * VGG-19's layer names, the default network's. Each conv layer `convN_M` is followed by its ReLU `reluN_M`; each
 * block ends in a 2x2 pool `poolN`. `reluN_M` is what Keras calls `blockN_convM` (Keras folds the ReLU into the
 * conv layer) and what Caffe-based tools (Gatys et al., jcjohnson/neural-style) use for style and content. Another
 * network has its own names (`model.architecture.names`); these types only give VGG-19's autocompletion.
 */
export const BLOCKS = [2, 2, 4, 4, 4] as const;

export type { ConvName, LayerName, PoolName, ReluName } from './vgg-names.js';
/** A layer name of any network: VGG-19's autocomplete, any other string is accepted (and checked at run time). */
export type AnyLayerName = LayerName | (string & {});

/** VGG-19's 16 conv layers in order. */
export const CONV_LAYERS = VGG19.convs.map((c) => c.name) as readonly ConvName[];

/** VGG-19's 37 points in forward order: conv1_1, relu1_1, conv1_2, relu1_2, pool1, conv2_1, … pool5. */
export const NETWORK_POINTS: readonly NetworkPoint<LayerName>[] = VGG19.points;

/** VGG-19's canonical layer names, in forward order. */
export const LAYER_NAMES: readonly LayerName[] = VGG19.names;

/**
 * Resolves a layer name to its point in `network` (default VGG-19). Accepts canonical names (`conv3_1`, `relu3_1`,
 * `pool3`) and the network's aliases (VGG: Keras `block3_conv1` = `relu3_1`, `block3_pool` = `pool3`). Throws
 * UNKNOWN_LAYER naming the network and the valid choices. A model resolves against its own:
 * `model.architecture.resolve(name)`.
 */
export function resolveLayer<N extends string = LayerName>(name: string, field = 'layer', network: NetworkArchitecture<N> = VGG19 as unknown as NetworkArchitecture<N>): NetworkPoint<N> {
  return network.resolve(name, field);
}

/** The deepest point among `names` (the network is computed only up to it). */
export function deepestPoint<P extends NetworkPoint>(points: Iterable<P>): P | undefined {
  let deepest: P | undefined;
  for (const p of points) if (!deepest || p.index > deepest.index) deepest = p;
  return deepest;
}
