/**
 * The page: picks images and settings, draws what the worker (worker.ts) reports. No TensorFlow.js runs on this
 * thread, so the page answers input while a run goes on.
 */
import { LossChart } from './chart';
import { drawFeatures, fmt } from './feature-grid';
import { DEFAULT_GPU_GB, describeEstimate, GPU_MAX, recordSpeed, SOFTWARE_MAX } from './estimate';
import { GramBars, drawReceptiveField } from './insight-view';
import type { FromWorker, Pixels, PlanSummary, RegionsParams, StylizeParams, ToWorker } from './protocol';
import { wirePickers, type Picked, type Role } from './images';
import { buildLayerControls, naming, selectedStyleLayers } from './layer-controls';
import { drawRegionLayers } from './region-layers';
import { RegionsPanel, type RegionMasks } from './regions-panel';
import { STATISTIC_HINTS, wireStatisticMenu } from './style-statistic';
import { VideoPanel } from './video-panel';

// ---------------------------------------------------------------- elements
const $ = <T extends Element = HTMLElement>(testid: string): T => {
  const el = document.querySelector<T>(`[data-testid="${testid}"]`);
  if (!el) throw new Error(`missing element ${testid}`);
  return el;
};
const el = {
  backend: $('backend'),
  backendNote: $('backend-note'),
  weightsStatus: $('weights-status'),
  weightsProgress: $<HTMLProgressElement>('weights-progress'),
  backendSelect: $<HTMLSelectElement>('backend-select'),
  error: $('error'),
  contentInput: $<HTMLInputElement>('content-input'),
  styleInput: $<HTMLInputElement>('style-input'),
  contentSample: $<HTMLSelectElement>('content-sample'),
  styleSample: $<HTMLSelectElement>('style-sample'),
  contentPreview: $<HTMLCanvasElement>('content-preview'),
  stylePreview: $<HTMLCanvasElement>('style-preview'),
  styleLayers: $('style-layers'),
  contentLayer: $<HTMLSelectElement>('content-layer-select'),
  size: $<HTMLInputElement>('size-input'),
  sizeEstimate: $('size-estimate'),
  gpuMemory: $<HTMLInputElement>('gpu-memory-input'),
  iterations: $<HTMLInputElement>('iterations-input'),
  optimizer: $<HTMLSelectElement>('optimizer-select'),
  previewEvery: $<HTMLInputElement>('preview-every-input'),
  contentWeight: $<HTMLInputElement>('content-weight-input'),
  styleWeight: $<HTMLInputElement>('style-weight-input'),
  tvWeight: $<HTMLInputElement>('tv-weight-input'),
  preserveColors: $<HTMLSelectElement>('preserve-colors-select'),
  init: $<HTMLSelectElement>('init-select'),
  styleStatistic: $<HTMLSelectElement>('style-statistic-select'),
  styleStatisticHint: $('style-statistic-hint'),
  normalizeGradients: $<HTMLInputElement>('normalize-gradients'),
  stylize: $<HTMLButtonElement>('stylize-button'),
  cancel: $<HTMLButtonElement>('cancel-button'),
  download: $<HTMLButtonElement>('download-button'),
  progress: $<HTMLProgressElement>('progress'),
  progressText: $('progress-text'),
  result: $<HTMLCanvasElement>('result-canvas'),
  chart: $<HTMLCanvasElement>('loss-chart'),
  layerSelect: $<HTMLSelectElement>('layer-select'),
  layerImage: $<HTMLSelectElement>('layer-image-select'),
  layersInfo: $('layers-info'),
  grid: $('feature-grid'),
  rfCanvas: $<HTMLCanvasElement>('receptive-field-canvas'),
  rfInfo: $('receptive-field-info'),
  gramChart: $<HTMLCanvasElement>('gram-chart'),
  regionLayersBox: $('region-layers-box'),
  regionLayers: $('region-layers'),
};
const stat = (name: string) => document.querySelector<HTMLElement>(`[data-stat="${name}"]`)!;

// ---------------------------------------------------------------- images
const picked: { content?: Picked; style?: Picked } = {};

function onPicked(role: Role, p: Picked): void {
  picked[role] = p;
  if (role === 'content') regionsPanel.setContent(p.pixels);
  requestEstimate();
  if (role === 'content' && currentTab === 'layers') requestFeatures();
}

// ---------------------------------------------------------------- errors and state
function showError(message: string): void {
  el.error.textContent = message;
  el.error.hidden = false;
}
function clearError(): void {
  el.error.textContent = '';
  el.error.hidden = true;
}
type State = 'loading' | 'ready' | 'running' | 'done' | 'cancelled' | 'error';
function setState(s: State): void {
  document.body.dataset.state = s;
  const busy = s === 'running';
  el.stylize.disabled = busy;
  el.cancel.disabled = s !== 'running';
  el.stylize.textContent = busy ? 'Stylizing…' : 'Stylize';
}
window.addEventListener('error', (e) => showError(`Unexpected error: ${e.message}`));
window.addEventListener('unhandledrejection', (e) => showError(`Unexpected error: ${(e.reason as Error)?.message ?? e.reason}`));

// ---------------------------------------------------------------- worker
const params = new URLSearchParams(location.search);
const backendChoice = params.get('backend') === 'webgpu' ? 'webgpu' : 'webgl';
el.backendSelect.value = backendChoice;
el.backendSelect.addEventListener('change', () => {
  params.set('backend', el.backendSelect.value);
  location.search = params.toString();
});
const weightsUrl = new URL(`${import.meta.env.BASE_URL}weights/`, location.href).href;
let worker: Worker;
let nextId = 1;
let runId = 0;
let featuresId = 0;
let cancelWatchdog: ReturnType<typeof setTimeout> | undefined;
let cancelledId = 0;
let weightsReady = false;

function startWorker(): void {
  worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (ev: MessageEvent<FromWorker>) => onWorkerMessage(ev.data);
  worker.onerror = (ev) => {
    ev.preventDefault();
    showError(`The worker failed: ${ev.message || 'see the console'}`);
    setState('error');
  };
  send({ type: 'init', backend: backendChoice, weightsUrl });
}
const send = (msg: ToWorker, transfer: Transferable[] = []): void => worker.postMessage(msg, transfer);

const mb = (b: number): string => `${(b / 1e6).toFixed(1)} MB`;

function onWorkerMessage(m: FromWorker): void {
  if (videoPanel.handle(m)) return;
  switch (m.type) {
    case 'defaults':
      // The form starts from the library's defaults, except where the URL or the user chose a value.
      for (const [key, value] of Object.entries(m.values) as [keyof typeof m.values, number][]) {
        const input = el[key];
        if (!params.has(key) && !touched.has(input)) input.value = String(value);
      }
      styleWeightDefaults = { plain: m.values.styleWeight, normalized: m.styleWeightNormalized };
      followStyleWeightDefault();
      break;
    case 'backend':
      el.backend.textContent = `backend: ${m.backend}${m.renderer ? ` · ${shortRenderer(m.renderer)}` : ''}`;
      el.backend.title = m.renderer ? `TensorFlow.js backend "${m.backend}" on ${m.renderer}` : `TensorFlow.js backend "${m.backend}"`;
      el.backend.dataset.backend = m.backend;
      if (m.renderer && /swiftshader|llvmpipe|software/i.test(m.renderer)) softwareRendering();
      else if (m.renderer) {
        // A hardware GPU: sizes up to 4096 px (tiled where the GPU memory given does not hold the whole image).
        maxSize = GPU_MAX;
        el.size.max = String(GPU_MAX);
      }
      requestEstimate();
      break;
    case 'estimate':
      if (m.id !== estimateSeq) break; // the settings changed since: a newer answer is on its way
      delete el.sizeEstimate.dataset.pending;
      planned = { size: m.size, plan: m.plan };
      el.sizeEstimate.textContent = describeEstimate(m.size, Number(el.iterations.value) || 0, m.plan);
      el.sizeEstimate.dataset.fits = String(m.plan.fits);
      break;
    case 'weights-progress':
      el.weightsProgress.max = m.total;
      el.weightsProgress.value = m.loaded;
      el.weightsStatus.textContent = `weights: ${mb(m.loaded)} / ${mb(m.total)}`;
      break;
    case 'weights-loaded':
      weightsReady = true;
      el.weightsProgress.max = 1;
      el.weightsProgress.value = 1;
      el.weightsProgress.hidden = true;
      el.weightsStatus.textContent = `weights: ${mb(m.bytes)} ${m.fromCache ? 'from the browser cache' : `loaded in ${(m.ms / 1000).toFixed(1)} s`}`;
      if (document.body.dataset.state === 'loading') setState('ready');
      if (currentTab === 'layers') requestFeatures();
      break;
    case 'started':
      if (m.id !== runId || m.id === cancelledId) return;
      el.result.width = m.width;
      el.result.height = m.height;
      break;
    case 'iteration': {
      if (m.id !== runId || m.id === cancelledId) return;
      el.progress.max = m.iterations;
      el.progress.value = m.iteration;
      // Time per iteration from the second on (the first also holds the targets and shader compilation).
      if (m.iteration === 1) firstIterationMs = m.elapsedMs;
      const perIt = m.iteration > 1 ? (m.elapsedMs - firstIterationMs) / (m.iteration - 1) : NaN;
      el.progressText.textContent = `Iteration ${m.iteration} of ${m.iterations} · ${(m.elapsedMs / 1000).toFixed(1)} s`;
      stat('iteration').textContent = `${m.iteration} / ${m.iterations}`;
      stat('total').textContent = fmt(m.loss.total);
      stat('style').textContent = fmt(m.loss.style);
      stat('content').textContent = fmt(m.loss.content);
      stat('tv').textContent = fmt(m.loss.tv);
      stat('evaluations').textContent = String(m.evaluations);
      stat('speed').textContent = Number.isFinite(perIt) ? `${perIt.toFixed(0)} ms` : 'first: includes setup';
      chart.add(m.iteration, m.loss);
      lossHistory.push(m.loss.total);
      // The loss curve's numbers, for scripts that check the run (the chart itself is pixels).
      el.chart.dataset.losses = lossHistory.map((v) => v.toPrecision(6)).join(',');
      if (m.preview) drawResult(m.preview);
      break;
    }
    case 'done':
      setWorkerBusy(false);
      if (m.id !== runId) return;
      drawResult(m.image);
      hasResult = true;
      el.download.disabled = false;
      if (m.id === cancelledId) return; // it finished just as Cancel was pressed
      el.progress.value = el.progress.max;
      stat('speed').textContent = `${m.perIterationMs.toFixed(0)} ms (median)`;
      if (lastRunSize) recordSpeed(lastRunSize, m.perIterationMs, lastRunCost);
      requestEstimate();
      el.progressText.textContent = `Done: ${m.iterations} iteration${m.iterations === 1 ? '' : 's'} in ${(m.totalMs / 1000).toFixed(1)} s (${lastRunChoice ? statisticLabel(lastRunChoice) : ''}).${m.warnings.length ? ` ${m.warnings.join(' ')}` : ''}`;
      // What the result was made with, for scripts that check the run.
      if (lastRunChoice) {
        el.result.dataset.styleStatistic = lastRunChoice.styleStatistic;
        el.result.dataset.normalizeGradients = String(lastRunChoice.normalizeGradients);
      }
      hasResult = true;
      el.download.disabled = false;
      setState('done');
      break;
    case 'cancelled':
      // The worker has stopped (the page said "Cancelled" already, when the button was pressed).
      if (m.id === cancelledId) {
        clearTimeout(cancelWatchdog);
        setWorkerBusy(false);
      }
      if (m.id !== runId) return;
      if (m.image) {
        drawResult(m.image);
        hasResult = true;
        el.download.disabled = false;
      }
      el.progressText.textContent = `Cancelled after ${m.iterations} iteration${m.iterations === 1 ? '' : 's'}${m.image ? '; showing the image so far' : ''}.`;
      // The worker may have finished one more iteration than the page drew before it saw the cancel.
      el.progress.value = m.iterations;
      stat('iteration').textContent = `${m.iterations} / ${el.progress.max}`;
      break;
    case 'features':
      if (m.id !== featuresId) return;
      drawFeatures(el.grid, el.layersInfo, m);
      break;
    case 'receptive-field':
      if (m.id !== fieldId || !fieldImage) return;
      el.rfInfo.textContent = drawReceptiveField(el.rfCanvas, fieldImage, m);
      el.rfCanvas.dataset.layer = m.layer;
      el.rfCanvas.dataset.theoretical = String(m.theoretical);
      el.rfCanvas.dataset.effective = String(m.effective);
      break;
    case 'region-masks':
      if (m.id !== regionLayersId || !regionLayersOf) return;
      drawRegionLayers(el.regionLayers, m.layers, regionLayersOf.names, regionLayersOf.colors, regionLayersSize);
      break;
    case 'gram-distances':
      if (m.id === runId) gramBars.update(m);
      break;
    case 'error':
      if (m.id !== undefined && m.id === runId) setState('error'), setWorkerBusy(false);
      if (m.id === undefined) setState('error');
      showError(m.code ? `${m.message} (${m.code})` : m.message);
      break;
  }
}

/**
 * Without a GPU (SwiftShader or llvmpipe draw WebGL on the CPU) an iteration at 256 px takes tens of seconds, so
 * the defaults drop to a size and count that finish in about a minute, unless the URL or the user chose others.
 */
function softwareRendering(): void {
  el.backendNote.hidden = false;
  el.backendNote.textContent = 'no GPU: software rendering, small defaults';
  el.backendNote.title = 'WebGL is emulated on the CPU here, which is far slower than a GPU; the size and iteration defaults were lowered. Raise them if you can wait.';
  if (!params.has('size') && !touched.has(el.size)) el.size.value = '96';
  if (!params.has('iterations') && !touched.has(el.iterations)) el.iterations.value = '10';
  if (!params.has('previewEvery') && !touched.has(el.previewEvery)) el.previewEvery.value = '2';
}
const touched = new Set<EventTarget>();
for (const input of [el.size, el.iterations, el.previewEvery, el.contentWeight, el.styleWeight, el.tvWeight]) input.addEventListener('input', () => touched.add(input));
// The style weight's default depends on the layer balance (the library's styleWeight row): follow the switch until
// the user or the URL sets a weight.
let styleWeightDefaults: { plain: number; normalized: number } | undefined;
function followStyleWeightDefault(): void {
  if (!styleWeightDefaults || params.has('styleWeight') || touched.has(el.styleWeight)) return;
  el.styleWeight.value = String(el.normalizeGradients.checked ? styleWeightDefaults.normalized : styleWeightDefaults.plain);
}
el.normalizeGradients.addEventListener('change', followStyleWeightDefault);

function shortRenderer(r: string): string {
  if (/swiftshader/i.test(r)) return 'SwiftShader (software)';
  return r.replace(/^ANGLE \((.*)\)$/, '$1').split(',').slice(0, 2).join(',').slice(0, 48);
}

// ---------------------------------------------------------------- stylize
const chart = new LossChart(el.chart);
let lossHistory: number[] = [];
let firstIterationMs = 0;
let hasResult = false;

function drawResult(px: Pixels): void {
  if (el.result.width !== px.width || el.result.height !== px.height) {
    el.result.width = px.width;
    el.result.height = px.height;
  }
  el.result.getContext('2d')!.putImageData(new ImageData(px.data, px.width, px.height), 0, 0);
}

function readNumber(input: HTMLInputElement, name: string, min: number, max: number, integer = false): number {
  const v = Number(input.value);
  if (input.value.trim() === '' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    input.focus();
    throw new Error(`${name} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}.`);
  }
  return v;
}

// ---------------------------------------------------------------- size estimate
/** Largest size offered: 1024 px, 4096 px with a hardware GPU (see estimate.ts). */
let maxSize = SOFTWARE_MAX;
let lastRunSize = 0;
/** The last run's style statistic and normalisation, shown when it is done (and kept on the result canvas). */
let lastRunChoice: Pick<StylizeParams, 'styleStatistic' | 'normalizeGradients'> | undefined;
const statisticLabel = (p: Pick<StylizeParams, 'styleStatistic' | 'normalizeGradients'>): string => `${STATISTIC_HINTS[p.styleStatistic].label}${p.normalizeGradients ? ', gradients balanced' : ''}`;
/** The work per iteration the plan gave the last run (tiles cost more), for its speed per megapixel. */
let lastRunCost = 1;
/** The worker's last plan, for the size it was asked for. */
let planned: { size: number; plan: PlanSummary } | undefined;
/** The latest estimate asked for: only its answer is shown (`data-pending` on the line until it comes). */
let estimateSeq = 0;

/** Asks the worker what a run with the current settings needs; the answer fills the line under Size. */
function requestEstimate(): void {
  const id = ++estimateSeq;
  delete el.sizeEstimate.dataset.pending;
  const size = Number(el.size.value);
  const content = picked.content?.pixels;
  const style = picked.style?.pixels;
  if (size > maxSize) {
    el.sizeEstimate.textContent = `Up to ${maxSize} px here${maxSize < GPU_MAX ? ' (4096 px with a GPU)' : ''}.`;
    return;
  }
  let params: StylizeParams;
  try {
    if (!worker || !content || !style) throw new Error('not ready');
    params = readParams();
  } catch {
    el.sizeEstimate.textContent = ''; // the settings say what is wrong when Stylize is pressed
    return;
  }
  el.sizeEstimate.dataset.pending = 'true';
  send({ type: 'estimate', id, content: { width: content.width, height: content.height }, style: { width: style.width, height: style.height }, params });
}
for (const input of [el.size, el.iterations, el.optimizer, el.gpuMemory, el.contentLayer, el.styleLayers, el.styleStatistic, el.normalizeGradients]) input.addEventListener('input', requestEstimate);
el.styleLayers.addEventListener('change', requestEstimate);
// The region masks follow the style layers and the size.
for (const input of [el.styleLayers, el.size]) input.addEventListener('change', () => currentTab === 'layers' && requestRegionLayers());

function readParams(): StylizeParams {
  const styleLayers = selectedStyleLayers(el.styleLayers);
  if (styleLayers.length === 0) throw new Error('Choose at least one style layer.');
  return {
    size: readNumber(el.size, 'Size', 32, maxSize, true),
    iterations: readNumber(el.iterations, 'Iterations', 1, 2000, true),
    previewEvery: readNumber(el.previewEvery, 'Preview every', 1, 100, true),
    optimizer: el.optimizer.value as 'lbfgs' | 'adam',
    contentLayers: [`${naming()}${el.contentLayer.value}`],
    styleLayers,
    contentWeight: readNumber(el.contentWeight, 'Content weight', 0, 1e9),
    styleWeight: readNumber(el.styleWeight, 'Style weight', 0, 1e9),
    tvWeight: readNumber(el.tvWeight, 'TV weight', 0, 1e9),
    preserveColors: (el.preserveColors.value || false) as StylizeParams['preserveColors'],
    init: el.init.value as 'content' | 'noise',
    styleStatistic: el.styleStatistic.value as StylizeParams['styleStatistic'],
    normalizeGradients: el.normalizeGradients.checked,
    memoryBudget: Math.round(readNumber(el.gpuMemory, 'GPU memory', 0.25, 1024) * 2 ** 30),
  };
}

async function stylize(): Promise<void> {
  clearError();
  let p: StylizeParams;
  let regions: RegionsParams | undefined;
  try {
    if (!picked.content || !picked.style) throw new Error('The images are still loading; try again in a moment.');
    p = readParams();
    regions = await regionsPanel.params();
  } catch (e) {
    showError((e as Error).message);
    return;
  }
  runId = nextId++;
  lossHistory = [];
  delete el.chart.dataset.losses;
  chart.reset(p.iterations);
  gramBars.reset();
  el.progress.max = p.iterations;
  el.progress.value = 0;
  for (const k of ['iteration', 'total', 'style', 'content', 'tv', 'speed', 'evaluations', 'statistic']) stat(k).textContent = '–';
  el.progressText.textContent = weightsReady ? 'Preparing the style and content targets…' : 'Waiting for the weights to finish loading…';
  showTab('result');
  setState('running');
  setWorkerBusy(true);
  lastRunSize = p.size;
  lastRunChoice = p;
  stat('statistic').textContent = statisticLabel(p);
  lastRunCost = planned?.size === p.size && planned.plan.fits ? planned.plan.cost : 1;
  send(
    { type: 'stylize', id: runId, content: picked.content!.pixels, contentKey: picked.content!.key, style: picked.style!.pixels, styleKey: picked.style!.key, params: p, regions },
    regions?.regions.map((r) => r.mask.data.buffer) ?? [],
  );
}

/**
 * Cancel takes effect on the page at once: the last preview stays, Stylize is available again. The worker
 * stops at its next loss evaluation (up to one VGG-19 pass later) and then sends the best image so far; a run
 * started meanwhile waits for it. Should the worker not answer at all, a fresh one is started (the weights
 * then come from the browser's cache).
 */
function cancel(): void {
  if (document.body.dataset.state !== 'running') return;
  const id = runId;
  cancelledId = id;
  send({ type: 'cancel', id });
  const n = lossHistory.length;
  el.progressText.textContent = `Cancelled after ${n} iteration${n === 1 ? '' : 's'}.`;
  setState('cancelled');
  clearTimeout(cancelWatchdog);
  cancelWatchdog = setTimeout(() => {
    if (cancelledId !== id || document.body.dataset.worker !== 'busy') return;
    worker.terminate();
    weightsReady = false;
    setWorkerBusy(false);
    startWorker();
  }, 60_000);
}

/** body[data-worker] is "busy" from Stylize until the worker has finished or stopped that run. */
function setWorkerBusy(busy: boolean): void {
  document.body.dataset.worker = busy ? 'busy' : 'idle';
}

function download(): void {
  if (!hasResult) return;
  el.result.toBlob((blob) => {
    if (!blob) return showError('Could not encode the result as PNG.');
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `stylized-${picked.content?.name ?? 'content'}-${picked.style?.name ?? 'style'}.png`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  }, 'image/png');
}

// ---------------------------------------------------------------- layers view
let currentTab: 'result' | 'layers' = 'result';

function showTab(tab: 'result' | 'layers'): void {
  currentTab = tab;
  document.querySelectorAll<HTMLButtonElement>('[role=tab]').forEach((b) => b.setAttribute('aria-selected', String(b.dataset.tab === tab)));
  document.querySelectorAll<HTMLElement>('[data-panel]').forEach((p) => (p.hidden = p.dataset.panel !== tab));
  if (tab === 'layers') requestFeatures();
}

function requestFeatures(): void {
  let image: Pixels | undefined;
  let key: string;
  if (el.layerImage.value === 'result' && hasResult) {
    const g = el.result.getContext('2d')!;
    const d = g.getImageData(0, 0, el.result.width, el.result.height);
    image = { data: d.data, width: d.width, height: d.height };
    key = `result-${runId}-${lossHistory.length}`;
  } else {
    if (el.layerImage.value === 'result') el.layerImage.value = 'content';
    image = picked.content?.pixels;
    key = picked.content?.key ?? '';
  }
  if (!image) return;
  requestRegionLayers();
  featuresId = nextId++;
  // The stylisation size, but at least 160 px so the deeper layers' maps are not just a few pixels.
  let size = 256;
  try {
    size = Math.max(160, readNumber(el.size, 'Size', 32, 1024, true));
  } catch {
    /* keep 256 */
  }
  requestReceptiveField(size);
  el.layersInfo.textContent = `Computing ${el.layerSelect.value}…`;
  el.grid.setAttribute('aria-busy', 'true');
  send({ type: 'features', id: featuresId, image, imageKey: key, layer: el.layerSelect.value, size, maxTiles: 64 });
}

/** The regions' masks at each style layer and the layer shown, at the run's size (hidden without regions). */
let regionLayersId = -1;
let regionLayersOf: RegionMasks | undefined;
let regionLayersSize = 0;
function requestRegionLayers(): void {
  const content = picked.content?.pixels;
  regionLayersOf = regionsPanel.masks();
  if (!content || !regionLayersOf) {
    el.regionLayersBox.hidden = true;
    return;
  }
  el.regionLayersBox.hidden = false;
  let size = 256;
  try {
    size = readNumber(el.size, 'Size', 32, maxSize, true);
  } catch {
    /* keep 256 */
  }
  regionLayersId = nextId++;
  regionLayersSize = size;
  const layers = [...new Set([...selectedStyleLayers(el.styleLayers), el.layerSelect.value])];
  const { masks } = regionLayersOf;
  send({ type: 'region-masks', id: regionLayersId, masks, content: { width: content.width, height: content.height }, size, layers, mode: regionsPanel.mode() }, masks.map((k) => k.data.buffer));
}

/** The chosen layer's receptive field, always over the content image (at the feature maps' size). */
let fieldId = -1;
let fieldImage: Pixels | undefined;
function requestReceptiveField(size: number): void {
  const content = picked.content?.pixels;
  if (!content) return;
  fieldId = nextId++;
  // The content image at the size the worker measures on, to draw the field over.
  const scale = size / Math.max(content.width, content.height);
  const [w, h] = [Math.max(1, Math.round(content.width * scale)), Math.max(1, Math.round(content.height * scale))];
  const c = document.createElement('canvas');
  [c.width, c.height] = [w, h];
  const src = document.createElement('canvas');
  [src.width, src.height] = [content.width, content.height];
  src.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(content.data), content.width, content.height), 0, 0);
  c.getContext('2d')!.drawImage(src, 0, 0, w, h);
  const d = c.getContext('2d')!.getImageData(0, 0, w, h);
  fieldImage = { data: d.data, width: w, height: h };
  el.rfInfo.textContent = `Measuring ${el.layerSelect.value}'s receptive field…`;
  send({ type: 'receptive-field', id: fieldId, image: content, layer: el.layerSelect.value, size });
}

// ---------------------------------------------------------------- start
buildLayerControls(el);
const regionsPanel = new RegionsPanel(
  {
    enabled: $<HTMLInputElement>('regions-enabled'),
    body: $('regions-body'),
    canvas: $<HTMLCanvasElement>('mask-canvas'),
    brushSize: $<HTMLInputElement>('brush-size'),
    clear: $<HTMLButtonElement>('mask-clear'),
    maskInput: $<HTMLInputElement>('mask-input'),
    list: $('region-list'),
    add: $<HTMLButtonElement>('region-add'),
    rest: $<HTMLSelectElement>('region-rest'),
    mode: $<HTMLSelectElement>('region-mode'),
  },
  {
    mainStyle: () => picked.style,
    showError,
    clearError,
    onChange: () => {
      if (currentTab === 'layers') requestRegionLayers();
    },
  },
);
const videoPanel = new VideoPanel(
  {
    source: $<HTMLSelectElement>('video-source'),
    input: $<HTMLInputElement>('video-input'),
    frames: $<HTMLInputElement>('video-frames'),
    iterations: $<HTMLInputElement>('video-iterations'),
    consistency: $<HTMLSelectElement>('video-consistency'),
    run: $<HTMLButtonElement>('video-run'),
    cancel: $<HTMLButtonElement>('video-cancel'),
    progress: $<HTMLProgressElement>('video-progress'),
    progressText: $('video-progress-text'),
    canvas: $<HTMLCanvasElement>('video-canvas'),
    preview: $<HTMLVideoElement>('video-preview'),
    play: $<HTMLButtonElement>('video-play'),
    download: $<HTMLButtonElement>('video-download'),
    frameLabel: $('video-frame-label'),
    errors: $<HTMLOListElement>('video-errors'),
  },
  { send, nextId: () => nextId++, params: readParams, content: () => picked.content, style: () => picked.style, showError, clearError },
);
const gramBars = new GramBars(el.gramChart);
// Settings may also come from the URL, e.g. ?size=96&iterations=20&gpuMemory=8 (handy for links and scripted runs).
el.gpuMemory.value = String(DEFAULT_GPU_GB);
wireStatisticMenu(el.styleStatistic, el.styleStatisticHint);
{
  const v = params.get('styleStatistic');
  if (v !== null && v in STATISTIC_HINTS) {
    el.styleStatistic.value = v;
    el.styleStatistic.dispatchEvent(new Event('change'));
  }
}
for (const [key, input] of [['size', el.size], ['iterations', el.iterations], ['previewEvery', el.previewEvery], ['gpuMemory', el.gpuMemory]] as const) {
  const v = params.get(key);
  if (v !== null) input.value = v;
}
el.stylize.addEventListener('click', () => void stylize());
el.cancel.addEventListener('click', cancel);
el.download.addEventListener('click', download);
document.querySelectorAll<HTMLButtonElement>('[role=tab]').forEach((b) => b.addEventListener('click', () => showTab(b.dataset.tab as 'result' | 'layers')));
el.layerSelect.addEventListener('change', requestFeatures);
el.layerImage.addEventListener('change', requestFeatures);
wirePickers({
  content: { select: el.contentSample, input: el.contentInput, preview: el.contentPreview },
  style: { select: el.styleSample, input: el.styleInput, preview: el.stylePreview },
  onPicked,
  showError,
  clearError,
});
setState('loading');
chart.reset(1);
{
  const g = el.result.getContext('2d')!;
  g.fillStyle = '#a1a1aa';
  g.font = '13px system-ui, sans-serif';
  g.textAlign = 'center';
  g.fillText('The result appears here.', el.result.width / 2, el.result.height / 2);
}
startWorker();
