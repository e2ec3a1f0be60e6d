/**
 * The layer controls: the 16 conv layers as style-layer toggles, the content layer menu, the reluN_M / convN_M
 * naming switch, and the Layers view's menu of every tappable point (conv, relu and pool of each block).
 */
const BLOCKS = [2, 2, 4, 4, 4];
/** The 16 conv layers as "block_index" suffixes: 1_1, 1_2, 2_1, … 5_4. */
const CONV_SUFFIXES = BLOCKS.flatMap((n, b) => Array.from({ length: n }, (_, i) => `${b + 1}_${i + 1}`));
const DEFAULT_STYLE = new Set(['1_1', '2_1', '3_1', '4_1', '5_1']);
const DEFAULT_CONTENT = '4_2';

export interface LayerControls {
  styleLayers: HTMLElement;
  contentLayer: HTMLSelectElement;
  layerSelect: HTMLSelectElement;
}

/** Which activation of each conv layer the run uses: after the ReLU (reluN_M) or before it (convN_M). */
export const naming = (): 'relu' | 'conv' => (document.querySelector<HTMLInputElement>('input[name="naming"]:checked')?.value as 'conv') ?? 'relu';

export function buildLayerControls(el: LayerControls): void {
  BLOCKS.forEach((n, b) => {
    const row = document.createElement('div');
    row.className = 'layer-row';
    const head = document.createElement('span');
    head.className = 'block-label';
    head.textContent = `block ${b + 1}`;
    row.append(head);
    for (let i = 1; i <= n; i++) {
      const suffix = `${b + 1}_${i}`;
      const label = document.createElement('label');
      label.className = 'chip';
      const box = document.createElement('input');
      box.type = 'checkbox';
      box.value = suffix;
      box.checked = DEFAULT_STYLE.has(suffix);
      box.dataset.testid = `style-layer-${suffix}`;
      const text = document.createElement('span');
      label.append(box, text);
      row.append(label);
    }
    el.styleLayers.append(row);
  });
  for (const s of CONV_SUFFIXES) {
    const o = document.createElement('option');
    o.value = s;
    o.selected = s === DEFAULT_CONTENT;
    el.contentLayer.append(o);
  }
  // The Layers view offers every tappable point: conv, relu and pool of each block.
  BLOCKS.forEach((n, b) => {
    const group = document.createElement('optgroup');
    group.label = `block ${b + 1}`;
    for (let i = 1; i <= n; i++) {
      for (const kind of ['conv', 'relu']) group.append(new Option(`${kind}${b + 1}_${i}`, `${kind}${b + 1}_${i}`));
    }
    group.append(new Option(`pool${b + 1}`, `pool${b + 1}`));
    el.layerSelect.append(group);
  });
  el.layerSelect.value = 'relu1_1';
  renameLayers(el);
  document.querySelectorAll('input[name="naming"]').forEach((r) => r.addEventListener('change', () => renameLayers(el)));
}

/** Shows the layer names in the chosen naming (reluN_M after the ReLU, convN_M before it). */
function renameLayers(el: LayerControls): void {
  const p = naming();
  el.styleLayers.querySelectorAll<HTMLInputElement>('input[type=checkbox]').forEach((box) => {
    (box.nextElementSibling as HTMLElement).textContent = `${p}${box.value}`;
  });
  for (const o of Array.from(el.contentLayer.options)) o.textContent = `${p}${o.value}`;
}

/** The checked style layers, in the chosen naming. */
export const selectedStyleLayers = (styleLayers: HTMLElement): string[] =>
  Array.from(styleLayers.querySelectorAll<HTMLInputElement>('input:checked')).map((b) => `${naming()}${b.value}`);
