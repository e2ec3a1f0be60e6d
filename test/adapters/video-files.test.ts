/**
 * The `video` command end to end through ffmpeg, as a user runs it: the BUILT dist/cli.js (`npx tsup` first) in a
 * child process, on a 32x24 MP4 (a texture moving 1.5 px a frame, test/helpers/motion.ts). The same command
 * resumes an unfinished run (the kept frames are not recomputed) and writes an MP4 of 4 frames; `--json` reports
 * every frame. Ctrl-C inside frame 2, with the clip decoded slowly (so frames wait in ffmpeg's pipe, which once made
 * the process end with code 0 and no word), exits 130 with the message and the `error` event, keeps the finished
 * frames and writes no video. `--passes` (the multi-pass mode, on a folder of 3 frames, 2 passes of 2 iterations):
 * the other mode's flags are refused with exit 2 before anything loads; a run reports each pass and writes the
 * frames and the MP4; the same command again is refused (it cannot resume) unless --fresh; Ctrl-C in the second
 * pass exits 130 and leaves nothing. Needs ffmpeg on PATH (.ci/run installs it; skipped without it unless
 * NST_REQUIRE_FFMPEG=1).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { framesFromVideo, writeFramesToVideo } from '../../src/adapters/node/video/ffmpeg.js';
import { writeImage } from '../../src/adapters/node/image-io.js';
import { collect } from '../helpers/async.js';
import { hasFfmpeg } from '../helpers/ffmpeg.js';
import { clip, translation } from '../helpers/motion.js';
import { synthetic } from '../helpers/synthetic.js';

const CLI = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), 'dist', 'cli.js');
const dir = mkdtempSync(join(tmpdir(), 'nst-video-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rgba = (rgb: Float32Array, width: number, height: number) => {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) data[i * 4 + c] = rgb[i * 3 + c];
    data[i * 4 + 3] = 255;
  }
  return { data, width, height };
};

interface Run {
  code: number | null;
  events: Record<string, unknown>[];
  stderr: string;
}

/** Runs the CLI in `dir`; `onEvent` sees each --json event as it arrives (and may interrupt the child). */
function cli(args: string[], onEvent?: (e: Record<string, unknown>, child: ReturnType<typeof spawn>) => void): Promise<Run> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const events: Record<string, unknown>[] = [];
    let pending = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      pending += d;
      for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
        const e = JSON.parse(pending.slice(0, nl)) as Record<string, unknown>;
        pending = pending.slice(nl + 1);
        events.push(e);
        onEvent?.(e, child);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, events, stderr });
    });
  });
}

/** Cheap runs: two shallow layers (the CLI's handling is under test, not the pictures). */
const CHEAP = ['--size', '32', '--style-layers', 'relu1_1,relu2_1', '--content-layers', 'relu2_1', '--json'];

describe.skipIf(!hasFfmpeg)('neural-style-tfjs video (dist/cli.js, ffmpeg)', () => {
  beforeAll(async () => {
    const [w, h] = [32, 24];
    const frames = clip(translation(1.5, 0.5), 12, w, h).map((f) => rgba(f, w, h));
    await writeFramesToVideo(frames.slice(0, 4), join(dir, 'clip.mp4'), { outputArgs: ['-crf', '10'] });
    await writeFramesToVideo(frames, join(dir, 'long.mp4'), { outputArgs: ['-crf', '10'] });
    await writeImage(join(dir, 'style.png'), rgba(synthetic('style', 32, 32), 32, 32));
    mkdirSync(join(dir, 'three'));
    for (const [i, f] of frames.slice(0, 3).entries()) await writeImage(join(dir, 'three', `f${i + 1}.png`), f);
  }, 60_000);

  it('the same command resumes an unfinished run (finished frames kept, not recomputed) and writes the MP4', async () => {
    const args = ['video', 'clip.mp4', 'style.png', '-o', 'out.mp4', '-i', '2', '--first-frame-iterations', '2', '--long-term', '1', ...CHEAP];
    // An interrupted run, made deterministic: a whole run, then its video and last two frames removed. (Ctrl-C
    // itself: see the skipped test below.)
    const whole = await cli(args);
    expect(whole.code, whole.stderr).toBe(0);
    rmSync(join(dir, 'out.mp4'));
    const written = readdirSync(join(dir, 'out.mp4.frames')).sort();
    expect(written).toHaveLength(4);
    for (const f of written.slice(2)) rmSync(join(dir, 'out.mp4.frames', f));
    const kept = readdirSync(join(dir, 'out.mp4.frames'));
    expect(kept).toHaveLength(2);

    const second = await cli(args);
    expect(second.code, second.stderr).toBe(0);
    const frames = second.events.filter((e) => e.event === 'frame');
    expect(frames.map((e) => [e.index, e.resumed])).toEqual([0, 1, 2, 3].map((i) => [i, i < kept.length]));
    for (const e of frames.slice(kept.length)) {
      expect(e.iterations).toBe(2);
      expect(e.temporalError).toBeGreaterThan(0);
    }
    expect(second.events.filter((e) => e.event === 'iteration').every((e) => (e.frame as number) >= kept.length)).toBe(true);
    expect(second.events.at(-1)).toMatchObject({ event: 'done', output: 'out.mp4', count: 4, resumed: kept.length });
    const decoded = await collect(framesFromVideo(join(dir, 'out.mp4')));
    expect(decoded.map((f) => [f.width, f.height])).toEqual(Array(4).fill([32, 24]));
  });

  // Issue 28's bug: SIGINT here once ended the process with code 0, no message and no `done` (the decoder's cleanup
  // waited for ffmpeg's 'close', which a paused stdout holding two or more chunks never lets come, and nothing else
  // kept the event loop alive). ffmpeg run at a tenth of the clip's rate (a slow source) makes frames arrive one by
  // one while frame 1 is stylised, so they wait in the pipe as separate chunks when the signal comes.
  it('Ctrl-C keeps the finished frames and writes no video (exit 130, the message and the error event)', async () => {
    const paced = join(dir, 'slow-ffmpeg');
    writeFileSync(paced, '#!/bin/sh\nexec ffmpeg -readrate 0.25 "$@"\n', { mode: 0o755 });
    const args = ['video', 'long.mp4', 'style.png', '-o', 'cut.mp4', '-i', '3', '--first-frame-iterations', '3', '--long-term', '1', '--ffmpeg', paced, ...CHEAP];
    let interrupted = false;
    const run = await cli(args, (e, child) => {
      if (!interrupted && e.event === 'iteration' && (e.frame as number) >= 1 && (e.iteration as number) >= 2) interrupted = child.kill('SIGINT');
    });
    expect(interrupted).toBe(true);
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).toMatch(/interrupted after [12] frames: they are in cut\.mp4\.frames; run the same command again to resume/);
    expect(run.events.at(-1)).toMatchObject({ event: 'error', code: 'ABORTED', exitCode: 130 });
    expect(run.events.some((e) => e.event === 'done')).toBe(false);
    const finished = run.events.filter((e) => e.event === 'frame').map((e) => e.path);
    expect(finished.length).toBeGreaterThanOrEqual(1);
    expect(readdirSync(join(dir, 'cut.mp4.frames')).map((f) => join('cut.mp4.frames', f)).sort()).toEqual(finished);
    expect(existsSync(join(dir, 'cut.mp4'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('cut.mp4') && f !== 'cut.mp4.frames')).toEqual([]); // no temp file
  });

  // --passes: Ruder et al.'s multi-pass mode (src/cli/commands/video-passes.ts), on 3 frames, 2 passes of 2 iterations.
  const PASSES = ['video', 'three', 'style.png', '--passes', '2', '--pass-iterations', '2', '--temporal-from-pass', '2', ...CHEAP];

  it('--passes: flags of the other mode and out-of-range values are refused (exit 2) before anything loads', async () => {
    const runs = await Promise.all([
      cli([...PASSES, '-o', 'bad/', '--iterations', '3']),
      cli([...PASSES, '-o', 'bad/', '--long-term', '1']),
      cli(['video', 'three', 'style.png', '-o', 'bad/', '--blend-weight', '2', ...CHEAP]),
      cli([...PASSES, '-o', 'bad/', '--passes', '0']),
      cli([...PASSES, '-o', 'bad/', '--max-frames', '2']),
    ]);
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 2, 2]);
    expect(runs[0].stderr).toMatch(/--iterations is for a single pass; with --passes, give --pass-iterations N/);
    expect(runs[1].stderr).toMatch(/--long-term is for a single pass/);
    expect(runs[2].stderr).toMatch(/--blend-weight is for the multi-pass mode: give --passes N too/);
    expect(runs[3].stderr).toMatch(/--passes/);
    expect(runs[4].stderr).toMatch(/three has 3 frames, more than --max-frames 2: the multi-pass mode keeps every frame in memory/);
    for (const r of runs) expect(r.events.some((e) => e.event === 'loading' || e.event === 'start')).toBe(false);
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  });

  it('--passes writes the frames and the MP4, reports each pass, and refuses to resume without --fresh', async () => {
    const run = await cli([...PASSES, '-o', 'passes.mp4']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.events.filter((e) => e.event === 'pass')).toEqual([
      { event: 'pass', pass: 1, passes: 2, direction: 'forward' },
      { event: 'pass', pass: 2, passes: 2, direction: 'backward' },
    ]);
    const iterations = run.events.filter((e) => e.event === 'iteration');
    // Pass 1 forward (frames 0, 1, 2), pass 2 backward (2, 1, 0); each frame's iterations in a row.
    const order = iterations.map((e) => [e.pass, e.frame]).filter((p, i, all) => i === 0 || String(p) !== String(all[i - 1]));
    expect(order).toEqual([[1, 0], [1, 1], [1, 2], [2, 2], [2, 1], [2, 0]]);
    const frames = run.events.filter((e) => e.event === 'frame');
    expect(frames.map((e) => [e.index, e.resumed, e.iterations])).toEqual([0, 1, 2].map((i) => [i, false, 4]));
    for (const e of frames.slice(1)) expect(e.temporalError).toBeGreaterThan(0);
    expect(run.events.at(-1)).toMatchObject({ event: 'done', output: 'passes.mp4', count: 3, resumed: 0, passes: 2 });
    expect(readdirSync(join(dir, 'passes.mp4.frames')).sort()).toEqual(['frame_00001.png', 'frame_00002.png', 'frame_00003.png']);
    const decoded = await collect(framesFromVideo(join(dir, 'passes.mp4')));
    expect(decoded.map((f) => [f.width, f.height])).toEqual(Array(3).fill([32, 24]));

    const again = await cli([...PASSES, '-o', 'passes.mp4']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/passes\.mp4\.frames already holds 3 stylised frames, and a multi-pass run \(--passes\) cannot resume.*--fresh/);
    expect(again.events.some((e) => e.event === 'start')).toBe(false);
  });

  it('--passes: Ctrl-C in the second pass exits 130 and writes nothing', async () => {
    let interrupted = false;
    const run = await cli([...PASSES, '-o', 'cut-passes'], (e, child) => {
      if (!interrupted && e.event === 'iteration' && e.pass === 2) interrupted = child.kill('SIGINT');
    });
    expect(interrupted).toBe(true);
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).toMatch(/interrupted in pass 2 of 2: nothing was written \(a multi-pass run writes its frames after its last pass and cannot resume\)/);
    expect(run.events.at(-1)).toMatchObject({ event: 'error', code: 'ABORTED', exitCode: 130 });
    expect(run.events.some((e) => e.event === 'frame' || e.event === 'done')).toBe(false);
    expect(existsSync(join(dir, 'cut-passes'))).toBe(false);
  });
});
