/**
 * The Layers view's region masks: each region's mask as the library carries it to a layer (the worker runs the
 * library's propagation, worker-regions.ts), drawn in the regions' colours, one small picture per layer, with the
 * share of the layer each region keeps. Deep layers of 'inside' show the erosion: units whose receptive field
 * crosses a border belong to no region.
 */
import type { RegionLayer } from './protocol';

const rgb = (hex: string): [number, number, number] => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];

/** Draws `layers` into `container` (one figure each); `names` and `colors` are the regions'. */
export function drawRegionLayers(container: HTMLElement, layers: RegionLayer[], names: string[], colors: string[], size: number): void {
  const tints = colors.map(rgb);
  const figures = layers.map((l) => {
    const fig = document.createElement('figure');
    fig.className = 'region-layer';
    const c = document.createElement('canvas');
    c.width = Math.max(1, l.width);
    c.height = Math.max(1, l.height);
    c.dataset.layer = l.layer;
    c.dataset.width = String(l.width);
    c.dataset.height = String(l.height);
    c.dataset.coverage = JSON.stringify(l.coverage.map((v) => Number(v.toFixed(4))));
    c.style.aspectRatio = `${c.width} / ${c.height}`;
    if (l.width && l.height) {
      const img = new ImageData(l.width, l.height);
      const n = l.width * l.height;
      for (let p = 0; p < n; p++) {
        // Dark where no region is; each region adds its colour by its mask value.
        let [r, g, b] = [24, 24, 27];
        tints.forEach(([tr, tg, tb], k) => {
          const v = l.masks[k * n + p] / 255;
          r += v * (tr - 24);
          g += v * (tg - 24);
          b += v * (tb - 27);
        });
        img.data.set([r, g, b, 255], p * 4);
      }
      c.getContext('2d')!.putImageData(img, 0, 0);
    }
    const cap = document.createElement('figcaption');
    const share = l.coverage.map((v, k) => `${names[k]} ${(100 * v).toFixed(0)}%`).join(' · ');
    cap.textContent = `${l.layer} · ${l.width}×${l.height}`;
    cap.title = share;
    const small = document.createElement('small');
    small.textContent = share;
    cap.append(document.createElement('br'), small);
    fig.append(c, cap);
    return fig;
  });
  container.replaceChildren(...figures);
  container.dataset.size = String(size);
  container.hidden = false;
}
