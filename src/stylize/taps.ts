import * as tf from '@tensorflow/tfjs-core';
import type { NetworkPoint } from '../core/layers.js';
import type { LossNetwork } from '../core/model.js';
import { forward, preprocess, type PassObserver, type Pooling, type Taps } from '../core/network.js';
import type { Evaluation } from '../optim/types.js';

/** Tapped activations of one evaluation: zero-copy clones of the pass's tensors, in forward order. */
class Observation {
  readonly activations: [NetworkPoint, tf.Tensor4D][] = [];
  dispose(): void {
    tf.dispose(this.activations.map(([, a]) => a));
    this.activations.length = 0;
  }
}

/** An evaluation the objective made while taps were observing: it carries its activations to the step. */
export interface ObservedEvaluation extends Evaluation {
  observation?: Observation;
}

/**
 * Taps during a run, observing the objective's own pass instead of running the network again.
 *
 * Which activations: those of the evaluation that produced the step's loss — the network's view of the image being
 * optimised at that step (before clipping to 0–255, and the grey image the loss sees under `preserveColors:
 * 'luminance'`). When: on the iterations taps fire (every `taps.every` and the run's last).
 *
 * How: on an iteration where taps fire, every evaluation the optimiser makes (L-BFGS's line search may make
 * several) clones its tapped activations as the pass computes them (clones share the data); after each evaluation
 * only the one with the lowest loss so far is kept (a line search accepts its lowest point, bar rare edge cases),
 * and the step's own evaluation is recognised by identity. Other iterations keep nothing. Where the step's
 * evaluation is not the one kept (L-BFGS stopping early on an iteration the taps could not foresee, a step that
 * reports an earlier evaluation, an edge case of the search) or the plan says the clones do not fit memory, the
 * taps get one forward pass of the step's image: the same activations, at the cost of a pass.
 */
export class RunTaps {
  private best: Observation | undefined;
  private bestLoss = Infinity;

  constructor(
    private readonly model: LossNetwork,
    private readonly s: {
      points: readonly NetworkPoint[];
      onActivation: Taps<string>['onActivation'];
      /** Taps fire every `every` iterations and on the run's last. */
      every: number;
      /** Iterations planned for the whole run. */
      planned: number;
      pooling: Pooling;
      /** From the run's plan: false when holding the tapped activations would not fit memory. */
      inPass: boolean;
    },
  ) {}

  /** True when the taps fire at `iteration` (1-based, over the whole run), as far as is known before it. */
  private fires(iteration: number): boolean {
    return iteration % this.s.every === 0 || iteration === this.s.planned;
  }

  /** An observer for an evaluation made for iteration `iteration`, or undefined when taps will not want it. */
  observer(iteration: number): { observation: Observation; observer: PassObserver } | undefined {
    if (!this.s.inPass || !this.fires(iteration)) return undefined;
    const observation = new Observation();
    const points = new Set(this.s.points.map((p) => p.index));
    return { observation, observer: { points, onActivation: (p, a) => observation.activations.push([p, tf.keep(tf.clone(a))]) } };
  }

  /** After an evaluation is read back: keeps its observation if its loss is the lowest of the iteration so far. */
  settle(observation: Observation, loss: number): void {
    if (loss < this.bestLoss) {
      this.best?.dispose();
      this.best = observation;
      this.bestLoss = loss;
    } else observation.dispose();
  }

  /**
   * At a step: calls the taps if they fire at this iteration (with the step's evaluation's activations, or a forward
   * pass of `x`), then frees what this iteration kept.
   */
  async step(iteration: number, last: boolean, evaluation: Evaluation, x: () => tf.Tensor4D): Promise<void> {
    const kept = this.best;
    this.best = undefined;
    this.bestLoss = Infinity;
    try {
      if (!this.fires(iteration) && !last) return;
      const { onActivation, points, pooling } = this.s;
      if (kept && (evaluation as ObservedEvaluation).observation === kept) {
        for (const [point, a] of kept.activations) await onActivation(point.name, a, { point, shape: a.shape, iteration });
        return;
      }
      const input = tf.tidy(() => preprocess(x(), this.model.architecture.input));
      try {
        const out = await forward(this.model, input, [], pooling, { points, onActivation, iteration });
        tf.dispose([...out.values()]);
      } finally {
        input.dispose();
      }
    } finally {
      kept?.dispose();
    }
  }

  /** Frees whatever an interrupted iteration kept. */
  dispose(): void {
    this.best?.dispose();
    this.best = undefined;
  }
}
