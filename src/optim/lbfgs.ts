import type * as tf from '@tensorflow/tfjs-core';
import { STYLIZE_DEFAULTS } from '../defaults.js';
import { invalidOption } from '../errors.js';
import { deviceHistory, hostHistory, hostVectorHistory, type History } from './lbfgs-history.js';
import type { Evaluation, Objective, OptimizerStep } from './types.js';
import { vectorsFor, type ScalarOf, type VectorOps } from './vector.js';

const D = STYLIZE_DEFAULTS.lbfgs;

export interface LbfgsOptions {
  /** Step length multiplier (torch's `lr`). Default 1. */
  learningRate?: number;
  /** Correction pairs kept (memory: 2 · historySize image-sized vectors). Default 50 (torch and minFunc keep 100; see `STYLIZE_DEFAULTS.lbfgs`). */
  historySize?: number;
  /** `'strong-wolfe'` (default; cubic interpolation as torch.optim.LBFGS / minFunc) or `'none'` (fixed step). */
  lineSearch?: 'strong-wolfe' | 'none';
  /**
   * First step length. `'torch'` (default here): min(1, 1/‖g‖₁)·learningRate, as torch.optim.LBFGS. A number s:
   * s/max|g|·learningRate, i.e. the first step moves the largest coordinate by s. For images in 0–255 units
   * `stylize()` passes 1: torch's step is ~1e-8 there, so its line search spends ~10 evaluations climbing back,
   * and on large images the loss change of such a step drowns in float32 rounding and the search stalls.
   */
  initialStep?: 'torch' | number;
  /**
   * The inverse curvature H₀ to start from: the first direction is −H₀·g with a unit step (times `learningRate`) —
   * with `nonNegativeLoss`, longer, up to 10x, when the loss says the unit step is short (see
   * {@link warmStartStep}) — instead of `initialStep`'s. For a warm start: coarse-to-fine passes the previous scale's last
   * {@link OptimizerStep.curvature}, so the first iteration at a larger size does not spend evaluations searching
   * for the step length.
   */
  initialCurvature?: number; // > 0; anything else is INVALID_OPTION
  /**
   * The loss is ≥ 0 everywhere (a sum of squares, as style transfer's). Lets a warm start (`initialCurvature`) take
   * a longer first step where f/|gᵀd| shows the unit step is short ({@link warmStartStep}). Default false.
   */
  nonNegativeLoss?: boolean;
  /**
   * Where the correction pairs of a tensor `x0` live: `'device'` (default: tensors on the backend, the two-loop
   * recursion there) or `'host'` (Float32Arrays in JS memory, the recursion in JS: for images whose history does
   * not fit the backend, e.g. the WASM heap at 2048 px; costs two read-backs and one upload per iteration). With a
   * Float32Array `x0` everything is in JS memory and this is ignored.
   */
  historyOn?: 'device' | 'host';
  /** Stop once max |grad| falls below this. Default 1e-7. */
  toleranceGrad?: number;
  /** Stop once loss or step changes less than this. Default 1e-9. */
  toleranceChange?: number;
  /**
   * Cap on objective evaluations. Default 2 · iterations + 25 (`STYLIZE_DEFAULTS.lbfgs.extraEvaluations`): room for the first direction's line search (its
   * initial step, min(1, 1/‖g‖₁), is tiny for image losses, so it extrapolates for several evaluations) and
   * one or two evaluations per later iteration. torch's default is ⌊1.25 · iterations⌋; pass that to match it.
   */
  maxEvaluations?: number;
}

/** Minimiser of the cubic through (x1,f1,g1), (x2,f2,g2), clamped to bounds (torch's `_cubic_interpolate`). */
export function cubicInterpolate(x1: number, f1: number, g1: number, x2: number, f2: number, g2: number, bounds?: [number, number]): number {
  const [lo, hi] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2sq = d1 * d1 - g1 * g2;
  if (d2sq >= 0) {
    const d2 = Math.sqrt(d2sq);
    const pos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)) : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    if (Number.isFinite(pos)) return Math.min(Math.max(pos, lo), hi);
  }
  return (lo + hi) / 2;
}

interface Point<V> {
  t: number;
  ev: Evaluation<V>;
  gtd: number;
}

/**
 * Strong-Wolfe line search along `d` from `x` (torch.optim.LBFGS's `_strong_wolfe`, same constants).
 * Returns the accepted point; disposes every other gradient it made.
 */
async function strongWolfe<V, S>(ops: VectorOps<V, S>, objective: (x: V, d: V) => Promise<Evaluation<V>>, x: V, t0: number, d: V, dNorm: number, start: Evaluation<V>, gtd0: number, toleranceChange: number, maxLs = 25, c1 = 1e-4, c2 = 0.9): Promise<{ t: number; ev: Evaluation<V>; evals: number }> {
  const made: V[] = [];
  const evalAt = async (t: number): Promise<Point<V>> => {
    const xt = ops.addScaled(x, t, d);
    const ev = await objective(xt, d)
      .catch((e: unknown) => {
        ops.dispose(made); // the objective threw (e.g. aborted) mid-search: free the gradients made so far
        throw e;
      })
      .finally(() => ops.dispose([xt]));
    made.push(ev.grad);
    return { t, ev, gtd: ev.gtd! };
  };
  const f = start.loss;
  let evals = 0;
  let prev: Point<V> = { t: 0, ev: start, gtd: gtd0 };
  let cur = await evalAt(t0);
  evals++;
  let bracket: Point<V>[] | undefined;
  let done = false;
  let lsIter = 0;
  while (lsIter < maxLs) {
    if (!Number.isFinite(cur.ev.loss) || cur.ev.loss > f + c1 * cur.t * gtd0 || (lsIter > 1 && cur.ev.loss >= prev.ev.loss)) {
      bracket = [prev, cur];
      break;
    }
    if (Math.abs(cur.gtd) <= -c2 * gtd0) {
      bracket = [cur];
      done = true;
      break;
    }
    if (cur.gtd >= 0) {
      bracket = [prev, cur];
      break;
    }
    const minStep = cur.t + 0.01 * (cur.t - prev.t);
    const maxStep = cur.t * 10;
    const t = cubicInterpolate(prev.t, prev.ev.loss, prev.gtd, cur.t, cur.ev.loss, cur.gtd, [minStep, maxStep]);
    prev = cur;
    cur = await evalAt(t);
    evals++;
    lsIter++;
  }
  if (!bracket) bracket = [{ t: 0, ev: start, gtd: gtd0 }, cur];

  // Zoom: shrink the bracket until the strong Wolfe conditions hold.
  let insufficient = false;
  let [low, high] = bracket.length > 1 && bracket[0].ev.loss > bracket[1].ev.loss ? [1, 0] : [0, 1];
  while (!done && lsIter < maxLs && bracket.length > 1) {
    const a = bracket[0];
    const b = bracket[1];
    if (Math.abs(b.t - a.t) * dNorm < toleranceChange) break;
    const fa = Number.isFinite(a.ev.loss) ? a.ev.loss : Number.MAX_VALUE;
    const fb = Number.isFinite(b.ev.loss) ? b.ev.loss : Number.MAX_VALUE;
    let t = cubicInterpolate(a.t, fa, a.gtd, b.t, fb, Number.isFinite(b.gtd) ? b.gtd : 0);
    const hi = Math.max(a.t, b.t);
    const lo = Math.min(a.t, b.t);
    const eps = 0.1 * (hi - lo);
    if (Math.min(hi - t, t - lo) < eps) {
      if (insufficient || t >= hi || t <= lo) {
        t = Math.abs(t - hi) < Math.abs(t - lo) ? hi - eps : lo + eps;
        insufficient = false;
      } else insufficient = true;
    } else insufficient = false;
    const p = await evalAt(t);
    evals++;
    lsIter++;
    if (!Number.isFinite(p.ev.loss) || p.ev.loss > f + c1 * t * gtd0 || p.ev.loss >= bracket[low].ev.loss) {
      bracket[high] = p;
      [low, high] = bracket[0].ev.loss <= bracket[1].ev.loss ? [0, 1] : [1, 0];
    } else {
      if (Math.abs(p.gtd) <= -c2 * gtd0) done = true;
      else if (p.gtd * (bracket[high].t - bracket[low].t) >= 0) bracket[high] = bracket[low];
      bracket[low] = p;
    }
  }
  const best = bracket.length > 1 ? bracket[low] : bracket[0];
  ops.dispose(made.filter((g) => g !== best.ev.grad));
  return { t: best.t, ev: best.ev, evals };
}

/**
 * The first step length (before `learningRate`) along a warm start's −H₀g: the unit step, or up to 10 times it
 * when the loss allows — a fraction {@link WARM_START_LOSS_FRACTION} of f/|gᵀd|, the step at which the linear model
 * would have removed the whole loss (for a loss ≥ 0 whose quadratic model bottoms out at 0, the best step is 2·f/|gᵀd|).
 * Why: coarse-to-fine passes the previous scale's curvature, and at a new scale the loss is dominated by the fine
 * texture the upsampled image lacks, and the unit step fell short: on Tübingen/Starry Night the line search
 * extrapolated to 4.3x it at 1024 px and to 10x at 4096 px (an extra evaluation each: ~20 min at 4096 px on WASM),
 * and at 2048 px accepted it where ~3.3x was best.
 */
export function warmStartStep(loss: number, gtd: number): number {
  return gtd < 0 && loss > 0 ? Math.max(1, Math.min(10, (WARM_START_LOSS_FRACTION * loss) / -gtd)) : 1;
}

/**
 * The fraction of f/|gᵀd| a warm start's first step takes (see {@link warmStartStep}). Measured with
 * bench/coarse-to-fine.mjs (WASM, 2026-12-02), against the unit step: Tübingen/Starry Night at 512 → 1024 px (10 + 2
 * iterations) took 17 evaluations instead of 19 for a loss 0.8% apart; at 256 → 512 (20 + 4) one fewer, 7% lower.
 * Golden Gate/The Scream at 512 → 1024 (10 + 3): the same evaluations, the loss 5% lower; at 256 → 512 the unit
 * step was long enough and nothing changed.
 */
export const WARM_START_LOSS_FRACTION = 0.4;

/**
 * Limited-memory BFGS, a port of torch.optim.LBFGS (two-loop recursion, torch's initial step, optional strong
 * Wolfe line search). With a tensor `x0` all vector algebra is on the device: the only values read back are the
 * scalars the algorithm branches on (loss, curvature yᵀs, directional derivatives), two transfers per iteration:
 * [gᵀd, max|d|, Σ|g|] for the new direction, and max|g|, yᵀy, yᵀd riding along in each evaluation's own read-back.
 * With a Float32Array `x0` (and an objective of Float32Arrays) it all happens in JS memory, for optimiser state
 * larger than the backend holds. One iteration = one search direction.
 */
export async function* lbfgs<V extends tf.Tensor | Float32Array = tf.Tensor>(objective: Objective<V>, x0: V, iterations: number, opts: LbfgsOptions = {}): AsyncGenerator<OptimizerStep<V>> {
  const lr = opts.learningRate ?? STYLIZE_DEFAULTS.learningRate.lbfgs;
  const historySize = opts.historySize ?? D.historySize;
  const lineSearch = opts.lineSearch ?? D.lineSearch;
  const initialStep = opts.initialStep ?? 'torch';
  const tolGrad = opts.toleranceGrad ?? 1e-7;
  const tolChange = opts.toleranceChange ?? 1e-9;
  const maxEvals = opts.maxEvaluations ?? 2 * iterations + D.extraEvaluations;

  const h0 = opts.initialCurvature;
  if (h0 !== undefined && !(typeof h0 === 'number' && Number.isFinite(h0) && h0 > 0)) invalidOption('initialCurvature', h0, 'a finite number > 0');
  const ops = vectorsFor(x0);
  let x = ops.clone(x0);
  const history = (ops.home === 'host' ? hostVectorHistory(historySize) : opts.historyOn === 'host' ? hostHistory(historySize) : deviceHistory(historySize)) as History<V>;
  let hDiag = opts.initialCurvature ?? 1;
  // Whether hDiag is a measured curvature (from a pair, or given) rather than the placeholder 1.
  let curvatureKnown = opts.initialCurvature !== undefined;
  let d: V | undefined;
  let t = lr;
  let prevGrad: V | undefined;
  // After each step the loop branches on max|g| and, for the curvature pair y = g − g_prev, s = t·d, on yᵀy and
  // yᵀs = t·yᵀd: asked of the evaluations themselves, so they come back with the loss in one read.
  let gPrev: V | undefined;
  const stepScalars = (g: V): ScalarOf<V>[] => {
    if (!gPrev || !d) return [ops.maxAbs(g)];
    const y = ops.sub(g, gPrev);
    try {
      return [ops.maxAbs(g), ops.dot(y, y), ops.dot(y, d)];
    } finally {
      ops.dispose([y]);
    }
  };
  /** [max|g|, yᵀy, yᵀd] of an evaluation made with `stepScalars` (read now if the objective ignored them). */
  const scalarsOf = async (e: Evaluation<V>): Promise<number[]> => e.extra ?? (await ops.read(stepScalars(e.grad)));
  const evaluate = (at: V, direction?: V) => objective(at, direction, stepScalars);
  let ev = await evaluate(x).catch((e: unknown) => {
    ops.dispose([x]);
    throw e;
  });
  let evals = 1;
  try {
    if (!Number.isFinite(ev.loss)) {
      // Nothing to search from (e.g. a NaN start image): report it and let the caller stop.
      yield { iteration: 1, x, evaluation: ev, evaluations: evals };
      return;
    }
    if ((await scalarsOf(ev))[0] <= tolGrad) {
      yield { iteration: 0, x, evaluation: ev, evaluations: evals, converged: 'gradient below tolerance at start' };
      return;
    }
    for (let k = 1; k <= iterations; k++) {
      const g = ev.grad;
      if (k === 1) {
        d = ops.scale(g, -(opts.initialCurvature ?? 1));
      } else {
        const [, yy, yd] = await scalarsOf(ev);
        const ys = t * yd;
        if (ys > 1e-10) {
          await history.push(ops.sub(g, prevGrad!), ops.scale(d!, t), 1 / ys);
          hDiag = ys / yy;
          curvatureKnown = true;
        }
        const newD = await history.direction(g, hDiag);
        ops.dispose([d]);
        d = newD;
      }
      ops.dispose([prevGrad]);
      prevGrad = ops.clone(g);
      gPrev = prevGrad;
      const prevLoss = ev.loss;
      const [gtd, dNorm, l1] = await ops.read([ops.dot(g, d!), ops.maxAbs(d!), ops.sumAbs(g)]);
      // On the first iteration d = −g (without initialCurvature), so max|g| = dNorm.
      t = k > 1 || opts.initialCurvature ? lr : (typeof initialStep === 'number' ? initialStep / dNorm : Math.min(1, 1 / l1)) * lr;
      if (k === 1 && opts.initialCurvature && opts.nonNegativeLoss) t = warmStartStep(ev.loss, gtd) * lr;
      if (gtd > -tolChange) {
        yield { iteration: k, x, evaluation: ev, evaluations: evals, converged: 'directional derivative above -toleranceChange' };
        return;
      }
      let lsEvals = 0;
      if (lineSearch === 'strong-wolfe') {
        const res = await strongWolfe(ops, evaluate, x, t, d!, dNorm, ev, gtd, tolChange);
        t = res.t;
        lsEvals = res.evals;
        const xNew = ops.addScaled(x, t, d!);
        ops.dispose([x]);
        x = xNew;
        if (res.ev !== ev) {
          ops.dispose([ev.grad]);
          ev = res.ev;
        }
      } else {
        const xNew = ops.addScaled(x, t, d!);
        ops.dispose([x]);
        x = xNew;
        const next = await evaluate(x);
        ops.dispose([ev.grad]);
        ev = next;
        lsEvals = 1;
      }
      evals += lsEvals;
      let converged: string | undefined;
      if (Number.isFinite(ev.loss)) {
        const gMax = (await scalarsOf(ev))[0];
        if (evals >= maxEvals && k < iterations) converged = `evaluation budget (${maxEvals}) used`;
        else if (gMax <= tolGrad) converged = 'gradient below tolerance';
        else if (Math.abs(t) * dNorm <= tolChange) converged = 'step below tolerance';
        else if (Math.abs(ev.loss - prevLoss) < tolChange) converged = 'loss change below tolerance';
      }
      yield { iteration: k, x, evaluation: ev, evaluations: evals, converged, budgetExhausted: converged !== undefined && evals >= maxEvals, ...(curvatureKnown && { curvature: hDiag }) };
      if (converged) return;
    }
  } finally {
    ops.dispose([x, ev.grad, d, prevGrad]);
    history.dispose();
  }
}
