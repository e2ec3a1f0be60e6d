import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError } from '../errors.js';
import type { Kernels } from '../kernels/index.js';
import { wholeImageLoss, type LossSpec, type PointTerm } from '../core/loss-spec.js';
import { contentTerm, styleTerm, temporalTerm, tvTerm } from '../core/losses.js';
import { sliceSeed, statisticTerm } from '../core/style-statistics.js';
import { gradientScaling } from './normalize-gradients.js';
import type { LossNetwork } from '../core/model.js';
import { lossPass, type PassPlan, type PointLoss } from '../core/network.js';
import type { Objective } from '../optim/types.js';
import type { ResolvedOptions } from './options.js';
import type { ObservedEvaluation, RunTaps } from './taps.js';
import { throwIfAborted, type Targets } from './targets.js';

/** Which part of the loss breakdown a term's value goes to. */
export interface PartLabel {
  kind: 'content' | 'style';
  layer: string;
}

/** The run's loss with a label per term at a network point (in the spec's order). */
export interface RunLoss extends LossSpec {
  labels: PartLabel[];
}

/**
 * The loss of a scale, one {@link LossSpec} for whole-image and tiled evaluation alike: a content term per content
 * layer (weighted per position by `contentWeightMap`), a style term per style layer (of `styleStatistic`) — or, with `regions`, one per
 * region and style layer it reaches, guided by the region's mask there, its weight divided by the number of regions
 * (Gatys et al. 2017) — then TV, then the temporal term (video) when the targets have one. Its values come back in that order; `labels` says which layer each belongs to.
 */
export function runLoss(t: Targets, o: ResolvedOptions, kernels: Kernels): RunLoss {
  const terms: (PointTerm & { label: PartLabel })[] = [];
  for (const l of o.contentLayers) {
    const weight = o.contentWeight * l.weight;
    const term = contentTerm(t.contentFeatures.get(l.point.index)!, weight, o.lossNormalization, t.contentWeights?.get(l.point.index));
    terms.push({ point: l.point, term, weight, label: { kind: 'content', layer: l.name } });
  }
  if (t.regions) {
    const share = 1 / t.regions.length;
    for (const r of t.regions) {
      for (const l of o.styleLayers) {
        const guide = r.guides.get(l.point.index);
        if (!guide) continue;
        const weight = o.styleWeight * l.weight * r.weight * share;
        const term = styleTerm(r.grams.get(l.point.index)!, weight, o.lossNormalization, kernels, guide);
        terms.push({ point: l.point, term, weight, label: { kind: 'style', layer: l.name } });
      }
    }
  } else {
    for (const l of o.styleLayers) {
      const weight = o.styleWeight * l.weight;
      const term = statisticTerm(o.styleStatistic, t.styleGrams.get(l.point.index)!, weight, o.lossNormalization, kernels, sliceSeed(o.seed, l.point.index, t.height));
      terms.push({ point: l.point, term, weight, label: { kind: 'style', layer: l.name } });
    }
  }
  const image = [tvTerm(o.tvWeight), ...(t.temporal ? [temporalTerm(t.temporal, o.temporalWeight)] : [])];
  return { points: terms, image, labels: terms.map((x) => x.label) };
}

/** What to change when the loss stops being finite. */
export const NON_FINITE_ADVICE = "Lower the learning rate or the weights, or use lossNormalization: 'mean'.";

/**
 * Throws NON_FINITE_LOSS (owning no tensor: the caller frees its own first) when an evaluation's total loss is NaN
 * or infinite, unless the evaluation was along a `direction`: that is a line-search trial, which the optimiser
 * rejects and backtracks from (L-BFGS), so its value is returned as it is. Evaluations without a direction are the
 * points an optimiser moves to (Adam's, L-BFGS's first and those without a line search): nothing can undo those.
 * `details`: `loss` and `parts` (as the objective orders them).
 */
export function checkFinite(loss: number, parts: readonly number[], direction: unknown, free: () => void): void {
  if (direction !== undefined || Number.isFinite(loss)) return;
  free();
  throw new StyleTransferError('NON_FINITE_LOSS', `The loss became ${loss}. ${NON_FINITE_ADVICE}`, { loss, parts: [...parts] });
}

/** How {@link makeObjective} runs its passes. */
export interface WholeObjectiveSetup {
  /** The pass plan, and the one that also reaches the tapped points (the run plan's `pass` and `tappedPass`). */
  pass: PassPlan;
  tappedPass: PassPlan;
  kernels: Kernels;
  /** How terms are balanced by their gradients' L1 norms (see `normalize-gradients.ts`). */
  normalizeGradients: boolean | 'per-evaluation';
  taps?: RunTaps;
  /** The iteration the evaluations made now belong to (for the taps). */
  iteration: () => number;
  signal?: AbortSignal;
}

/**
 * The objective of a scale on the whole image: one forward+backward pass (`s.pass`) with `loss`'s terms, each
 * evaluated on the whole activation (`wholeImageLoss`: one tile covering the image) in that pass, then its image
 * terms, and one read-back of every loss part. On iterations where taps fire, the pass also reaches the tapped points
 * and hands their activations to `s.taps` (see {@link RunTaps}). A non-finite loss: see {@link checkFinite}.
 */
export function makeObjective(model: LossNetwork, loss: LossSpec, s: WholeObjectiveSetup): Objective {
  const { kernels, taps, iteration, signal } = s;
  const scaling = gradientScaling(s.normalizeGradients, loss.points.length);
  // The terms by point, and where each part of the breakdown finds its value.
  const terms = new Map<number, PointLoss[]>();
  const slots: [point: number, term: number][] = [];
  for (const { point, term, weight } of loss.points) {
    const list = terms.get(point.index) ?? [];
    terms.set(point.index, list);
    slots.push([point.index, list.push(scaling.wrap(wholeImageLoss(term), slots.length, weight)) - 1]);
  }
  return async (x, direction, extra): Promise<ObservedEvaluation> => {
    throwIfAborted(signal, 'stylize()');
    const observing = taps?.observer(iteration());
    let read: tf.Tensor1D;
    let grad: tf.Tensor;
    try {
      ({ read, grad } = tf.tidy(() => {
        const net = lossPass(model, x as tf.Tensor4D, observing ? s.tappedPass : s.pass, terms, kernels, observing?.observer);
        const image = loss.image.map((term) => term.evaluate(x as tf.Tensor4D));
        const parts = [...slots.map(([i, k]) => net.values.get(i)![k]), ...image.map((r) => r.value)];
        const g = image.reduce((sum, r) => tf.add(sum, r.grad) as tf.Tensor4D, net.grad);
        const total = tf.addN(parts);
        // One read-back per evaluation: the loss, its parts, grad·direction and the optimiser's extra scalars.
        return { read: tf.stack([total, ...parts, direction ? tf.sum(tf.mul(g, direction)) : tf.scalar(0), ...(extra?.(g) ?? [])]) as tf.Tensor1D, grad: g };
      }));
    } catch (e) {
      observing?.observation.dispose();
      scaling.abandon();
      throw e;
    }
    const values = await read.data();
    read.dispose();
    await scaling.settle();
    const nParts = slots.length + loss.image.length;
    const parts = Array.from(values.subarray(1, 1 + nParts));
    checkFinite(values[0], parts, direction, () => {
      grad.dispose();
      observing?.observation.dispose();
    });
    if (observing) taps!.settle(observing.observation, values[0]);
    return {
      loss: values[0],
      parts,
      grad,
      gtd: direction ? values[1 + nParts] : undefined,
      extra: extra ? Array.from(values.subarray(2 + nParts)) : undefined,
      observation: observing?.observation,
    };
  };
}
