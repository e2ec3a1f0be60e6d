/** The Layers view's feature grid: one canvas per channel, each normalised to 0–255 on its own. */
import type { FromWorker } from './protocol';

/** A loss or activation value in 4 significant digits (exponent form when very large or small). */
export const fmt = (v: number): string => (v === 0 ? '0' : Math.abs(v) >= 1e4 || Math.abs(v) < 1e-2 ? v.toExponential(2) : v.toPrecision(4));

export function drawFeatures(grid: HTMLElement, info: HTMLElement, m: Extract<FromWorker, { type: 'features' }>): void {
  const { width: w, height: h } = m;
  const tiles: HTMLCanvasElement[] = m.tiles.map((t, i) => {
    const c = document.createElement('canvas');
    c.width = w;
    c.height = h;
    c.className = 'tile';
    c.dataset.channel = String(t.channel);
    c.title = `channel ${t.channel} · energy ${fmt(t.energy)} · range ${fmt(t.min)}…${fmt(t.max)}`;
    const img = new ImageData(w, h);
    const off = i * w * h;
    for (let p = 0; p < w * h; p++) {
      const v = m.pixels[off + p];
      img.data[p * 4] = v;
      img.data[p * 4 + 1] = v;
      img.data[p * 4 + 2] = v;
      img.data[p * 4 + 3] = 255;
    }
    c.getContext('2d')!.putImageData(img, 0, 0);
    c.style.aspectRatio = `${w} / ${h}`;
    return c;
  });
  grid.replaceChildren(...tiles);
  grid.removeAttribute('aria-busy');
  grid.dataset.layer = m.layer;
  info.textContent = `${m.layer}: ${m.channels} channels of ${w}×${h} px; showing the ${m.tiles.length} with the most energy.`;
}
