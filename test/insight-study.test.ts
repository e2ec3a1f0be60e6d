/**
 * The layer study: `study()` in-process (measurements recorded for every cell, a cache that makes a second call
 * run nothing, no tensor left behind), and the `study` command as a user runs it — the BUILT dist/cli.js (run
 * `npx tsup` first) at 32 px, 1–2 iterations, two or three layers: one self-contained HTML report with the JSON
 * record embedded and written beside it, a rerun that takes every run from the state file, Ctrl-C after the
 * first runs then a rerun that finishes only the rest, and `--replay` (and `replaySweep` of an embedded sweep
 * record) giving the same numbers again.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ready, loadVgg19, type Vgg19 } from '../src/adapters/node.js';
import { replaySweep } from '../src/experiments.js';
import { encodeImage } from '../src/adapters/node/image-io.js';
import { study, studyRuns, type StudyCacheEntry, type StudyRecord } from '../src/insight/study.js';
import { loadImage, type RgbPixels } from './helpers/images.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  events: Record<string, unknown>[];
}

function cli(args: string[], cwd: string, onEvent?: (e: Record<string, unknown>, kill: () => void) => void): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, 'study', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let pending = '';
    const events: Record<string, unknown>[] = [];
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      pending += d;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const e = JSON.parse(pending.slice(0, nl)) as Record<string, unknown>;
        pending = pending.slice(nl + 1);
        events.push(e);
        onEvent?.(e, () => child.kill('SIGINT'));
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, events });
    });
  });
}

const rgba = (p: RgbPixels) => {
  const data = new Uint8ClampedArray(p.width * p.height * 4);
  for (let i = 0; i < p.width * p.height; i++) data.set([p.data[3 * i], p.data[3 * i + 1], p.data[3 * i + 2], 255], 4 * i);
  return { data, width: p.width, height: p.height };
};

let model: Vgg19;
let dir: string;
const content = () => loadImage('tubingen', 40);
const style = () => loadImage('starry_night', 40);
/** The small study every CLI case runs (4 runs: receptive fields, conv1_1, conv2_1, conv1_2). */
const ARGS = ['content.png', 'style.png', '--size', '32', '--iterations', '1,2', '--layers', 'conv1_1,conv2_1', '--reconstruct-layers', 'conv1_2', '--no-cumulative', '--json', '-o', 'report.html'];

beforeAll(async () => {
  await ready();
  model = await loadVgg19();
  dir = mkdtempSync(join(tmpdir(), 'nst-study-'));
  writeFileSync(join(dir, 'content.png'), encodeImage(rgba(content()), 'png'));
  writeFileSync(join(dir, 'style.png'), encodeImage(rgba(style()), 'png'));
}, 600_000); // loading the weights takes minutes when the shared machine is busy

afterAll(() => {
  model?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('study()', () => {
  it('measures every cell, reuses its cache and leaves no tensor behind', async () => {
    const entries = new Map<string, StudyCacheEntry>();
    const cache = { get: (k: string) => entries.get(k), put: (k: string, e: StudyCacheEntry) => void entries.set(k, e) };
    const options = { pairs: [{ content: content(), style: style() }], size: 32, iterations: [1, 2], styleLayers: ['conv2_1'], cumulative: false, contentLayers: [], model, cache };
    const before = tf.memory().numTensors;
    const first = await study(options);
    expect(tf.memory().numTensors).toBe(before);
    expect(entries.size).toBe(2); // receptive fields + one run
    const pair = first.pairs[0];
    expect(pair.receptiveFields.map((r) => r.theoretical)).toEqual([3, 5, 10, 14, 24, 32, 40, 48, 68, 84, 100, 116, 156, 188, 220, 252]);
    for (const r of pair.receptiveFields) expect(r.effective).toBeLessThanOrEqual(r.theoretical);
    const single = pair.experiments[0];
    expect(single.sweep.cells.map((c) => [c.row, c.column, c.rowLabel, c.columnLabel])).toEqual([[0, 0, 'conv2_1', '1 it'], [0, 1, 'conv2_1', '2 it']]);
    for (const m of single.measurements) {
      expect(Object.keys(m.gram!)).toHaveLength(16);
      expect(m.psnr).toBeGreaterThan(10);
      expect(m.ssim).toBeLessThanOrEqual(1);
      expect(m.addedTexture!.peak).toBeGreaterThan(1);
    }
    // More iterations of conv2_1's style loss: its Gram distance goes down from where the content image started.
    expect(single.measurements[1].gram!.conv2_1).toBeLessThan(pair.baseline.conv2_1);

    const progress: boolean[] = [];
    const again = await study({ ...options, onProgress: (p) => void progress.push(p.cached) });
    expect(progress.every(Boolean)).toBe(true);
    expect(again.record.timings.cached).toBe(2);
    expect(again.record.pairs[0].experiments).toEqual(first.record.pairs[0].experiments.map((e) => ({ ...e, sweep: { ...e.sweep, created: again.record.pairs[0].experiments[0].sweep.created } })));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('studyRuns() lists the runs; select computes one (a queue job) or finds it in the cache', async () => {
    const entries = new Map<string, StudyCacheEntry>();
    const cache = { get: (k: string) => entries.get(k), put: (k: string, e: StudyCacheEntry) => void entries.set(k, e) };
    const options = { pairs: [{ content: content(), style: style() }], size: 32, iterations: [1], styleLayers: ['conv1_1'], cumulative: false, contentLayers: [], model, cache };
    expect(studyRuns(options).map((r) => [r.index, r.experiment, r.label])).toEqual([[0, 'receptive-fields', 'receptive fields'], [1, 'single', 'conv1_1']]);
    await expect(study({ ...options, select: 2 })).rejects.toThrow(/select/);
    const before = tf.memory().numTensors;
    const one = await study({ ...options, select: 1 });
    expect(tf.memory().numTensors).toBe(before);
    // Only the selected run was computed and kept; selected again, it comes from the cache.
    expect([...entries.keys()]).toEqual([one.key]);
    expect([one.run.experiment, one.cached, one.entry.kind]).toEqual(['single', false, 'run']);
    expect((await study({ ...options, select: 1 })).cached).toBe(true);
  });

  it('rejects bad options before any work', async () => {
    await expect(study({ pairs: [], model })).rejects.toThrow(/pairs/);
    await expect(study({ pairs: [{ content: content(), style: style() }], iterations: [2, 2], model })).rejects.toThrow(/iterations/);
    await expect(study({ pairs: [{ content: content(), style: style() }], styleLayers: ['conv9_1'], model })).rejects.toThrow(/unknown VGG-19 layer/);
  });
});

describe('neural-style-tfjs study', () => {
  let record: StudyRecord;

  it('writes one self-contained HTML report with its record embedded and beside it', async () => {
    const r = await cli(ARGS, dir);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    record = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as StudyRecord;
    // Nothing outside the page: no script that runs, no remote or relative file references.
    expect(html).not.toMatch(/<script(?![^>]*type="application\/json")/);
    expect(html).not.toMatch(/\b(src|href)="(?!data:)/);
    expect(html.match(/src="data:image\/png;base64,/g)!.length).toBeGreaterThanOrEqual(5); // content, style, RF picture, 2 sheets
    expect(html.match(/<svg /g)!.length).toBe(6); // RF overlay, 2 style charts + heat map, 2 content charts
    const embedded = JSON.parse(/<script type="application\/json" id="study-record">([\s\S]*?)<\/script>/.exec(html)![1]) as StudyRecord;
    expect(embedded).toEqual(record);
    expect(record.format).toBe('neural-style-tfjs/study@1');
    expect(record.pairs[0].inputs.content.path).toBe('content.png');
    expect(record.pairs[0].experiments.map((e) => [e.name, e.sweep.rows!.labels, e.measurements.length])).toEqual([['single', ['conv1_1', 'conv2_1'], 4], ['content', ['conv1_2'], 2]]);
    expect(record.pairs[0].experiments[1].measurements[1].features).toHaveProperty('relu2_1');
    expect(record.timings).toMatchObject({ runs: 4, cached: 0 });
    expect(r.events.filter((e) => e.event === 'run').map((e) => e.label)).toEqual(['receptive fields', 'conv1_1', 'conv2_1', 'conv1_2']);
  });

  it('run again, takes every run from the state file and writes the same numbers', async () => {
    const r = await cli(ARGS, dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.events.filter((e) => e.event === 'run').every((e) => e.cached === true)).toBe(true);
    expect(r.events.some((e) => e.event === 'iteration')).toBe(false);
    const again = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as StudyRecord;
    expect(again.timings.cached).toBe(4);
    expect(again.pairs.map((p) => p.experiments.map((e) => e.measurements))).toEqual(record.pairs.map((p) => p.experiments.map((e) => e.measurements)));
  });

  it('after Ctrl-C keeps the finished runs, writes no report, and a rerun does only the rest', async () => {
    const sub = mkdtempSync(join(dir, 'kill-'));
    for (const f of ['content.png', 'style.png']) writeFileSync(join(sub, f), readFileSync(join(dir, f)));
    let sent = false;
    const killed = await cli(ARGS, sub, (e, kill) => {
      // The third run starts once the receptive fields and conv1_1 are kept: interrupt it.
      if (!sent && e.event === 'run' && e.run === 2) {
        sent = true;
        kill();
      }
    });
    expect(killed.code, killed.stderr).toBe(130);
    expect(existsSync(join(sub, 'report.html'))).toBe(false);
    const state = JSON.parse(readFileSync(join(sub, 'report.state.json'), 'utf8')) as { format: string; entries: object };
    expect(state.format).toBe('neural-style-tfjs/study-state@1');
    expect(Object.keys(state.entries)).toHaveLength(2);
    const resumed = await cli(ARGS, sub);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.events.filter((e) => e.event === 'run').map((e) => e.cached)).toEqual([true, true, false, false]);
    const rec = JSON.parse(readFileSync(join(sub, 'report.json'), 'utf8')) as StudyRecord;
    expect(rec.pairs[0].experiments.map((e) => e.measurements)).toEqual(record.pairs[0].experiments.map((e) => e.measurements));
  });

  it('--replay runs the record again to the same numbers; an embedded sweep record replays with replaySweep', async () => {
    const r = await cli(['--replay', 'report.json', '--json', '--fresh', '-o', 'again.html'], dir);
    expect(r.code, r.stderr).toBe(0);
    const again = JSON.parse(readFileSync(join(dir, 'again.json'), 'utf8')) as StudyRecord;
    expect(again.timings.cached).toBe(0);
    expect(again.pairs[0].experiments.map((e) => e.measurements)).toEqual(record.pairs[0].experiments.map((e) => e.measurements));

    const sweepRecord = record.pairs[0].experiments[0].sweep;
    const replayed = await replaySweep(sweepRecord, { content: content(), style: style(), model });
    expect(replayed.cells.map((c) => c.loss.total)).toEqual(sweepRecord.cells.map((c) => c.loss.total));
  });

  it('refuses a bad state file or record with exit 2 and one line', async () => {
    writeFileSync(join(dir, 'bad.state.json'), '{"format":"something else","entries":{}}');
    const r = await cli([...ARGS.slice(0, -2), '-o', 'bad.html'], dir);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/not a study state file/);
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...record, options: { ...record.options, iterations: [0] } }));
    const r2 = await cli(['--replay', 'bad.json', '-o', 'x.html'], dir);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/options\.iterations\[0\]/);
  });
});
