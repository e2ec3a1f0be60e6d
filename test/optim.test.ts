/**
 * The optimisers on problems with known minima: L-BFGS (strong-Wolfe line search and fixed step) and Adam on a
 * convex quadratic ½xᵀAx − bᵀx (A SPD, minimum A⁻¹b) and on the 2-D Rosenbrock function (minimum (1, 1));
 * `cubicInterpolate` on cubics whose minimiser is known; and that the generators free every tensor they made,
 * both when they finish and when the caller stops them early with `return()`.
 *
 * Everything runs in float32 on the WASM backend, so tolerances are ~1e-3 relative, not 1e-8.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ready } from '../src/adapters/node.js';
import { adam, lbfgs, type Objective, type OptimizerStep } from '../src/core.js';
import { cubicInterpolate, warmStartStep } from '../src/optim/lbfgs.js';

beforeAll(async () => {
  await ready();
});

// ---- problems -------------------------------------------------------------------------------------------

/** A well-conditioned SPD matrix (condition number ~20) and a right-hand side, with the solution from doubles. */
function quadraticProblem(n = 6): { A: number[][]; b: number[]; solution: number[] } {
  // A = QᵀDQ + 0.5·I with a fixed "random" Q-ish matrix: M = 0.3·R, A = MᵀM + diag(1..n).
  const R = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => Math.sin(1 + 3 * i + 7 * j)));
  const A = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => R.reduce((s, row) => s + 0.3 * row[i] * 0.3 * row[j], 0) + (i === j ? 1 + 3 * i : 0)),
  );
  const b = Array.from({ length: n }, (_, i) => Math.cos(2 * i) * 5);
  return { A, b, solution: solve(A, b) };
}

/** Gaussian elimination with partial pivoting, in doubles. */
function solve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const m = A.map((r, i) => [...r, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = c + 1; r < n; r++) {
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  const x = new Array(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r][n];
    for (let k = r + 1; k < n; k++) s -= m[r][k] * x[k];
    x[r] = s / m[r][r];
  }
  return x;
}

/** f(x) = ½xᵀAx − bᵀx, ∇f = Ax − b, with tf ops; x is `[n, 1]`. Counts its evaluations. */
function quadraticObjective(A: number[][], b: number[]): Objective & { calls: number } {
  const n = b.length;
  const f = (async (x: tf.Tensor, direction?: tf.Tensor) => {
    f.calls++;
    const At = tf.tensor2d(A.flat(), [n, n]);
    const bt = tf.tensor2d(b, [n, 1]);
    const { read, grad } = tf.tidy(() => {
      const ax = tf.matMul(At, x as tf.Tensor2D);
      const loss = tf.sub(tf.mul(0.5, tf.sum(tf.mul(x, ax))), tf.sum(tf.mul(bt, x)));
      const grad = tf.sub(ax, bt);
      const gtd = direction ? tf.sum(tf.mul(grad, direction)) : tf.scalar(0);
      return { read: tf.stack([loss, gtd]), grad };
    });
    tf.dispose([At, bt]);
    const v = await read.data();
    read.dispose();
    return { loss: v[0], parts: [v[0]], grad, gtd: direction ? v[1] : undefined };
  }) as Objective & { calls: number };
  f.calls = 0;
  return f;
}

/** Rosenbrock f(x, y) = (1 − x)² + 100·(y − x²)², minimum 0 at (1, 1); x is `[2]`. */
const rosenbrock: Objective = async (p, direction) => {
  const { read, grad } = tf.tidy(() => {
    const x = tf.slice(p, [0], [1]);
    const y = tf.slice(p, [1], [1]);
    const r = tf.sub(y, tf.square(x)); // y − x²
    const oneMinusX = tf.sub(1, x);
    const loss = tf.sum(tf.add(tf.square(oneMinusX), tf.mul(100, tf.square(r))));
    // ∂f/∂x = −2(1 − x) − 400·x·(y − x²), ∂f/∂y = 200·(y − x²)
    const gx = tf.sub(tf.mul(-2, oneMinusX), tf.mul(400, tf.mul(x, r)));
    const gy = tf.mul(200, r);
    const grad = tf.concat([gx, gy]);
    const gtd = direction ? tf.sum(tf.mul(grad, direction)) : tf.scalar(0);
    return { read: tf.stack([loss, gtd]), grad };
  });
  const v = await read.data();
  read.dispose();
  return { loss: v[0], parts: [v[0]], grad, gtd: direction ? v[1] : undefined };
};

/** Runs a generator to the end; returns the last step's x (read back), loss, iteration count and steps seen. */
async function runToEnd(gen: AsyncGenerator<OptimizerStep>): Promise<{ x: number[]; loss: number; steps: OptimizerStep[]; iterations: number[]; converged?: string }> {
  let x: number[] = [];
  let loss = NaN;
  let converged: string | undefined;
  const iterations: number[] = [];
  const steps: OptimizerStep[] = [];
  for await (const step of gen) {
    // x and grad stay owned by the optimiser and are valid only until the next step: read them now.
    x = Array.from(await step.x.data());
    loss = step.evaluation.loss;
    converged = step.converged;
    iterations.push(step.iteration);
    steps.push(step);
  }
  return { x, loss, steps, iterations, converged };
}

const maxAbsDiff = (a: number[], b: number[]): number => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

// ---- tests ----------------------------------------------------------------------------------------------

describe('cubicInterpolate', () => {
  // f(x) = x³ − 3x: f' = 3x² − 3, local minimum at x = 1.
  const f = (x: number) => x ** 3 - 3 * x;
  const g = (x: number) => 3 * x * x - 3;

  it('finds the exact minimiser of a cubic from two points and slopes (either order)', () => {
    expect(cubicInterpolate(0, f(0), g(0), 2, f(2), g(2))).toBeCloseTo(1, 12);
    expect(cubicInterpolate(2, f(2), g(2), 0, f(0), g(0))).toBeCloseTo(1, 12);
    expect(cubicInterpolate(-0.5, f(-0.5), g(-0.5), 1.7, f(1.7), g(1.7))).toBeCloseTo(1, 12);
  });

  it('finds the minimiser of a general cubic and of a quadratic', () => {
    // h(x) = 2(x − 0.3)³ … use h(x) = x³/3 − 1.5x² + 2x + 5 → h' = x² − 3x + 2 = (x−1)(x−2): local minimum at 2.
    const h = (x: number) => x ** 3 / 3 - 1.5 * x * x + 2 * x + 5;
    const hp = (x: number) => x * x - 3 * x + 2;
    expect(cubicInterpolate(1.2, h(1.2), hp(1.2), 3, h(3), hp(3))).toBeCloseTo(2, 10);
    // A quadratic is a cubic with zero cubic term: its vertex.
    const q = (x: number) => 4 * (x - 0.3) ** 2 + 1;
    const qp = (x: number) => 8 * (x - 0.3);
    expect(cubicInterpolate(0, q(0), qp(0), 1, q(1), qp(1))).toBeCloseTo(0.3, 12);
  });

  it('clamps to the bounds, and falls back to the bounds midpoint when the cubic has no minimum', () => {
    // Minimiser 1 lies outside [0, 0.5] → clamped to 0.5; outside [1.5, 3] → 1.5.
    expect(cubicInterpolate(0, f(0), g(0), 2, f(2), g(2), [0, 0.5])).toBe(0.5);
    expect(cubicInterpolate(0, f(0), g(0), 2, f(2), g(2), [1.5, 3])).toBe(1.5);
    // Slopes −3 and −3 at points with f(0)=0, f(1)=−4: d1 = −6 + 12 = 6 … choose a case with d1² < g1·g2:
    // f1 = f2 = 0, g1 = g2 = 1 → d1 = 2, d1² − g1g2 = 3 ≥ 0; use g1 = g2 = 3, f1 = f2 → d1 = 6, 36 − 9 > 0 …
    // so take f1 − f2 such that d1 = 0: g1 = 1, g2 = 2, 3(f1 − f2)/(x1 − x2) = 3 → d1² − g1g2 = −2 < 0.
    expect(cubicInterpolate(0, 0, 1, 1, 1, 2)).toBe(0.5);
    expect(cubicInterpolate(0, 0, 1, 1, 1, 2, [0.2, 0.4])).toBeCloseTo(0.3, 15);
  });
});

describe('L-BFGS', () => {
  const { A, b, solution } = quadraticProblem();

  for (const lineSearch of ['strong-wolfe', 'none'] as const) {
    it(`minimises a convex quadratic (line search ${lineSearch}): x → A⁻¹b`, async () => {
      const before = tf.memory().numTensors;
      const x0 = tf.zeros([b.length, 1]);
      const objective = quadraticObjective(A, b);
      const res = await runToEnd(lbfgs(objective, x0, 60, { lineSearch }));
      x0.dispose();
      const fStar = -0.5 * b.reduce((s, bi, i) => s + bi * solution[i], 0); // f(A⁻¹b) = −½ bᵀA⁻¹b
      expect(maxAbsDiff(res.x, solution)).toBeLessThan(1e-3 * Math.max(...solution.map(Math.abs)));
      expect(Math.abs(res.loss - fStar)).toBeLessThan(1e-4 * Math.abs(fStar));
      // Iterations are numbered 1, 2, 3, … and the loss reported at the last step is the loss there.
      expect(res.iterations).toEqual(res.iterations.map((_, i) => i + 1));
      expect(res.steps.at(-1)!.evaluations).toBe(objective.calls);
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('with strong Wolfe, every accepted step decreases the loss (sufficient decrease)', async () => {
    const x0 = tf.tensor1d([-1.2, 1]);
    const losses: number[] = [];
    for await (const step of lbfgs(rosenbrock, x0, 10)) losses.push(step.evaluation.loss);
    x0.dispose();
    // f(−1.2, 1) = 24.2
    expect(losses[0]).toBeLessThan(24.2);
    for (let i = 1; i < losses.length; i++) expect(losses[i]).toBeLessThanOrEqual(losses[i - 1]);
  });

  it('minimises the 2-D Rosenbrock function from (−1.2, 1) to (1, 1) with strong Wolfe', async () => {
    const before = tf.memory().numTensors;
    const x0 = tf.tensor1d([-1.2, 1]);
    const res = await runToEnd(lbfgs(rosenbrock, x0, 200, { maxEvaluations: 1000 }));
    x0.dispose();
    // Measured: 35 iterations, 43 evaluations, |x − (1,1)| ≈ 4e-5, f ≈ 4e-10 (float32).
    expect(maxAbsDiff(res.x, [1, 1])).toBeLessThan(1e-3);
    expect(res.loss).toBeLessThan(1e-6);
    expect(res.iterations.length).toBeLessThan(80);
    expect(res.converged).toBeDefined();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('minimises Rosenbrock with a fixed step (line search none, learning rate < 1)', async () => {
    const before = tf.memory().numTensors;
    const x0 = tf.tensor1d([-1.2, 1]);
    const res = await runToEnd(lbfgs(rosenbrock, x0, 500, { lineSearch: 'none', learningRate: 0.25, maxEvaluations: 1000 }));
    x0.dispose();
    // Measured: 93 iterations (one evaluation each), |x − (1,1)| ≈ 6e-5.
    expect(maxAbsDiff(res.x, [1, 1])).toBeLessThan(2e-3);
    expect(res.loss).toBeLessThan(1e-5);
    expect(res.steps.at(-1)!.evaluations).toBe(res.iterations.length + 1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('initialStep s makes the first step move the largest coordinate by exactly s (torch: min(1, 1/‖g‖₁))', async () => {
    const before = tf.memory().numTensors;
    const x0 = tf.tensor1d([-1.2, 1]);
    // Gradient at (−1.2, 1): (−215.6, −88); with no line search the first step is t·(−g).
    for (const [initialStep, expected] of [[0.5, 0.5], ['torch', 215.6 / (215.6 + 88)]] as const) {
      const gen = lbfgs(rosenbrock, x0, 1, { lineSearch: 'none', initialStep });
      const step = (await gen.next()).value as OptimizerStep;
      const moved = Array.from(await step.x.data()).map((v, i) => Math.abs(v - [-1.2, 1][i]));
      expect(Math.max(...moved)).toBeCloseTo(expected, 4);
      await gen.return(undefined);
    }
    x0.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('initialCurvature H₀ makes the first step −H₀·g, taken at once by the line search; steps report the curvature', async () => {
    const before = tf.memory().numTensors;
    // A diagonal quadratic with curvature 4 everywhere: ½·4·|x|² − bᵀx, minimum b/4. H₀ = 1/4 is its exact inverse.
    const b = [8, -4, 2];
    const objective: Objective = async (x, direction) => {
      const [loss, gtd, grad] = tf.tidy(() => {
        const g = tf.sub(tf.mul(x, 4), tf.tensor1d(b));
        const f = tf.sub(tf.mul(tf.sum(tf.square(x)), 2), tf.sum(tf.mul(x, tf.tensor1d(b))));
        return [f, direction ? tf.sum(tf.mul(g, direction)) : tf.scalar(0), tf.keep(g)];
      });
      const [l, d] = [(await loss.data())[0], (await gtd.data())[0]];
      tf.dispose([loss, gtd]);
      return { loss: l, parts: [l], grad, gtd: direction ? d : undefined };
    };
    const x0 = tf.zeros([3]);
    const gen = lbfgs(objective, x0, 2, { initialCurvature: 0.25 });
    const first = (await gen.next()).value as OptimizerStep;
    // The start and one step: the exact minimiser.
    expect(first.evaluations).toBe(2);
    expect(Array.from(await first.x.data())).toEqual(b.map((v) => v / 4));
    expect(first.curvature).toBe(0.25);
    await gen.return(undefined);
    // Without it the first step is blind (initialStep: here a small one, which the search extrapolates), and the
    // curvature unknown until a pair exists.
    const blindGen = lbfgs(objective, x0, 1, { initialStep: 0.01 });
    const blind = (await blindGen.next()).value as OptimizerStep;
    expect(blind.evaluations).toBeGreaterThan(2);
    expect(blind.curvature).toBeUndefined();
    await blindGen.return(undefined);
    for (const bad of [0, -1, Number.NaN]) await expect(lbfgs(objective, x0, 1, { initialCurvature: bad }).next()).rejects.toThrow(/initialCurvature/);
    x0.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a warm start on a loss ≥ 0 lengthens a short unit step from f/|gᵀd| (warmStartStep), and only then', async () => {
    const before = tf.memory().numTensors;
    // ½|x − c|², minimum 0 at c; from 0 with H₀ = 0.05 (20x too little) the unit step reduces |g| only 5%, short of
    // the strong Wolfe curvature condition (10%), so the search extrapolates. With nonNegativeLoss the first step is
    // 0.4·f/|gᵀd| = 0.4·½|c|²/(0.05·|c|²) = 4: accepted at once.
    const c = [3, -1, 2];
    const objective: Objective = async (x, direction) => {
      const [loss, gtd, grad] = tf.tidy(() => {
        const g = tf.sub(x, tf.tensor1d(c));
        return [tf.mul(tf.sum(tf.square(g)), 0.5), direction ? tf.sum(tf.mul(g, direction)) : tf.scalar(0), tf.keep(g)];
      });
      const [l, d] = [(await loss.data())[0], (await gtd.data())[0]];
      tf.dispose([loss, gtd]);
      return { loss: l, parts: [l], grad, gtd: direction ? d : undefined };
    };
    const x0 = tf.zeros([3]);
    const firstStep = async (opts: { nonNegativeLoss?: boolean }) => {
      const gen = lbfgs(objective, x0, 1, { initialCurvature: 0.05, ...opts });
      const step = (await gen.next()).value as OptimizerStep;
      const x = Array.from(await step.x.data());
      await gen.return(undefined);
      return { evaluations: step.evaluations, x };
    };
    const plain = await firstStep({});
    const warm = await firstStep({ nonNegativeLoss: true });
    expect(plain.evaluations).toBeGreaterThan(2);
    expect(warm.evaluations).toBe(2);
    // x = 0 + 4 · 0.05 · c
    warm.x.forEach((v, i) => expect(v).toBeCloseTo(0.2 * c[i], 5));
    expect(warmStartStep(10, -1)).toBe(4);
    expect(warmStartStep(1e9, -1)).toBe(10); // at most 10x
    expect(warmStartStep(0.1, -1)).toBe(1); // never shorter than the unit step
    expect(warmStartStep(-5, -1)).toBe(1);
    x0.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stops at once when the starting gradient is already below tolerance', async () => {
    const { A: A2, b: b2, solution: s2 } = quadraticProblem(3);
    const x0 = tf.tensor2d(s2, [3, 1]);
    const res = await runToEnd(lbfgs(quadraticObjective(A2, b2), x0, 10, { toleranceGrad: 1e-3 }));
    x0.dispose();
    expect(res.iterations).toEqual([0]);
    expect(res.converged).toMatch(/gradient/);
  });

  it('does not free the caller\'s x0, and frees everything when returned early', async () => {
    const before = tf.memory().numTensors;
    const x0 = tf.tensor1d([-1.2, 1]);
    for (const lineSearch of ['strong-wolfe', 'none'] as const) {
      const gen = lbfgs(rosenbrock, x0, 100, { lineSearch, learningRate: lineSearch === 'none' ? 0.25 : 1 });
      for (let k = 0; k < 4; k++) {
        const r = await gen.next();
        expect(r.done).toBe(false);
        expect((r.value as OptimizerStep).iteration).toBe(k + 1);
      }
      const r = await gen.return(undefined);
      expect(r.done).toBe(true);
      expect((await gen.next()).done).toBe(true);
    }
    expect(x0.isDisposed).toBe(false);
    expect(Array.from(await x0.data())).toEqual([-1.2, 1].map(Math.fround));
    x0.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('frees everything when the objective throws, at whichever evaluation (first one, inside a line search, …)', async () => {
    // Rosenbrock's first line search from (−1.2, 1) takes several evaluations, so some failures land mid-search.
    const x0 = tf.tensor1d([-1.2, 1]);
    const before = tf.memory().numTensors;
    for (const lineSearch of ['strong-wolfe', 'none'] as const) {
      for (let failAt = 1; failAt <= 12; failAt++) {
        let calls = 0;
        const failing: Objective = async (x, d) => {
          if (++calls === failAt) throw new Error(`boom at ${failAt}`);
          return rosenbrock(x, d);
        };
        await expect(runToEnd(lbfgs(failing, x0, 50, { lineSearch, learningRate: lineSearch === 'none' ? 0.25 : 1 }))).rejects.toThrow(`boom at ${failAt}`);
        expect(tf.memory().numTensors, `${lineSearch}, objective failing at evaluation ${failAt}`).toBe(before);
      }
    }
    expect(x0.isDisposed).toBe(false);
    x0.dispose();
  });
});

describe('Adam', () => {
  it('minimises a convex quadratic: x → A⁻¹b', async () => {
    const { A, b, solution } = quadraticProblem();
    const before = tf.memory().numTensors;
    const x0 = tf.zeros([b.length, 1]);
    const res = await runToEnd(adam(quadraticObjective(A, b), x0, 1500, { learningRate: 0.05 }));
    x0.dispose();
    expect(maxAbsDiff(res.x, solution)).toBeLessThan(1e-2 * Math.max(...solution.map(Math.abs)));
    expect(res.iterations.length).toBe(1500);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('minimises Rosenbrock from (−1.2, 1) to near (1, 1)', async () => {
    const before = tf.memory().numTensors;
    const x0 = tf.tensor1d([-1.2, 1]);
    const res = await runToEnd(adam(rosenbrock, x0, 4000, { learningRate: 0.02 }));
    x0.dispose();
    // Measured: |x − (1,1)| ≈ 2e-6 after 4000 updates.
    expect(maxAbsDiff(res.x, [1, 1])).toBeLessThan(1e-2);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reports the loss at the point each update started from (first step: the loss at x0)', async () => {
    const x0 = tf.tensor1d([-1.2, 1]);
    const gen = adam(rosenbrock, x0, 5, { learningRate: 0.01 });
    const first = (await gen.next()).value as OptimizerStep;
    expect(first.evaluation.loss).toBeCloseTo(24.2, 4);
    expect(first.iteration).toBe(1);
    await gen.return(undefined);
    x0.dispose();
  });

  it('frees everything when the objective throws', async () => {
    const x0 = tf.tensor1d([-1.2, 1]);
    const before = tf.memory().numTensors;
    for (const failAt of [1, 2, 5]) {
      let calls = 0;
      const failing: Objective = async (x, d) => {
        if (++calls === failAt) throw new Error('boom');
        return rosenbrock(x, d);
      };
      await expect(runToEnd(adam(failing, x0, 10))).rejects.toThrow('boom');
      expect(tf.memory().numTensors).toBe(before);
    }
    x0.dispose();
  });

  it('frees everything when returned early and leaves x0 alone', async () => {
    const before = tf.memory().numTensors;
    const x0 = tf.tensor1d([-1.2, 1]);
    const gen = adam(rosenbrock, x0, 100);
    for (let k = 0; k < 3; k++) await gen.next();
    await gen.return(undefined);
    expect(x0.isDisposed).toBe(false);
    x0.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
