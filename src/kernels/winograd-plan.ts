import * as tf from '@tensorflow/tfjs-core';
import { plainConv } from './generic.js';
import type { ConvDirection, ConvUse, ConvWeights, PreparedConvs } from './types.js';
import { transformWeights, winogradConv2d, winogradTensors, type WinogradTile, type WinogradWeights } from './winograd.js';

/** One conv call's shape: what the choice between tf.conv2d and Winograd depends on. */
export interface ConvShape {
  height: number;
  width: number;
  inChannels: number;
  outChannels: number;
}

/**
 * Where Winograd beats tf.conv2d on tfjs-backend-wasm 4.22 at 2 threads, from `npm run bench -- --winograd
 * --layers` on a quiet machine (per-layer medians, interleaved in one process; numbers and method in
 * docs/performance.md): the first row whose conditions a call meets gives its tile; no row, tf.conv2d.
 * `maxPixels`/`minPixels` bound H·W, `minIn`/`minOut` the channel counts.
 */
export const WINOGRAD_TABLE: readonly { minPixels: number; maxPixels: number; minIn: number; minOut: number; tile: WinogradTile }[] = [
  // F(2,3) measured 1.19–2.0x faster on every conv of 8x8 … 256x256 pixels with at least 128 channels on both
  // sides (conv2_2 … conv5_1 at 256 and 512 px, conv2_2 … conv5_1 at 128 px, conv3_1 … conv5_1 at 1024 px),
  // forward and backward. With 64 channels on a side it won at some sizes and lost at others (conv1_2 at 128 px:
  // 0.59–0.85x); at 512x512 it tied or won by under 10%. F(4,3) was at best 3% faster than F(2,3) (three layers at
  // 1024 px) for 2.25x the weights' memory.
  { minPixels: 8 * 8, maxPixels: 256 * 256, minIn: 128, minOut: 128, tile: 2 },
];

/** Which Winograd tile a conv of this shape uses, or undefined for tf.conv2d. */
export type TileChoice = (shape: ConvShape) => WinogradTile | undefined;

/** The Winograd tile for a conv of this shape from {@link WINOGRAD_TABLE}, or undefined where tf.conv2d is as fast or faster. */
export function winogradTileFor(s: ConvShape): WinogradTile | undefined {
  const px = s.height * s.width;
  return WINOGRAD_TABLE.find((r) => px >= r.minPixels && px <= r.maxPixels && s.inChannels >= r.minIn && s.outChannels >= r.minOut)?.tile;
}

/** Each transformed matrix is `[Cin, Cout]` float32, (m+2)² of them; XNNPACK keeps a packed copy of each. */
export function winogradBytes(tile: WinogradTile, inChannels: number, outChannels: number): number {
  return 2 * (tile + 2) ** 2 * inChannels * outChannels * 4;
}

interface Entry {
  weights: WinogradWeights;
  holders: number;
}

/** Transformed weights by model, then by `convIndex/direction/tile`; shared by every prepared run on that model. */
const cache = new WeakMap<ConvWeights, Map<string, Entry>>();
const key = (i: number, direction: ConvDirection, tile: WinogradTile) => `${i}/${direction}/${tile}`;

/** The shapes of a model's conv layers, read off its kernels. */
function layerShapes(model: ConvWeights): { inChannels: number; outChannels: number; poolAfter?: boolean }[] {
  return model.convLayers.map((_, i) => ({ inChannels: model.kernel(i).shape[2], outChannels: model.kernel(i).shape[3], poolAfter: model.poolAfter?.(i) }));
}

/**
 * Transforms the weights of every conv `use` runs where {@link winogradTileFor} picks Winograd (each layer at its
 * own resolution: halved after each of the four pools), or takes a share of ones already made for this model.
 * Disposing the handle gives the share back; the last holder frees them.
 */
export function prepareWinograd(model: ConvWeights, use: ConvUse, choose: TileChoice = winogradTileFor): PreparedConvs {
  const byKey = cache.get(model) ?? new Map<string, Entry>();
  cache.set(model, byKey);
  const held: string[] = [];
  let bytes = 0;
  try {
    for (const need of winogradNeeds(use, layerShapes(model), choose)) {
      const k = key(need.index, need.direction, need.tile);
      let e = byKey.get(k);
      if (!e) {
        const kernel = need.direction === 'forward' ? model.kernel(need.index) : model.flippedKernel(need.index);
        e = { weights: transformWeights(kernel, need.tile), holders: 0 };
        byKey.set(k, e);
      }
      e.holders++;
      held.push(k);
      bytes += winogradBytes(need.tile, e.weights.inChannels, e.weights.outChannels);
    }
  } catch (err) {
    release(byKey, held);
    throw err;
  }
  let live = true;
  return {
    bytes,
    dispose: () => {
      if (live) release(byKey, held);
      live = false;
    },
  };
}

function release(byKey: Map<string, Entry>, held: readonly string[]): void {
  for (const k of held) {
    const e = byKey.get(k)!;
    if (--e.holders === 0) {
      tf.dispose(winogradTensors(e.weights));
      byKey.delete(k);
    }
  }
}

/** VGG-19's conv shapes (Cin, Cout) by conv index, for estimates made before a model is at hand. */
export const VGG19_CONV_SHAPES: readonly { inChannels: number; outChannels: number }[] = [
  [3, 64], [64, 64], [64, 128], [128, 128], [128, 256], [256, 256], [256, 256], [256, 256],
  [256, 512], [512, 512], [512, 512], [512, 512], [512, 512], [512, 512], [512, 512], [512, 512],
].map(([inChannels, outChannels]) => ({ inChannels, outChannels }));

/** VGG-19's pools: after conv indices 1, 3, 7 and 11 the resolution halves. */
const POOL_AFTER = new Set([1, 3, 7, 11]);

/** What {@link prepareWinograd} makes for `use`: each layer, direction and tile Winograd is chosen for. */
export function winogradNeeds(use: ConvUse, layers: readonly { inChannels: number; outChannels: number; poolAfter?: boolean }[], choose: TileChoice = winogradTileFor): { index: number; direction: ConvDirection; tile: WinogradTile; inChannels: number; outChannels: number }[] {
  const out = [];
  let h = use.height;
  let w = use.width;
  for (let i = 0; i < Math.min(layers.length, Math.max(use.forward, use.backward)); i++) {
    const { inChannels, outChannels } = layers[i];
    const fwd = i < use.forward ? choose({ height: h, width: w, inChannels, outChannels }) : undefined;
    if (fwd) out.push({ index: i, direction: 'forward' as const, tile: fwd, inChannels, outChannels });
    const bwd = i < use.backward ? choose({ height: h, width: w, inChannels: outChannels, outChannels: inChannels }) : undefined;
    if (bwd) out.push({ index: i, direction: 'backward' as const, tile: bwd, inChannels: outChannels, outChannels: inChannels });
    if (layers[i].poolAfter ?? POOL_AFTER.has(i)) {
      h = Math.floor(h / 2);
      w = Math.floor(w / 2);
    }
  }
  return out;
}

/** The conv with Winograd where the table picks it and a prepared run holds its weights; else tf.conv2d. */
export function winogradOrPlainConv(x: tf.Tensor4D, model: ConvWeights, i: number, direction: ConvDirection, choose: TileChoice = winogradTileFor): tf.Tensor4D {
  const [, height, width, inChannels] = x.shape;
  const kernel = direction === 'forward' ? model.kernel(i) : model.flippedKernel(i);
  const tile = choose({ height, width, inChannels, outChannels: kernel.shape[3] });
  const e = tile === undefined ? undefined : cache.get(model)?.get(key(i, direction, tile));
  if (!e) return plainConv(x, model, i, direction);
  return winogradConv2d(x, e.weights, direction === 'forward' ? model.bias(i) : undefined);
}
