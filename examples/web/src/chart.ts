import type { LossParts } from './protocol';

const SERIES: { key: keyof LossParts; label: string; colour: string }[] = [
  { key: 'total', label: 'total', colour: '#1d4ed8' },
  { key: 'style', label: 'style', colour: '#c2410c' },
  { key: 'content', label: 'content', colour: '#15803d' },
];

/** A small log-scale line chart of the loss per iteration, drawn on a canvas (sharp on high-DPI screens). */
export class LossChart {
  private points: { iteration: number; loss: LossParts }[] = [];
  private iterations = 1;

  constructor(private readonly canvas: HTMLCanvasElement) {
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  reset(iterations: number): void {
    this.points = [];
    this.iterations = Math.max(1, iterations);
    this.draw();
  }

  add(iteration: number, loss: LossParts): void {
    this.points.push({ iteration, loss });
    this.draw();
  }

  draw(): void {
    const c = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const cssW = c.clientWidth || 320;
    const cssH = c.clientHeight || 160;
    if (c.width !== Math.round(cssW * dpr) || c.height !== Math.round(cssH * dpr)) {
      c.width = Math.round(cssW * dpr);
      c.height = Math.round(cssH * dpr);
    }
    const g = c.getContext('2d')!;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, cssW, cssH);
    const pad = { l: 46, r: 10, t: 10, b: 22 };
    const w = cssW - pad.l - pad.r;
    const h = cssH - pad.t - pad.b;
    g.font = '11px system-ui, sans-serif';
    g.strokeStyle = '#d4d4d8';
    g.fillStyle = '#52525b';
    g.lineWidth = 1;
    g.strokeRect(pad.l + 0.5, pad.t + 0.5, w, h);
    if (this.points.length === 0) {
      g.textAlign = 'center';
      g.fillText('The loss per iteration appears here during a run.', pad.l + w / 2, pad.t + h / 2);
      return;
    }
    const values = this.points.flatMap((p) => SERIES.map((s) => p.loss[s.key])).filter((v) => v > 0 && Number.isFinite(v));
    let lo = Math.floor(Math.log10(Math.min(...values)));
    let hi = Math.ceil(Math.log10(Math.max(...values)));
    if (hi === lo) (hi += 1), (lo -= 1);
    const xOf = (i: number) => pad.l + (w * (i - 1)) / Math.max(1, this.iterations - 1);
    const yOf = (v: number) => pad.t + h - (h * (Math.log10(v) - lo)) / (hi - lo);
    // Decade grid lines and labels.
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    const step = Math.max(1, Math.ceil((hi - lo) / 5));
    for (let e = lo; e <= hi; e += step) {
      const y = yOf(10 ** e);
      g.strokeStyle = '#ececf0';
      g.beginPath();
      g.moveTo(pad.l, y);
      g.lineTo(pad.l + w, y);
      g.stroke();
      g.fillText(`1e${e}`, pad.l - 6, y);
    }
    g.textAlign = 'center';
    g.textBaseline = 'top';
    g.fillText('1', pad.l, pad.t + h + 5);
    g.fillText(String(this.iterations), pad.l + w, pad.t + h + 5);
    g.fillText('iteration', pad.l + w / 2, pad.t + h + 5);
    for (const s of SERIES) {
      g.strokeStyle = s.colour;
      g.lineWidth = s.key === 'total' ? 2 : 1.25;
      g.beginPath();
      let started = false;
      for (const p of this.points) {
        const v = p.loss[s.key];
        if (!(v > 0)) continue;
        const x = xOf(p.iteration);
        const y = yOf(v);
        if (started) g.lineTo(x, y);
        else g.moveTo(x, y), (started = true);
      }
      g.stroke();
    }
    // Legend, top right.
    g.textAlign = 'left';
    g.textBaseline = 'middle';
    let lx = pad.l + w - 170;
    for (const s of SERIES) {
      g.fillStyle = s.colour;
      g.fillRect(lx, pad.t + 9, 12, 3);
      g.fillStyle = '#3f3f46';
      g.fillText(s.label, lx + 16, pad.t + 10);
      lx += 58;
    }
  }
}
