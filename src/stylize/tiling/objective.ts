import * as tf from '@tensorflow/tfjs-core';
import type { Kernels } from '../../kernels/index.js';
import type { LossNetwork } from '../../core/model.js';
import type { Objective } from '../../optim/types.js';
import type { ResolvedOptions } from '../options.js';
import type { Targets } from '../targets.js';
import { checkFinite, runLoss } from '../objective.js';
import { tiledLossAndGradient, tiledLossAndGradientHost, type TiledLossSpec } from './evaluate.js';
import type { Tile, TileLayout, TileProgress } from './layout.js';

export type { TileProgress } from './layout.js';

/**
 * The tiled evaluation of a scale's loss (the run's one {@link runLoss}); `beforeTile` is awaited before each tile of
 * each pass.
 */
export function tiledLossSpec(t: Targets, o: ResolvedOptions, layout: TileLayout, kernels: Kernels, beforeTile: (p: TileProgress) => void | Promise<void>): TiledLossSpec {
  return {
    layout,
    pooling: o.pooling,
    kernels,
    loss: runLoss(t, o, kernels),
    beforeTile: (tile: Tile, pass: 1 | 2) => beforeTile({ tile: tile.index, tiles: layout.tiles.length, pass: pass === 1 ? 'grams' : 'gradient' }),
  };
}

/**
 * The run's objective for one scale evaluated a tile at a time ({@link tiledLossSpec}): the same loss parts as the
 * whole-image objective (the terms at network points, then the image terms, TV) and one read-back per evaluation.
 * The image terms are cheap and image-sized, so they are taken on the whole image. A non-finite loss: see
 * `checkFinite`.
 */
export function makeTiledObjective(model: LossNetwork, spec: TiledLossSpec): Objective {
  return async (x, direction) => {
    const net = await tiledLossAndGradient(model, x as tf.Tensor4D, spec);
    let read: tf.Tensor1D;
    let grad: tf.Tensor4D;
    try {
      ({ read, grad } = tf.tidy(() => {
        const image = spec.loss.image.map((term) => term.evaluate(x as tf.Tensor4D));
        const parts = [...net.values, ...image.map((r) => r.value)];
        const g = image.reduce((sum, r) => tf.add(sum, r.grad) as tf.Tensor4D, net.grad);
        return { read: tf.stack([tf.addN(parts), ...parts, direction ? tf.sum(tf.mul(g, direction)) : tf.scalar(0)]) as tf.Tensor1D, grad: g };
      }));
    } finally {
      tf.dispose([...net.values, net.grad]);
    }
    const values = await read.data();
    read.dispose();
    const parts = Array.from(values.subarray(1, values.length - 1));
    checkFinite(values[0], parts, direction, () => grad.dispose());
    return { loss: values[0], parts, grad, gtd: direction ? values[values.length - 1] : undefined };
  };
}

/**
 * The same objective of an image in JS memory (`[H,W,3]` row-major; see `optim/pyramid-host.ts`): the backend holds
 * only one crop's pass and the targets; each tile's crop is uploaded and its interior gradient read back, and the
 * image terms (`evaluateHost`), gᵀd and the optimiser's extra scalars are computed in JS. Reads back once per tile
 * of pass 2, plus the loss values.
 */
export function makeHostTiledObjective(model: LossNetwork, spec: TiledLossSpec): Objective<Float32Array> {
  const { height, width } = spec.layout;
  return async (x, direction, extra) => {
    const net = await tiledLossAndGradientHost(model, x, spec);
    const read = tf.stack(net.values);
    tf.dispose(net.values);
    const values = Array.from(await read.data().finally(() => read.dispose()));
    const grad = net.grad;
    const parts = [...values];
    for (const term of spec.loss.image) {
      const r = term.evaluateHost(x, height, width);
      for (let i = 0; i < grad.length; i++) grad[i] += r.grad[i];
      parts.push(r.value);
    }
    const loss = parts.reduce((a, b) => a + b, 0);
    checkFinite(loss, parts, direction, () => undefined);
    let gtd: number | undefined;
    if (direction) {
      gtd = 0;
      for (let i = 0; i < grad.length; i++) gtd += grad[i] * direction[i];
    }
    return { loss, parts, grad, gtd, extra: extra?.(grad) };
  };
}
