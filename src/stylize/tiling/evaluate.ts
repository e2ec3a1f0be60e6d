import * as tf from '@tensorflow/tfjs-core';
import type { Kernels } from '../../kernels/index.js';
import { addSums, lossPoints, type LossSpec } from '../../core/loss-spec.js';
import type { LossNetwork } from '../../core/model.js';
import { activationShape, forward, lossPass, planPass, preprocess, type PointLoss, type Pooling } from '../../core/network.js';
import { interiorAt, withHalo, type Tile, type TileLayout } from './layout.js';

/**
 * A loss's value and gradient for an image of any size, a tile at a time, equal to the whole image's where the
 * halo is the layout's exact one. The loss is a {@link LossSpec}'s terms at network points (the same objects a
 * whole-image evaluation uses; see `core/loss-spec.ts`); its image-space terms are the caller's (they are cheap and
 * taken on the whole image).
 *
 * Every term depends on the image only through sums over positions. So: pass 1 runs the network forward on each
 * tile's crop (interior + the forward halo, half the exact one: enough for the interior's own activations) and adds
 * up each term's `accumulate` over the tile's interior positions only; then each term's `finish` gives the whole
 * image's value and its gradient coefficients (for a style term, from ∂L/∂G). Pass 2 runs forward and backward on
 * each crop with each term's `activationGrad` (local: it depends on the activation at the position only), and keeps
 * the input gradient of the tile's interior. Peak memory is one crop's pass, not the image's; the cost is a second
 * forward pass and the halo's share of every crop.
 */

export interface TiledLossSpec {
  layout: TileLayout;
  pooling: Pooling;
  /** The loss: its terms at network points are evaluated here, in order; its image terms are the caller's. */
  loss: LossSpec;
  /** The backend's kernels for the passes (pooling backward, convs). */
  kernels: Kernels;
  /** Awaited before each tile of each pass (1: Grams, 2: gradient): for progress, and to abort between tiles (throw). */
  beforeTile?: (tile: Tile, pass: 1 | 2) => void | Promise<void>;
}

/** What {@link tiledLossAndGradient} returns; the caller owns the tensors. */
export interface TiledLoss<G = tf.Tensor4D> {
  /** Each term's value, in the order of `spec.loss.points`. */
  values: tf.Scalar[];
  /** Gradient of their sum with respect to the RGB input `[1,H,W,3]` (0–255 units). */
  grad: G;
}

/**
 * Where a tiled evaluation reads the image and puts the gradient: a tensor on the device, or a Float32Array in JS
 * memory (a crop uploaded per tile, each tile's interior gradient read back into place).
 */
interface TiledImage<G> {
  /** The tile's crop `[1,h,w,3]`, a new tensor. */
  crop(t: Tile): tf.Tensor4D;
  /** Takes the tile's interior gradient (ownership passes). */
  put(t: Tile, g: tf.Tensor4D): Promise<void>;
  /** The whole gradient, once every tile is in. */
  gradient(): G;
  /** Frees what `put` kept (after an error). */
  dispose(): void;
}

function deviceImage(rgb: tf.Tensor4D, rows: number): TiledImage<tf.Tensor4D> {
  const pieces: tf.Tensor4D[][] = Array.from({ length: rows }, () => []);
  const free = () => tf.dispose(pieces.flat().filter((p) => !p.isDisposed));
  return {
    crop: (t) => tf.slice(rgb, [0, t.y.cropStart, t.x.cropStart, 0], [1, t.y.cropEnd - t.y.cropStart, t.x.cropEnd - t.x.cropStart, 3]),
    put: async (t, g) => void pieces[t.row].push(g),
    gradient() {
      const grad = tf.tidy(() => tf.concat(pieces.map((row) => tf.concat(row, 2)), 1) as tf.Tensor4D);
      free();
      return grad;
    },
    dispose: free,
  };
}

/** An image `[H,W,3]` (row-major RGB, as a `[1,H,W,3]` tensor's data) in JS memory. */
function hostImage(rgb: Float32Array, height: number, width: number): TiledImage<Float32Array> {
  const grad = new Float32Array(height * width * 3);
  return {
    crop(t) {
      const h = t.y.cropEnd - t.y.cropStart;
      const w = t.x.cropEnd - t.x.cropStart;
      const out = new Float32Array(h * w * 3);
      for (let r = 0; r < h; r++) {
        const from = ((t.y.cropStart + r) * width + t.x.cropStart) * 3;
        out.set(rgb.subarray(from, from + w * 3), r * w * 3);
      }
      return tf.tensor4d(out, [1, h, w, 3]);
    },
    async put(t, g) {
      const [, h, w] = g.shape;
      const data = await g.data().finally(() => g.dispose());
      for (let r = 0; r < h; r++) grad.set(data.subarray(r * w * 3, (r + 1) * w * 3), ((t.y.start + r) * width + t.x.start) * 3);
    },
    gradient: () => grad,
    dispose: () => undefined,
  };
}

/** The tile's interior of a crop activation at a point of stride `s`, and where it lies in the whole image's activation. */
function interiorOf(a: tf.Tensor4D, t: Tile, s: number): { interior: tf.Tensor4D; at: { top: number; left: number } } {
  const r = interiorAt(t, s, a.shape[1], a.shape[2]);
  return {
    interior: tf.slice(a, [0, r.top, r.left, 0], [1, r.rows, r.cols, a.shape[3]]),
    at: { top: t.y.cropStart / s + r.top, left: t.x.cropStart / s + r.left },
  };
}

/** Loss and gradient of `rgb` `[1,H,W,3]` (its size must be the layout's), tile by tile. See the module comment. */
export function tiledLossAndGradient(model: LossNetwork, rgb: tf.Tensor4D, spec: TiledLossSpec): Promise<TiledLoss> {
  return tiledLoss(model, deviceImage(rgb, spec.layout.rows), spec);
}

/**
 * The same for an image in JS memory (`[H,W,3]` row-major, the layout's size): the device holds one crop's pass at
 * a time; the gradient comes back as a Float32Array.
 */
export function tiledLossAndGradientHost(model: LossNetwork, rgb: Float32Array, spec: TiledLossSpec): Promise<TiledLoss<Float32Array>> {
  return tiledLoss(model, hostImage(rgb, spec.layout.height, spec.layout.width), spec);
}

async function tiledLoss<G>(model: LossNetwork, image: TiledImage<G>, spec: TiledLossSpec): Promise<TiledLoss<G>> {
  const { layout, kernels } = spec;
  const terms = spec.loss.points;
  const points = lossPoints(spec.loss);
  let sums: (tf.Tensor[] | undefined)[] = terms.map(() => undefined);
  const freeSums = () => {
    tf.dispose(sums.flat().filter((t): t is tf.Tensor => t !== undefined));
    sums = terms.map(() => undefined);
  };
  const values: tf.Scalar[] = [];
  const coefficients: tf.Tensor[][] = [];
  try {
    // Pass 1: each term's sums over the tiles' interiors.
    for (const whole of layout.tiles) {
      await spec.beforeTile?.(whole, 1);
      // A forward pass summed over the interior needs only the forward halo (half the exact one).
      const tile = withHalo(whole, layout.forwardHalo, layout);
      const input = tf.tidy(() => preprocess(image.crop(tile), model.architecture.input));
      const acts = await forward(model, input, points, spec.pooling).finally(() => input.dispose());
      try {
        terms.forEach(({ point, term }, i) => {
          const stats = tf.tidy(() => {
            const { interior, at } = interiorOf(acts.get(point.name)!, tile, point.stride);
            return term.accumulate(interior, at);
          });
          sums[i] = addSums(sums[i], stats);
        });
      } finally {
        tf.dispose([...acts.values()]);
      }
    }

    // The whole image's values and each term's gradient coefficients.
    terms.forEach(({ point, term }, i) => {
      const [, h, w] = activationShape(point, layout.height, layout.width);
      const done = term.finish(sums[i]!, h * w);
      values.push(done.value);
      coefficients.push(done.coefficients);
    });
    freeSums();

    // Pass 2: each crop forward and backward with the activation gradients; keep its interior's input gradient.
    let current: Tile | undefined;
    const byPoint = new Map<number, PointLoss[]>();
    terms.forEach(({ point, term }, i) => {
      const at = () => ({ top: current!.y.cropStart / point.stride, left: current!.x.cropStart / point.stride });
      const loss: PointLoss = (a) => ({ value: tf.scalar(0), grad: term.activationGrad(a, coefficients[i], at()) });
      byPoint.set(point.index, [...(byPoint.get(point.index) ?? []), loss]);
    });
    const plan = planPass({ network: model.architecture, pooling: spec.pooling, losses: points });
    for (const tile of layout.tiles) {
      await spec.beforeTile?.(tile, 2);
      current = tile;
      const crop = image.crop(tile);
      let interior: tf.Tensor4D;
      try {
        const r = lossPass(model, crop, plan, byPoint, kernels);
        tf.dispose([...r.values.values()].flat());
        interior = interiorOf(r.grad, tile, 1).interior;
        r.grad.dispose();
      } finally {
        crop.dispose();
      }
      await image.put(tile, interior);
    }
    return { values, grad: image.gradient() };
  } catch (e) {
    tf.dispose(values);
    image.dispose();
    throw e;
  } finally {
    freeSums();
    tf.dispose(coefficients.flat());
  }
}
