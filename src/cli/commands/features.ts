/**
 * `neural-style-tfjs features <image> --layer NAME -o maps.png [--gram gram.png]`: what one VGG-19 layer sees, as
 * a grid of feature maps and the layer's Gram matrix as a heat map.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { extractFeatures, STYLIZE_DEFAULTS, type RgbaImage } from '../../adapters/node.js';
import { fitSize, gramMatrix, resizeImage, toImageTensor } from '../../core.js';
import { blit, createImage, drawText, fitText, renderFeatureMaps, renderGram } from '../../experiments.js';
import { throwIfAborted } from '../../util/checks.js';
import { UsageError, parseNumber } from '../args.js';
import { numFlag, str, type Ctx } from '../context.js';
import { backendFlag, inputLimits, numberList, oneOf } from '../flag-values.js';
import { OutputPlan } from '../outputs.js';
import { loadModel, modelInputs, readInputs } from '../run-io.js';
import { networkOf } from '../network-flag.js';
import { checkSizeFits } from '../size-check.js';

/** Puts a header line above an image. */
function withHeader(img: RgbaImage, text: string, scale = 1): RgbaImage {
  const h = 10 * scale + 4;
  const out = createImage(Math.max(img.width, 40), img.height + h, [255, 255, 255]);
  drawText(out, fitText(text, out.width - 4, scale), 2, 3, [24, 24, 24], scale);
  blit(out, img, 0, h);
  return out;
}

export async function runFeatures(ctx: Ctx): Promise<void> {
  const f = ctx.flags;
  const layer = str(f, 'layer');
  if (!layer) throw new UsageError('features needs --layer NAME, e.g. --layer conv3_1');
  const point = networkOf(f).resolve(layer, '--layer');
  const outputs = new OutputPlan();
  const outFlag = str(f, 'output');
  const gramFlag = str(f, 'gram');
  if (!outFlag && !gramFlag) throw new UsageError('features needs -o FILE (feature maps) and/or --gram FILE');
  const out = outFlag ? await outputs.output('-o', outFlag) : undefined;
  const gramOut = gramFlag ? await outputs.output('--gram', gramFlag) : undefined;
  backendFlag(f);
  const size = numFlag(f, 'size') ?? STYLIZE_DEFAULTS.size;
  const chText = str(f, 'channels');
  const channels = chText === undefined ? undefined : chText.includes(',') ? numberList('channels', chText, true) : parseNumber('channels', chText, true);
  if (typeof channels === 'number' && channels < 1) throw new UsageError(`--channels is ${channels}; give a count ≥ 1`);
  const wrongChannel = Array.isArray(channels) ? channels.find((c) => c < 0 || c >= point.channels) : undefined;
  if (wrongChannel !== undefined) throw new UsageError(`--channels names channel ${wrongChannel}, but ${point.name} has channels 0–${point.channels - 1}`);
  const sort = oneOf('sort', str(f, 'sort'), ['energy', 'index'] as const);
  const cmaps = ['gray', 'viridis', 'magma', 'inferno', 'coolwarm'] as const;
  const gramSort = oneOf('gram-sort', str(f, 'gram-sort'), ['index', 'energy'] as const);
  const colorMap = oneOf('colormap', str(f, 'colormap'), cmaps);
  const gramColorMap = oneOf('gram-colormap', str(f, 'gram-colormap'), cmaps);
  const pooling = oneOf('pooling', str(f, 'pooling'), ['max', 'avg'] as const);
  const label = f.get('label') !== false;
  await outputs.input('the image', ctx.positionals[0]);
  await modelInputs(outputs, f);
  await outputs.check();
  const [image] = await readInputs(ctx, ctx.positionals);
  checkSizeFits(size, image, [], { deepest: point });
  const model = await loadModel(ctx);
  const made: tf.Tensor[] = [];
  try {
    const full = toImageTensor(image, ctx.positionals[0], { maxPixels: inputLimits(f).maxPixels });
    made.push(full);
    const [h, w] = fitSize(full.shape[1], full.shape[2], size);
    const small = resizeImage(full, h, w);
    made.push(small);
    const acts = await extractFeatures(model, small, [layer], { pooling });
    const act = acts[layer];
    made.push(act);
    throwIfAborted(ctx.signal, 'The command');
    const [, ah, aw, ac] = act.shape;
    ctx.emit({ event: 'start', command: 'features', image: ctx.positionals[0], layer: point.name, shape: act.shape });
    let summary = '';
    if (out) {
      const scale = numFlag(f, 'scale') ?? Math.min(16, Math.max(1, Math.ceil(32 / Math.min(ah, aw))));
      const grid = await renderFeatureMaps(act, { channels, sort, columns: numFlag(f, 'columns'), scale, colorMap });
      const shown = Array.isArray(channels) ? 'chosen channels' : `the ${grid.channels.length} ${(sort ?? 'energy') === 'energy' ? 'most active' : 'first'} of ${ac} channels`;
      const img = label ? withHeader(grid, `${point.name} (${layer === point.name ? '' : `${layer}, `}${aw}x${ah}x${ac}): ${shown}`) : grid;
      await outputs.stageImage(out, img);
      summary += `wrote ${out} (${grid.rows}x${grid.columns} tiles of ${aw}x${ah})`;
      ctx.emit({ event: 'saved', path: out, kind: 'features', channels: grid.channels, energy: grid.energy, rows: grid.rows, columns: grid.columns, width: img.width, height: img.height });
    }
    if (gramOut) {
      const g = gramMatrix(act);
      made.push(g);
      const heat = await renderGram(g, { colorMap: gramColorMap, sort: gramSort });
      const img = label ? withHeader(heat, `${point.name} Gram ${ac}x${ac}${gramSort === 'energy' ? ', by energy' : ''}`) : heat;
      await outputs.stageImage(gramOut, img);
      summary += `${summary ? '; ' : 'wrote '}${gramOut} (Gram ${ac}x${ac}, range ${heat.min.toExponential(2)}…${heat.max.toExponential(2)})`;
      ctx.emit({ event: 'saved', path: gramOut, kind: 'gram', channels: ac, min: heat.min, max: heat.max, width: img.width, height: img.height });
    }
    await outputs.commit(ctx.signal);
    ctx.say(summary);
    ctx.emit({ event: 'done' });
  } finally {
    await outputs.discard();
    tf.dispose(made);
    model.dispose();
  }
}
