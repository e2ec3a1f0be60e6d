/**
 * The mask editor: paint each region's mask over the content image (brush, eraser, brush size, clear), or upload
 * one (its grey level: white = inside). Each region's mask is kept in a canvas at the content image's pixel size,
 * its alpha the mask value; the editor's canvas shows the content with every region tinted in its colour.
 * Painting a region takes those pixels away from the others, so regions do not overlap.
 */
import { pixelsCanvas, readImageFile } from './images';
import type { MaskData, Pixels } from './protocol';

export type Tool = 'brush' | 'eraser';

interface Layer {
  canvas: HTMLCanvasElement;
  color: string;
}

const ctx = (c: HTMLCanvasElement) => c.getContext('2d', { willReadFrequently: true })!;

function blank(width: number, height: number): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = width;
  c.height = height;
  return c;
}

export class MaskEditor {
  private readonly layers = new Map<number, Layer>();
  private content?: HTMLCanvasElement;
  private width = 1;
  private height = 1;
  private last?: { x: number; y: number };
  /** Scratch canvas at the masks' size, for tinting one region at a time (reused across redraws). */
  private tint = blank(1, 1);
  /** The region painted on. */
  active?: number;

  constructor(
    private readonly view: HTMLCanvasElement,
    private readonly o: { brushSize: () => number; tool: () => Tool; onChange: () => void },
  ) {
    view.addEventListener('pointerdown', (e) => {
      if (this.active === undefined || !this.content) return;
      view.setPointerCapture(e.pointerId);
      this.last = undefined;
      this.stroke(e);
    });
    view.addEventListener('pointermove', (e) => {
      if (view.hasPointerCapture(e.pointerId)) this.stroke(e);
    });
    const end = (e: PointerEvent) => {
      if (!view.hasPointerCapture(e.pointerId)) return;
      view.releasePointerCapture(e.pointerId);
      this.last = undefined;
      this.o.onChange();
    };
    view.addEventListener('pointerup', end);
    view.addEventListener('pointercancel', end);
  }

  /** A new content image: the view takes its shape and the masks are resized to its pixels. */
  setContent(px: Pixels): void {
    this.content = pixelsCanvas(px);
    const [w, h] = [px.width, px.height];
    for (const layer of this.layers.values()) {
      const c = blank(w, h);
      ctx(c).drawImage(layer.canvas, 0, 0, w, h);
      layer.canvas = c;
    }
    [this.width, this.height] = [w, h];
    this.tint = blank(w, h);
    const side = 320;
    const s = side / Math.max(w, h);
    this.view.width = Math.round(w * s);
    this.view.height = Math.round(h * s);
    this.redraw();
  }

  addRegion(id: number, color: string): void {
    this.layers.set(id, { canvas: blank(this.width, this.height), color });
    this.redraw();
  }

  removeRegion(id: number): void {
    this.layers.delete(id);
    if (this.active === id) this.active = undefined;
    this.redraw();
  }

  clear(id: number): void {
    const c = this.layers.get(id)?.canvas;
    if (c) ctx(c).clearRect(0, 0, c.width, c.height);
    this.redraw();
  }

  /** Replaces a region's mask with an image's grey level (white = inside), stretched over the content image. */
  async upload(id: number, file: File): Promise<void> {
    const px = await readImageFile(file);
    const layer = this.layers.get(id);
    if (!layer) return;
    const g = ctx(blank(this.width, this.height));
    g.drawImage(pixelsCanvas(px), 0, 0, this.width, this.height);
    const d = g.getImageData(0, 0, this.width, this.height);
    for (let i = 0; i < d.data.length; i += 4) {
      const grey = (d.data[i] + d.data[i + 1] + d.data[i + 2]) / 3;
      d.data[i] = d.data[i + 1] = d.data[i + 2] = 255;
      d.data[i + 3] = grey;
    }
    ctx(layer.canvas).putImageData(d, 0, 0);
    this.redraw();
  }

  /** A region's mask, one float in [0, 1] per content pixel: a fresh array (its buffer can be transferred). */
  mask(id: number): MaskData {
    const c = this.layers.get(id)?.canvas ?? blank(this.width, this.height);
    const d = ctx(c).getImageData(0, 0, c.width, c.height).data;
    const data = new Float32Array(new ArrayBuffer(4 * c.width * c.height));
    for (let i = 0; i < data.length; i++) data[i] = d[4 * i + 3] / 255;
    return { data, width: c.width, height: c.height };
  }

  /** Redraws the content with each region tinted in its colour. */
  redraw(): void {
    const g = this.view.getContext('2d')!;
    const { width: w, height: h } = this.view;
    g.clearRect(0, 0, w, h);
    if (this.content) g.drawImage(this.content, 0, 0, w, h);
    const tint = this.tint;
    const t = ctx(tint);
    for (const layer of this.layers.values()) {
      t.globalCompositeOperation = 'copy';
      t.drawImage(layer.canvas, 0, 0);
      t.globalCompositeOperation = 'source-in';
      t.fillStyle = layer.color;
      t.fillRect(0, 0, tint.width, tint.height);
      g.globalAlpha = 0.55;
      g.drawImage(tint, 0, 0, w, h);
      g.globalAlpha = 1;
    }
  }

  /** Paints (or erases) from the last pointer position to this one, in the content image's pixels. */
  private stroke(e: PointerEvent): void {
    const active = this.active === undefined ? undefined : this.layers.get(this.active);
    if (!active) return;
    // offsetX/Y: from the canvas's padding edge (inside its border), in CSS pixels.
    const s = this.width / this.view.clientWidth;
    const p = { x: e.offsetX * s, y: e.offsetY * s };
    const from = this.last ?? p;
    this.last = p;
    const line = (c: HTMLCanvasElement, op: GlobalCompositeOperation) => {
      const g = ctx(c);
      g.globalCompositeOperation = op;
      g.strokeStyle = '#fff';
      g.lineCap = 'round';
      g.lineJoin = 'round';
      g.lineWidth = Math.max(1, this.o.brushSize() * (this.width / this.view.width));
      g.beginPath();
      g.moveTo(from.x, from.y);
      g.lineTo(p.x + 0.01, p.y); // a click without a move still leaves a dot
      g.stroke();
      g.globalCompositeOperation = 'source-over';
    };
    if (this.o.tool() === 'eraser') line(active.canvas, 'destination-out');
    else {
      line(active.canvas, 'source-over');
      for (const layer of this.layers.values()) if (layer !== active) line(layer.canvas, 'destination-out');
    }
    this.redraw();
  }
}
