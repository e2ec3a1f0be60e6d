/**
 * The page's images: reading a file or a sample into pixels (at most MAX_SIDE on the longest side), drawing a
 * thumbnail, and the content/style pickers (sample menu, file input, drop zone).
 */
import type { Pixels } from './protocol';
import { samples, type Sample } from './samples';

/** An image the page holds: `key` names its pixels (the same key means the same pixels; the worker reuses targets). */
export interface Picked {
  key: string;
  name: string;
  pixels: Pixels;
}
export type Role = 'content' | 'style';

const MAX_SIDE = 1024;
let imageSeq = 0;
/** A fresh key for new pixels. */
export const newImageKey = (prefix: string): string => `${prefix}-${++imageSeq}`;

/** Draws any image source into pixels, at most MAX_SIDE on the longest side. */
export function toPixels(src: CanvasImageSource, w: number, h: number): Pixels {
  const s = Math.min(1, MAX_SIDE / Math.max(w, h));
  const c = document.createElement('canvas');
  c.width = Math.max(1, Math.round(w * s));
  c.height = Math.max(1, Math.round(h * s));
  const g = c.getContext('2d', { willReadFrequently: true })!;
  g.drawImage(src, 0, 0, c.width, c.height);
  const d = g.getImageData(0, 0, c.width, c.height);
  return { data: d.data, width: d.width, height: d.height };
}

/** Pixels as a canvas (to draw them scaled). */
export function pixelsCanvas(px: Pixels): HTMLCanvasElement {
  const c = document.createElement('canvas');
  c.width = px.width;
  c.height = px.height;
  c.getContext('2d')!.putImageData(new ImageData(px.data, px.width, px.height), 0, 0);
  return c;
}

/** Draws `px` centred in `canvas`, scaled to fit. */
export function drawThumb(canvas: HTMLCanvasElement, px: Pixels): void {
  const g = canvas.getContext('2d')!;
  const s = Math.min(canvas.width / px.width, canvas.height / px.height);
  const w = px.width * s;
  const h = px.height * s;
  g.clearRect(0, 0, canvas.width, canvas.height);
  g.imageSmoothingQuality = 'high';
  g.drawImage(pixelsCanvas(px), (canvas.width - w) / 2, (canvas.height - h) / 2, w, h);
}

/** A file's pixels; rejects with a message for the error box when it is not a readable image. */
export async function readImageFile(file: File): Promise<Pixels> {
  if (!file.type.startsWith('image/')) throw new Error(`“${file.name}” is not an image (${file.type || 'unknown type'}). Choose a JPEG, PNG or WebP file.`);
  try {
    const bmp = await createImageBitmap(file);
    const px = toPixels(bmp, bmp.width, bmp.height);
    bmp.close();
    return px;
  } catch (e) {
    throw new Error(`Could not read “${file.name}” as an image: ${(e as Error).message}`);
  }
}

/** A sample's pixels. */
export async function readSample(sample: Sample): Promise<Pixels> {
  try {
    const img = await sample.load();
    const w = img instanceof HTMLImageElement ? img.naturalWidth : img.width;
    const h = img instanceof HTMLImageElement ? img.naturalHeight : img.height;
    return toPixels(img, w, h);
  } catch (e) {
    throw new Error(`Could not load the sample “${sample.label}”: ${(e as Error).message}`);
  }
}

/** Names a file without its extension. */
export const baseName = (file: string): string => file.replace(/\.[^.]+$/, '');

export interface Pickers {
  content: { select: HTMLSelectElement; input: HTMLInputElement; preview: HTMLCanvasElement };
  style: { select: HTMLSelectElement; input: HTMLInputElement; preview: HTMLCanvasElement };
  /** A new image for a role (drawn into its preview already). */
  onPicked: (role: Role, picked: Picked) => void;
  showError: (message: string) => void;
  clearError: () => void;
}

/** Wires the two pickers and loads the first sample of each role. */
export function wirePickers(o: Pickers): void {
  const all = samples();
  const set = (role: Role, name: string, px: Pixels) => {
    drawThumb(o[role].preview, px);
    o.onPicked(role, { key: newImageKey(role), name, pixels: px });
  };
  const fromFile = async (role: Role, file: File) => {
    o.clearError();
    try {
      set(role, baseName(file.name), await readImageFile(file));
    } catch (e) {
      return o.showError((e as Error).message);
    }
    const select = o[role].select;
    let own = select.querySelector<HTMLOptionElement>('option[value="file"]');
    if (!own) select.prepend((own = new Option('', 'file')));
    own.textContent = `Your file: ${file.name}`;
    select.value = 'file';
  };
  const fromSample = async (role: Role, sample: Sample) => {
    try {
      set(role, baseName(sample.id), await readSample(sample));
    } catch (e) {
      o.showError((e as Error).message);
    }
  };
  for (const role of ['content', 'style'] as const) {
    const { select, input } = o[role];
    // Samples meant for this role first; every sample can be used for either.
    const ordered = [...all.filter((s) => s.role === role), ...all.filter((s) => s.role !== role)];
    const group = document.createElement('optgroup');
    group.label = 'Samples';
    for (const s of ordered) group.append(new Option(s.label, s.id));
    select.append(group);
    select.addEventListener('change', () => {
      const s = all.find((x) => x.id === select.value);
      if (s) void fromSample(role, s);
    });
    input.addEventListener('change', () => {
      const f = input.files?.[0];
      if (f) void fromFile(role, f);
      input.value = '';
    });
    const zone = document.querySelector<HTMLElement>(`.picker[data-role="${role}"]`)!;
    zone.addEventListener('dragover', (e) => {
      e.preventDefault();
      zone.classList.add('over');
    });
    zone.addEventListener('dragleave', () => zone.classList.remove('over'));
    zone.addEventListener('drop', (e) => {
      e.preventDefault();
      zone.classList.remove('over');
      const f = e.dataTransfer?.files?.[0];
      if (f) void fromFile(role, f);
    });
    select.value = ordered[0].id;
    void fromSample(role, ordered[0]);
  }
  // A file dropped elsewhere on the page should not navigate away from it.
  window.addEventListener('dragover', (e) => e.preventDefault());
  window.addEventListener('drop', (e) => e.preventDefault());
}
