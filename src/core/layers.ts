import { StyleTransferError } from '../errors.js';

/**
 * Canonical VGG-19 layer names. Each conv layer `convN_M` is followed by its ReLU `reluN_M`; each block ends in a
 * 2x2 pool `poolN`. `reluN_M` is what Keras calls `blockN_convM` (Keras folds the ReLU into the conv layer) and
 * what Caffe-based tools (Gatys et al., jcjohnson/neural-style) use for style and content.
 */
export const BLOCKS = [2, 2, 4, 4, 4] as const;

export type ConvName = `conv${1 | 2 | 3 | 4 | 5}_${1 | 2 | 3 | 4}`;
export type ReluName = `relu${1 | 2 | 3 | 4 | 5}_${1 | 2 | 3 | 4}`;
export type PoolName = `pool${1 | 2 | 3 | 4 | 5}`;
/** Any tappable point of the network. */
export type LayerName = ConvName | ReluName | PoolName;

/** The 16 conv layers in order. */
export const CONV_LAYERS: readonly ConvName[] = BLOCKS.flatMap((n, b) =>
  Array.from({ length: n }, (_, i) => `conv${b + 1}_${i + 1}` as ConvName),
);

export type PointKind = 'conv' | 'relu' | 'pool';

/** One tappable point of the network, in forward order. */
export interface NetworkPoint {
  name: LayerName;
  kind: PointKind;
  /** Position in forward order (0 = conv1_1). */
  index: number;
  /** Block number 1…5. */
  block: number;
  /** Index of the conv layer (0…15) for conv/relu points; the last conv of the block for a pool. */
  convIndex: number;
  /** Output channels. */
  channels: number;
  /** Spatial downsampling factor relative to the input (1, 2, 4, 8, 16, 32). */
  stride: number;
}

const CHANNELS = [64, 128, 256, 512, 512];

/** All 37 points of the network in forward order: conv1_1, relu1_1, conv1_2, relu1_2, pool1, conv2_1, … pool5. */
export const NETWORK_POINTS: readonly NetworkPoint[] = (() => {
  const points: NetworkPoint[] = [];
  let convIndex = 0;
  BLOCKS.forEach((n, b) => {
    const block = b + 1;
    const stride = 2 ** b;
    for (let i = 1; i <= n; i++) {
      points.push({ name: `conv${block}_${i}` as ConvName, kind: 'conv', index: points.length, block, convIndex, channels: CHANNELS[b], stride });
      points.push({ name: `relu${block}_${i}` as ReluName, kind: 'relu', index: points.length, block, convIndex, channels: CHANNELS[b], stride });
      convIndex++;
    }
    points.push({ name: `pool${block}` as PoolName, kind: 'pool', index: points.length, block, convIndex: convIndex - 1, channels: CHANNELS[b], stride: stride * 2 });
  });
  return points;
})();

const BY_NAME = new Map<string, NetworkPoint>(NETWORK_POINTS.map((p) => [p.name, p]));

/** Keras layer names (`block3_conv1`) map to the post-ReLU point, as in Keras the ReLU is part of the layer. */
const KERAS = /^block([1-5])_conv([1-4])$/;
const KERAS_POOL = /^block([1-5])_pool$/;

/** Every accepted layer name, canonical ones first. */
export const LAYER_NAMES: readonly LayerName[] = NETWORK_POINTS.map((p) => p.name);

/**
 * Resolves a layer name to its network point. Accepts canonical names (`conv3_1`, `relu3_1`, `pool3`) and Keras
 * names (`block3_conv1` = `relu3_1`, `block3_pool` = `pool3`). Throws UNKNOWN_LAYER naming the valid choices.
 */
export function resolveLayer(name: string, field = 'layer'): NetworkPoint {
  if (typeof name !== 'string') {
    throw new StyleTransferError('UNKNOWN_LAYER', `${field}: layer names are strings like "relu4_2"; got ${typeof name}.`, { field, layer: name });
  }
  const trimmed = name.trim();
  const direct = BY_NAME.get(trimmed);
  if (direct) return direct;
  const k = KERAS.exec(trimmed);
  if (k) {
    const p = BY_NAME.get(`relu${k[1]}_${k[2]}`);
    if (p) return p;
  }
  const kp = KERAS_POOL.exec(trimmed);
  if (kp) return BY_NAME.get(`pool${kp[1]}`)!;
  const close = LAYER_NAMES.filter((n) => n.slice(-3) === trimmed.slice(-3)).slice(0, 3);
  throw new StyleTransferError(
    'UNKNOWN_LAYER',
    `${field}: unknown VGG-19 layer "${name}". Use convN_M (before ReLU), reluN_M (after ReLU) or poolN, with ` +
      `block N in 1–5 and M in 1–2 for blocks 1–2, 1–4 for blocks 3–5${close.length ? ` (did you mean ${close.join(', ')}?)` : ''}.`,
    { field, layer: name },
  );
}

/** The deepest point among `names` (the network is computed only up to it). */
export function deepestPoint(points: Iterable<NetworkPoint>): NetworkPoint | undefined {
  let deepest: NetworkPoint | undefined;
  for (const p of points) if (!deepest || p.index > deepest.index) deepest = p;
  return deepest;
}
