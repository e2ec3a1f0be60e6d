/**
 * How a running stylisation reports to the person and to `--json` readers: iterations and tiles to the progress
 * bar and as events, and the notes a finished run prints.
 * @module
 */
import type { IterationInfo, StylizeResult, TileInfo } from '../adapters/node.js';
import type { Ctx } from './context.js';
import { OutputPlan } from './outputs.js';
import type { ProgressBar } from './progress.js';

/** Reports a tiled evaluation's progress (tile and scale) to the bar and, with --json, stdout. */
export function tileReporter(ctx: Ctx, bar: ProgressBar, planned: number) {
  return (t: TileInfo): void => {
    bar.update(t.iteration - 1, planned, `scale ${t.scale + 1} ${t.width}x${t.height}, ${t.pass === 'grams' ? 'Grams' : 'gradient'} tile ${t.tile + 1}/${t.tiles}`);
    ctx.emit({ event: 'tile', iteration: t.iteration, scale: t.scale, width: t.width, height: t.height, tile: t.tile, tiles: t.tiles, pass: t.pass });
  };
}

/** Reports a stylize run's iterations to the bar and, with --json, stdout; `extra` runs after each. */
export function iterationReporter(ctx: Ctx, bar: ProgressBar, extra: (info: IterationInfo) => Promise<void> | void = () => {}) {
  return async (info: IterationInfo): Promise<void> => {
    bar.update(info.iteration, info.iterations, `loss ${info.loss.total.toExponential(3)}`);
    ctx.emit({ event: 'iteration', iteration: info.iteration, iterations: info.iterations, scale: info.scale, width: info.width, height: info.height, loss: info.loss, evaluations: info.evaluations, elapsedMs: Math.round(info.elapsedMs) });
    await extra(info);
  };
}

/** With `--save-every N`: writes every Nth iteration's preview as `<out>-0010.png`, … and emits a `saved` event. */
export function snapshotWriter(ctx: Ctx, outputs: OutputPlan, out: string, saveEvery: number | undefined, quality: number | undefined) {
  return async (info: IterationInfo): Promise<void> => {
    if (!saveEvery || !info.preview || info.iteration % saveEvery !== 0) return;
    const p = OutputPlan.numbered(out, info.iteration);
    await outputs.writeImageNow(p, info.preview, quality);
    ctx.emit({ event: 'saved', path: p, iteration: info.iteration });
  };
}

/** The notes a finished run prints: its warnings, and each tiled scale's tiles and L-BFGS history. */
export function sayRunNotes(ctx: Ctx, result: StylizeResult): void {
  for (const w of result.warnings) ctx.say(`note: ${w}`);
  for (const sc of result.scales) {
    if (sc.tiling) ctx.say(`note: ${sc.width}x${sc.height} was evaluated in ${sc.tiling.tiles} tiles of ${sc.tiling.tileSize} px (halo ${sc.tiling.halo} px${sc.tiling.exact ? ', exact' : ', approximate'}), L-BFGS history ${sc.historySize}.`);
  }
}

/**
 * Writes a finished run's image to `out` (staged, then committed unless interrupted), ends the bar, prints the
 * run's notes, and returns its last history entry (for the summary line).
 */
export async function publishResult(ctx: Ctx, outputs: OutputPlan, bar: ProgressBar, out: string, result: StylizeResult, quality: number | undefined): Promise<StylizeResult['history'][number] | undefined> {
  await outputs.stageImage(out, await result.toPixels(), quality);
  await outputs.commit(ctx.signal);
  bar.done();
  sayRunNotes(ctx, result);
  return result.history[result.history.length - 1];
}

/** The command line as recorded in sweep and study records (arguments quoted where a shell needs it). */
export const commandLine = (argv: readonly string[]): string => ['neural-style-tfjs', ...argv].map((a) => (/^[\w./:=,+-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
