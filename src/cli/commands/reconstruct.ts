/**
 * `neural-style-tfjs reconstruct <image> --layer NAME --kind content|style -o rec.png`: the image rebuilt from
 * noise using one layer's content representation or a layer set's style representation.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { createStylizer, type RgbaImage } from '../../adapters/node.js';
import { reconstruct, reconstructionOptions } from '../../experiments.js';
import { resolveOptions } from '../../stylize/options.js';
import { UsageError } from '../args.js';
import { numFlag, str, type Ctx } from '../context.js';
import { backendFlag, inputLimits, oneOf, parseLayerSpec } from '../flag-values.js';
import { OutputPlan } from '../outputs.js';
import { fmtMs } from '../progress.js';
import { iterationReporter, publishResult, snapshotWriter } from '../reporting.js';
import { loadModel, modelInputs, noteQuality, PIXEL, readInputs, requiredOutput } from '../run-io.js';
import { networkOf } from '../network-flag.js';
import { checkSizeFits, deepestOf } from '../size-check.js';

export async function runReconstruct(ctx: Ctx): Promise<void> {
  const f = ctx.flags;
  const outputs = new OutputPlan();
  const out = await requiredOutput(outputs, f);
  backendFlag(f);
  const layer = str(f, 'layer');
  const layersText = str(f, 'layers');
  if ((layer === undefined) === (layersText === undefined)) throw new UsageError('reconstruct needs --layer NAME or --layers LIST (one of them)');
  if (layer !== undefined) networkOf(f).resolve(layer, '--layer');
  const layers = layersText !== undefined ? parseLayerSpec('layers', layersText, networkOf(f)) : undefined;
  const kind = oneOf('kind', str(f, 'kind') ?? 'content', ['content', 'style'] as const)!;
  const saveEvery = numFlag(f, 'save-every');
  const quality = numFlag(f, 'quality');
  const opts = {
    image: PIXEL as RgbaImage,
    kind,
    ...(layer !== undefined ? { layer } : { layers }),
    iterations: numFlag(f, 'iterations'),
    size: numFlag(f, 'size'),
    seed: numFlag(f, 'seed'),
    weight: numFlag(f, 'weight'),
    tvWeight: numFlag(f, 'tv-weight'),
    optimizer: oneOf('optimizer', str(f, 'optimizer'), ['lbfgs', 'adam'] as const),
    learningRate: numFlag(f, 'learning-rate'),
    pooling: oneOf('pooling', str(f, 'pooling'), ['max', 'avg'] as const),
    lossNormalization: oneOf('loss-normalization', str(f, 'loss-normalization'), ['mean', 'paper'] as const),
  };
  for (const k of Object.keys(opts) as (keyof typeof opts)[]) if (opts[k] === undefined) delete opts[k];
  // Every option checked before the image is read (a 1x1 stand-in for it).
  const stylizeOpts = reconstructionOptions(opts);
  if (saveEvery) stylizeOpts.previewEvery = saveEvery;
  const { content: _c, style: _s, ...runOpts } = stylizeOpts;
  void _c, void _s;
  const resolved = resolveOptions(runOpts, undefined, undefined, networkOf(f));
  await outputs.input('the image', ctx.positionals[0]);
  await modelInputs(outputs, f);
  if (saveEvery) outputs.snapshots('--save-every', out, saveEvery, resolved.iterations[0]);
  await outputs.check();
  [opts.image] = await readInputs(ctx, ctx.positionals);
  checkSizeFits(resolved.size, opts.image, kind === 'style' ? [opts.image] : [], {
    deepest: deepestOf([...resolved.contentLayers, ...resolved.styleLayers].map((l) => l.point)),
    ...(resolved.styleLayers.length ? { deepestStyle: deepestOf(resolved.styleLayers.map((l) => l.point)), styleScale: resolved.styleScale } : {}),
  });
  noteQuality(ctx, quality, out);
  const model = await loadModel(ctx);
  const bar = ctx.progress(`reconstruct ${kind}`);
  ctx.emit({ event: 'start', command: 'reconstruct', image: ctx.positionals[0], kind, layers: layer ?? layers, output: out, iterations: resolved.iterations[0], size: resolved.size, backend: tf.getBackend() });
  const stylizer = await createStylizer({ model, cacheSize: 0, maxPixels: inputLimits(f).maxPixels });
  try {
    const result = await reconstruct({
      ...opts,
      stylizer,
      signal: ctx.signal,
      onIteration: iterationReporter(ctx, bar, snapshotWriter(ctx, outputs, out, saveEvery, quality)),
    } as Parameters<typeof reconstruct>[0]);
    try {
      const last = await publishResult(ctx, outputs, bar, out, result, quality);
      ctx.say(`wrote ${out} (${kind} reconstruction from ${layer ?? layersText}, ${result.width}x${result.height}, ${result.iterations} iterations, loss ${last?.loss.total.toExponential(3) ?? '?'}, ${fmtMs(result.timings.totalMs)})`);
      ctx.emit({ event: 'done', output: out, width: result.width, height: result.height, iterations: result.iterations, stopReason: result.stopReason, loss: last?.loss, timings: result.timings });
    } finally {
      result.dispose();
    }
  } finally {
    await outputs.discard();
    bar.done();
    stylizer.dispose();
    model.dispose();
  }
}
