// The page bench/gpu.mjs drives in Chromium (bundled with esbuild from the sources). Exposes window.gpuBench.
import * as tf from '@tensorflow/tfjs-core';
// Registered here: the adapter's own backend imports are dropped by esbuild (the package's sideEffects list names
// only dist/ files, and this bundle takes the adapter from src/).
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import * as nst from '../src/adapters/webgpu.ts';
import { noiseImage } from '../src/core.ts';
import { genericKernels, wasmKernels } from '../src/kernels/index.ts';
import { inversePermutationBySort, inversePermutationInMemory, unsortByGather, unsortByScatter, unsortInMemory } from '../src/kernels/unsort.ts';
import { transformWeights, winogradConv2d, winogradTensors } from '../src/kernels/winograd.ts';
import { winogradTileFor } from '../src/kernels/winograd-plan.ts';
import { NETWORK_POINTS } from '../src/core/layers.ts';

/** conv1_1 … conv5_1: each conv's name and the stride at its input. */
const CONVS = NETWORK_POINTS.filter((p) => p.kind === 'conv').slice(0, 13);
const SOFTWARE = /swiftshader|llvmpipe|softpipe|software|basic render/i;

/**
 * Counts GPU→CPU read-backs: `reads` at the engine (every tensor data()/dataSync()/array(): what the library asks
 * for), `backendReads` at the backend (those plus any a kernel makes itself).
 */
const reads = { count: 0, backend: 0 };
function wrapReads(target, key) {
  for (const name of ['read', 'readSync']) {
    const f = target[name];
    if (typeof f !== 'function') continue;
    target[name] = function (...a) {
      reads[key]++;
      return f.apply(this, a);
    };
  }
}
function countReads() {
  const b = tf.backend();
  if (b.__nstCounted) return;
  b.__nstCounted = true;
  wrapReads(b, 'backend');
  if (!tf.engine().__nstCounted) {
    tf.engine().__nstCounted = true;
    wrapReads(tf.engine(), 'count');
  }
}

function gpuBytes() {
  const m = tf.memory();
  return { inUse: m.numBytesInGPU ?? 0, allocated: m.numBytesInGPUAllocated ?? m.numBytesAllocatedInGPU ?? 0 };
}

async function webglInfo() {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) return { available: false };
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
  const vendor = ext ? gl.getParameter(ext.UNMASKED_VENDOR_WEBGL) : gl.getParameter(gl.VENDOR);
  return { available: true, renderer, vendor, maxTextureSize: gl.getParameter(gl.MAX_TEXTURE_SIZE), software: SOFTWARE.test(renderer), float32: !!gl.getExtension('EXT_color_buffer_float') };
}

async function webgpuInfo() {
  if (!navigator.gpu) return { available: false, reason: 'no navigator.gpu' };
  const a = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!a) return { available: false, reason: 'requestAdapter() returned null' };
  const i = a.info ?? {};
  const name = [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' ');
  return {
    available: true,
    adapter: { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description },
    name,
    isFallbackAdapter: !!(a.isFallbackAdapter ?? i.isFallbackAdapter),
    software: !!(a.isFallbackAdapter ?? i.isFallbackAdapter) || SOFTWARE.test(name),
    limits: { maxStorageBufferBindingSize: a.limits.maxStorageBufferBindingSize, maxBufferSize: a.limits.maxBufferSize },
  };
}

let model;
const image = (seed) => tf.tidy(() => tf.clipByValue(noiseImage(512, 512, seed), 0, 255));

window.gpuBench = {
  /** What this browser offers: WebGL's renderer, WebGPU's adapter. */
  async probe() {
    return { webgl: await webglInfo(), webgpu: await webgpuInfo(), userAgent: navigator.userAgent };
  },

  async start(backend) {
    if (!(await tf.setBackend(backend))) throw new Error(`the ${backend} backend did not start`);
    await tf.ready();
    countReads();
    const t = performance.now();
    model ??= await nst.loadVgg19({ weights: '/weights/' });
    return { backend: tf.getBackend(), loadMs: performance.now() - t };
  },

  /**
   * `reps + 1` Adam iterations (one forward + backward pass each) at `size`: the first iteration's time (targets,
   * shader compilation), the median of the others, read-backs per iteration and the peak GPU bytes.
   */
  async iterations(size, reps, memoryBudget) {
    const content = image(1);
    const style = image(2);
    const times = [];
    let first;
    let peak = gpuBytes();
    const t0 = performance.now();
    let last = t0;
    let readsAfterFirst = reads.count;
    const r = await nst.stylize({
      model, content, style, size, iterations: reps + 1, optimizer: 'adam', memoryBudget,
      onIteration: (i) => {
        const t = performance.now();
        if (i.iteration === 1) {
          first = t - t0;
          readsAfterFirst = reads.count;
        } else times.push(t - last);
        last = t;
        const m = gpuBytes();
        peak = { inUse: Math.max(peak.inUse, m.inUse), allocated: Math.max(peak.allocated, m.allocated) };
      },
    });
    const out = {
      width: r.width, height: r.height, firstIterationMs: first, iterationMs: times,
      msPerIteration: [...times].sort((a, b) => a - b)[times.length >> 1],
      readsPerIteration: (reads.count - readsAfterFirst) / Math.max(1, times.length),
      peakGpuBytesInUse: peak.inUse, peakGpuBytesAllocated: peak.allocated,
    };
    r.dispose();
    tf.dispose([content, style]);
    return out;
  },

  /** Read-backs per iteration of a whole stylize() run with each optimiser (default options but the statistic). */
  async readbacks(size, iterations, styleStatistic = 'gram') {
    const out = {};
    for (const optimizer of ['adam', 'lbfgs']) {
      const content = image(3);
      const style = image(4);
      // From the end of the first iteration to the end of the last: the loop's own reads.
      let from;
      const r = await nst.stylize({ model, content, style, size, iterations, optimizer, styleStatistic, onIteration: (i) => {
        if (i.iteration === 1) from = { reads: reads.count, backend: reads.backend, evaluations: i.evaluations };
      } });
      const n = r.iterations - 1;
      out[optimizer] = { iterations: n, evaluations: r.evaluations - from.evaluations, reads: reads.count - from.reads, backendReads: reads.backend - from.backend, readsPerIteration: (reads.count - from.reads) / n, backendReadsPerIteration: (reads.backend - from.backend) / n };
      r.dispose();
      tf.dispose([content, style]);
    }
    return out;
  },

  /**
   * Median milliseconds of each kernel variant at the shapes a run at `size` px uses, each call synchronised by one
   * read. The variants of an operation take turns (round-robin, after one warm-up call each), so drift in a shared
   * machine's load hits them alike. `only`: a subset of 'gram', 'pool', 'conv', 'winograd', 'unsort'.
   */
  async kernels(size, reps, only = ['gram', 'pool', 'conv', 'winograd']) {
    const compare = async (variants) => {
      const once = async (make) => {
        const t = performance.now();
        const y = make();
        await y.data();
        y.dispose();
        return performance.now() - t;
      };
      const ts = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
      for (const make of Object.values(variants)) await once(make);
      for (let k = 0; k < reps; k++) for (const [name, make] of Object.entries(variants)) ts[name].push(await once(make));
      return Object.fromEntries(Object.entries(ts).map(([k, v]) => [k, v.sort((a, b) => a - b)[v.length >> 1]]));
    };
    const res = {};
    if (only.includes('gram')) {
      for (const [name, rows, channels] of [['gram conv1', size * size, 64], ['gram conv3', (size * size) / 16, 256]]) {
        const f = tf.randomUniform([rows, channels]);
        res[name] = await compare({
          generic: () => genericKernels.gram(f),
          wasmBlockedTranspose: () => wasmKernels.gram(f),
          transposeA: () => tf.matMul(f, f, true, false),
        });
        f.dispose();
      }
    }
    if (only.includes('pool')) {
      const reluOut = tf.relu(tf.randomNormal([1, size, size, 64]));
      const pooled = tf.maxPool(reluOut, 2, 2, 'valid');
      const dy = tf.randomNormal(pooled.shape);
      res['relu+maxpool backward'] = await compare({
        generic: () => genericKernels.reluMaxPoolBackward(dy, reluOut, pooled),
        wasmFused: () => wasmKernels.reluMaxPoolBackward(dy, reluOut, pooled),
      });
      tf.dispose([reluOut, pooled, dy]);
    }
    if (only.includes('conv')) {
      // Conv stack to relu5_1, bias + ReLU separate vs fused (tf.fused.conv2d).
      const x0 = tf.randomUniform([1, size, size, 3], -100, 100);
      const stack = (fused) => () =>
        tf.tidy(() => {
          let x = x0;
          let i = 0;
          for (const [b, n] of [[1, 2], [2, 2], [3, 4], [4, 4], [5, 1]]) {
            for (let j = 0; j < n; j++, i++) {
              x = fused
                ? tf.fused.conv2d({ x, filter: model.kernel(i), strides: 1, pad: 'same', bias: model.bias(i), activation: 'relu' })
                : tf.relu(tf.add(tf.conv2d(x, model.kernel(i), 1, 'same'), model.bias(i)));
            }
            if (b < 5) x = tf.maxPool(x, 2, 2, 'valid');
          }
          return tf.sum(x);
        });
      res['conv stack to relu5_1'] = await compare({ separate: stack(false), fused: stack(true) });
      x0.dispose();
    }
    if (only.includes('winograd')) {
      // Issue 16's question for the GPUs: would the WASM kernel's Winograd F(2,3) pay here? Every conv (forward and
      // backward) that WASM's table runs as Winograd at this size, tf.conv2d vs winogradConv2d, and their sum.
      const side = CONVS.map((c) => Math.floor(size / c.stride));
      const total = { conv2d: 0, winograd: 0 };
      for (let i = 0; i < side.length; i++) {
        const [, , cin, cout] = model.kernel(i).shape;
        for (const [direction, kernel, inChannels, outChannels] of [['forward', model.kernel(i), cin, cout], ['backward', model.flippedKernel(i), cout, cin]]) {
          const tile = winogradTileFor({ height: side[i], width: side[i], inChannels, outChannels });
          if (tile === undefined) continue;
          const x = tf.randomNormal([1, side[i], side[i], inChannels]);
          const w = transformWeights(kernel, tile);
          const ms = await compare({ conv2d: () => tf.conv2d(x, kernel, 1, 'same'), winograd: () => winogradConv2d(x, w) });
          res[`${CONVS[i].name} ${direction} ${side[i]}px ${inChannels}→${outChannels}`] = { conv2d: +ms.conv2d.toFixed(1), winograd: +ms.winograd.toFixed(1) };
          total.conv2d += ms.conv2d;
          total.winograd += ms.winograd;
          tf.dispose([x, ...winogradTensors(w)]);
        }
      }
      res['winograd layers, total'] = { conv2d: Math.round(total.conv2d), winograd: Math.round(total.winograd), speedup: +(total.conv2d / total.winograd).toFixed(3) };
    }
    if (only.includes('unsort')) {
      // The sorting style statistics' sort + un-sort (Kernels.unsort) at relu1_1's and relu3_1's shapes: topk of
      // the K×N rows, a gradient made on the device from its values, then each un-sort form; `reads`: engine reads
      // one call makes besides the timing's own, `backendReads` those plus a kernel's own (WebGL's topk with k > 128 runs on
      // the CPU). No ScatterND on WebGL: its shader loops over all K·N values per output (62 s for 64 x 1024).
      for (const [name, k, n] of [['relu1_1', 64, size * size], ['relu3_1', 256, (size * size) / 16]]) {
        const x = tf.randomNormal([k, n]);
        const chain = (unsort) => () =>
          tf.tidy(() => {
            const { values, indices } = tf.topk(x, n, true);
            return unsort(tf.mul(values, 2), indices);
          });
        const variants = {
          sortOnly: chain((v) => tf.clone(v)),
          // On SwiftShader's WebGPU a dataSync() followed by other work loses the device (mapAsync: 'A valid
          // external Instance reference no longer exists'), so the forms that read in JS are timed on WebGL only.
          ...(tf.getBackend() === 'webgl' && {
            jsLoop: chain(unsortInMemory),
            gatherJsInverse: chain((v, i) => unsortByGather(v, inversePermutationInMemory(i))),
          }),
          gatherSortInverse: chain((v, i) => unsortByGather(v, inversePermutationBySort(i))),
          ...(tf.getBackend() !== 'webgl' && { scatter: chain(unsortByScatter) }),
        };
        // A variant that fails (SwiftShader's WebGPU loses its device on some) is reported, not timed.
        const failed = {};
        for (const [v, make] of Object.entries(variants)) {
          try {
            const y = make();
            await y.data();
            y.dispose();
          } catch (e) {
            failed[v] = String(e.message ?? e).split('\n')[0];
            delete variants[v];
          }
        }
        const ms = await compare(variants);
        const readsOf = {};
        for (const [v, make] of Object.entries(variants)) {
          const from = { ...reads };
          const y = make();
          readsOf[v] = { reads: reads.count - from.count, backendReads: reads.backend - from.backend };
          await y.data();
          y.dispose();
        }
        res[`unsort ${name} ${k}x${n}`] = Object.fromEntries(Object.keys(variants).map((v) => [v, { ms: +ms[v].toFixed(1), ...readsOf[v] }]).concat(Object.entries(failed).map(([v, e]) => [v, { error: e }])));
        x.dispose();
      }
    }
    return res;
  },
};
