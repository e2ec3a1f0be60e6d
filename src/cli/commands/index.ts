/**
 * The six commands by name. Loaded only after the arguments parsed (so `--help` and usage errors answer at once):
 * the commands import the Node adapter, which registers the backend.
 * @module
 */
import type { Ctx } from '../context.js';
import { runFeatures } from './features.js';
import { runReconstruct } from './reconstruct.js';
import { runStudy } from './study.js';
import { runStylize } from './stylize.js';
import { runSweep } from './sweep.js';
import { runVideo } from './video.js';

export { makeCtx } from '../context.js';

export const RUNNERS: Record<string, (ctx: Ctx) => Promise<void>> = {
  stylize: runStylize,
  sweep: runSweep,
  features: runFeatures,
  reconstruct: runReconstruct,
  study: runStudy,
  video: runVideo,
};
