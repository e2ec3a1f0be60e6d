/**
 * Pairs what the golden page measured (types.ts) with the float64 reference in shared/golden/vgg19-activations.json
 * (its README says what each number is), quantity by quantity. Pure: the test decides what is close enough.
 */
import type { GoldenRun } from './types.js';

export interface GoldenJson {
  layers: Record<string, { shape_nhwc: number[]; mean: number; std: number; max: number; fraction_zero: number; channel_means_0_7: number[]; positions: { y: number; x: number; c: number; value: number }[] }>;
  gram: Record<'tubingen' | 'starry_night', Record<string, { shape: number[]; trace: number; row0_0_7: number[]; sum: number }>>;
  style_loss_tubingen_vs_starry: { per_layer: Record<string, { sum_sq_diff: number; mean_sq_diff: number }>; total_norm_mean: number; total_norm_paper: number };
  content_loss_starry_vs_tubingen: { layer: string; sum_sq_diff: number; mean_sq_diff: number };
  full_loss: {
    style_weight: number;
    tv_weight: number;
    loss: number;
    style_term: number;
    tv_term: number;
    grad_wrt_rgb_pixels: { l2_norm: number; max_abs: number; sum: number; positions: { y: number; x: number; c: number; value: number }[] };
  };
}

/**
 * The groups the tolerances are stated for. Activations, Grams and JS-summed losses are compared relatively;
 * `*Tf` are values reduced by the backend's own `tf.sum`; `gradient` is the pixel gradient's L2 norm, max |·| and
 * sum, `gradientAt` its five sampled entries.
 */
export type Quantity = 'activation' | 'gram' | 'styleLossJs' | 'styleLossTf' | 'contentLossJs' | 'contentLossTf' | 'fullLossTf' | 'gradient' | 'gradientAt';

export interface Pair {
  quantity: Quantity;
  where: string;
  actual: number;
  expected: number;
  /**
   * Absolute slack added to rtol·|expected|, for entries that are 0 (or nearly) in the reference: exact zeros of
   * a Gram row, channels that never fire. Scaled to the quantity's own size, as test/golden.test.ts does.
   */
  atol: number;
}

/** Every comparable number of a run, paired with its reference. */
export function pairs(run: GoldenRun, golden: GoldenJson): Pair[] {
  const out: Pair[] = [];
  const add = (quantity: Quantity, where: string, actual: number, expected: number, atol = 0) => out.push({ quantity, where, actual, expected, atol });
  if (!run.layers || !run.gram || !run.styleLoss || !run.contentLoss) return out; // ?pass=probe: nothing measured

  for (const [k, g] of Object.entries(golden.layers)) {
    const m = run.layers[k];
    add('activation', `${k} mean`, m.mean, g.mean);
    add('activation', `${k} std`, m.std, g.std);
    add('activation', `${k} max`, m.max, g.max);
    // A share, compared absolutely: 1e-3 of all entries may flip between 0 and a tiny positive value.
    add('activation', `${k} fraction_zero`, m.fractionZero, g.fraction_zero, 1e-3);
    g.channel_means_0_7.forEach((e, c) => add('activation', `${k} channel mean ${c}`, m.channelMeans[c], e, 1e-3 * g.mean));
    g.positions.forEach((p, i) => add('activation', `${k}[${p.y},${p.x},${p.c}]`, m.positions[i], p.value));
  }
  for (const image of ['tubingen', 'starry_night'] as const) {
    for (const [k, g] of Object.entries(golden.gram[image])) {
      const m = run.gram[image][k];
      const c = g.shape[0];
      add('gram', `${image}/${k} trace`, m.trace, g.trace);
      add('gram', `${image}/${k} sum`, m.sum, g.sum);
      g.row0_0_7.forEach((e, j) => add('gram', `${image}/${k}[0,${j}]`, m.row0[j], e, (1e-3 * g.trace) / c));
    }
  }
  const sl = golden.style_loss_tubingen_vs_starry;
  let totalMean = 0;
  let totalPaper = 0;
  let totalJs = 0;
  for (const [k, g] of Object.entries(sl.per_layer)) {
    const c = golden.gram.tubingen[k].shape[0];
    add('styleLossTf', `${k} mean`, run.styleLoss.tf[k].mean, g.mean_sq_diff);
    add('styleLossTf', `${k} paper`, run.styleLoss.tf[k].paper, g.sum_sq_diff / 20);
    add('styleLossJs', `${k} Σ(Gx−Gs)²`, run.styleLoss.sumSqDiffJs[k], g.sum_sq_diff);
    totalMean += run.styleLoss.tf[k].mean;
    totalPaper += run.styleLoss.tf[k].paper;
    totalJs += run.styleLoss.sumSqDiffJs[k] / (c * c);
  }
  add('styleLossTf', 'total (mean)', totalMean, sl.total_norm_mean);
  add('styleLossTf', 'total (paper)', totalPaper, sl.total_norm_paper);
  add('styleLossJs', 'total (mean)', totalJs, sl.total_norm_mean);
  const cl = golden.content_loss_starry_vs_tubingen;
  add('contentLossTf', 'mean', run.contentLoss.mean, cl.mean_sq_diff);
  add('contentLossTf', 'paper', run.contentLoss.paper, cl.sum_sq_diff / 2);
  add('contentLossJs', 'Σ(x−p)²', run.contentLoss.sumSqDiffJs, cl.sum_sq_diff);
  const fl = golden.full_loss;
  const full = run.fullLoss;
  if (!full) return out;
  // x is the content image: the content term is 0 up to the noise of two identical forward passes.
  add('fullLossTf', 'content term', full.content, 0, 1e-6 * fl.style_term);
  add('fullLossTf', 'style term ×100', full.style, fl.style_weight * fl.style_term);
  add('fullLossTf', 'tv term ×0.001', full.tv, fl.tv_weight * fl.tv_term);
  add('fullLossTf', 'loss', full.total, fl.loss);
  const g = fl.grad_wrt_rgb_pixels;
  add('gradient', 'l2_norm', full.grad.l2Norm, g.l2_norm);
  add('gradient', 'max_abs', full.grad.maxAbs, g.max_abs);
  add('gradient', 'sum', full.grad.sum, g.sum);
  g.positions.forEach((p, i) => add('gradientAt', `[${p.y},${p.x},${p.c}]`, full.grad.positions[i], p.value));
  return out;
}

/** |actual − expected| − atol, relative to |expected| (to the atol scale for a reference 0); Inf/NaN → Infinity. */
export function relError(p: Pair): number {
  if (!Number.isFinite(p.actual)) return Infinity;
  const excess = Math.max(0, Math.abs(p.actual - p.expected) - p.atol);
  return p.expected !== 0 ? excess / Math.abs(p.expected) : excess / (p.atol || 1);
}

/** The worst relative error per quantity, with where it was. */
export function worstByQuantity(all: Pair[]): Map<Quantity, { rel: number; where: string }> {
  const worst = new Map<Quantity, { rel: number; where: string }>();
  for (const p of all) {
    const rel = relError(p);
    const w = worst.get(p.quantity);
    if (!w || rel > w.rel) worst.set(p.quantity, { rel, where: p.where });
  }
  return worst;
}
