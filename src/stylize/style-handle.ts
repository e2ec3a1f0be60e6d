import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError } from '../errors.js';
import type { ImageInput } from '../image/input.js';
import type { NetworkPoint } from '../core/layers.js';
import type { Kernels } from '../kernels/index.js';
import type { LossNetwork } from '../core/model.js';
import type { ResolvedOptions } from './options.js';
import type { ScalePlan } from './plan.js';
import { blendGrams, prepareStyleImage, styleGramsOf, type ContentTargets } from './targets.js';
import { forward, preprocess } from '../core/network.js';
import type { Mask } from '../regions/mask.js';
import type { PropagationOptions } from '../regions/propagate.js';
import { guidedGram, guidesAt } from '../regions/targets.js';

/**
 * A style prepared once by {@link Stylizer.prepareStyle} and reused across calls: the style images live on the
 * backend and each one's Gram matrices are computed once per style size, pooling and layer, then kept (at most
 * eight sizes per image, least recently used dropped). Dispose it when done; a call that is
 * using it when it is disposed finishes first.
 */
export interface StyleHandle {
  /** Number of style images (blended with `styleBlendWeights`). */
  readonly count: number;
  /** Width and height of each style image as given. */
  readonly sizes: readonly { width: number; height: number }[];
  /** True once {@link StyleHandle.dispose} was called. */
  readonly disposed: boolean;
  /** Frees the images and cached Grams (at once, or when the calls using it finish). */
  dispose(): void;
}

/** A style given to a call: one image, several (blended), or a handle from {@link Stylizer.prepareStyle}. */
export type StyleInput = ImageInput | readonly ImageInput[] | StyleHandle;

/** Cached Gram sizes kept per style image: a coarse-to-fine run uses one per scale. */
export const GRAM_SETS_PER_IMAGE = 8;

/** Grams of one style image at one style size and pooling, per point index. */
type GramSet = Map<number, tf.Tensor2D>;

/**
 * The implementation behind {@link StyleHandle}. Reference counted: the owner (the user, or the session's cache
 * for images passed directly) holds one reference and each call using it another, so nothing a run is reading is
 * ever freed under it. Only the session's queue calls {@link PreparedStyle.grams}, one run at a time.
 */
export class PreparedStyle implements StyleHandle {
  readonly count: number;
  readonly sizes: readonly { width: number; height: number }[];
  private readonly images: tf.Tensor4D[];
  private readonly cache: Map<string, GramSet>[];
  private refs = 1;
  private ownerReleased = false;

  /** Takes ownership of `images` (`[1,H,W,3]`, 0–255). `owner` identifies the session that may use it. */
  constructor(images: tf.Tensor4D[], readonly owner: object) {
    this.images = images;
    this.count = images.length;
    this.sizes = images.map((t) => ({ width: t.shape[2], height: t.shape[1] }));
    this.cache = images.map(() => new Map());
  }

  get disposed(): boolean {
    return this.ownerReleased;
  }

  /** The first style image at full size (for `init: 'style'`). */
  get first(): tf.Tensor4D {
    return this.images[0];
  }

  /** The owner lets go; tensors are freed once no call uses the handle. Harmless twice. */
  dispose(): void {
    if (this.ownerReleased) return;
    this.ownerReleased = true;
    this.release();
  }

  /** A call starts using the handle. Throws DISPOSED when the owner already let go. */
  retain(): void {
    if (this.ownerReleased) throw new StyleTransferError('DISPOSED', 'This style handle was disposed; prepare the style again with stylizer.prepareStyle().');
    this.refs++;
  }

  /** A call is done with the handle. */
  release(): void {
    if (--this.refs > 0) return;
    for (const set of this.cache) for (const g of set.values()) tf.dispose([...g.values()]);
    this.cache.forEach((c) => c.clear());
    tf.dispose(this.images);
  }

  /**
   * The blended target Grams at one scale of a run's plan (new tensors, owned by the caller). Without
   * `preserveColors` each image's Grams are cached and only missing layers are computed (one network pass per
   * image, up to the deepest missing layer); with it, the style depends on the content and nothing is cached.
   */
  async grams(model: LossNetwork, scale: ScalePlan, o: ResolvedOptions, content: ContentTargets, kernels: Kernels, checkAbort: () => void): Promise<Map<number, tf.Tensor2D>> {
    const points = o.styleLayers.map((l) => l.point);
    const { perImage, done } = await this.imageGrams(model, scale, o, content, kernels, checkAbort, points);
    try {
      return blendGrams(perImage, o.blend, points);
    } finally {
      done();
    }
  }

  /**
   * Each style image's Grams at `points` (cached as in {@link PreparedStyle.grams}); `done()` frees those that were
   * not cached (with `preserveColors`). The Grams are valid until then.
   */
  async imageGrams(model: LossNetwork, scale: ScalePlan, o: ResolvedOptions, content: ContentTargets, kernels: Kernels, checkAbort: () => void, points: NetworkPoint[]): Promise<{ perImage: GramSet[]; done(): void }> {
    const perImage: GramSet[] = [];
    const transient: GramSet[] = [];
    const done = () => {
      for (const g of transient) tf.dispose([...g.values()]);
    };
    try {
      for (let i = 0; i < this.images.length; i++) {
        checkAbort();
        if (o.preserveColors) {
          const g = await this.computeGrams(model, i, scale, o, content, points, kernels);
          transient.push(g);
          perImage.push(g);
        } else {
          perImage.push(await this.cachedGrams(model, i, scale, o, content, points, kernels));
        }
      }
      return { perImage, done };
    } catch (e) {
      done();
      throw e;
    }
  }

  /**
   * The Grams of style image `i` guided by `mask` (a region of it, at the image's full size) at `points`, carried to
   * each layer by `propagation`: (F∘T)ᵀ(F∘T)/(C·ΣT²). Layers the region does not reach are left out. New tensors.
   */
  async guidedGrams(model: LossNetwork, i: number, scale: ScalePlan, o: ResolvedOptions, content: ContentTargets, kernels: Kernels, mask: Mask, propagation: PropagationOptions, points: NetworkPoint[]): Promise<GramSet> {
    const style = await prepareStyleImage(this.images[i], scale.styleShapes[i], o, content);
    const [, height, width] = style.shape;
    const guides = guidesAt(mask, height, width, points, { ...propagation, network: model.architecture });
    try {
      const input = preprocess(style, model.architecture.input);
      const acts = await forward(model, input, points, o.pooling).finally(() => input.dispose());
      const grams: GramSet = new Map();
      for (const p of points) {
        const guide = guides.get(p.index);
        if (guide) grams.set(p.index, guidedGram(acts.get(p.name)!, guide, (x) => kernels.gram(x)));
      }
      tf.dispose([...acts.values()]);
      return grams;
    } finally {
      tf.dispose([style, ...guides.values()]);
    }
  }

  private async cachedGrams(model: LossNetwork, i: number, scale: ScalePlan, o: ResolvedOptions, content: ContentTargets, points: NetworkPoint[], kernels: Kernels): Promise<GramSet> {
    // Sliced Wasserstein's targets depend on the directions: seeded by the run's seed and the scale's height.
    const key = `${scale.styleSize}|${o.pooling}|${o.styleStatistic}${o.styleStatistic === 'sliced-wasserstein' ? `|${o.seed}|${scale.height}` : ''}`;
    const cache = this.cache[i];
    let set = cache.get(key);
    if (set) cache.delete(key); // re-inserted below: most recently used last
    set ??= new Map();
    cache.set(key, set);
    const missing = points.filter((p) => !set.has(p.index));
    if (missing.length) {
      const fresh = await this.computeGrams(model, i, scale, o, content, missing, kernels);
      for (const [k, g] of fresh) set.set(k, g);
    }
    while (cache.size > GRAM_SETS_PER_IMAGE) {
      const [oldKey, old] = cache.entries().next().value as [string, GramSet];
      cache.delete(oldKey);
      tf.dispose([...old.values()]);
    }
    return set;
  }

  private async computeGrams(model: LossNetwork, i: number, scale: ScalePlan, o: ResolvedOptions, content: ContentTargets, points: NetworkPoint[], kernels: Kernels): Promise<GramSet> {
    const style = await prepareStyleImage(this.images[i], scale.styleShapes[i], o, content);
    try {
      return await styleGramsOf(model, style, points, o, kernels, scale.tiling, scale.height);
    } finally {
      style.dispose();
    }
  }
}
