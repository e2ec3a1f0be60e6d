/**
 * What the commands share around a run: the required `-o` output, reading the input images within the limit
 * flags, loading the model (with a status line and a `loading` event), and the `--quality` note.
 * @module
 */
import { stat } from 'node:fs/promises';
import { loadNetwork, ready, StyleTransferError, type LossNetwork, type RgbaImage } from '../adapters/node.js';
import { formatFromPath, readImage, readRegularFile } from '../adapters/node/image-io.js';
import { throwIfAborted } from '../util/checks.js';
import { UsageError } from './args.js';
import { str, type Ctx, type Flags } from './context.js';
import { backendFlag, inputLimits, weightsManifest } from './flag-values.js';
import { networkFile, networkOf, weightsFor } from './network-flag.js';
import type { OutputPlan } from './outputs.js';

/** A 1x1 image standing in for the real ones while options are checked, before any file is read. */
export const PIXEL: RgbaImage = { data: new Uint8ClampedArray(4), width: 1, height: 1 };

/** The required `-o` output (its extension and folder checked). */
export async function requiredOutput(outputs: OutputPlan, f: Flags): Promise<string> {
  const out = str(f, 'output');
  if (out === undefined || out === '') throw new UsageError('--output is required: where to write the result (e.g. -o out.png)');
  return outputs.output('-o', out);
}

/** Registers the files the model is read from (`--weights` manifest, `--network` spec) as inputs no output may replace. */
export async function modelInputs(outputs: OutputPlan, f: Flags): Promise<void> {
  const manifest = weightsManifest(f);
  if (manifest) await outputs.input('the --weights manifest', manifest);
  const specFile = networkFile(f);
  if (specFile) await outputs.input('the --network spec', specFile);
}

/** Notes that `--quality` does nothing for a PNG output (not an error: scripts pass it for every format). Said
 * after every check, so a refused run still prints one line. */
export function noteQuality(ctx: Ctx, quality: number | undefined, out: string): void {
  if (quality !== undefined && formatFromPath(out) !== 'jpeg') ctx.say(`note: --quality applies to JPEG outputs; ${out} is written as PNG`);
}

/**
 * Loads the `--network` (VGG-19 by default) from `--weights`: a `loading` event first (for --json readers), a status line on stderr while it loads (for people),
 * and Ctrl-C during the load honoured after it.
 */
export async function loadModel(ctx: Ctx): Promise<LossNetwork> {
  throwIfAborted(ctx.signal, 'The command');
  const network = networkOf(ctx.flags);
  const weights = weightsFor(ctx.flags);
  ctx.emit({ event: 'loading', network: network.name });
  let model: LossNetwork;
  try {
    const backend = await ready(backendFlag(ctx.flags));
    ctx.status(`loading ${network.name} on ${backend}…`);
    model = await loadNetwork(network, weights ? { weights } : {});
  } finally {
    ctx.status(undefined);
  }
  if (ctx.signal.aborted) {
    model.dispose();
    throwIfAborted(ctx.signal, 'The command');
  }
  return model;
}

/** Reads input images within --max-megapixels and --max-file-mb; a refusal names the flag to raise. */
export async function readInputs(ctx: Ctx, paths: string[]): Promise<RgbaImage[]> {
  const limits = inputLimits(ctx.flags);
  const out: RgbaImage[] = [];
  for (const p of paths) {
    try {
      out.push(await readImage(p, limits));
    } catch (e) {
      if (!(e instanceof StyleTransferError && e.code === 'IMAGE_TOO_LARGE')) throw e;
      throw await tooLarge(e, p, limits);
    }
    throwIfAborted(ctx.signal, 'The command');
  }
  return out;
}

/** A `--replay` record's JSON (an input, so no output may replace it), at most `maxBytes`; INVALID_RECORD if not JSON. */
export async function readReplay(outputs: OutputPlan, path: string, maxBytes: number, command: 'sweep' | 'study'): Promise<unknown> {
  await outputs.input('the --replay record', path);
  const text = Buffer.from(await readRegularFile(path, maxBytes, 'INVALID_OPTION')).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new UsageError(`--replay ${path} is not JSON (${(e as Error).message.split('\n')[0]}); expected a record written by "${command}"`, 'INVALID_RECORD');
  }
}

const megapixels = (n: number): string => `${Number((n / 1e6).toPrecision(3))} MP`;

/** IMAGE_TOO_LARGE said in flags, from the error's details: which limit, the image's size and the flag to raise. */
async function tooLarge(e: StyleTransferError, path: string, limits: { maxPixels: number; maxBytes: number }): Promise<StyleTransferError> {
  const d = e.details ?? {};
  let message: string;
  if (d.maxPixels !== undefined) {
    const { width, height } = d as { width?: number; height?: number };
    const size = width !== undefined && height !== undefined ? `${width}x${height} pixels (${megapixels(width * height)})` : 'larger';
    message = `${path} is ${size}, more than the limit of ${megapixels(limits.maxPixels)}; raise --max-megapixels (now ${limits.maxPixels / 1e6}) to read it.`;
  } else {
    const bytes = await stat(path).then((s) => s.size, () => undefined);
    message = `${path} is ${bytes === undefined ? 'larger than that' : `${bytes} bytes`}, more than the limit of ${limits.maxBytes} bytes; raise --max-file-mb (now ${+(limits.maxBytes / 2 ** 20).toPrecision(4)}) to read it.`;
  }
  return new StyleTransferError('IMAGE_TOO_LARGE', message, d, { cause: e });
}
