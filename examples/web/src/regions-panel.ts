/**
 * The Regions card: styles by region. A list of regions (add, remove, which one the brush paints), a style for each
 * (the Style image above, a sample, or a file of its own), what the rest of the picture gets, and how masks reach
 * the layers. The masks themselves are the mask editor's (mask-editor.ts).
 */
import { baseName, newImageKey, readImageFile, readSample, type Picked } from './images';
import { MaskEditor, type Tool } from './mask-editor';
import type { MaskData, MaskMode, Pixels, RegionsParams } from './protocol';
import { samples } from './samples';

/** Where a region's style comes from: the Style picker's image, a sample, or a file of its own. */
type StyleChoice = { kind: 'main' } | { kind: 'sample'; id: string } | { kind: 'file'; picked: Picked };

interface Region {
  id: number;
  name: string;
  color: string;
  style: StyleChoice;
  /** The region's own file, once given (kept when another style is chosen, to choose it again). */
  file?: Picked;
}

const COLORS = ['#e6194b', '#3c8cff', '#ffd60a', '#2fbf4a', '#f58231', '#b04fd6', '#20c5c5', '#f032e6'];

export interface RegionsElements {
  enabled: HTMLInputElement;
  body: HTMLElement;
  canvas: HTMLCanvasElement;
  brushSize: HTMLInputElement;
  clear: HTMLButtonElement;
  maskInput: HTMLInputElement;
  list: HTMLElement;
  add: HTMLButtonElement;
  rest: HTMLSelectElement;
  mode: HTMLSelectElement;
}

/** What the Layers view needs of the regions: their masks, names and colours. */
export interface RegionMasks {
  masks: MaskData[];
  names: string[];
  colors: string[];
}

export class RegionsPanel {
  private readonly regions: Region[] = [];
  private readonly editor: MaskEditor;
  private readonly sampleList = samples();
  private readonly samplePixels = new Map<string, Promise<Pixels>>();
  private nextId = 1;

  constructor(
    private readonly el: RegionsElements,
    private readonly o: { mainStyle: () => Picked | undefined; showError: (m: string) => void; clearError: () => void; onChange: () => void },
  ) {
    const tool = (): Tool => (document.querySelector<HTMLInputElement>('input[name="mask-tool"]:checked')?.value as Tool) ?? 'brush';
    this.editor = new MaskEditor(el.canvas, { brushSize: () => Number(el.brushSize.value) || 24, tool, onChange: o.onChange });
    el.enabled.addEventListener('change', () => {
      el.body.hidden = !el.enabled.checked;
      if (el.enabled.checked && this.regions.length === 0) this.add();
      o.onChange();
    });
    el.add.addEventListener('click', () => this.add());
    el.clear.addEventListener('click', () => {
      if (this.editor.active !== undefined) this.editor.clear(this.editor.active);
      o.onChange();
    });
    el.maskInput.addEventListener('change', () => {
      const f = el.maskInput.files?.[0];
      el.maskInput.value = '';
      const id = this.editor.active;
      if (!f || id === undefined) return;
      o.clearError();
      this.editor.upload(id, f).then(o.onChange, (e: Error) => o.showError(e.message));
    });
    el.rest.append(new Option('No style: the content only', 'content'), ...this.styleOptions());
    el.mode.addEventListener('change', o.onChange);
  }

  enabled(): boolean {
    return this.el.enabled.checked;
  }

  setContent(px: Pixels): void {
    this.editor.setContent(px);
  }

  mode(): MaskMode {
    return this.el.mode.value as MaskMode;
  }

  /** The regions' masks now (fresh arrays), for the Layers view; undefined when regions are off. */
  masks(): RegionMasks | undefined {
    if (!this.enabled() || this.regions.length === 0) return undefined;
    return { masks: this.regions.map((r) => this.editor.mask(r.id)), names: this.regions.map((r) => r.name), colors: this.regions.map((r) => r.color) };
  }

  /** The run's regions; undefined when regions are off. Throws a message for the error box when one is unusable. */
  async params(): Promise<RegionsParams | undefined> {
    if (!this.enabled()) return undefined;
    if (this.regions.length === 0) throw new Error('Add a region (or turn regions off).');
    const styles: RegionsParams['styles'] = [];
    const index = new Map<string, number>();
    const styleIndex = async (c: StyleChoice): Promise<number> => {
      const s = await this.resolve(c);
      if (!index.has(s.key)) index.set(s.key, styles.push(s) - 1);
      return index.get(s.key)!;
    };
    const regions: RegionsParams['regions'] = [];
    for (const r of this.regions) {
      const mask = this.editor.mask(r.id);
      if (!mask.data.some((v) => v > 0)) throw new Error(`${r.name} has no painted pixels: paint it over the content image, upload a mask, or remove it.`);
      regions.push({ name: r.name, mask, style: await styleIndex(r.style) });
    }
    const rest = this.el.rest.value;
    const uncovered = rest === 'content' ? 'content' : await styleIndex(this.choiceOf(rest));
    return { styles, regions, uncovered, mode: this.mode() };
  }

  private add(): void {
    const id = this.nextId++;
    const color = COLORS[(id - 1) % COLORS.length];
    this.regions.push({ id, name: `region ${id}`, color, style: { kind: 'main' } });
    this.editor.addRegion(id, color);
    this.editor.active = id;
    this.render();
    this.o.onChange();
  }

  private remove(id: number): void {
    const i = this.regions.findIndex((r) => r.id === id);
    if (i < 0) return;
    this.regions.splice(i, 1);
    this.editor.removeRegion(id);
    this.editor.active ??= this.regions[0]?.id;
    this.render();
    this.o.onChange();
  }

  private styleOptions(): HTMLOptionElement[] {
    return [new Option('The Style image above', 'main'), ...this.sampleList.map((s) => new Option(`Sample: ${s.label}`, `sample:${s.id}`))];
  }

  private choiceOf(value: string): StyleChoice {
    return value.startsWith('sample:') ? { kind: 'sample', id: value.slice(7) } : { kind: 'main' };
  }

  /** A style choice's pixels and key (samples are read once). */
  private async resolve(c: StyleChoice): Promise<{ pixels: Pixels; key: string }> {
    if (c.kind === 'file') return { pixels: c.picked.pixels, key: c.picked.key };
    if (c.kind === 'main') {
      const main = this.o.mainStyle();
      if (!main) throw new Error('The style image is still loading; try again in a moment.');
      return { pixels: main.pixels, key: main.key };
    }
    const sample = this.sampleList.find((s) => s.id === c.id)!;
    let px = this.samplePixels.get(c.id);
    if (!px) this.samplePixels.set(c.id, (px = readSample(sample)));
    return { pixels: await px, key: `sample:${c.id}` };
  }

  /** One row per region: which one the brush paints, its colour and name, its style, a file for it, remove. */
  private render(): void {
    const rows = this.regions.map((r, i) => {
      const n = i + 1;
      const row = document.createElement('div');
      row.className = 'region-row';
      row.dataset.testid = `region-row-${n}`;
      const pick = document.createElement('input');
      pick.type = 'radio';
      pick.name = 'active-region';
      pick.checked = this.editor.active === r.id;
      pick.title = 'Paint this region';
      pick.dataset.testid = `region-active-${n}`;
      pick.addEventListener('change', () => (this.editor.active = r.id));
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = r.color;
      const name = document.createElement('span');
      name.className = 'region-name';
      name.textContent = r.name;
      const select = document.createElement('select');
      select.dataset.testid = `region-style-${n}`;
      select.setAttribute('aria-label', `Style of ${r.name}`);
      select.append(...this.styleOptions());
      if (r.file) select.prepend(new Option(`Your file: ${r.file.name}`, 'file'));
      select.value = r.style.kind === 'file' ? 'file' : r.style.kind === 'sample' ? `sample:${r.style.id}` : 'main';
      select.addEventListener('change', () => {
        r.style = select.value === 'file' && r.file ? { kind: 'file', picked: r.file } : this.choiceOf(select.value);
      });
      const file = document.createElement('label');
      file.className = 'file-button small';
      file.textContent = 'File…';
      const input = document.createElement('input');
      input.type = 'file';
      input.accept = 'image/*';
      input.dataset.testid = `region-style-input-${n}`;
      input.addEventListener('change', () => {
        const f = input.files?.[0];
        input.value = '';
        if (!f) return;
        this.o.clearError();
        readImageFile(f).then(
          (pixels) => {
            r.file = { key: newImageKey('region-style'), name: baseName(f.name), pixels };
            r.style = { kind: 'file', picked: r.file };
            this.render();
          },
          (e: Error) => this.o.showError(e.message),
        );
      });
      file.append(input);
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'small';
      remove.textContent = '✕';
      remove.title = `Remove ${r.name}`;
      remove.dataset.testid = `region-remove-${n}`;
      remove.addEventListener('click', () => this.remove(r.id));
      row.append(pick, swatch, name, select, file, remove);
      return row;
    });
    this.el.list.replaceChildren(...rows);
  }
}
