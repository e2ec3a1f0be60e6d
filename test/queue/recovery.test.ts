/**
 * Several worker processes on one queue, with real Redis: two workers share the jobs; a worker killed with
 * SIGKILL in the middle of a sweep has its job picked up by another after the stall interval, and the sweep's
 * merged record matches a local `sweep()` (settings equal, losses within float noise). Run `npx tsup` first.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage, ready } from '../../src/adapters/node.js';
import { sweep } from '../../src/experiments.js';
import { createQueue, folderStorage, type StyleQueue } from '../../src/queue/index.js';
import { hasRedisServer, spawnWorker, startRedis, tempDir, tinyPng, type WorkerProcess } from '../helpers/queue.js';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(!hasRedisServer)('queue with several worker processes', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let queue: StyleQueue;
  let dir: string;
  let name: string;
  const workers: WorkerProcess[] = [];
  const start = (): WorkerProcess => {
    const w = spawnWorker({ QUEUE_URL: redis.url, QUEUE_NAME: name, QUEUE_STORAGE: dir, QUEUE_LOCK_MS: '2000', QUEUE_STALLED_MS: '1000' });
    workers.push(w);
    return w;
  };
  const content = tinyPng('recovery content');
  const style = tinyPng('recovery style');

  beforeAll(async () => {
    redis = await startRedis();
    dir = tempDir('several');
    name = `several-${process.pid}-${Date.now()}`;
    queue = await createQueue({ connection: redis.url, name, storage: folderStorage(dir), backoffMs: 100 });
  });

  afterAll(async () => {
    for (const w of workers) {
      if (w.proc.exitCode === null && w.proc.signalCode === null) {
        w.proc.kill('SIGTERM');
        await w.exited;
      }
    }
    await queue?.close();
    redis?.stop();
  });

  it('a worker killed with SIGKILL mid-sweep: another takes its job, and the record matches a local sweep()', async () => {
    const options = { size: 32, seed: 5, vary: { weightRatio: [1e-3, 1e-1] }, iterations: [2, 3] };
    const a = start();
    await a.waitFor(/^child \d+ ready/);
    const queued = await queue.sweep({ ...options, content, style });
    expect(queued.jobs.map((j) => j.id)).toEqual([`sweep-${queued.id}-0`, `sweep-${queued.id}-1`]);
    // Kill A (process and all) as soon as it computes the first run.
    const first = queued.jobs[0];
    for (let i = 0; i < 1200 && !(await first.progress()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await first.state()).toBe('active');
    const aChild = Number(/^child (\d+) ready/.exec(await a.waitFor(/^child \d+ ready/))![1]);
    a.proc.kill('SIGKILL');
    expect(await a.exited).toBe('SIGKILL');
    const b = start();
    const result = await queued.result();
    // B did both runs (A finished none); A's child went away with its parent.
    expect(b.lines.some((l) => l.startsWith(`job ${first.id} (sweep-point) started`))).toBe(true);
    expect(a.lines.some((l) => /^job .* done/.test(l))).toBe(false);
    expect(alive(aChild)).toBe(false);
    // Enqueueing the same sweep again finds the finished jobs (resumable, nothing runs twice).
    const again = await queue.sweep({ ...options, content, style });
    expect(again.id).toBe(queued.id);
    expect((await again.result()).record.cells).toEqual(result.record.cells);
    expect(b.lines.filter((l) => /^job sweep-.* started/.test(l))).toHaveLength(2);

    await ready();
    const local = await sweep({ ...options, content: decodeImage(content), style: decodeImage(style) });
    const q = result.record;
    const l = local.record;
    expect(q.format).toBe(l.format);
    expect(q.options).toEqual(l.options);
    expect(q.inputs).toEqual(l.inputs);
    expect(q.rows).toEqual(l.rows);
    expect(q.columns).toEqual(l.columns);
    expect(q.weightsSha256).toBe(l.weightsSha256);
    expect(q.cells).toHaveLength(l.cells.length);
    q.cells.forEach((c, i) => {
      const lc = l.cells[i];
      expect([c.row, c.column, c.rowLabel, c.columnLabel, c.iterationsDone, c.stopReason]).toEqual([lc.row, lc.column, lc.rowLabel, lc.columnLabel, lc.iterationsDone, lc.stopReason]);
      expect(c.settings).toEqual(lc.settings);
      for (const k of ['total', 'content', 'style', 'tv'] as const) expect(Math.abs(c.loss[k] - lc.loss[k])).toBeLessThanOrEqual(1e-3 * Math.abs(lc.loss[k]) + 1e-6);
    });
    // The images: stored once per cell, and the same pictures as the local run's (within a grey level or two).
    const loaded = await result.load();
    loaded.cells.forEach((c, i) => {
      const li = local.cells[i].image;
      expect([c.image.width, c.image.height]).toEqual([li.width, li.height]);
      let worst = 0;
      for (let p = 0; p < li.data.length; p++) worst = Math.max(worst, Math.abs(c.image.data[p] - li.data[p]));
      expect(worst).toBeLessThanOrEqual(3);
    });
  }, 600_000);

  it('two workers share a queue: each takes jobs, every job done once', async () => {
    const b = workers[workers.length - 1];
    const c = start();
    await Promise.all([b.waitFor(/^child \d+ ready/), c.waitFor(/^child \d+ ready/)]);
    const jobs = await Promise.all([0, 1, 2, 3].map((i) => queue.stylize(content, style, { size: 32, iterations: 2, seed: 10 + i })));
    const results = await Promise.all(jobs.map((j) => j.result()));
    expect(new Set(results.map((r) => r.worker)).size).toBe(2);
    expect(results.every((r) => r.attempt === 1)).toBe(true);
    for (const j of jobs) expect([b, c].flatMap((w) => w.lines).filter((l) => l.startsWith(`job ${j.id} (stylize) started`))).toHaveLength(1);
  }, 600_000);

  it('SIGTERM: an idle worker exits at once; a busy one past its grace returns its job to the queue, not counted as an attempt', async () => {
    for (const w of workers.filter((x) => x.proc.exitCode === null && x.proc.signalCode === null)) {
      w.proc.kill('SIGTERM');
      expect(await w.exited).toBe(0);
    }
    const d = spawnWorker({ QUEUE_URL: redis.url, QUEUE_NAME: name, QUEUE_STORAGE: dir, QUEUE_GRACE_MS: '500' });
    workers.push(d);
    const job = await queue.stylize(content, style, { size: 32, iterations: 200, seed: 20 });
    for (let i = 0; i < 1200 && !(await job.progress()); i++) await new Promise((r) => setTimeout(r, 50));
    d.proc.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    expect(d.lines).toContain(`job ${job.id} returned to the queue`);
    expect(await job.info()).toMatchObject({ state: 'waiting', attempts: 0 });
    expect(await queue.cancel(job.id)).toBe('removed');
  }, 300_000);
});
