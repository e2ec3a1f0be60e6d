import * as tf from '@tensorflow/tfjs-core';
import type { Kernels } from '../../kernels/index.js';
import type { NetworkPoint } from '../../core/layers.js';
import type { LossNetwork } from '../../core/model.js';
import { activationShape, forward, preprocess, type Pooling } from '../../core/network.js';
import { addSums } from '../../core/loss-spec.js';
import { statisticSums, targetFromSums, type StyleStatistic } from '../../core/style-statistics.js';
import { interiorAt, tileLayout, withHalo, type Tile, type TileLayout } from './layout.js';

/**
 * Forward-only passes a tile at a time, for the targets of a tiled scale: the content activations (assembled from
 * the tiles' interiors) and style statistics' targets (their sums over positions added over them). With the layout's exact halo they equal the whole
 * image's; each tile's crop (interior + the forward halo) is the only full-depth pass alive at a time.
 */

/** Runs each tile's crop of `rgb` and hands the kept activations to `use` (freed after it returns). */
async function eachTile(model: LossNetwork, rgb: tf.Tensor4D, points: readonly NetworkPoint[], pooling: Pooling, layout: TileLayout, use: (tile: Tile, acts: Map<string, tf.Tensor4D>) => void): Promise<void> {
  for (const whole of layout.tiles) {
    // Only the interior's activations are kept: the forward halo makes them exact.
    const t = withHalo(whole, layout.forwardHalo, layout);
    const input = tf.tidy(() => preprocess(tf.slice(rgb, [0, t.y.cropStart, t.x.cropStart, 0], [1, t.y.cropEnd - t.y.cropStart, t.x.cropEnd - t.x.cropStart, 3]), model.architecture.input));
    const acts = await forward(model, input, points, pooling).finally(() => input.dispose());
    try {
      use(t, acts);
    } finally {
      tf.dispose([...acts.values()]);
    }
  }
}

const interior = (a: tf.Tensor4D, t: Tile, s: number): tf.Tensor4D => {
  const r = interiorAt(t, s, a.shape[1], a.shape[2]);
  return tf.slice(a, [0, r.top, r.left, 0], [1, r.rows, r.cols, a.shape[3]]);
};

/** The activations of `rgb` (`[1,H,W,3]` RGB, the layout's size) at `points`, by name; the caller owns them. */
export async function tiledFeatures(model: LossNetwork, rgb: tf.Tensor4D, points: readonly NetworkPoint[], pooling: Pooling, layout: TileLayout): Promise<Map<string, tf.Tensor4D>> {
  const pieces = new Map<string, tf.Tensor4D[][]>(points.map((p) => [p.name, Array.from({ length: layout.rows }, () => [])]));
  try {
    await eachTile(model, rgb, points, pooling, layout, (t, acts) => {
      for (const p of points) pieces.get(p.name)![t.row].push(interior(acts.get(p.name)!, t, p.stride));
    });
    const out = new Map<string, tf.Tensor4D>();
    for (const p of points) out.set(p.name, tf.tidy(() => tf.concat(pieces.get(p.name)!.map((row) => tf.concat(row, 2)), 1) as tf.Tensor4D));
    return out;
  } finally {
    for (const rows of pieces.values()) tf.dispose(rows.flat());
  }
}

/**
 * Targets of a sum-type style statistic (`targetFromSums`: Gram — normalised by C·H·W of the whole image, as
 * `gramMatrix` —, shifted Gram, mean/std, covariance) of `rgb` at `points`, keyed by point index, evaluated in tiles
 * of `tileSize` px with `halo` (default exact): their sums over positions added tile by tile (exact). The caller
 * owns them.
 */
export async function tiledStatisticTargets(
  model: LossNetwork,
  rgb: tf.Tensor4D,
  points: readonly NetworkPoint[],
  pooling: Pooling,
  kernels: Kernels,
  tiles: { tileSize: number; halo?: number | 'exact' },
  stat: StyleStatistic,
): Promise<Map<number, tf.Tensor2D>> {
  const [, height, width] = rgb.shape;
  const layout = tileLayout({ height, width, lossPoints: points, tileSize: tiles.tileSize, halo: tiles.halo, network: model.architecture });
  const sums = new Map<number, tf.Tensor[]>();
  try {
    await eachTile(model, rgb, points, pooling, layout, (t, acts) => {
      for (const p of points) {
        const s = tf.tidy(() => statisticSums(stat, tf.reshape(interior(acts.get(p.name)!, t, p.stride), [-1, p.channels]) as tf.Tensor2D, kernels));
        sums.set(p.index, addSums(sums.get(p.index), s));
      }
    });
    const out = new Map<number, tf.Tensor2D>();
    for (const p of points) {
      const [, h, w] = activationShape(p, height, width);
      out.set(p.index, targetFromSums(stat, sums.get(p.index)!, h * w));
    }
    return out;
  } finally {
    tf.dispose([...sums.values()].flat());
  }
}
