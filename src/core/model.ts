import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError } from '../errors.js';
import { VGG19, type NetworkArchitecture } from './architecture.js';
import type { LayerName } from './vgg-names.js';
import { loadWeights, throwIfAborted, validateLoadOptions, weightsToTensors, type LoadWeightsOptions } from '../weights/load.js';

/** Options for {@link loadVgg19}. */
export type LoadVgg19Options = LoadWeightsOptions;

/**
 * A loaded loss network: its {@link NetworkArchitecture} (points, layer names, conv shapes) and its conv weights as
 * tensors on the active backend until {@link LossNetwork.dispose} is called. Made by {@link loadVgg19} (a
 * {@link Vgg19}), {@link loadNetwork} (weights in the manifest format) or {@link networkFromWeights} (arrays in
 * memory); reuse one across calls. Every feature resolves layer names through the model it is given.
 */
export class LossNetwork<N extends string = string> {
  /** The network's geometry and layer names: `architecture.resolve('relu5_3')`, `architecture.points`. */
  readonly architecture: NetworkArchitecture<N>;
  /** Canonical conv layer names in order. */
  readonly convLayers: readonly N[];
  /** sha256 of the concatenated weights (for reproducibility records). */
  readonly weightsSha256: string;
  /**
   * sha256 (hex) of the manifest file the weights were loaded from: pass it as `integrity` to
   * {@link loadVgg19} to load exactly these weights again, or to refuse any others. Empty for weights given in memory.
   */
  readonly manifestSha256: string;
  /** Where the weights were loaded from. */
  readonly location: string;
  private readonly kernels: tf.Tensor4D[];
  private readonly biases: tf.Tensor1D[];
  private flipped: tf.Tensor4D[];
  private isDisposed = false;

  /** @internal use {@link loadVgg19}, {@link loadNetwork} or {@link networkFromWeights}. */
  constructor(architecture: NetworkArchitecture<N>, kernels: tf.Tensor4D[], biases: tf.Tensor1D[], weightsSha256: string, location: string, manifestSha256: string) {
    this.architecture = architecture;
    this.convLayers = architecture.convs.map((c) => c.name as N);
    this.kernels = kernels;
    this.biases = biases;
    // Flipped once here, not per iteration or lazily, so a model's tensor count never changes after loading.
    this.flipped = [];
    try {
      for (const k of kernels) this.flipped.push(tf.tidy(() => tf.transpose(tf.reverse(k, [0, 1]), [0, 1, 3, 2])));
    } catch (e) {
      tf.dispose(this.flipped); // the caller still owns (and frees) kernels and biases
      throw e;
    }
    this.weightsSha256 = weightsSha256;
    this.manifestSha256 = manifestSha256;
    this.location = location;
  }

  get disposed(): boolean {
    return this.isDisposed;
  }

  /** @internal kernel of conv layer `i` (HWIO [3,3,in,out]). */
  kernel(i: number): tf.Tensor4D {
    this.assertLive();
    return this.kernels[i];
  }

  /** @internal bias of conv layer `i`. */
  bias(i: number): tf.Tensor1D {
    this.assertLive();
    return this.biases[i];
  }

  /**
   * @internal The kernel rotated 180° with in/out channels swapped ([3,3,out,in]), made once, at load. For a
   * stride-1 'same' conv with an odd kernel, the input gradient is a forward conv of dy with it: much faster than
   * Conv2DBackpropInput on WASM and identical in value.
   */
  flippedKernel(i: number): tf.Tensor4D {
    this.assertLive();
    return this.flipped[i];
  }

  /** @internal True when a pool follows conv `i` (the resolution halves after it). */
  poolAfter(i: number): boolean {
    return this.architecture.convs[i].poolAfter;
  }

  /** Bytes held by this model's tensors (weights plus the flipped kernels used for gradients). */
  get bytes(): number {
    return [...this.kernels, ...this.biases, ...this.flipped].reduce((a, t) => a + t.size * 4, 0);
  }

  /** Frees every tensor the model holds. Calling it twice is harmless. */
  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    for (const t of [...this.kernels, ...this.biases, ...this.flipped]) t.dispose();
    this.flipped = [];
  }

  private assertLive(): void {
    if (this.isDisposed) {
      const how = this instanceof Vgg19 ? 'loadVgg19()' : 'loadNetwork()';
      throw new StyleTransferError('MODEL_DISPOSED', `This ${this.architecture.name} model was disposed: load a new one with ${how}.`, { network: this.architecture.name });
    }
  }
}

/**
 * A loaded VGG-19 (the 16 conv layers), the library's default loss network. Create one with {@link loadVgg19}.
 */
export class Vgg19 extends LossNetwork<LayerName> {
  /** @internal use {@link loadVgg19}. */
  constructor(kernels: tf.Tensor4D[], biases: tf.Tensor1D[], weightsSha256: string, location: string, manifestSha256: string) {
    super(VGG19, kernels, biases, weightsSha256, location, manifestSha256);
  }
}

/**
 * Loads VGG-19's conv weights and returns a {@link Vgg19}. In Node (with `neural-style-tfjs/node`) the package's
 * own weights are read from disk by default; in browsers they are fetched from beside the package's files, or
 * from `weights` (a URL). The manifest is validated field by field, sizes are capped and checked, and the bytes
 * are verified against their sha256; `integrity` pins the whole set, `signal` aborts (rejecting with ABORTED and
 * keeping no tensor). Every failure is a {@link StyleTransferError} whose code names it.
 *
 * @example
 * ```ts
 * import { loadVgg19, extractFeatures } from 'neural-style-tfjs/node';
 * const vgg = await loadVgg19();
 * const feats = await extractFeatures(vgg, image, ['relu3_1']);
 * ```
 */
export async function loadVgg19(options: LoadVgg19Options = {}): Promise<Vgg19> {
  const opts = validateLoadOptions(options);
  throwIfAborted(opts.signal);
  await tf.ready();
  const decoded = await loadWeights(opts);
  const { kernels, biases } = await weightsToTensors(decoded, opts.signal);
  let model: Vgg19;
  try {
    model = new Vgg19(kernels, biases, decoded.manifest.weightsSha256, decoded.location, decoded.manifestSha256);
  } catch (e) {
    tf.dispose([...kernels, ...biases]);
    throw e;
  }
  if (opts.signal?.aborted) {
    model.dispose();
    throwIfAborted(opts.signal);
  }
  return model;
}
