/**
 * The worker's side of styles by region: the library's `regions` option from the page's masks, and each region's
 * mask carried to chosen layers (the library's own propagation: `resizeMask` to the network input's size, then
 * `propagateMask` through VGG-19's geometry) for the Layers view.
 */
import type { StyleRegion } from 'neural-style-tfjs';
import { resolveLayer } from 'neural-style-tfjs';
import { fitSize, propagateMask, resizeMask } from 'neural-style-tfjs/core';
import type { FromWorker, RegionLayer, RegionsParams, ToWorker } from './protocol';

/** The run's `regions`, `regionMasks` and `uncovered` options for the page's regions. */
export function regionOptions(r: RegionsParams): { regions: StyleRegion[]; regionMasks: { mode: RegionsParams['mode'] }; uncovered: 'content' | number } {
  return {
    regions: r.regions.map((g) => ({ name: g.name, mask: g.mask, styles: [g.style] })),
    regionMasks: { mode: r.mode },
    uncovered: r.uncovered,
  };
}

/** Each mask at each of the message's layers, for a run at `size` on a content image of `content`'s size. */
export function regionMasks(msg: Extract<ToWorker, { type: 'region-masks' }>): Extract<FromWorker, { type: 'region-masks' }> {
  const [height, width] = fitSize(msg.content.height, msg.content.width, msg.size);
  const points = msg.layers.map((name) => resolveLayer(name));
  // One walk through the network per region gives its mask at every layer asked for.
  const perRegion = msg.masks.map((m) => propagateMask(resizeMask(m, height, width), points, { mode: msg.mode }));
  const layers: RegionLayer[] = points.map((p) => {
    const first = perRegion[0]?.get(p.index);
    const [h, w] = first ? [first.height, first.width] : [0, 0];
    const masks = new Uint8ClampedArray(new ArrayBuffer(perRegion.length * h * w));
    const coverage = perRegion.map((layers, r) => {
      const m = layers.get(p.index)!;
      let sum = 0;
      for (let i = 0; i < m.data.length; i++) {
        masks[r * h * w + i] = Math.round(m.data[i] * 255);
        sum += m.data[i];
      }
      return m.data.length ? sum / m.data.length : 0;
    });
    return { layer: p.name, width: w, height: h, masks, coverage };
  });
  return { type: 'region-masks', id: msg.id, layers };
}
