/**
 * Real Redis and real worker processes for the queue tests. `NST_REDIS_URL` points at a Redis to use (each test
 * file takes its own queue name); without it a private `redis-server` is started on a free 127.0.0.1 port and
 * stopped afterwards. When the binary is missing the tests are skipped with a message (CI installs it).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeImage } from '../../src/adapters/node/image-io.js';
import { synthetic } from './synthetic.js';

export const hasRedisServer = Boolean(process.env.NST_REDIS_URL) || spawnSync('redis-server', ['--version']).status === 0;
if (!hasRedisServer) console.warn('queue tests skipped: no redis-server binary (apt-get install redis-server) and NST_REDIS_URL is not set.');

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** A Redis URL for the tests, and a function that stops the server if this file started it. */
export async function startRedis(): Promise<{ url: string; stop: () => void }> {
  if (process.env.NST_REDIS_URL) return { url: process.env.NST_REDIS_URL, stop: () => undefined };
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/ready to accept connections/i.test(out)) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
  });
  return { url: `redis://127.0.0.1:${port}`, stop: () => void proc.kill('SIGTERM') };
}

/** A tiny PNG (synthetic picture, seeded by name). */
export function tinyPng(name: string, size = 32): Uint8Array {
  const rgb = synthetic(name, size, size);
  const data = new Uint8Array(size * size * 4);
  for (let i = 0; i < size * size; i++) {
    data.set([rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]].map(Math.round), 4 * i);
    data[4 * i + 3] = 255;
  }
  return encodeImage({ width: size, height: size, data }, 'png');
}

export const tempDir = (tag: string): string => mkdtempSync(join(tmpdir(), `nst-queue-${tag}-`));

/** A worker in its own process (test/helpers/queue-worker.mjs, on the built package: run `npx tsup` first). */
export interface WorkerProcess {
  proc: ChildProcess;
  /** Every line it printed so far. */
  lines: string[];
  /** Resolves with the first line matching `re` (already printed or to come). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the process has exited, with its exit code or signal. */
  exited: Promise<number | string>;
}

export function spawnWorker(env: Record<string, string>): WorkerProcess {
  const script = fileURLToPath(new URL('./queue-worker.mjs', import.meta.url));
  const proc = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  let buf = '';
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      for (const w of [...waiters]) {
        if (w.re.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  const exited = new Promise<number | string>((resolve) => proc.once('exit', (code, signal) => resolve(signal ?? code ?? -1)));
  return {
    proc,
    lines,
    exited,
    waitFor(re, timeoutMs = 90_000) {
      const hit = lines.find((l) => re.test(l));
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`worker ${proc.pid}: no line matching ${re} within ${timeoutMs} ms; got:\n${lines.join('\n')}`)), timeoutMs);
        waiters.push({ re, resolve: (l) => (clearTimeout(t), resolve(l)) });
      });
    },
  };
}
