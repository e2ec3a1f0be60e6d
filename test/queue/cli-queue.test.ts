/**
 * The CLI through a queue (`--queue URL`), with real Redis and real worker processes: a sweep whose worker is
 * SIGKILLed mid-sweep writes the record a local sweep() makes; a study through the queue equals a local study();
 * the same command again redoes nothing; stylize over a folder writes one image per photo. Kept cheap for CI:
 * 32 px images, 1–2 iterations, two runs per sweep and study (no content reconstruction), one surviving worker
 * reused by every test. Runs the built CLI and worker: `npx tsup` first.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStylizer, decodeImage, ready, type Stylizer } from '../../src/adapters/node.js';
import { study, sweep, type StudyRecord, type SweepRecord } from '../../src/experiments.js';
import { hasRedisServer, spawnWorker, startRedis, tempDir, tinyPng, type WorkerProcess } from '../helpers/queue.js';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** Runs the built CLI; resolves with its exit code and output. */
function runCli(args: string[]): { done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const proc = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return { done: new Promise((r) => proc.once('exit', (code) => r({ code, stdout, stderr }))) };
}

const events = (stdout: string): Record<string, unknown>[] => stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

/** Everything of a record but when it was made, how long it took, the command line and the library version (src is 0.0.0-dev, dist the package's). */
function settled(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(settled);
  if (!v || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.entries(v as Record<string, unknown>)
      .filter(([k]) => !['created', 'timings', 'elapsedMs', 'runMs', 'perIterationMs', 'command', 'library'].includes(k))
      .map(([k, x]) => [k, settled(x)]),
  );
}

describe.skipIf(!hasRedisServer)('the CLI through a queue', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let dir: string;
  let name: string;
  let queueArgs: string[];
  let content: string;
  let style: string;
  const workers: WorkerProcess[] = [];
  const start = (): WorkerProcess => {
    const w = spawnWorker({ QUEUE_URL: redis.url, QUEUE_NAME: name, QUEUE_STORAGE: join(dir, 'storage'), QUEUE_LOCK_MS: '2000', QUEUE_STALLED_MS: '1000' });
    workers.push(w);
    return w;
  };
  /** The worker that survives the first test and serves the others. */
  let b: WorkerProcess;
  /** One session for the local runs compared with. */
  let stylizer: Stylizer | undefined;
  const session = async (): Promise<Stylizer> => {
    await ready();
    return (stylizer ??= await createStylizer());
  };
  const started = (w: WorkerProcess): string[] => w.lines.filter((l) => / started, attempt/.test(l));

  beforeAll(async () => {
    redis = await startRedis();
    dir = tempDir('cli-queue');
    name = `cli-queue-${process.pid}-${Date.now()}`;
    queueArgs = ['--queue', redis.url, '--queue-name', name, '--storage', join(dir, 'storage')];
    content = join(dir, 'content.png');
    style = join(dir, 'style.png');
    writeFileSync(content, tinyPng('cli queue content'));
    writeFileSync(style, tinyPng('cli queue style'));
  });

  afterAll(async () => {
    for (const w of workers) {
      if (w.proc.exitCode === null && w.proc.signalCode === null) {
        w.proc.kill('SIGTERM');
        await w.exited;
      }
    }
    stylizer?.dispose();
    redis?.stop();
  });

  it('sweep --queue with its worker SIGKILLed mid-sweep: another finishes it, the record is a local sweep()\'s; run again, it redoes nothing', async () => {
    const a = start();
    await a.waitFor(/^worker ready/);
    const args = ['sweep', content, style, '--vary', 'weight-ratio=1e-3,1e-1', '--iterations', '1,2', '--size', '32', '--seed', '3', '-o', join(dir, 'sheet.png'), '--json', ...queueArgs];
    const run = runCli(args);
    // Kill A (and with it its child) the moment it takes the first run, holding its lock: mid-sweep, mid-job. (Its
    // child may still be loading the weights: not waiting for it saves CI that much.)
    const first = await a.waitFor(/^job sweep-\S+ \(sweep-point\) started/);
    a.proc.kill('SIGKILL');
    expect(await a.exited).toBe('SIGKILL');
    expect(a.lines.some((l) => /^job .* done/.test(l))).toBe(false);
    b = start();
    const { code, stdout, stderr } = await run.done;
    expect(code, stderr).toBe(0);
    const firstId = /^job (\S+)/.exec(first)![1];
    expect(started(b).some((l) => l.startsWith(`job ${firstId} `))).toBe(true);
    expect(events(stdout).find((e) => e.event === 'queued')).toMatchObject({ kept: 0 });
    const record = JSON.parse(readFileSync(join(dir, 'sheet.json'), 'utf8')) as SweepRecord;

    const local = await sweep({ stylizer: await session(), content: decodeImage(readFileSync(content)), style: decodeImage(readFileSync(style)), vary: { weightRatio: [1e-3, 1e-1] }, iterations: [1, 2], size: 32, seed: 3 });
    const l = local.record;
    expect([record.options, record.rows, record.columns, record.weightsSha256]).toEqual([l.options, l.rows, l.columns, l.weightsSha256]);
    expect(record.cells).toHaveLength(4);
    record.cells.forEach((c, i) => {
      const lc = l.cells[i];
      expect([c.row, c.column, c.rowLabel, c.columnLabel, c.iterationsDone, c.settings]).toEqual([lc.row, lc.column, lc.rowLabel, lc.columnLabel, lc.iterationsDone, lc.settings]);
      for (const k of ['total', 'content', 'style', 'tv'] as const) expect(Math.abs(c.loss[k] - lc.loss[k])).toBeLessThanOrEqual(1e-3 * Math.abs(lc.loss[k]) + 1e-6);
    });

    // The same command again: both runs found done, nothing computed, the same record written.
    const again = await runCli(args).done;
    expect(again.code, again.stderr).toBe(0);
    expect(events(again.stdout).find((e) => e.event === 'queued')).toMatchObject({ kept: 2 });
    expect(started(b)).toHaveLength(2);
    expect(settled(JSON.parse(readFileSync(join(dir, 'sheet.json'), 'utf8')))).toEqual(settled(record));
  }, 300_000);

  it('study --queue: the record of a local study(); run again, it redoes nothing', async () => {
    const before = started(b).length;
    const args = ['study', content, style, '--layers', 'conv1_1', '--no-cumulative', '--reconstruct-layers', 'none', '--iterations', '2', '--size', '32', '-o', join(dir, 'study.html'), '--quiet', ...queueArgs];
    const { code, stderr } = await runCli(args).done;
    expect(code, stderr).toBe(0);
    // Two runs: the pair's receptive fields and conv1_1 alone, each a job on the worker.
    expect(started(b).slice(before).map((l) => /\((\S+)\)/.exec(l)![1])).toEqual(['study-run', 'study-run']);
    const record = JSON.parse(readFileSync(join(dir, 'study.json'), 'utf8')) as StudyRecord;
    expect(record.timings.cached).toBe(2);
    expect(readFileSync(join(dir, 'study.html'), 'utf8')).toContain('<html');

    const local = await study({ stylizer: await session(), pairs: [{ content: decodeImage(readFileSync(content)), style: decodeImage(readFileSync(style)), name: 'content + style' }], styleLayers: ['conv1_1'], cumulative: false, contentLayers: [], iterations: [2], size: 32 });
    // The CLI sets the images' paths; the rest (settings, losses, measurements, receptive fields) is the same.
    const paths = (r: StudyRecord) => JSON.parse(JSON.stringify(r, (k, v: unknown) => (k === 'path' ? undefined : v))) as unknown;
    expect(settled(paths(record))).toEqual(settled(paths(local.record)));

    const again = await runCli(args).done;
    expect(again.code, again.stderr).toBe(0);
    expect(started(b)).toHaveLength(before + 2);
  }, 300_000);

  it('stylize --queue over a folder of photos: one job and one image each', async () => {
    const photos = join(dir, 'photos');
    mkdirSync(photos);
    writeFileSync(join(photos, 'a.png'), tinyPng('cli queue photo a'));
    writeFileSync(join(photos, 'b.png'), tinyPng('cli queue photo b'));
    const out = join(dir, 'stylized');
    const { code, stdout, stderr } = await runCli(['stylize', photos, style, '-o', out, '--size', '32', '--iterations', '1', '--json', ...queueArgs]).done;
    expect(code, stderr).toBe(0);
    const done = events(stdout).find((e) => e.event === 'done') as { outputs: string[]; jobs: { iterations: number }[] };
    expect(done.outputs).toEqual([join(out, 'a.png'), join(out, 'b.png')]);
    expect(done.jobs.map((j) => j.iterations)).toEqual([1, 1]);
    for (const p of done.outputs) expect(decodeImage(readFileSync(p)).width).toBe(32);
  }, 300_000);
});
