import * as tf from '@tensorflow/tfjs-core';
import { luminanceImage, matchColorHistogram, matchLuminance } from '../color.js';
import { gramMatrix } from '../gram.js';
import { fitSize, resizeImage } from '../image.js';
import type { Vgg19 } from '../model.js';
import type { NetworkPoint } from '../layers.js';
import { assertFits, forward, preprocess } from '../network.js';
import type { ResolvedOptions } from './options.js';

/** Content and style targets for one output size. Owns its tensors. */
export interface Targets {
  height: number;
  width: number;
  /** The content image at this size (as optimised: grey when preserving luminance). */
  content: tf.Tensor4D;
  /** The content image at this size in full colour (for recombining luminance). */
  contentColor: tf.Tensor4D;
  /** Content activation per content-layer point index. */
  contentFeatures: Map<number, tf.Tensor4D>;
  /** Blended target Gram per style-layer point index. */
  styleGrams: Map<number, tf.Tensor2D>;
  /** The first style image at this size's style resolution (for init: 'style'). */
  firstStyle: tf.Tensor4D;
}

export function disposeTargets(t: Targets): void {
  tf.dispose([t.content, t.contentColor, t.firstStyle, ...t.contentFeatures.values(), ...t.styleGrams.values()]);
}

export function checkFits(field: string, height: number, width: number, points: readonly NetworkPoint[], hint: string): void {
  assertFits(height, width, points.reduce((a, p) => (p.stride > a.stride ? p : a)), field, hint);
}

/**
 * Computes the targets at a given longest side: resizes the content, prepares each style image (resize by
 * `styleScale`, colour handling), runs the network once per image and blends the style Grams.
 */
export async function computeTargets(model: Vgg19, contentFull: tf.Tensor4D, stylesFull: tf.Tensor4D[], size: number, o: ResolvedOptions): Promise<Targets> {
  const [height, width] = fitSize(contentFull.shape[1], contentFull.shape[2], size);
  const styleSize = Math.max(16, Math.round(size * o.styleScale));
  // Checked before any work: the optimised image passes through every loss layer, a style image through the style
  // layers. (Tap layers are checked by the engine: cached targets are reused whatever the taps.)
  const stylePoints = o.styleLayers.map((l) => l.point);
  checkFits('content', height, width, [...o.contentLayers.map((l) => l.point), ...stylePoints], '`size`');
  stylesFull.forEach((s, i) => {
    const [sh, sw] = fitSize(s.shape[1], s.shape[2], styleSize);
    checkFits(stylesFull.length > 1 ? `style[${i}]` : 'style', sh, sw, stylePoints, '`size` or `styleScale`');
  });
  const contentColor = resizeImage(contentFull, height, width);
  const content = o.preserveColors === 'luminance' ? luminanceImage(contentColor) : tf.clone(contentColor);
  const made: tf.Tensor[] = [];
  try {
    const input = preprocess(content);
    made.push(input);
    const contentFeatures = new Map<number, tf.Tensor4D>();
    const acts = await forward(model, input, o.contentLayers.map((l) => l.point), o.pooling);
    for (const l of o.contentLayers) contentFeatures.set(l.point.index, acts.get(l.point.name)!);

    const styleGrams = new Map<number, tf.Tensor2D>();
    let firstStyle: tf.Tensor4D | undefined;
    for (let i = 0; i < stylesFull.length; i++) {
      const s = stylesFull[i];
      const [sh, sw] = fitSize(s.shape[1], s.shape[2], styleSize);
      let style = resizeImage(s, sh, sw);
      if (o.preserveColors === 'histogram') {
        const matched = await matchColorHistogram(style, contentColor);
        style.dispose();
        style = matched;
      } else if (o.preserveColors === 'luminance') {
        const grey = luminanceImage(style);
        style.dispose();
        style = matchLuminance(grey, content);
        grey.dispose();
      }
      const styleInput = preprocess(style);
      const sacts = await forward(model, styleInput, o.styleLayers.map((l) => l.point), o.pooling);
      styleInput.dispose();
      for (const l of o.styleLayers) {
        const a = sacts.get(l.point.name)!;
        const g = tf.tidy(() => tf.mul(gramMatrix(a), o.blend[i]) as tf.Tensor2D);
        const prev = styleGrams.get(l.point.index);
        styleGrams.set(l.point.index, prev ? (tf.add(prev, g) as tf.Tensor2D) : g);
        if (prev) {
          prev.dispose();
          g.dispose();
        }
      }
      tf.dispose([...sacts.values()]);
      if (i === 0) firstStyle = style;
      else style.dispose();
    }
    return { height, width, content, contentColor, contentFeatures, styleGrams, firstStyle: firstStyle! };
  } catch (e) {
    tf.dispose([content, contentColor]);
    throw e;
  } finally {
    tf.dispose(made);
  }
}
