/**
 * The page test/browser/gpu-memory.test.ts drives (bundled by it with esbuild from the sources): starts WebGL or
 * WebGPU, optionally as a smaller GPU would be, loads the weights from /weights/ and exposes the calls the test
 * makes as `window.harness`.
 */
import * as tf from '@tensorflow/tfjs-core';
// Registered here: esbuild drops the adapter's own backend imports, since the package's `sideEffects` lists only
// dist/ files and this bundle takes the adapter from src/.
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import * as nst from '../../src/adapters/webgpu.js';
import { estimateMemory } from '../../src/core.js';

const MiB = 2 ** 20;

export interface StartOptions {
  /** WebGL: plan and run as a GPU whose MAX_TEXTURE_SIZE is this (TF.js then enforces it too). */
  maxTextureSize?: number;
  /** WebGPU: an adapter that reports WebGPU's default limits (128 MiB binding, 256 MiB buffer), as many phones do. */
  defaultWebGpuLimits?: boolean;
  /**
   * WebGPU: the device reports this binding and buffer size, in bytes, below WebGPU's minimum (which no real device
   * can be created with): how the test gets a suggested size small enough to run on a software GPU.
   */
  deviceBufferLimit?: number;
  /** Load the weights (for stylize calls). */
  model?: boolean;
}

/** What a refused call saw: the error, and tf.memory() before and after. */
export interface Refusal {
  code?: string;
  message: string;
  details?: Record<string, unknown>;
  before: MemorySnapshot;
  after: MemorySnapshot;
}

export interface MemorySnapshot {
  numTensors: number;
  numBytes: number;
  /** Bytes of GPU textures/buffers TF.js has allocated (WebGL: numBytesInGPUAllocated; WebGPU: numBytesAllocatedInGPU). */
  gpuAllocated: number;
}

let model: nst.Vgg19 | undefined;

function snapshot(): MemorySnapshot {
  const m = tf.memory() as tf.MemoryInfo & { numBytesInGPUAllocated?: number; numBytesAllocatedInGPU?: number };
  return { numTensors: m.numTensors, numBytes: m.numBytes, gpuAllocated: m.numBytesInGPUAllocated ?? m.numBytesAllocatedInGPU ?? 0 };
}

/** A 64x64 RGB image of smooth colours (the run resizes it to `size`). */
function image(seed: number): { data: Uint8Array; width: number; height: number } {
  const data = new Uint8Array(64 * 64 * 3);
  for (let i = 0; i < data.length; i++) data[i] = (Math.sin(i * 0.013 * seed) * 0.5 + 0.5) * 255;
  return { data, width: 64, height: 64 };
}

function limitWebGpuAdapter(): void {
  const gpu = (navigator as unknown as { gpu: { requestAdapter(o?: unknown): Promise<object | null> } }).gpu;
  const request = gpu.requestAdapter.bind(gpu);
  gpu.requestAdapter = async (o?: unknown) => {
    const adapter = await request(o);
    if (!adapter) return adapter;
    const lowered: Record<string, number> = { maxStorageBufferBindingSize: 128 * MiB, maxBufferSize: 256 * MiB };
    const limits = new Proxy((adapter as { limits: object }).limits, { get: (t, p) => (typeof p === 'string' && p in lowered ? lowered[p] : Reflect.get(t, p)) });
    return new Proxy(adapter, {
      get: (t, p) => {
        if (p === 'limits') return limits;
        const v = Reflect.get(t, p);
        return typeof v === 'function' ? v.bind(t) : v;
      },
    });
  };
}

const harness = {
  /** Starts the backend; returns its name, the real texture limit (WebGL) and the device limits (WebGPU). */
  async start(backend: 'webgl' | 'webgpu', o: StartOptions = {}) {
    let realMaxTextureSize: number | undefined;
    if (backend === 'webgl') {
      realMaxTextureSize = tf.env().getNumber('WEBGL_MAX_TEXTURE_SIZE');
      if (o.maxTextureSize) tf.env().set('WEBGL_MAX_TEXTURE_SIZE', o.maxTextureSize);
    }
    if (o.defaultWebGpuLimits) limitWebGpuAdapter();
    if (!(await tf.setBackend(backend))) throw new Error(`${backend} did not start`);
    await tf.ready();
    const device = (tf.backend() as unknown as { device?: { limits: Record<string, number> } }).device;
    if (device && o.deviceBufferLimit) {
      const lowered: Record<string, number> = { maxStorageBufferBindingSize: o.deviceBufferLimit, maxBufferSize: o.deviceBufferLimit };
      const real = device.limits;
      Object.defineProperty(device, 'limits', { value: new Proxy(real, { get: (t, p) => (typeof p === 'string' && p in lowered ? lowered[p] : Reflect.get(t, p)) }) });
    }
    if (o.model) model = await nst.loadVgg19({ weights: '/weights/' });
    return {
      backend: tf.getBackend(),
      realMaxTextureSize,
      maxTextureSize: backend === 'webgl' ? tf.env().getNumber('WEBGL_MAX_TEXTURE_SIZE') : undefined,
      limits: device && { maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize, maxBufferSize: device.limits.maxBufferSize },
    };
  },

  /** WebGL: plan with the context's real texture limit again. */
  restoreMaxTextureSize(n: number) {
    tf.env().set('WEBGL_MAX_TEXTURE_SIZE', n);
  },

  /** A stylize() call expected to be refused; reports the error and tf.memory() around it. */
  async refuse(options: nst.StylizeOptions): Promise<Refusal> {
    const content = image(1);
    const style = image(3);
    const before = snapshot();
    const err = await nst.stylize({ model: model!, content, style, iterations: 1, ...options }).then(
      (r) => {
        r.dispose();
        return new Error('not refused');
      },
      (e: unknown) => e as Error,
    );
    const after = snapshot();
    const e = err as Error & { code?: string; details?: Record<string, unknown> };
    return { code: e.code, message: e.message, details: e.details, before, after };
  },

  /** One iteration (Adam: one forward + backward pass) at `options.size`: the loss, the size, the tiles (if any) and tf.memory() after. */
  async runStep(options: nst.StylizeOptions) {
    const before = snapshot();
    const r = await nst.stylize({ model: model!, content: image(1), style: image(3), iterations: 1, optimizer: 'adam', ...options });
    const tiling = r.scales[0].tiling;
    const out = { width: r.width, height: r.height, loss: r.history[r.history.length - 1].loss.total, tiles: tiling?.tiles, tileSize: tiling?.tileSize };
    r.dispose();
    return { ...out, before, after: snapshot() };
  },

  /** estimateMemory's largest tensor on the running backend (no allocation). */
  largest(size: number, layers: string[]) {
    return estimateMemory({ height: size, width: size, lossPoints: layers.map((l) => nst.resolveLayer(l)), optimizer: 'adam', backend: tf.getBackend() }).largest;
  },

  /** WebGL: the conv a refused plan named, run directly through TF.js at that size (to show the limit is real). */
  rawConv(height: number, width: number, inChannels: number, outChannels: number): string {
    try {
      tf.tidy(() => tf.conv2d(tf.zeros([1, height, width, inChannels]) as tf.Tensor4D, tf.zeros([3, 3, inChannels, outChannels]) as tf.Tensor4D, 1, 'same').dataSync());
      return 'ran';
    } catch (e) {
      return (e as Error).message;
    }
  },
};

(window as unknown as { harness: typeof harness }).harness = harness;
export type Harness = typeof harness;
