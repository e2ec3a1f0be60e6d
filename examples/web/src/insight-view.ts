/**
 * The Layers view's measurements, drawn on the page: the chosen layer's receptive field over the content image
 * (the centre unit's input-gradient magnitude as a heat overlay, the theoretical field dashed, the square holding
 * 95% of the gradient solid), and a live bar chart of each style layer's Gram distance to the style image.
 */
import type { FromWorker, Pixels } from './protocol';

type Field = Extract<FromWorker, { type: 'receptive-field' }>;
type Distances = Extract<FromWorker, { type: 'gram-distances' }>;

/** Draws `image` (scaled to the field's size) with the field over it; returns a one-line description. */
export function drawReceptiveField(canvas: HTMLCanvasElement, image: Pixels, f: Field): string {
  const scale = Math.max(1, Math.floor(320 / Math.max(f.width, f.height)));
  canvas.width = f.width * scale;
  canvas.height = f.height * scale;
  const g = canvas.getContext('2d')!;
  const src = document.createElement('canvas');
  src.width = image.width;
  src.height = image.height;
  src.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(image.data), image.width, image.height), 0, 0);
  g.imageSmoothingEnabled = true;
  g.drawImage(src, 0, 0, canvas.width, canvas.height);
  // The gradient magnitude as a translucent orange overlay.
  const heat = new ImageData(f.width, f.height);
  for (let i = 0; i < f.width * f.height; i++) heat.data.set([255, 120, 0, Math.round(f.map[i] * 0.85)], i * 4);
  const hc = document.createElement('canvas');
  hc.width = f.width;
  hc.height = f.height;
  hc.getContext('2d')!.putImageData(heat, 0, 0);
  g.imageSmoothingEnabled = false;
  g.drawImage(hc, 0, 0, canvas.width, canvas.height);
  const [cy, cx] = f.centre;
  const square = (side: number, colour: string, dash: number[]) => {
    g.strokeStyle = colour;
    g.lineWidth = 2;
    g.setLineDash(dash);
    g.strokeRect((cx + 0.5 - side / 2) * scale, (cy + 0.5 - side / 2) * scale, side * scale, side * scale);
  };
  square(f.theoretical, '#1d4ed8', [6, 4]);
  square(f.effective, '#dc2626', []);
  g.setLineDash([]);
  const clipped = f.theoretical > Math.min(f.width, f.height) ? ' (larger than the image)' : '';
  return `${f.layer}: theoretical field ${f.theoretical} px${clipped} (dashed blue); 95% of the centre unit's input gradient within ${f.effective} px (red) on this ${f.width}×${f.height} image.`;
}

/** A bar chart of Gram distances per layer (log scale), redrawn on every update. */
export class GramBars {
  private last: Distances | undefined;

  constructor(private readonly canvas: HTMLCanvasElement) {
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  reset(): void {
    this.last = undefined;
    this.draw();
  }

  update(d: Distances): void {
    this.last = d;
    this.draw();
  }

  draw(): void {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth || 480;
    const h = c.clientHeight || 180;
    c.width = Math.round(w * dpr);
    c.height = Math.round(h * dpr);
    const g = c.getContext('2d')!;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    g.font = '10px system-ui, sans-serif';
    g.fillStyle = '#71717a';
    const d = this.last;
    if (!d) {
      g.textAlign = 'center';
      g.fillText('Run a stylisation: each style layer’s Gram distance to the style appears here, live.', w / 2, h / 2);
      return;
    }
    const vals = d.distances.map((x) => x.value).filter((v) => v > 0 && Number.isFinite(v));
    const lo = Math.log10(Math.min(...vals, 1)) - 0.1;
    const hi = Math.log10(Math.max(...vals, 1)) + 0.1;
    const left = 34;
    const bottom = 50;
    const ph = h - bottom - 16;
    const bw = (w - left - 8) / d.distances.length;
    const y = (v: number) => 16 + ph * (1 - (Math.log10(v) - lo) / (hi - lo));
    g.textAlign = 'right';
    for (let e = Math.ceil(lo); e <= Math.floor(hi); e++) {
      g.strokeStyle = '#e4e4e7';
      g.beginPath();
      g.moveTo(left, y(10 ** e));
      g.lineTo(w - 8, y(10 ** e));
      g.stroke();
      g.fillText(`1e${e}`, left - 4, y(10 ** e) + 3);
    }
    d.distances.forEach((x, i) => {
      const bx = left + i * bw;
      if (x.value > 0 && Number.isFinite(x.value)) {
        g.fillStyle = x.optimised ? '#c2410c' : '#a1a1aa';
        g.fillRect(bx + 1, y(x.value), bw - 2, 16 + ph - y(x.value));
      }
      g.save();
      g.translate(bx + bw / 2, h - bottom + 4);
      g.rotate(Math.PI / 4);
      g.textAlign = 'left';
      g.fillStyle = '#3f3f46';
      g.fillText(x.layer, 0, 0);
      g.restore();
    });
    g.textAlign = 'left';
    g.fillStyle = '#3f3f46';
    g.fillText(`iteration ${d.iteration} · ‖G − A‖² / ‖A‖², log · orange: optimised layers`, left, 10);
    c.dataset.iteration = String(d.iteration);
    c.dataset.distances = JSON.stringify(d.distances.map((x) => x.value));
  }
}
