/**
 * `neural-style-tfjs stylize <content> <style…> -o out.png`: one stylisation, with snapshots (`--save-every`),
 * progress and `--json` events.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { createStylizer, STYLIZE_DEFAULTS, VERSION, type StylizeOptions } from '../../adapters/node.js';
import { resolveOptions } from '../../stylize/options.js';
import { scaleSize } from '../../stylize/plan.js';
import { numFlag, type Ctx } from '../context.js';
import { backendFlag, inputLimits, iterationsFlag } from '../flag-values.js';
import { OutputPlan } from '../outputs.js';
import { fmtMs } from '../progress.js';
import { iterationReporter, publishResult, snapshotWriter, tileReporter } from '../reporting.js';
import { loadModel, modelInputs, noteQuality, PIXEL, readInputs, requiredOutput } from '../run-io.js';
import { checkDefaultLayers, networkOf } from '../network-flag.js';
import { checkSizeFits, deepestOf } from '../size-check.js';
import { stylizeOptionsFromFlags } from '../stylize-options.js';
import { checkMaskFiles, checkMaskSizes, maskFilesOf, regionFlags, regionOptions, styleFilesOf } from '../region-flags.js';
import { UsageError } from '../args.js';
import { queueFlags } from '../queue-run.js';
import { runStylizeQueued } from './queued.js';

export async function runStylize(ctx: Ctx): Promise<void> {
  const f = ctx.flags;
  const regionPlan = regionFlags(f);
  const queued = queueFlags(f, 'stylize');
  if (queued && regionPlan) throw new UsageError('--queue does not take region flags yet (--region, --content-weight-map, --content-map): run without --queue');
  if (queued) return runStylizeQueued(ctx, queued);
  const [contentPath, ...positionalStyles] = ctx.positionals;
  const stylePaths = styleFilesOf(positionalStyles, regionPlan);
  if (stylePaths.length === 0) throw new UsageError('stylize needs a style image: <content> <style…>, or styles named by --region MASK:STYLE');
  const outputs = new OutputPlan();
  const out = await requiredOutput(outputs, f);
  const saveEvery = numFlag(f, 'save-every');
  const quality = numFlag(f, 'quality');
  backendFlag(f);
  checkDefaultLayers(f, { 'style-layers': STYLIZE_DEFAULTS.styleLayers, 'content-layers': STYLIZE_DEFAULTS.contentLayers });
  const { initPath, ...base } = stylizeOptionsFromFlags(f);
  const iterations = iterationsFlag(f);
  // Every option checked before any file is read (a 1x1 stand-in for an --init image).
  const options: StylizeOptions = { ...base, ...(iterations !== undefined ? { iterations } : {}), ...(saveEvery ? { previewEvery: saveEvery } : {}) };
  const standIns = { ...(initPath !== undefined ? { init: PIXEL } : {}), ...(await regionOptions(regionPlan, { content: PIXEL, styleFiles: stylePaths, styles: stylePaths.map(() => PIXEL), mask: () => PIXEL }, false)) };
  const resolved = resolveOptions({ ...options, ...standIns }, stylePaths.length, undefined, networkOf(f));
  await outputs.input('the content image', contentPath);
  for (const p of stylePaths) await outputs.input('the style image', p);
  if (initPath !== undefined) await outputs.input('the --init image', initPath);
  await checkMaskFiles(regionPlan, stylePaths.length);
  for (const m of maskFilesOf(regionPlan)) await outputs.input(`the ${m.flag} mask`, m.file);
  await modelInputs(outputs, f);
  const planned = resolved.iterations.reduce((a, b) => a + b, 0);
  if (saveEvery) outputs.snapshots('--save-every', out, saveEvery, planned);
  await outputs.check();
  const [content, ...styles] = await readInputs(ctx, [contentPath, ...stylePaths]);
  const style = styles.length === 1 ? styles[0] : styles;
  if (initPath !== undefined) [options.init] = await readInputs(ctx, [initPath]);
  const maskFiles = [...new Set(maskFilesOf(regionPlan).map((m) => m.file))];
  const maskImages = new Map((await readInputs(ctx, maskFiles)).map((img, i) => [maskFiles[i], img]));
  const regionImages = { content, styleFiles: stylePaths, styles, mask: (p: string) => maskImages.get(p)! };
  checkMaskSizes(regionPlan, regionImages);
  // An impossible size is refused now, from the images' sizes, not after the model loaded.
  checkSizeFits(resolved.size, content, styles, {
    deepest: deepestOf([...resolved.contentLayers, ...resolved.styleLayers].map((l) => l.point)),
    deepestStyle: deepestOf(resolved.styleLayers.map((l) => l.point)),
    styleScale: resolved.styleScale,
    scalesAt: (size) => (size === resolved.size ? resolved.scales : resolveOptions({ ...options, size, ...standIns }, stylePaths.length, undefined, networkOf(f)).scales),
  });
  noteQuality(ctx, quality, out);
  const model = await loadModel(ctx);
  try {
    Object.assign(options, await regionOptions(regionPlan, regionImages, true)); // reading colour maps needs the backend
  } catch (e) {
    model.dispose();
    throw e;
  }
  if (options.scales === undefined && resolved.scales.length > 1) {
    const sizes = resolved.scales.map((s) => scaleSize(resolved.size, s));
    ctx.say(`note: coarse-to-fine at ${sizes.join(' → ')} px, ${resolved.iterations.join(' + ')} iterations (--scales 1 for one scale).`);
  }
  const bar = ctx.progress('stylize');
  ctx.emit({ event: 'start', command: 'stylize', content: contentPath, style: stylePaths, output: out, iterations: planned, scales: resolved.scales, size: resolved.size, backend: tf.getBackend(), network: model.architecture.name, weightsSha256: model.weightsSha256, version: VERSION });
  const stylizer = await createStylizer({ model, cacheSize: 0, maxPixels: inputLimits(f).maxPixels });
  try {
    const result = await stylizer.stylize(content, style, {
      ...options,
      signal: ctx.signal,
      onTile: tileReporter(ctx, bar, planned),
      onIteration: iterationReporter(ctx, bar, snapshotWriter(ctx, outputs, out, saveEvery, quality)),
    });
    try {
      const last = await publishResult(ctx, outputs, bar, out, result, quality);
      ctx.say(`wrote ${out} (${result.width}x${result.height}, ${result.iterations} iterations, loss ${last?.loss.total.toExponential(3) ?? '?'}, ${fmtMs(result.timings.totalMs)} on ${result.backend})`);
      ctx.emit({ event: 'done', output: out, width: result.width, height: result.height, iterations: result.iterations, evaluations: result.evaluations, stopReason: result.stopReason, loss: last?.loss, timings: result.timings, backend: result.backend, warnings: result.warnings, scales: result.scales });
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
