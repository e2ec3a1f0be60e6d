/**
 * The layer study as measurements: for each content/style pair, style taken from each conv layer alone and from
 * the cumulative sets conv1_1…convN_1 (at two iteration counts), content reconstructed from one layer per block,
 * each result measured (Gram distance at every style layer, texture scale, PSNR/SSIM, feature distance), with
 * the receptive fields of the 16 conv layers. Every experiment is a {@link sweep} (one run per row, so a cache can
 * keep finished runs and an interrupted study resumes), and its record stays a replayable sweep record.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError, describe } from '../errors.js';
import { now, throwIfAborted as checkAborted } from '../util/checks.js';
import { fitSize, readImageInput, resizeImage, toRgba, type ImageInput, type RgbaImage } from '../image/input.js';
import { VGG19, type NetworkArchitecture } from '../core/architecture.js';
import type { LossNetwork } from '../core/model.js';
import { reconstructionOptions } from '../experiments/reconstruct.js';
import { layerSetLabel } from '../experiments/sweep/axes.js';
import { cellAt, sweep } from '../experiments/sweep/run.js';
import type { SweepAxis, SweepRecord, SweepResult } from '../experiments/sweep/types.js';
import { createStylizer } from '../stylize/session.js';
import { VERSION } from '../version.js';
import { compareGrams, featureDistances, styleGrams, type LayerDistance } from './feature-distance.js';
import { psnrOf, ssimOf } from './image-quality.js';
import { readRgb, type RgbFloat } from './pixels.js';
import { sha256Hex } from '../weights/sha256.js';
import { effectiveReceptiveField, theoreticalReceptiveField } from './receptive-field.js';
import { radialSpectrumOf, scaleOfSpectrum } from './texture-scale.js';

export type { StudyPair, StudyExperimentName, StudyOptions, StudySelectOptions, StudySelected, StudyRunInfo, StudyCacheEntry, StudyCache, StudyProgress, CellMeasurements, StudyRun, ReceptiveFieldRow, StudyExperiment, StudyPairResult, StudyRecord, StudyResult } from './study-types.js';
import type { StudyExperimentName, StudyOptions, StudySelectOptions, StudySelected, StudyRunInfo, StudyCacheEntry, ReceptiveFieldRow, StudyProgress, CellMeasurements, StudyRun, StudyExperiment, StudyPairResult, StudyRecord, StudyResult } from './study-types.js';

export const DEFAULT_STUDY_CONTENT_LAYERS = ['conv1_2', 'conv2_2', 'conv3_2', 'conv4_2', 'conv5_2'] as const;

/** The network a study runs on: its stylizer's or model's, else VGG-19; layer names and defaults are its own. */
const networkOf = (o: StudyOptions): NetworkArchitecture => o.stylizer?.model.architecture ?? o.model?.architecture ?? VGG19;
/** Each block's second conv, or its only one (VGG: {@link DEFAULT_STUDY_CONTENT_LAYERS}). */
const contentDefaults = (n: NetworkArchitecture): string[] => n.convBlocks.map((b) => b[Math.min(1, b.length - 1)]);
/** Where reconstructions' feature distances are measured: the first two blocks' first ReLUs (VGG: relu1_1, relu2_1). */
const featureLayers = (n: NetworkArchitecture): string[] => n.firstRelus.slice(0, 2);

/** Checked and defaulted study options. */
function resolveStudy(o: StudyOptions) {
  const network = networkOf(o);
  if (!o || typeof o !== 'object') throw new StyleTransferError('INVALID_OPTION', '`study()` takes an options object with pairs.', { field: 'options' });
  if (!Array.isArray(o.pairs) || o.pairs.length === 0 || o.pairs.length > 16) throw new StyleTransferError('INVALID_OPTION', `\`pairs\` is ${describe(o.pairs)}; expected a list of 1–16 { content, style } pairs.`, { field: 'pairs' });
  o.pairs.forEach((p, i) => {
    if (!p || typeof p !== 'object' || !p.content || !p.style) throw new StyleTransferError('INVALID_OPTION', `\`pairs[${i}]\` needs a content and a style image.`, { field: `pairs[${i}]` });
  });
  const iterations = [...(o.iterations ?? [20, 80])];
  if (iterations.length === 0 || iterations.some((n) => !Number.isInteger(n) || n < 1 || n > 100000) || new Set(iterations).size !== iterations.length) {
    throw new StyleTransferError('INVALID_OPTION', `\`iterations\` is ${describe(o.iterations)}; expected distinct whole numbers 1–100000, e.g. [20, 80].`, { field: 'iterations' });
  }
  const layers = (v: readonly string[] | undefined, def: readonly string[], field: string, allowEmpty: boolean): string[] => {
    const list = v ?? def;
    if (!Array.isArray(list) || (!allowEmpty && list.length === 0)) throw new StyleTransferError('INVALID_OPTION', `\`${field}\` is ${describe(v)}; expected a list of layer names.`, { field });
    return list.map((l) => network.resolve(l, field).name);
  };
  const size = o.size ?? 128;
  if (!Number.isInteger(size) || size < 16 || size > 4096) throw new StyleTransferError('INVALID_OPTION', `\`size\` is ${describe(size)}; expected a whole number 16–4096.`, { field: 'size' });
  const seed = o.seed ?? 0;
  return {
    network,
    size,
    seed,
    iterations: iterations.sort((a, b) => a - b),
    styleLayers: layers(o.styleLayers, network.convs.map((c) => c.name), 'styleLayers', false),
    cumulative: o.cumulative ?? true,
    contentLayers: layers(o.contentLayers, contentDefaults(network), 'contentLayers', true),
    stylize: JSON.parse(JSON.stringify(o.stylize ?? {})) as Record<string, unknown>,
  };
}

type Resolved = ReturnType<typeof resolveStudy>;

/** One planned run: a one-row sweep. */
interface PlannedRun {
  experiment: StudyExperimentName;
  /** The row's layer set (style layers, or the content layer). */
  set: string[];
  label: string;
}

function planRuns(r: Resolved): PlannedRun[] {
  const runs: PlannedRun[] = r.styleLayers.map((l) => ({ experiment: 'single', set: [l], label: l }));
  if (r.cumulative) {
    const firsts = r.network.convBlocks.map((b) => b[0]);
    firsts.forEach((_, i) => {
      const set = firsts.slice(0, i + 1);
      runs.push({ experiment: 'cumulative', set, label: layerSetLabel(set) });
    });
  }
  for (const l of r.contentLayers) runs.push({ experiment: 'content', set: [l], label: l });
  return runs;
}

/** The sweep options of an experiment, without its varied axis (shared by every row, so rows merge into one sweep). */
function experimentBase(r: Resolved, experiment: StudyExperimentName, content: ImageInput): Record<string, unknown> {
  if (experiment !== 'content') return { ...r.stylize, size: r.size, seed: r.seed };
  // The reconstruction recipe of reconstruct(), with conv1_1 as the (weight 0) style layer every row shares.
  const { content: _c, style: _s, contentLayers: _l, iterations: _i, snapshots: _n, onIteration: _o, signal: _g, ...rest } = reconstructionOptions({ image: content, kind: 'content', layer: r.network.convs[0].name, size: r.size, seed: r.seed }, r.network);
  void _c, void _s, void _l, void _i, void _n, void _o, void _g;
  return JSON.parse(JSON.stringify(rest)) as Record<string, unknown>;
}

/** A cache key: everything a run's result and measurements depend on (the measurements' definitions: the library version). */
function runKey(parts: Record<string, unknown>): string {
  return JSON.stringify(parts);
}

/** Merges one-row sweeps (in row order) into one sweep whose row axis is `axis`. */
function mergeRows(runs: StudyRun[], axis: SweepAxis, vary: Record<string, unknown>): SweepResult {
  const first = runs[0].record;
  const cells = runs.flatMap((run, row) =>
    run.record.cells.map((c, i) => ({ ...c, row, rowLabel: axis.labels[row], image: run.images[i] })),
  );
  const timings = { totalMs: runs.reduce((s, r) => s + r.record.timings.totalMs, 0), runs: runs.length };
  const record: SweepRecord = {
    ...first,
    created: new Date().toISOString(),
    options: { ...first.options, vary },
    rows: axis,
    cells: cells.map(({ image: _img, ...rest }) => rest),
    timings,
  };
  delete record.sheet;
  return {
    rows: axis,
    columns: first.columns,
    cells,
    at: cellAt(cells),
    record,
    timings,
  };
}

/** Reads an image, resized as a run resizes it (longest side `size`), as a tensor the caller frees. */
async function atSize(img: ImageInput, field: string, size: number): Promise<tf.Tensor4D> {
  const t = await readImageInput(img, field);
  try {
    const [h, w] = fitSize(t.shape[1], t.shape[2], size);
    return resizeImage(t, h, w);
  } finally {
    t.dispose();
  }
}

/**
 * The runs of a study, in the order {@link study} runs them: for each pair, its receptive fields, then one run per
 * style layer, cumulative set and reconstruction layer. An index here is what `study({ ..., select })` takes.
 */
export function studyRuns(options: StudyOptions): StudyRunInfo[] {
  const planned: { experiment: StudyRunInfo['experiment']; label: string }[] = [{ experiment: 'receptive-fields', label: 'receptive fields' }, ...planRuns(resolveStudy(options))];
  return options.pairs.flatMap((_, pair) => planned.map((p, k) => ({ index: pair * planned.length + k, pair, experiment: p.experiment, label: p.label })));
}

/**
 * Runs the layer study on every pair and measures every result. Resolves to the merged sweeps (images included,
 * for contact sheets), the measurements, and a JSON record. Runs found in `cache` are not run again. With
 * `select` ({@link StudySelectOptions}: a queue worker's share) it computes that one run only and resolves to it.
 *
 * @example
 * ```ts
 * const s = await study({ pairs: [{ content, style }], size: 96, iterations: [20, 80] });
 * const single = s.pairs[0].experiments.find((e) => e.name === 'single')!;
 * single.measurements.map((m) => m.addedTexture?.peak); // texture scale of each layer's result, in px
 * ```
 */
export function study(options: StudySelectOptions): Promise<StudySelected>;
export function study(options: StudyOptions): Promise<StudyResult>;
export async function study(options: StudyOptions & { select?: number }): Promise<StudyResult | StudySelected> {
  const t0 = now();
  const r = resolveStudy(options);
  const planned = planRuns(r);
  const perPair = planned.length + 1;
  const runsTotal = options.pairs.length * perPair;
  // One run only (a queue job): the others are neither computed nor assembled.
  const sel = options.select;
  if (sel !== undefined && (!Number.isInteger(sel) || sel < 0 || sel >= runsTotal)) throw new StyleTransferError('INVALID_OPTION', `\`select\` is ${describe(sel)}; expected a run index 0–${runsTotal - 1} (see studyRuns()).`, { field: 'select' });
  const stylizer = options.stylizer ?? (await createStylizer({ model: options.model, signal: options.signal }));
  let runIndex = 0;
  let cachedCount = 0;
  const selected = (pair: number, experiment: StudyRunInfo['experiment'], label: string, key: string, entry: StudyCacheEntry, cached: boolean): StudySelected => ({ run: { index: runIndex, pair, experiment, label }, key, entry, cached });
  const progress = async (p: Omit<StudyProgress, 'run' | 'runs'>) => options.onProgress?.({ ...p, run: runIndex, runs: runsTotal });
  const pairs: StudyPairResult[] = [];
  try {
    const model = stylizer.model;
    const backend = tf.getBackend();
    for (let pi = 0; pi < options.pairs.length; pi++) {
      const pair = options.pairs[pi];
      if (sel !== undefined && Math.floor(sel / perPair) !== pi) {
        runIndex += perPair;
        continue;
      }
      const name = pair.name ?? `pair ${pi + 1}`;
      const contentT = await atSize(pair.content, `pairs[${pi}].content`, r.size);
      const styleScale = (r.stylize.styleScale as number | undefined) ?? 1;
      let styleT: tf.Tensor4D | undefined;
      let grams: Map<string, tf.Tensor2D> | undefined;
      try {
        styleT = await atSize(pair.style, `pairs[${pi}].style`, Math.round(r.size * styleScale));
        const content = await toRgba(contentT);
        const style = await toRgba(styleT);
        const contentRgb = await readRgb(content);
        const ids = { content: await sha(content), style: await sha(style) };
        grams = await styleGrams(model, styleT, model.convLayers);
        const baseline = gramsRelative(await compareGrams(model, content, grams));
        const common = { v: VERSION, backend, weights: model.weightsSha256, size: r.size, seed: r.seed, iterations: r.iterations, ...ids };

        // Receptive fields of the 16 conv layers on this content image.
        const rfKey = runKey({ ...common, kind: 'receptive-fields' });
        let rf: ReceptiveFieldRow[] = [];
        if (sel === undefined || sel === runIndex) {
          const rfHit = await options.cache?.get(rfKey);
          const kept = rfHit?.kind === 'receptive-fields' ? rfHit.rows : undefined;
          await progress({ pair: pi, experiment: 'receptive-fields', label: 'receptive fields', iteration: 0, iterations: model.convLayers.length, cached: Boolean(kept) });
          if (kept) {
            rf = kept;
            cachedCount++;
          } else {
            for (const [i, l] of model.convLayers.entries()) {
              throwIfAborted(options.signal);
              const e = await effectiveReceptiveField(model, contentT, l);
              rf.push({ layer: l, theoretical: theoreticalReceptiveField(l, model.architecture).size, effective: e.size, rms: round(e.rms), clipped: e.clipped });
              await progress({ pair: pi, experiment: 'receptive-fields', label: `receptive field ${l}`, iteration: i + 1, iterations: model.convLayers.length, cached: false });
            }
            await options.cache?.put(rfKey, { kind: 'receptive-fields', rows: rf });
          }
          if (sel === runIndex) return selected(pi, 'receptive-fields', 'receptive fields', rfKey, { kind: 'receptive-fields', rows: rf }, Boolean(kept));
        }
        runIndex++;

        const byExperiment = new Map<StudyExperimentName, StudyRun[]>();
        for (const plan of planned) {
          throwIfAborted(options.signal);
          if (sel !== undefined && sel !== runIndex) {
            runIndex++;
            continue;
          }
          const base = experimentBase(r, plan.experiment, pair.content);
          const key = runKey({ ...common, experiment: plan.experiment, set: plan.set, base });
          const hit = await options.cache?.get(key);
          let run = hit?.kind === 'run' ? hit.run : undefined;
          const iterations = r.iterations[r.iterations.length - 1];
          if (run) {
            cachedCount++;
            await progress({ pair: pi, experiment: plan.experiment, label: plan.label, iteration: iterations, iterations, cached: true });
          } else {
            const axis = plan.experiment === 'content' ? { contentLayers: [plan.set] } : { styleLayers: [plan.set] };
            const res = await sweep({
              ...(base as object),
              content: pair.content,
              style: plan.experiment === 'content' ? pair.content : pair.style,
              vary: axis,
              iterations: r.iterations,
              stylizer,
              signal: options.signal,
              onProgress: (p) => progress({ pair: pi, experiment: plan.experiment, label: plan.label, iteration: p.iteration, iterations: p.iterations, cached: false }),
            });
            const measurements: CellMeasurements[] = [];
            for (const cell of res.cells) measurements.push(await measureCell(model, cell.image, contentRgb, plan.experiment === 'content' ? undefined : grams));
            run = { record: res.record, images: res.cells.map((c) => c.image), measurements };
            await options.cache?.put(key, { kind: 'run', run });
          }
          if (sel === runIndex) return selected(pi, plan.experiment, plan.label, key, { kind: 'run', run }, hit?.kind === 'run');
          runIndex++;
          byExperiment.set(plan.experiment, [...(byExperiment.get(plan.experiment) ?? []), run]);
        }

        const experiments: StudyExperiment[] = [];
        for (const [exp, runs] of byExperiment) {
          const sets = planned.filter((p) => p.experiment === exp);
          const parameter = exp === 'content' ? 'contentLayers' : 'styleLayers';
          const axis: SweepAxis = { parameter, labels: sets.map((s) => s.label), values: sets.map((s) => s.set) };
          const merged = mergeRows(runs, axis, { [parameter]: axis.values });
          experiments.push({ name: exp, sweep: merged, measurements: runs.flatMap((x) => x.measurements) });
        }
        pairs.push({ name, content, style, receptiveFields: rf, baseline, experiments });
      } finally {
        contentT.dispose();
        styleT?.dispose();
        if (grams) tf.dispose([...grams.values()]);
      }
    }
    const record: StudyRecord = {
      format: 'neural-style-tfjs/study@1',
      library: { name: 'neural-style-tfjs', version: VERSION },
      created: new Date().toISOString(),
      backend: tf.getBackend(),
      weightsSha256: model.weightsSha256,
      network: model.architecture.name,
      options: { size: r.size, iterations: r.iterations, styleLayers: r.styleLayers, cumulative: r.cumulative, contentLayers: r.contentLayers, seed: r.seed, stylize: r.stylize },
      pairs: pairs.map((p) => ({
        name: p.name,
        inputs: { content: p.experiments[0].sweep.record.inputs.content, style: p.experiments[0].sweep.record.inputs.style[0] },
        receptiveFields: p.receptiveFields,
        baseline: p.baseline,
        experiments: p.experiments.map((e) => ({ name: e.name, sweep: e.sweep.record, measurements: e.measurements })),
      })),
      timings: { totalMs: now() - t0, runs: runsTotal, cached: cachedCount },
    };
    return { pairs, record };
  } finally {
    if (!options.stylizer) stylizer.dispose();
  }
}

/** Measures one result against the content image (and the style's Grams, for style runs). */
async function measureCell(model: LossNetwork, image: RgbaImage, content: RgbFloat, grams: Map<string, tf.Tensor2D> | undefined): Promise<CellMeasurements> {
  const rgb = await readRgb(image);
  const s = scaleOfSpectrum(radialSpectrumOf(rgb));
  const m: CellMeasurements = { psnr: round(psnrOf(rgb, content)), ssim: round(ssimOf(rgb, content)), texture: { peak: round(s.peakPeriod), centroid: round(s.centroidPeriod) } };
  if (grams) {
    const a = scaleOfSpectrum(radialSpectrumOf(rgb, { reference: content }));
    m.addedTexture = { peak: round(a.peakPeriod), centroid: round(a.centroidPeriod) };
    const d = await compareGrams(model, image, grams);
    m.gram = gramsRelative(d);
  } else {
    const f = await featureDistances(model, image, { data: content.data, width: content.width, height: content.height, channels: 3 }, featureLayers(model.architecture));
    m.features = Object.fromEntries(Object.entries(f).map(([k, v]) => [k, round(v.relative)]));
  }
  return m;
}

const gramsRelative = (d: Record<string, LayerDistance>): Record<string, number> => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, round(v.relative)]));

/** Rounds to 5 significant digits (the record stays short and readable); keeps ∞ and NaN as they are. */
const round = (v: number): number => (Number.isFinite(v) && v !== 0 ? Number(v.toPrecision(5)) : v);

async function sha(img: RgbaImage): Promise<string> {
  const rgb = new Uint8Array(img.width * img.height * 3);
  for (let i = 0; i < img.width * img.height; i++) rgb.set(img.data.subarray(4 * i, 4 * i + 3), 3 * i);
  return sha256Hex(rgb);
}

const throwIfAborted = (signal: AbortSignal | undefined): void => checkAborted(signal, 'The study');
