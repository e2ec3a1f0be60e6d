import * as tf from '@tensorflow/tfjs-core';
import type { Kernels } from '../../kernels/index.js';
import type { NetworkPoint } from '../../core/layers.js';
import type { LossNormalization } from '../../core/losses.js';
import type { Vgg19 } from '../../core/model.js';
import { activationShape, forward, lossPass, planPass, preprocess, type PointLoss, type Pooling } from '../../core/network.js';
import { interiorAt, withHalo, type Tile, type TileLayout } from './layout.js';

/**
 * Gatys' loss and its gradient for an image of any size, a tile at a time, equal to the whole image's where the
 * halo is the layout's exact one.
 *
 * The content loss is a sum over positions, and the style loss depends on the image only through Gram matrices,
 * which are sums over positions too. So: pass 1 runs the network forward on each tile's crop (interior + the
 * forward halo, half the exact one: enough for the interior's own activations) and adds up, over the tile's interior positions only, each style layer's FᵀF and each content layer's squared
 * difference; then the whole image's Grams, the loss and ∂L/∂G are known. Pass 2 runs forward and backward on each
 * crop with the activation gradients that ∂L/∂G and the content targets give (they depend on the activation at the
 * position only), and keeps the input gradient of the tile's interior. Peak memory is one crop's pass, not the
 * image's; the cost is a second forward pass and the halo's share of every crop.
 */

/** One content loss: `weight` · mean((F − P)²) (`'mean'`) or `weight` · ½Σ(F − P)² (`'paper'`), as `contentLoss`. */
export interface TiledContentTerm {
  point: NetworkPoint;
  /** The whole image's target activation at `point`. */
  target: tf.Tensor4D;
  weight: number;
}

/** One style loss on Grams normalised by C·H·W of the whole image, as `styleLoss`. */
export interface TiledStyleTerm {
  point: NetworkPoint;
  /** Target Gram `[C, C]`. */
  target: tf.Tensor2D;
  weight: number;
}

export interface TiledLossSpec {
  layout: TileLayout;
  pooling: Pooling;
  content: readonly TiledContentTerm[];
  style: readonly TiledStyleTerm[];
  normalization: LossNormalization;
  kernels: Kernels;
  /** Awaited before each tile of each pass (1: Grams, 2: gradient): for progress, and to abort between tiles (throw). */
  beforeTile?: (tile: Tile, pass: 1 | 2) => void | Promise<void>;
}

/** What {@link tiledLossAndGradient} returns; the caller owns the tensors. */
export interface TiledLoss<G = tf.Tensor4D> {
  /** Each content term's value, then each style term's, in the order given. */
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

/** The tile's interior of a crop activation at a point of stride `s`. */
function interiorOf(a: tf.Tensor4D, t: Tile, s: number): tf.Tensor4D {
  const r = interiorAt(t, s, a.shape[1], a.shape[2]);
  return tf.slice(a, [0, r.top, r.left, 0], [1, r.rows, r.cols, a.shape[3]]);
}

/** The part of a whole-image activation `whole` (at stride `s`) that lies under the crop's activation `like`. */
function underCrop(whole: tf.Tensor4D, t: Tile, s: number, like: tf.Tensor4D): tf.Tensor4D {
  return tf.slice(whole, [0, t.y.cropStart / s, t.x.cropStart / s, 0], like.shape);
}

/** Loss and gradient of `rgb` `[1,H,W,3]` (its size must be the layout's), tile by tile. See the module comment. */
export function tiledLossAndGradient(model: Vgg19, rgb: tf.Tensor4D, spec: TiledLossSpec): Promise<TiledLoss> {
  return tiledLoss(model, deviceImage(rgb, spec.layout.rows), spec);
}

/**
 * The same for an image in JS memory (`[H,W,3]` row-major, the layout's size): the device holds one crop's pass at
 * a time; the gradient comes back as a Float32Array.
 */
export function tiledLossAndGradientHost(model: Vgg19, rgb: Float32Array, spec: TiledLossSpec): Promise<TiledLoss<Float32Array>> {
  return tiledLoss(model, hostImage(rgb, spec.layout.height, spec.layout.width), spec);
}

async function tiledLoss<G>(model: Vgg19, image: TiledImage<G>, spec: TiledLossSpec): Promise<TiledLoss<G>> {
  const { layout, content, style, kernels, normalization } = spec;
  const { height, width } = layout;
  const lossPoints = [...new Map([...content, ...style].map((c) => [c.point.index, c.point])).values()];
  const positions = (p: NetworkPoint) => {
    const [, h, w] = activationShape(p, height, width);
    return h * w;
  };

  // Pass 1: Σ FᵀF over interiors per style term, Σ (F − P)² per content term.
  const gramSums: (tf.Tensor2D | undefined)[] = style.map(() => undefined);
  const sqSums: (tf.Scalar | undefined)[] = content.map(() => undefined);
  const accumulate = <T extends tf.Tensor>(list: (T | undefined)[], i: number, v: T) => {
    const prev = list[i];
    list[i] = prev ? (tf.add(prev, v) as T) : v;
    if (prev) {
      prev.dispose();
      v.dispose();
    }
  };
  const freeSums = () => {
    tf.dispose([...gramSums, ...sqSums].filter(Boolean) as tf.Tensor[]);
    gramSums.fill(undefined);
    sqSums.fill(undefined);
  };
  const values: tf.Scalar[] = [];
  const coefficients: tf.Tensor2D[] = []; // per style term: (dG + dGᵀ) / (N·C) of the whole image
  try {
    for (const whole of layout.tiles) {
      await spec.beforeTile?.(whole, 1);
      // A forward pass summed over the interior needs only the forward halo (half the exact one).
      const tile = withHalo(whole, layout.forwardHalo, layout);
      const input = tf.tidy(() => preprocess(image.crop(tile)));
      const acts = await forward(model, input, lossPoints, spec.pooling).finally(() => input.dispose());
      try {
        style.forEach((term, i) => {
          const c = term.point.channels;
          const g = tf.tidy(() => kernels.gram(tf.reshape(interiorOf(acts.get(term.point.name)!, tile, term.point.stride), [-1, c]) as tf.Tensor2D));
          accumulate(gramSums, i, g);
        });
        content.forEach((term, i) => {
          const s = term.point.stride;
          const sq = tf.tidy(() => {
            const a = acts.get(term.point.name)!;
            return tf.sum(tf.square(tf.sub(interiorOf(a, tile, s), interiorOf(underCrop(term.target, tile, s, a), tile, s)))) as tf.Scalar;
          });
          accumulate(sqSums, i, sq);
        });
      } finally {
        tf.dispose([...acts.values()]);
      }
    }

    // The whole image's loss values and, per style term, the coefficient of ∂L/∂F = F·(dG + dGᵀ)/(N·C).
    const contentScale = content.map((t) => (normalization === 'mean' ? t.weight / (positions(t.point) * t.point.channels) : t.weight * 0.5));
    content.forEach((_, i) => values.push(tf.tidy(() => tf.mul(sqSums[i]!, contentScale[i]))));
    style.forEach((term, i) => {
      const c = term.point.channels;
      const nc = positions(term.point) * c;
      const scale = normalization === 'mean' ? term.weight / (c * c) : term.weight * 0.25;
      const [value, coef] = tf.tidy(() => {
        const diff = tf.sub(tf.div(gramSums[i]!, nc), term.target);
        const dG = tf.mul(diff, 2 * scale);
        return [tf.mul(tf.sum(tf.square(diff)), scale) as tf.Scalar, tf.div(tf.add(dG, tf.transpose(dG)), nc) as tf.Tensor2D];
      });
      values.push(value);
      coefficients.push(coef);
    });
    freeSums();

    // Pass 2: each crop forward and backward with the activation gradients; keep its interior's input gradient.
    const terms = new Map<number, PointLoss[]>();
    const add = (p: NetworkPoint, term: PointLoss) => terms.set(p.index, [...(terms.get(p.index) ?? []), term]);
    const zero = () => tf.scalar(0);
    content.forEach((term, i) => {
      const s = term.point.stride;
      add(term.point, (a) => ({ value: zero(), grad: tf.tidy(() => tf.mul(tf.sub(a, underCrop(term.target, current!, s, a)), 2 * contentScale[i]) as tf.Tensor4D) }));
    });
    style.forEach((term, i) => {
      add(term.point, (a) => ({ value: zero(), grad: tf.tidy(() => tf.reshape(tf.matMul(tf.reshape(a, [-1, term.point.channels]), coefficients[i]), a.shape) as tf.Tensor4D) }));
    });
    const plan = planPass({ pooling: spec.pooling, losses: lossPoints });
    let current: Tile | undefined;
    for (const tile of layout.tiles) {
      await spec.beforeTile?.(tile, 2);
      current = tile;
      const crop = image.crop(tile);
      let interior: tf.Tensor4D;
      try {
        const r = lossPass(model, crop, plan, terms, kernels);
        tf.dispose([...r.values.values()].flat());
        interior = interiorOf(r.grad, tile, 1);
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
    tf.dispose(coefficients);
  }
}
