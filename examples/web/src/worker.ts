/// <reference lib="webworker" />
/**
 * The page's worker: all TensorFlow.js work happens here, so the page's main thread only draws. It imports the
 * library's browser adapter (`neural-style-tfjs/webgl`, or `/webgpu` when the page asks for it), loads VGG-19
 * once into one stylizer session (which runs one call at a time, so a run started right after a cancel waits
 * until the cancelled one has stopped), keeps a prepared style handle per style image (so re-running with the
 * same style reuses its Gram matrices) and answers the messages in protocol.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { StyleHandle, Stylizer, StylizeOptions, StylizeResult, Vgg19 } from 'neural-style-tfjs';
import { fitSize, resizeImage, toImageTensor } from 'neural-style-tfjs/core';
import type { FeatureTile, FromWorker, Pixels, StylizeParams, ToWorker } from './protocol';
import { gramTracker, receptiveField } from './worker-insight';
import { regionMasks, regionOptions } from './worker-regions';
import { runVideo } from './worker-video';

type Lib = typeof import('neural-style-tfjs/webgl');

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (msg: FromWorker, transfer: Transferable[] = []): void => scope.postMessage(msg, transfer);

let lib: Lib | undefined;
let setup: Promise<{ lib: Lib; model: Vgg19; stylizer: Stylizer }> | undefined;
const runs = new Map<number, AbortController>();
/** Prepared styles by the page's style key (the same key means the same pixels); the two most recent are kept. */
const styleHandles = new Map<string, Promise<StyleHandle>>();
/** The same pixel objects for the same image, for the feature view. */
const images = new Map<string, Pixels>();

scope.onmessage = (ev: MessageEvent<ToWorker>) => {
  const msg = ev.data;
  switch (msg.type) {
    case 'init':
      setup ??= init(msg.backend, msg.weightsUrl);
      setup.catch((e) => post({ type: 'error', message: messageOf(e), code: codeOf(e) }));
      break;
    case 'stylize':
      void runStylize(msg);
      break;
    case 'cancel':
      runs.get(msg.id)?.abort(new Error('cancelled by the user'));
      break;
    case 'estimate':
      void estimate(msg);
      break;
    case 'features':
      void runFeatures(msg);
      break;
    case 'receptive-field':
      void runReceptiveField(msg);
      break;
    case 'video':
      void runVideoMsg(msg);
      break;
    case 'region-masks':
      try {
        const out = regionMasks(msg);
        post(out, out.layers.map((l) => l.masks.buffer));
      } catch (e) {
        post({ type: 'error', id: msg.id, message: messageOf(e), code: codeOf(e) });
      }
      break;
  }
};

async function init(backend: 'webgl' | 'webgpu', weightsUrl: string) {
  lib = backend === 'webgpu' ? ((await import('neural-style-tfjs/webgpu')) as unknown as Lib) : await import('neural-style-tfjs/webgl');
  const D = lib.STYLIZE_DEFAULTS;
  post({ type: 'defaults', values: { size: D.size, iterations: D.iterations, contentWeight: D.contentWeight, styleWeight: D.styleWeight, tvWeight: D.tvWeight }, styleWeightNormalized: D.styleWeightNormalized });
  const name = await lib.ready();
  post({ type: 'backend', backend: name, renderer: rendererName(name) });
  const t0 = performance.now();
  let total = 0;
  const model = await lib.loadVgg19({
    weights: weightsUrl,
    onProgress: (p) => {
      total = p.total;
      post({ type: 'weights-progress', loaded: p.loaded, total: p.total });
    },
  });
  post({ type: 'weights-loaded', bytes: total, ms: performance.now() - t0, fromCache: weightsCameFromCache() });
  return { lib, model, stylizer: await lib.createStylizer({ model }) };
}

/** Which GPU the backend drew on, e.g. "SwiftShader" in headless Chromium. */
function rendererName(backend: string): string | undefined {
  try {
    if (backend === 'webgl') {
      const gl = (tf.backend() as unknown as { gpgpu: { gl: WebGL2RenderingContext } }).gpgpu.gl;
      const ext = gl.getExtension('WEBGL_debug_renderer_info');
      return String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    }
    if (backend === 'webgpu') {
      const info = (tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string } }).adapterInfo;
      return [info?.vendor, info?.architecture].filter(Boolean).join(' ') || undefined;
    }
  } catch {
    /* informational only */
  }
  return undefined;
}

/**
 * True when no weight shard's body came over the network: each was served from the browser's HTTP cache,
 * either directly (transferSize 0) or after the server confirmed it unchanged (a 304: only headers travel).
 */
function weightsCameFromCache(): boolean {
  const shards = performance.getEntriesByType('resource').filter((e) => /vgg19-shard.*\.bin/.test(e.name)) as PerformanceResourceTiming[];
  return shards.length > 0 && shards.every((e) => e.encodedBodySize > 0 && e.transferSize < e.encodedBodySize / 2);
}

function keep(key: string, px: Pixels): Pixels {
  const old = images.get(key);
  if (old) return old;
  if (images.size > 8) images.clear();
  images.set(key, px);
  return px;
}

/** The style handle for a style key (one image, or several for regions), prepared on first use; older handles beyond two are disposed. */
function styleFor(stylizer: Stylizer, key: string, pixels: Pixels | Pixels[]): Promise<StyleHandle> {
  let handle = styleHandles.get(key);
  if (handle) {
    styleHandles.delete(key); // re-inserted: most recently used last
  } else {
    handle = stylizer.prepareStyle(pixels);
    handle.catch(() => styleHandles.delete(key));
  }
  styleHandles.set(key, handle);
  for (const [k, old] of styleHandles) {
    if (styleHandles.size <= 2) break;
    styleHandles.delete(k);
    void old.then((h) => h.dispose(), () => undefined); // a run using it finishes first
  }
  return handle;
}

/** The library's options for the page's parameters: the same for the plan and the run. */
function runOptions(p: StylizeParams): StylizeOptions {
  return {
    size: p.size,
    // One scale: the page's time estimate and progress bar count every iteration at `size` (without `scales` the
    // library runs sizes above 1024 px coarse-to-fine).
    scales: [1],
    iterations: p.iterations,
    optimizer: p.optimizer,
    contentLayers: p.contentLayers,
    styleLayers: p.styleLayers,
    contentWeight: p.contentWeight,
    styleWeight: p.styleWeight,
    tvWeight: p.tvWeight,
    preserveColors: p.preserveColors,
    init: p.init,
    styleStatistic: p.styleStatistic,
    normalizeGradients: p.normalizeGradients,
    previewEvery: p.previewEvery,
    memoryBudget: p.memoryBudget,
  };
}

/** What the library plans for a run (tiles, memory), or why it refuses and what size would fit. */
async function estimate(msg: Extract<ToWorker, { type: 'estimate' }>): Promise<void> {
  if (!setup) return;
  const { stylizer } = await setup;
  const { id, params: { size } } = msg;
  try {
    const plan = await stylizer.plan(msg.content, msg.style, runOptions(msg.params));
    const last = plan.scales[plan.scales.length - 1];
    const t = last.tiling;
    // A tiled evaluation computes each tile's crop (interior + halo on each side), and runs a second forward pass.
    const crops = t ? t.tiles * Math.min(last.height, t.tileSize + 2 * t.halo) * Math.min(last.width, t.tileSize + 2 * t.halo) : 0;
    post({
      type: 'estimate', id, size,
      plan: {
        fits: true, memoryBytes: Math.max(...plan.scales.map((s) => s.memoryBytes)), budgetBytes: plan.memoryBudget?.bytes,
        tiles: t?.tiles ?? 1, tileSize: t?.tileSize, stateOn: last.stateOn, cost: t ? ((crops / (last.width * last.height)) * 4) / 3 : 1,
      },
    });
  } catch (e) {
    const d = (e as { details?: { width?: number; height?: number; bytes?: number; budget?: number; fitSize?: number } }).details ?? {};
    post({ type: 'estimate', id, size, plan: { fits: false, code: codeOf(e), message: messageOf(e), width: d.width, height: d.height, needBytes: d.bytes, budgetBytes: d.budget, fitSize: d.fitSize } });
  }
}

async function runStylize(msg: Extract<ToWorker, { type: 'stylize' }>): Promise<void> {
  const controller = new AbortController();
  runs.set(msg.id, controller);
  let result: StylizeResult | undefined;
  let grams: ReturnType<typeof gramTracker> | undefined;
  try {
    if (!setup) throw new Error('The worker was not initialised.');
    const { stylizer, lib: library, model } = await setup;
    const p = msg.params;
    const r = msg.regions;
    // With regions, one handle holds the run's style images (regions index into them).
    const style = r ? await styleFor(stylizer, r.styles.map((s) => s.key).join('+'), r.styles.map((s) => s.pixels)) : await styleFor(stylizer, msg.styleKey, msg.style);
    const options: StylizeOptions = { ...runOptions(p), ...(r && regionOptions(r)) };
    // Taps need whole activations, so a run the library tiles (too large for the GPU memory given) has no
    // Gram-distance chart; one that does not fit is refused here, before any work, with the size that fits.
    // Nor has a run by region: each region has its own targets, which one chart of distances to one style is not.
    const tiled = (await stylizer.plan(msg.content, style, options)).scales.some((s) => s.tiling);
    if (!tiled && !r) {
      // The Layers view's live bar chart: each style layer's Gram distance, through the run's taps.
      grams = gramTracker(library, model, p.styleLayers[0]?.startsWith('conv') ? 'conv' : 'relu', p.styleLayers, post, msg.id);
      await grams.targets(msg.style, p.size);
    }
    let started = false;
    result = await stylizer.stylize(msg.content, style, {
      ...options,
      ...(grams && { taps: grams.taps(Math.max(1, p.previewEvery)) }),
      signal: controller.signal,
      onIteration: (info) => {
        if (!started) {
          started = true;
          post({ type: 'started', id: msg.id, width: info.width, height: info.height, iterations: info.iterations });
        }
        const { total, content, style, tv } = info.loss;
        const preview = info.preview ? toPixels(info.preview) : undefined;
        post(
          { type: 'iteration', id: msg.id, iteration: info.iteration, iterations: info.iterations, loss: { total, content, style, tv }, evaluations: info.evaluations, elapsedMs: info.elapsedMs, preview },
          preview ? [preview.data.buffer] : [],
        );
      },
    });
    const image = toPixels(await result.toPixels());
    post(
      { type: 'done', id: msg.id, image, iterations: result.iterations, stopReason: result.stopReason, perIterationMs: result.timings.perIterationMs, totalMs: result.timings.totalMs, warnings: result.warnings },
      [image.data.buffer],
    );
  } catch (e) {
    if (codeOf(e) === 'ABORTED' || controller.signal.aborted) {
      // The error owns no tensor; the image after the last iteration comes as bytes.
      const details = (e as { details?: { partial?: Pixels; iteration?: number } }).details;
      const image = details?.partial ? toPixels(details.partial) : undefined;
      post({ type: 'cancelled', id: msg.id, image, iterations: details?.iteration ?? 0 }, image ? [image.data.buffer] : []);
    } else {
      post({ type: 'error', id: msg.id, message: messageOf(e), code: codeOf(e) });
    }
  } finally {
    result?.dispose();
    grams?.dispose();
    runs.delete(msg.id);
  }
}

async function runVideoMsg(msg: Extract<ToWorker, { type: 'video' }>): Promise<void> {
  const controller = new AbortController();
  runs.set(msg.id, controller);
  try {
    if (!setup) throw new Error('The worker was not initialised.');
    const { stylizer, lib: library } = await setup;
    const style = await styleFor(stylizer, msg.styleKey, msg.style);
    await runVideo(library, stylizer, style, runOptions(msg.params), msg, controller.signal, post);
  } catch (e) {
    post({ type: 'error', id: msg.id, message: messageOf(e), code: codeOf(e) });
  } finally {
    runs.delete(msg.id);
  }
}

/**
 * Feature maps of one layer for an image, through the taps API: the activation is observed as the network
 * computes it. Channels are ranked by energy (mean squared activation); the strongest `maxTiles` are each
 * normalised to 0–255 on their own and sent back as one grey byte per pixel, tile after tile.
 */
async function runFeatures(msg: Extract<ToWorker, { type: 'features' }>): Promise<void> {
  try {
    if (!setup) throw new Error('The worker was not initialised.');
    const { lib, model } = await setup;
    const image = keep(`c:${msg.imageKey}`, msg.image);
    const small = tf.tidy(() => {
      const x = toImageTensor(image);
      const [h, w] = fitSize(x.shape[1], x.shape[2], msg.size);
      return resizeImage(x, h, w);
    });
    let out: Extract<FromWorker, { type: 'features' }> | undefined;
    try {
      await lib.extractFeatures(model, small, [], {
        taps: {
          layers: [msg.layer],
          onActivation: async (name, act) => {
            const [, h, w, c] = act.shape;
            const k = Math.min(msg.maxTiles, c);
            const { values, energy, mins, maxs, order } = tf.tidy(() => {
              const flat = tf.reshape(act, [h * w, c]);
              const e = tf.mean(tf.square(flat), 0);
              const top = tf.topk(e, k, true);
              const picked = tf.transpose(tf.gather(flat, top.indices, 1)); // [k, h*w]
              const lo = tf.min(picked, 1, true);
              const hi = tf.max(picked, 1, true);
              const scaled = tf.mul(tf.div(tf.sub(picked, lo), tf.maximum(tf.sub(hi, lo), 1e-6)), 255);
              return { values: scaled, energy: top.values, mins: tf.reshape(lo, [k]), maxs: tf.reshape(hi, [k]), order: top.indices };
            });
            try {
              const [v, en, lo, hi, idx] = await Promise.all([values.data(), energy.data(), mins.data(), maxs.data(), order.data()]);
              const pixels = new Uint8ClampedArray(new ArrayBuffer(k * h * w));
              pixels.set(v);
              const tiles: FeatureTile[] = Array.from({ length: k }, (_, i) => ({ channel: idx[i], energy: en[i], min: lo[i], max: hi[i] }));
              out = { type: 'features', id: msg.id, layer: name, width: w, height: h, channels: c, tiles, pixels };
            } finally {
              tf.dispose([values, energy, mins, maxs, order]);
            }
          },
        },
      });
    } finally {
      small.dispose();
    }
    if (!out) throw new Error(`No activation was observed for ${msg.layer}.`);
    post(out, [out.pixels.buffer]);
  } catch (e) {
    post({ type: 'error', id: msg.id, message: messageOf(e), code: codeOf(e) });
  }
}

async function runReceptiveField(msg: Extract<ToWorker, { type: 'receptive-field' }>): Promise<void> {
  try {
    if (!setup) throw new Error('The worker was not initialised.');
    const { lib, model } = await setup;
    const out = await receptiveField(lib, model, msg.image, msg.layer, msg.size, msg.id);
    post(out, [out.map.buffer]);
  } catch (e) {
    post({ type: 'error', id: msg.id, message: messageOf(e), code: codeOf(e) });
  }
}

function toPixels(img: { data: Uint8ClampedArray; width: number; height: number }): Pixels {
  // A copy we own, so its buffer can be transferred to the page.
  return { data: new Uint8ClampedArray(img.data), width: img.width, height: img.height };
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function codeOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
