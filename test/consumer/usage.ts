// Realistic typed usage, compiled by the consumer suite with TypeScript 5.0 and the newest 5.x, strict, without
// skipLibCheck, under moduleResolution node16, nodenext and bundler.
import * as tf from '@tensorflow/tfjs-core';
import { extractFeatures, loadVgg19, ready, readImage, stylize, StyleTransferError, writeImage, type RgbaImage } from 'neural-style-tfjs/node';
import * as browser from 'neural-style-tfjs/browser';
import * as wasm from 'neural-style-tfjs/wasm';
import { isStyleTransferError, STYLIZE_DEFAULTS } from 'neural-style-tfjs';
import { gramMatrix, fitSize, type LbfgsOptions } from 'neural-style-tfjs/core';
import { renderGram, theoreticalReceptiveField, type StudyOptions, type SweepOptions } from 'neural-style-tfjs/experiments';

export async function nodeApp(): Promise<void> {
  const backend: string = await ready();
  const model = await loadVgg19({ onProgress: (p) => console.log(p.loaded / p.total) });
  // The app's own tensor (from its own @tensorflow/tfjs-core) is an accepted image.
  const content: tf.Tensor3D = tf.zeros([32, 32, 3]);
  const result = await stylize({ model, content, style: await readImage('style.png'), size: 32, iterations: 2 });
  const pixels: RgbaImage = await result.toPixels();
  const data: Uint8ClampedArray = pixels.data;
  const image: tf.Tensor3D = result.image;
  await writeImage('out.png', pixels);
  const { relu1_1 } = await extractFeatures(model, pixels, ['relu1_1']);
  const shape: number[] = relu1_1.shape;
  // The building blocks and experiments subpaths, beside the adapter.
  const gram = gramMatrix(relu1_1);
  const picture: RgbaImage = await renderGram(gram);
  const [h, w]: [number, number] = fitSize(480, 640, STYLIZE_DEFAULTS.size);
  const history: LbfgsOptions = { historySize: STYLIZE_DEFAULTS.lbfgs.historySize };
  const sweepOptions: Partial<SweepOptions> = { vary: { styleLayers: 'single' } };
  const field: number = theoreticalReceptiveField('relu3_1').size;
  const studyOptions: Partial<StudyOptions> = { size: 64, cumulative: false };
  console.log(backend, data.length, image.shape, shape, picture.width, h, w, history, sweepOptions, field, studyOptions);
  gram.dispose();
  relu1_1.dispose();
  result.dispose();
  content.dispose();
  model.dispose();
}

export async function browserApp(canvas: HTMLCanvasElement): Promise<void> {
  const backend: string = await browser.ready();
  const model = await browser.loadVgg19({ weights: '/weights/' });
  const result = await browser.stylize({ model, content: canvas, style: canvas, size: 64, iterations: 1 });
  // RgbaImage's bytes go straight into ImageData (which wants Uint8ClampedArray<ArrayBuffer> on TS 5.7+).
  const pixels = await result.toPixels();
  canvas.getContext('2d')?.putImageData(new ImageData(pixels.data, pixels.width, pixels.height), 0, 0);
  console.log(backend);
  result.dispose();
}

export async function wasmApp(): Promise<string> {
  wasm.setWasmPaths('/wasm/');
  return wasm.ready();
}

export function describeError(e: unknown): string {
  if (e instanceof StyleTransferError) return `${e.code}: ${e.message}`;
  return isStyleTransferError(e, 'WEIGHTS_MISSING') ? 'weights' : String(e);
}
