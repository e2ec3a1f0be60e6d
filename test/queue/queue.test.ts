/**
 * The queue with real Redis and a real worker process: enqueue → result, progress, bad input failing at once
 * with its code, a crashed child retried, cancellation of a waiting and of a running job, and the storage.
 * Run `npx tsup` first (the worker process runs the built package).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/adapters/node/image-io.js';
import { StyleTransferError } from '../../src/errors.js';
import { createQueue, folderStorage, type StyleQueue } from '../../src/queue/index.js';
import { hasRedisServer, spawnWorker, startRedis, tempDir, tinyPng, type WorkerProcess } from '../helpers/queue.js';

const codeOf = async (p: Promise<unknown>): Promise<string | undefined> =>
  p.then(
    () => undefined,
    (e: unknown) => (e instanceof StyleTransferError ? e.code : `not coded: ${(e as Error).message}`),
  );

describe('folderStorage', () => {
  it('writes atomically, overwrites by key, rejects keys that leave the folder', async () => {
    const dir = tempDir('storage');
    const s = folderStorage(dir);
    expect(await s.has('q/1/output.png')).toBe(false);
    expect(await s.get('q/1/output.png')).toBeUndefined();
    await s.put('q/1/output.png', new Uint8Array([1, 2, 3]));
    await s.put('q/1/output.png', new Uint8Array([4, 5]));
    expect([...(await s.get('q/1/output.png'))!]).toEqual([4, 5]);
    expect(await s.has('q/1/output.png')).toBe(true);
    expect(readdirSync(join(dir, 'q', '1'))).toEqual(['output.png']); // no temp file left
    for (const bad of ['../x', '/abs', 'a/../b', 'a//b', '']) {
      await expect(s.put(bad, new Uint8Array(1))).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    }
  });
});

describe.skipIf(!hasRedisServer)('queue with one worker process', () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let queue: StyleQueue;
  let worker: WorkerProcess;
  let dir: string;
  const content = tinyPng('queue content');
  const style = tinyPng('queue style');

  beforeAll(async () => {
    redis = await startRedis();
    dir = tempDir('one');
    const name = `one-${process.pid}-${Date.now()}`;
    worker = spawnWorker({ QUEUE_URL: redis.url, QUEUE_NAME: name, QUEUE_STORAGE: dir });
    queue = await createQueue({ connection: redis.url, name, storage: folderStorage(dir), attempts: 3, backoffMs: 100 });
    await worker.waitFor(/^child \d+ ready/);
  });

  afterAll(async () => {
    if (worker) {
      worker.proc.kill('SIGTERM');
      await worker.exited;
    }
    await queue?.close();
    redis?.stop();
  });

  it('enqueue → result: the image and snapshots stored under the job id, progress reported', async () => {
    const seen: number[] = [];
    let jobId = '';
    const off = queue.onProgress((id, p) => {
      if (id === jobId) seen.push(p.iteration);
    });
    const job = await queue.stylize(content, style, { size: 32, iterations: 3, snapshots: [2], seed: 1 });
    jobId = job.id;
    const r = await job.result();
    off();
    expect(r).toMatchObject({ kind: 'stylize', width: 32, height: 32, iterations: 3, stopReason: 'completed', attempt: 1 });
    expect(r.key).toBe(`${queue.name}/${job.id}/output.png`);
    expect(r.snapshots).toEqual([{ iteration: 2, key: `${queue.name}/${job.id}/snapshot-2.png` }]);
    expect(Number.isFinite(r.loss.total) && r.loss.total > 0).toBe(true);
    const img = decodeImage((await queue.storage.get(r.key))!);
    expect([img.width, img.height]).toEqual([32, 32]);
    expect(readdirSync(join(dir, queue.name, job.id)).sort()).toEqual(['output.png', 'snapshot-2.png']);
    expect((await job.progress())?.iteration).toBe(3);
    expect(seen.length).toBeGreaterThan(0);
    expect(await job.state()).toBe('completed');
  });

  it('bad input fails at once with its code, without retries', async () => {
    const t0 = Date.now();
    const layer = await queue.stylize(content, style, { size: 32, iterations: 2, styleLayers: ['conv9_9'] });
    const option = await queue.stylize(content, style, { size: 32, iterations: 2, tvWeight: -1 });
    const image = await queue.stylize(new Uint8Array([1, 2, 3, 4]), style, { size: 32, iterations: 2 });
    const missing = await queue.stylize(join(dir, 'no-such.png'), style, { size: 32, iterations: 2 });
    expect(await codeOf(layer.result())).toBe('UNKNOWN_LAYER');
    expect(await codeOf(option.result())).toBe('INVALID_OPTION');
    expect(await codeOf(image.result())).toBe('UNSUPPORTED_IMAGE'); // not PNG or JPEG
    expect(await codeOf(missing.result())).toBe('INVALID_IMAGE');
    for (const j of [layer, option, image, missing]) expect(await j.info()).toMatchObject({ state: 'failed', attempts: 1 });
    expect(Date.now() - t0).toBeLessThan(60_000);
    // Options that cannot travel in a job are refused before enqueueing.
    await expect(queue.stylize(content, style, { size: 32, onIteration: () => undefined } as never)).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });

  it('a crashed child process is a transient error: the job runs again in a new child', async () => {
    const job = await queue.stylize(content, style, { size: 32, iterations: 200, seed: 2 });
    // Wait until the child computes, then kill it (the worker process survives and starts a new child).
    for (let i = 0; i < 600 && !(await job.progress()); i++) await new Promise((r) => setTimeout(r, 100));
    const pid = Number(/^child (\d+) ready/.exec(worker.lines.filter((l) => /^child \d+ ready/.test(l)).at(-1)!)![1]);
    process.kill(pid, 'SIGKILL');
    await worker.waitFor(new RegExp(`^job ${job.id} failed: .*exited \\(SIGKILL\\)`));
    // Retried after the backoff, in a new child: stop it once it runs (it would run 200 iterations).
    await worker.waitFor(new RegExp(`^job ${job.id} \\(stylize\\) started, attempt 2`));
    expect(await queue.cancel(job.id)).toBe('stopping');
    expect(await codeOf(job.result())).toBe('ABORTED');
    const info = await job.info();
    expect(info.attempts).toBe(2); // the crash, then the cancelled retry
  }, 240_000);

  it('cancel: a waiting job is removed, a running one stops with ABORTED and is not retried', async () => {
    const running = await queue.stylize(content, style, { size: 32, iterations: 200, seed: 3 });
    const waiting = await queue.stylize(content, style, { size: 32, iterations: 2, seed: 4 });
    for (let i = 0; i < 600 && !(await running.progress()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await running.state()).toBe('active');
    expect(await queue.cancel(waiting.id)).toBe('removed');
    expect(await waiting.state()).toBe('unknown');
    const t0 = Date.now();
    expect(await queue.cancel(running.id)).toBe('stopping');
    expect(await codeOf(running.result())).toBe('ABORTED');
    expect(Date.now() - t0).toBeLessThan(20_000);
    const info = await running.info();
    expect(info).toMatchObject({ state: 'failed', attempts: 1 });
    expect(info.progress!.iteration).toBeLessThan(200);
    expect(existsSync(join(dir, queue.name, running.id))).toBe(false); // nothing stored
    expect(await queue.cancel(running.id)).toBe('finished');
  });
});
