import * as tf from '@tensorflow/tfjs-core';
import type { Kernels } from '../../kernels/index.js';
import { tvLoss, tvLossHost } from '../../core/losses.js';
import type { Vgg19 } from '../../core/model.js';
import type { Objective } from '../../optim/types.js';
import type { ResolvedOptions } from '../options.js';
import type { Targets } from '../targets.js';
import { tiledLossAndGradient, tiledLossAndGradientHost, type TiledLossSpec } from './evaluate.js';
import type { Tile, TileLayout, TileProgress } from './layout.js';

export type { TileProgress } from './layout.js';

/** The tiled loss of a scale's targets and options; `beforeTile` is awaited before each tile of each pass. */
export function tiledLossSpec(t: Targets, o: ResolvedOptions, layout: TileLayout, kernels: Kernels, beforeTile: (p: TileProgress) => void | Promise<void>): TiledLossSpec {
  return {
    layout,
    pooling: o.pooling,
    normalization: o.lossNormalization,
    kernels,
    content: o.contentLayers.map((l) => ({ point: l.point, target: t.contentFeatures.get(l.point.index)!, weight: o.contentWeight * l.weight })),
    style: o.styleLayers.map((l) => ({ point: l.point, target: t.styleGrams.get(l.point.index)!, weight: o.styleWeight * l.weight })),
    beforeTile: (tile: Tile, pass: 1 | 2) => beforeTile({ tile: tile.index, tiles: layout.tiles.length, pass: pass === 1 ? 'grams' : 'gradient' }),
  };
}

/**
 * The run's objective for one scale evaluated a tile at a time ({@link tiledLossSpec}): the same loss parts as the
 * whole-image objective (content layers, style layers, TV) and one read-back per evaluation. The TV loss is cheap
 * and image-sized, so it is taken on the whole image.
 */
export function makeTiledObjective(model: Vgg19, spec: TiledLossSpec, tvWeight: number): Objective {
  return async (x, direction) => {
    const net = await tiledLossAndGradient(model, x as tf.Tensor4D, spec);
    let read: tf.Tensor1D;
    let grad: tf.Tensor4D;
    try {
      ({ read, grad } = tf.tidy(() => {
        const tv = tvLoss(x as tf.Tensor4D, tvWeight);
        const parts = [...net.values, tv.value];
        const g = tf.add(net.grad, tv.grad) as tf.Tensor4D;
        return { read: tf.stack([tf.addN(parts), ...parts, direction ? tf.sum(tf.mul(g, direction)) : tf.scalar(0)]) as tf.Tensor1D, grad: g };
      }));
    } finally {
      tf.dispose([...net.values, net.grad]);
    }
    const values = await read.data();
    read.dispose();
    return { loss: values[0], parts: Array.from(values.subarray(1, values.length - 1)), grad, gtd: direction ? values[values.length - 1] : undefined };
  };
}

/**
 * The same objective of an image in JS memory (`[H,W,3]` row-major; see `optim/pyramid-host.ts`): the backend holds
 * only one crop's pass and the targets; each tile's crop is uploaded and its interior gradient read back, and the
 * TV loss, gᵀd and the optimiser's extra scalars are computed in JS. Reads back once per tile of pass 2, plus the
 * loss values.
 */
export function makeHostTiledObjective(model: Vgg19, spec: TiledLossSpec, tvWeight: number): Objective<Float32Array> {
  const { height, width } = spec.layout;
  return async (x, direction, extra) => {
    const net = await tiledLossAndGradientHost(model, x, spec);
    const read = tf.stack(net.values);
    tf.dispose(net.values);
    const values = Array.from(await read.data().finally(() => read.dispose()));
    const tv = tvLossHost(x, height, width, tvWeight);
    const grad = net.grad;
    for (let i = 0; i < grad.length; i++) grad[i] += tv.grad[i];
    const parts = [...values, tv.value];
    let gtd: number | undefined;
    if (direction) {
      gtd = 0;
      for (let i = 0; i < grad.length; i++) gtd += grad[i] * direction[i];
    }
    return { loss: parts.reduce((a, b) => a + b, 0), parts, grad, gtd, extra: extra?.(grad) };
  };
}
