import * as tf from '@tensorflow/tfjs-core';
import { StyleTransferError, describe, invalidOption } from '../errors.js';
import { architectureOf, VGG19, type NetworkArchitecture, type NetworkSpec } from './architecture.js';
import { LossNetwork, loadVgg19 } from './model.js';
import { loadWeights, throwIfAborted, validateLoadOptions, weightsToTensors, type LoadWeightsOptions } from '../weights/load.js';
import { sha256Hex } from '../weights/sha256.js';
import { assertBackendRegistered } from '../adapters/backend.js';

/** Options for {@link loadNetwork}: those of {@link loadVgg19}; `weights` is required for any network but VGG-19. */
export type LoadNetworkOptions = LoadWeightsOptions;

/**
 * Loads a loss network described by a spec (or a defined architecture) from weights in this library's manifest
 * format (a folder, a URL or a `WeightsSource`, as {@link loadVgg19} reads them; write one with `encodeWeights`).
 * The manifest must name the spec's `id` as its `architecture` and hold its conv layers in order with their
 * shapes; otherwise loading fails with WEIGHTS_ARCHITECTURE naming the layer and the expected shape. VGG-19's own
 * spec without `weights` loads the package's weights (a {@link Vgg19}).
 *
 * @example
 * ```ts
 * const vgg16 = await loadNetwork(VGG16_SPEC, { weights: 'models/vgg16/' });
 * const { relu5_3 } = await extractFeatures(vgg16, image, ['relu5_3']);
 * ```
 */
export async function loadNetwork(network: NetworkSpec | NetworkArchitecture, options: LoadNetworkOptions = {}): Promise<LossNetwork> {
  const arch = architectureOf(network);
  const opts = validateLoadOptions(options);
  if (opts.weights === undefined) {
    if (sameConvs(arch, VGG19)) return loadVgg19(opts);
    return invalidOption('weights', undefined, `the location of ${arch.name}'s weights (a folder, manifest path, URL or WeightsSource): the package ships VGG-19's only`);
  }
  throwIfAborted(opts.signal);
  await tf.ready();
  const decoded = await loadWeights(opts, arch);
  const { kernels, biases } = await weightsToTensors(decoded, opts.signal);
  return own(kernels, biases, opts.signal, () => new LossNetwork(arch, kernels, biases, decoded.manifest.weightsSha256, decoded.location, decoded.manifestSha256));
}

/** One conv layer's weights in memory: the kernel HWIO `[3, 3, in, out]` (a tensor, or its values flat in that order) and the bias `[out]`. */
export interface ConvWeightsInput {
  kernel: tf.Tensor | Float32Array | readonly number[];
  bias: tf.Tensor | Float32Array | readonly number[];
}

/**
 * A loss network from weights in memory, keyed by conv layer name (or a list in conv order). The values are
 * copied: the caller keeps (and disposes) what it passed. A missing layer, a shape or length that does not match
 * the spec, or a non-finite value fails with WEIGHTS_ARCHITECTURE naming the layer and the expected shape.
 * `weightsSha256` is the sha256 of the float32 values, kernel then bias, layer by layer.
 */
export async function networkFromWeights(
  network: NetworkSpec | NetworkArchitecture,
  weights: Readonly<Record<string, ConvWeightsInput>> | readonly ConvWeightsInput[],
): Promise<LossNetwork> {
  const arch = architectureOf(network);
  if (typeof weights !== 'object' || weights === null) return invalidOption('weights', weights, `${arch.name}'s conv weights: { [layer]: { kernel, bias } } or a list in conv order`);
  const list = Array.isArray(weights) ? weights : undefined;
  if (list && list.length !== arch.convs.length) mismatch(arch, 'weights', `${arch.convs.length} conv layers (${arch.convs[0].name} … ${arch.convs[arch.convs.length - 1].name})`, `${list.length}`);
  if (!list) {
    const extra = Object.keys(weights).find((k) => !arch.convs.some((c) => c.name === k));
    if (extra !== undefined) mismatch(arch, `weights.${extra}`, `one of ${arch.name}'s conv layers (${arch.convs.map((c) => c.name).join(', ')})`, 'a layer it does not have');
  }
  const values: Float32Array[] = [];
  arch.convs.forEach((c, i) => {
    const entry = list ? list[i] : (weights as Record<string, ConvWeightsInput>)[c.name];
    const at = list ? `weights[${i}] (${c.name})` : `weights.${c.name}`;
    if (typeof entry !== 'object' || entry === null) mismatch(arch, at, `{ kernel: [3,3,${c.inChannels},${c.outChannels}], bias: [${c.outChannels}] }`, describe(entry));
    values.push(flat(arch, `${at}.kernel`, entry.kernel, [3, 3, c.inChannels, c.outChannels]), flat(arch, `${at}.bias`, entry.bias, [c.outChannels]));
  });
  const bytes = new Uint8Array(values.reduce((a, v) => a + v.byteLength, 0));
  let offset = 0;
  for (const v of values) {
    bytes.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), offset);
    offset += v.byteLength;
  }
  const sha = await sha256Hex(bytes);
  // As every loader: the backend named (not TF.js's bare "No backend found") and initialised before a tensor is made.
  assertBackendRegistered();
  await tf.ready();
  const kernels: tf.Tensor4D[] = [];
  const biases: tf.Tensor1D[] = [];
  try {
    arch.convs.forEach((c, i) => {
      kernels.push(tf.tensor4d(values[2 * i], [3, 3, c.inChannels, c.outChannels]));
      biases.push(tf.tensor1d(values[2 * i + 1]));
    });
  } catch (e) {
    tf.dispose([...kernels, ...biases]);
    throw e;
  }
  return own(kernels, biases, undefined, () => new LossNetwork(arch, kernels, biases, sha, 'memory', ''));
}

/** Builds the model; on a failure or an abort frees every tensor (the model's, or the weights if it was not made). */
function own(kernels: tf.Tensor4D[], biases: tf.Tensor1D[], signal: AbortSignal | undefined, make: () => LossNetwork): LossNetwork {
  let model: LossNetwork;
  try {
    model = make();
  } catch (e) {
    tf.dispose([...kernels, ...biases]);
    throw e;
  }
  if (signal?.aborted) {
    model.dispose();
    throwIfAborted(signal);
  }
  return model;
}

/** The values of one tensor as float32, checked against the expected shape and for finiteness. */
function flat(arch: NetworkArchitecture, field: string, v: ConvWeightsInput['kernel'], shape: number[]): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const expected = `shape [${shape}] (${size} values)`;
  let out: Float32Array;
  if (v instanceof tf.Tensor) {
    if (v.isDisposed) mismatch(arch, field, expected, 'a disposed tensor');
    if (v.shape.length !== shape.length || v.shape.some((d, k) => d !== shape[k])) mismatch(arch, field, expected, `a tensor of shape [${v.shape}]`);
    out = Float32Array.from(v.dataSync());
  } else if (v instanceof Float32Array || Array.isArray(v)) {
    if (v.length !== size) mismatch(arch, field, expected, `${v.length} values`);
    out = Float32Array.from(v as ArrayLike<number>);
  } else return mismatch(arch, field, expected, describe(v));
  for (let k = 0; k < out.length; k++) if (!Number.isFinite(out[k])) mismatch(arch, field, 'finite values', `${out[k]} at index ${k}`);
  return out;
}

function mismatch(arch: NetworkArchitecture, field: string, expected: string, got: string): never {
  throw new StyleTransferError('WEIGHTS_ARCHITECTURE', `\`${field}\` is ${got}; ${arch.name} expects ${expected}.`, { field, expected, got, network: arch.name });
}

function sameConvs(a: NetworkArchitecture, b: NetworkArchitecture): boolean {
  return a.id === b.id && a.convs.length === b.convs.length && a.convs.every((c, i) => c.name === b.convs[i].name && c.inChannels === b.convs[i].inChannels && c.outChannels === b.convs[i].outChannels);
}
