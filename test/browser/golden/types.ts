/** What the golden page (page.ts) measures on one backend and hands to test/browser/golden.test.ts. */

export interface LayerSummary {
  shape: number[];
  mean: number;
  std: number;
  max: number;
  fractionZero: number;
  /** Mean over H and W of channels 0…7. */
  channelMeans: number[];
  /** The activation at each of the fixture's five positions. */
  positions: number[];
  /** Entries that are Inf or NaN. */
  nonFinite: number;
}

export interface GramSummary {
  trace: number;
  sum: number;
  /** G[0][0…7]. */
  row0: number[];
}

export interface GoldenRun {
  /** The TF.js backend that ran (`webgl`, `webgpu`). */
  backend: string;
  /** Bits per stored float, as the library's floatPrecision() sees it (16 when WebGL runs on half-float textures). */
  floatBits: number;
  /** A 32 px, one-iteration stylize() on this backend: whether it ran, or the error code it rejected with. */
  stylizeProbe: { ok: boolean; code?: string; message?: string };
  /** WebGL renderer string or WebGPU adapter vendor/architecture. */
  device: string;
  /** Post-ReLU activations of tubingen-224, by Keras layer name (this and the rest: absent with ?pass=probe). */
  layers?: Record<string, LayerSummary>;
  gram?: Record<'tubingen' | 'starry_night', Record<string, GramSummary>>;
  styleLoss?: {
    /** styleLoss() values through the backend's tf.sum: "mean" (weight 1) and "paper" (weight 1/5). */
    tf: Record<string, { mean: number; paper: number }>;
    /** Σ(Gx − Gs)² over the downloaded Grams, in JS doubles. */
    sumSqDiffJs: Record<string, number>;
  };
  contentLoss?: { mean: number; paper: number; sumSqDiffJs: number };
  /** The full loss and its gradient; absent when the page ran forward passes only (?pass=forward). */
  fullLoss?: {
    content: number;
    style: number;
    tv: number;
    total: number;
    grad: { l2Norm: number; maxAbs: number; sum: number; positions: number[]; nonFinite: number };
  };
  /** Tensors left after the checks minus before (0 when nothing leaked). */
  leakedTensors: number;
  timings: Record<string, number>;
}
