/**
 * The worker's per-layer measurements for the Layers view, through the library's public API: the receptive field
 * of a layer's centre unit (the input gradient of that unit by `lossAndGradient`, the library's own backward
 * pass), and, during a run, each style layer's Gram distance between the current image and the style image (the
 * run's taps see the optimised image's activations, at no extra pass where they fit in it).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Taps, Vgg19 } from 'neural-style-tfjs';
import { fitSize, gramMatrix, lossAndGradient, resizeImage, toImageTensor } from 'neural-style-tfjs/core';
import type { FromWorker, Pixels } from './protocol';

type Lib = typeof import('neural-style-tfjs/webgl');

/** The 16 conv layers' names with the given prefix (`conv` or `relu`): conv1_1 … conv5_4. */
export const styleLayerNames = (kind: 'conv' | 'relu'): string[] =>
  [2, 2, 4, 4, 4].flatMap((n, b) => Array.from({ length: n }, (_, i) => `${kind}${b + 1}_${i + 1}`));

/**
 * Side of the square one unit of `layer` depends on: each 3x3 conv adds 2·jump, each 2x2/2 pool adds a jump and
 * doubles it (conv1_1 3, pool1 6, conv3_1 24, conv5_1 156).
 */
export function theoreticalReceptiveField(lib: Lib, layer: string): { size: number; stride: number; index: number } {
  const target = lib.resolveLayer(layer);
  let size = 1;
  let jump = 1;
  for (const p of lib.NETWORK_POINTS.slice(0, target.index + 1)) {
    if (p.kind === 'conv') size += 2 * jump;
    else if (p.kind === 'pool') {
      size += jump;
      jump *= 2;
    }
  }
  return { size, stride: target.stride, index: target.index };
}

/**
 * The receptive field of the centre unit of `layer` on `image` (resized to `size`): theoretical side, and the side
 * of the centred square holding 95% of Σ|∂unit/∂pixel|, with the gradient magnitude as a 0–255 map.
 */
export async function receptiveField(lib: Lib, model: Vgg19, image: Pixels, layer: string, size: number, id: number): Promise<Extract<FromWorker, { type: 'receptive-field' }>> {
  const rgb = tf.tidy(() => {
    const x = toImageTensor(image);
    const [h, w] = fitSize(x.shape[1], x.shape[2], size);
    return resizeImage(x, h, w);
  });
  try {
    const [, height, width] = rgb.shape;
    const theo = theoreticalReceptiveField(lib, layer);
    const s = theo.stride;
    const ah = Math.floor(height / s);
    const aw = Math.floor(width / s);
    if (ah < 1 || aw < 1) throw new Error(`${layer} needs an image of at least ${s}x${s} px.`);
    const [row, col] = [Math.floor((ah - 1) / 2), Math.floor((aw - 1) / 2)];
    const unit = (a: tf.Tensor4D) =>
      tf.tidy(() => {
        const c = a.shape[3];
        return {
          value: tf.sum(tf.slice(a, [0, row, col, 0], [1, 1, 1, c])) as tf.Scalar,
          grad: tf.pad(tf.ones([1, 1, 1, c]), [[0, 0], [row, ah - 1 - row], [col, aw - 1 - col], [0, 0]]) as tf.Tensor4D,
        };
      });
    const { values, grad } = lossAndGradient(model, rgb, new Map([[theo.index, unit]]), 'max');
    tf.dispose(values);
    const g = await grad.data().finally(() => grad.dispose());
    const cy = s * row + (s - 1) / 2;
    const cx = s * col + (s - 1) / 2;
    const n = width * height;
    const mag = new Float32Array(n);
    const dist = new Float32Array(n);
    let total = 0;
    let peak = 0;
    for (let i = 0; i < n; i++) {
      mag[i] = Math.abs(g[3 * i]) + Math.abs(g[3 * i + 1]) + Math.abs(g[3 * i + 2]);
      dist[i] = Math.max(Math.abs(Math.floor(i / width) - cy), Math.abs((i % width) - cx));
      total += mag[i];
      peak = Math.max(peak, mag[i]);
    }
    let effective = 0;
    let acc = 0;
    for (const i of Array.from({ length: n }, (_, k) => k).sort((a, b) => dist[a] - dist[b])) {
      acc += mag[i];
      if (acc >= 0.95 * total) {
        effective = 2 * dist[i] + 1;
        break;
      }
    }
    const map = new Uint8ClampedArray(new ArrayBuffer(n));
    // Square root: the tails of the gradient are faint but are what the field's size is about.
    for (let i = 0; i < n; i++) map[i] = peak > 0 ? Math.round(255 * Math.sqrt(mag[i] / peak)) : 0;
    return { type: 'receptive-field', id, layer: lib.resolveLayer(layer).name, width, height, theoretical: theo.size, effective, centre: [cy, cx], map };
  } finally {
    rgb.dispose();
  }
}

/**
 * Gram distances of a run's current image to the style, at the 16 conv (or ReLU) layers: `targets()` computes the
 * style's Grams once (the style image resized as the run resizes it), `taps()` returns the run's taps, which post
 * `gram-distances` after the last layer of each tapped iteration. `dispose()` frees the targets.
 */
export function gramTracker(lib: Lib, model: Vgg19, kind: 'conv' | 'relu', optimised: readonly string[], post: (m: FromWorker) => void, id: number) {
  const layers = styleLayerNames(kind);
  const targets = new Map<string, tf.Tensor2D>();
  const pending = new Map<string, number>();
  return {
    async targets(style: Pixels, size: number): Promise<void> {
      const small = tf.tidy(() => {
        const x = toImageTensor(style);
        const [h, w] = fitSize(x.shape[1], x.shape[2], size);
        return resizeImage(x, h, w);
      });
      try {
        await lib.extractFeatures(model, small, [], { taps: { layers, onActivation: (name, act) => void targets.set(name, gramMatrix(act)) } });
      } finally {
        small.dispose();
      }
    },
    taps(every: number): Taps {
      return {
        layers,
        every,
        onActivation: async (name, act, info) => {
          const target = targets.get(name);
          if (!target) return;
          const d = tf.tidy(() => {
            const g = gramMatrix(act);
            return tf.div(tf.sum(tf.square(tf.sub(g, target))), tf.maximum(tf.sum(tf.square(target)), 1e-12));
          });
          pending.set(name, (await d.data())[0]);
          d.dispose();
          if (name === layers[layers.length - 1]) {
            post({ type: 'gram-distances', id, iteration: info.iteration ?? 0, distances: layers.map((l) => ({ layer: l, value: pending.get(l) ?? NaN, optimised: optimised.includes(l) })) });
            pending.clear();
          }
        },
      };
    },
    dispose(): void {
      tf.dispose([...targets.values()]);
      targets.clear();
    },
  };
}
