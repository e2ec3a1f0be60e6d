/**
 * A scale's targets for styles by region and for a spatial content weight: each region's guides and blended
 * target Grams (`regions/targets.ts` for the masks' side), and the content weight map at each content layer.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Kernels } from '../kernels/index.js';
import type { LossNetwork } from '../core/model.js';
import type { NetworkPoint } from '../core/layers.js';
import type { NetworkArchitecture } from '../core/architecture.js';
import { resizeMask, type Mask } from '../regions/mask.js';
import { propagateMask } from '../regions/propagate.js';
import { disposeRegionTargets, guidesAt, type ReadRegions, type RegionScaleTargets } from '../regions/targets.js';
import type { ResolvedOptions } from './options.js';
import type { ScalePlan } from './plan.js';
import type { PreparedStyle } from './style-handle.js';
import type { ContentTargets } from './targets.js';

/**
 * Every region's guides and target Grams at `scale`. A layer where a region has nothing left after propagation
 * (or where a region of its style image has nothing left) gets no term there, with a warning through `warn`.
 */
export async function regionTargetsAt(
  model: LossNetwork,
  read: ReadRegions,
  style: PreparedStyle,
  scale: ScalePlan,
  o: ResolvedOptions,
  content: ContentTargets,
  kernels: Kernels,
  checkAbort: () => void,
  warn: (message: string) => void,
): Promise<RegionScaleTargets[]> {
  const points = o.styleLayers.map((l) => l.point);
  const where = `${scale.width}x${scale.height}`;
  const needsWhole = read.regions.some((r) => r.styles.some((s) => !s.mask));
  const whole = needsWhole ? await style.imageGrams(model, scale, o, content, kernels, checkAbort, points) : undefined;
  const out: RegionScaleTargets[] = [];
  try {
    for (const region of read.regions) {
      checkAbort();
      const guides = guidesAt(region.mask, scale.height, scale.width, points, { ...read.propagation, network: model.architecture }, (p) =>
        warn(`Region "${region.name}" has no area left at ${p.name} at ${where} after '${read.propagation.mode ?? 'inside'}' propagation: no style term for it there (a larger mask, or regionMasks.mode 'area' or 'nearest', keeps one).`),
      );
      const guided: Map<number, tf.Tensor2D>[] = [];
      try {
        for (const s of region.styles) if (s.mask) guided.push(await style.guidedGrams(model, s.style, scale, o, content, kernels, s.mask, read.propagation, points));
        const grams = new Map<number, tf.Tensor2D>();
        for (const p of points) {
          if (!guides.has(p.index)) continue;
          let k = 0;
          const parts = region.styles.map((s) => [s.mask ? guided[k++].get(p.index) : whole!.perImage[s.style].get(p.index), s.weight] as const);
          if (parts.some(([g]) => !g)) {
            warn(`A style region of region "${region.name}" has no area left at ${p.name} at ${where}: no style term for the region there.`);
            guides.get(p.index)!.dispose();
            guides.delete(p.index);
            continue;
          }
          grams.set(p.index, tf.tidy(() => tf.addN(parts.map(([g, w]) => tf.mul(g!, w))) as tf.Tensor2D));
        }
        out.push({ name: region.name, weight: region.weight, guides, grams });
      } catch (e) {
        tf.dispose([...guides.values()]);
        throw e;
      } finally {
        for (const g of guided) tf.dispose([...g.values()]);
      }
    }
    return out;
  } catch (e) {
    disposeRegionTargets(out);
    throw e;
  } finally {
    whole?.done();
  }
}

/**
 * The content weight map (at the content's size) at each content layer of `scale`: resized to the scale and
 * averaged over each layer's cells (`'area'` propagation), as `[1,h,w,1]` tensors keyed by point index.
 */
export function contentWeightsAt(map: Mask, scale: ScalePlan, points: readonly NetworkPoint[], network: NetworkArchitecture): Map<number, tf.Tensor4D> {
  const layers = propagateMask(resizeMask(map, scale.height, scale.width), points, { mode: 'area', network });
  return new Map(points.map((p) => {
    const m = layers.get(p.index)!;
    return [p.index, tf.tensor4d(m.data, [1, m.height, m.width, 1])];
  }));
}
