/**
 * `neural-style-tfjs worker`: its flags and help, the queue flags' usage errors, and a real run against Redis (a
 * job done, SIGTERM exits 0). Runs the built CLI: `npx tsup` first.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createQueue, folderStorage } from '../../src/queue/index.js';
import { hasRedisServer, startRedis, tempDir, tinyPng } from '../helpers/queue.js';

const cli = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

describe('neural-style-tfjs worker', () => {
  it('prints its help; a missing --redis or an unknown flag is a usage error (exit 2)', () => {
    const help = spawnSync(process.execPath, [cli, 'worker', '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--redis URL');
    const missing = spawnSync(process.execPath, [cli, 'worker'], { encoding: 'utf8' });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('--redis');
    const unknown = spawnSync(process.execPath, [cli, 'worker', '--redis', 'redis://127.0.0.1:1', '--bogus'], { encoding: 'utf8' });
    expect(unknown.status).toBe(2);
    const badUrl = spawnSync(process.execPath, [cli, 'worker', '--redis', 'http://x'], { encoding: 'utf8' });
    expect(badUrl.status).toBe(2);
    expect(badUrl.stderr).toContain('redis://');
    // Listed in the main help; `help worker` is its help.
    expect(spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' }).stdout).toMatch(/^ {2}worker +run the jobs of/m);
    const viaHelp = spawnSync(process.execPath, [cli, 'help', 'worker'], { encoding: 'utf8' });
    expect([viaHelp.status, viaHelp.stdout]).toEqual([0, help.stdout]);
  });

  it('--queue-name or --storage without --queue, and flags that cannot reach the workers, are usage errors', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
    const noQueue = run('stylize', 'a.png', 'b.png', '-o', 'out.png', '--storage', 'x');
    expect([noQueue.status, noQueue.stderr]).toEqual([2, 'neural-style-tfjs: --storage goes with --queue URL\n']);
    const weights = run('sweep', 'a.png', 'b.png', '--vary', 'pooling=max,avg', '-o', 'sheet.png', '--queue', 'redis://127.0.0.1:1', '--weights', 'w');
    expect(weights.status).toBe(2);
    expect(weights.stderr).toContain('--weights does not reach the workers');
    // An output that is an input is refused as in a local run, before anything is enqueued.
    const dir = tempDir('cli-usage');
    writeFileSync(join(dir, 'c.png'), tinyPng('usage content'));
    writeFileSync(join(dir, 's.png'), tinyPng('usage style'));
    const clash = run('stylize', join(dir, 'c.png'), join(dir, 's.png'), '-o', join(dir, 'c.png'), '--queue', 'redis://127.0.0.1:1');
    expect(clash.status).toBe(2);
    expect(clash.stderr).toContain('refusing to overwrite an input');
  });

  describe.skipIf(!hasRedisServer)('with Redis', () => {
    let stop = (): void => undefined;
    afterAll(() => stop());

    it('runs jobs until SIGTERM, then exits 0', async () => {
      const redis = await startRedis();
      stop = redis.stop;
      const dir = tempDir('cli');
      const name = `cli-${process.pid}-${Date.now()}`;
      const proc = spawn(process.execPath, [cli, 'worker', '--redis', redis.url, '--name', name, '--storage', dir, '--threads', '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
      const queue = await createQueue({ connection: redis.url, name, storage: folderStorage(dir) });
      try {
        const job = await queue.stylize(tinyPng('cli content'), tinyPng('cli style'), { size: 32, iterations: 2 });
        const r = await job.result();
        expect(r.iterations).toBe(2);
        expect(await queue.storage.has(r.key)).toBe(true);
      } finally {
        await queue.close();
      }
      proc.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toMatch(/job \d+ done/);
    }, 300_000);
  });
});
