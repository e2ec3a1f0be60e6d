/**
 * Multi-threaded WASM in Node (src/adapters/node/wasm-threads.ts, wired into src/adapters/node.ts).
 *
 * The thread pool is fixed when the backend starts, once per process, so each case runs a child Node process on
 * a script bundled from the sources with esbuild (tfjs stays external, i.e. the installed packages). The child
 * starts the backend, runs a few convolutions on fixed inputs and prints the results; the parent checks the
 * threads it got, compares the numbers across settings, and times how long the child takes to exit.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { threadsFromEnv } from '../src/adapters/node/wasm-threads.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
// Inside the repo so that the external @tensorflow/* imports resolve to its node_modules.
const WORK = join(ROOT, 'node_modules', '.cache', 'nst-wasm-threads-test');
const CHILD = join(WORK, 'child.mjs');

const CHILD_SOURCE = `
import * as tf from '@tensorflow/tfjs-core';
import os from 'node:os';
import { ready, setWasmThreads, wasmThreads } from ${JSON.stringify(join(ROOT, 'src', 'adapters', 'node.ts'))};
import { enableWasmThreads } from ${JSON.stringify(join(ROOT, 'src', 'adapters', 'node', 'wasm-threads.ts'))};

const env = process.env;
const plan = env.FAULT
  ? await enableWasmThreads({ threads: 2, fault: env.FAULT, timeoutMs: Number(env.TIMEOUT_MS ?? 30000) })
  : env.SET_THREADS ? await setWasmThreads(Number(env.SET_THREADS)) : undefined;
const backend = await ready(env.BACKEND || undefined);

// Deterministic inputs: VGG-like convolutions (3→64 with the first layer's shape, 64→128, a strided one) and a matMul.
const det = (shape, seed) => {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) { s = (s * 1664525 + 1013904223) >>> 0; v[i] = s / 2 ** 32 - 0.5; }
  return tf.tensor(v, shape);
};
const cases = [
  () => tf.conv2d(tf.mul(det([1, 64, 64, 3], 1), 255), det([3, 3, 3, 64], 2), 1, 'same'),
  () => tf.relu(tf.conv2d(det([1, 48, 48, 64], 3), det([3, 3, 64, 128], 4), 1, 'same')),
  () => tf.conv2d(det([1, 33, 33, 32], 5), det([3, 3, 32, 16], 6), 2, 'valid'),
  () => tf.matMul(det([300, 200], 7), det([200, 150], 8)),
];
const outputs = cases.map((f) => { const t = tf.tidy(f); const v = t.dataSync(); t.dispose(); return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64'); });
const after = env.AFTER_THREADS ? await setWasmThreads(Number(env.AFTER_THREADS)) : undefined;
// Give late events from abandoned workers (a failed threaded start) time to surface before reporting.
await new Promise((r) => setTimeout(r, Number(env.LINGER_MS ?? 0)));
// What start-up must leave behind: no global Worker (Node has none), os.cpus() reporting the real cores, no
// process-wide listeners from the emscripten glue.
const globals = { worker: typeof globalThis.Worker, cpus: os.cpus().length, parallelism: os.availableParallelism(), uncaught: process.listenerCount('uncaughtException') + process.listenerCount('unhandledRejection') };
process.stdout.write(JSON.stringify({ plan, backend, threads: wasmThreads(), after, outputs, globals, doneAt: Date.now() }) + '\\n');
`;

interface ChildResult {
  plan?: { threads: number; reason?: string };
  backend: string;
  threads?: { threads: number; reason?: string };
  after?: { threads: number; reason?: string };
  outputs: Float32Array[];
  globals: { worker: string; cpus: number; parallelism: number; uncaught: number };
  /** ms between the child's last line and its exit. */
  exitLagMs: number;
  stderr: string;
}

function runChild(env: Record<string, string>, nodeArgs: string[] = []): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...nodeArgs, CHILD], { env: { ...process.env, NST_WASM_THREADS: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    // A child that does not exit by itself is the failure this guards against: kill it and say so.
    const killer = setTimeout(() => p.kill('SIGKILL'), 90_000);
    p.on('error', reject);
    p.on('close', (code, signal) => {
      clearTimeout(killer);
      const exitedAt = Date.now();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || !line) return reject(new Error(`child exited with ${code ?? signal}\nstdout: ${out.slice(0, 2000)}\nstderr: ${err.slice(0, 4000)}`));
      const r = JSON.parse(line) as Omit<ChildResult, 'outputs' | 'exitLagMs' | 'stderr'> & { outputs: string[]; doneAt: number };
      const outputs = r.outputs.map((b) => {
        const buf = Buffer.from(b, 'base64');
        return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
      });
      resolve({ ...r, outputs, exitLagMs: exitedAt - r.doneAt, stderr: err });
    });
  });
}

/** Largest |a−b| relative to the largest |b| of each output. */
function maxRelDiff(a: Float32Array[], b: Float32Array[]): number {
  let worst = 0;
  a.forEach((x, k) => {
    const y = b[k];
    expect(x.length).toBe(y.length);
    let scale = 0;
    let diff = 0;
    for (let i = 0; i < y.length; i++) {
      scale = Math.max(scale, Math.abs(y[i]));
      diff = Math.max(diff, Math.abs(x[i] - y[i]));
    }
    worst = Math.max(worst, diff / scale);
  });
  return worst;
}

const WARNING = /WASM threads unavailable/g;
// Exit lag: a hanging pool would hold the process forever; a busy shared machine can add a second or two.
const EXIT_LAG_MS = 5_000;

describe('WASM threads in Node', () => {
  let cpu: ChildResult;
  let single: ChildResult;
  let threaded: ChildResult;

  beforeAll(async () => {
    mkdirSync(WORK, { recursive: true });
    writeFileSync(join(WORK, 'child.ts'), CHILD_SOURCE);
    await build({
      entryPoints: [join(WORK, 'child.ts')],
      outfile: CHILD,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      external: ['@tensorflow/*'],
      logLevel: 'warning',
    });
    // Sequential: the machine may have 2 cores, and the threaded child wants both.
    cpu = await runChild({ BACKEND: 'cpu', NST_WASM_THREADS: '1' });
    single = await runChild({ NST_WASM_THREADS: '1' });
    threaded = await runChild({ NST_WASM_THREADS: '2' });
  });

  it('starts the threaded binary with 2 threads when asked (NST_WASM_THREADS=2), whatever the core count', () => {
    expect(threaded.backend).toBe('wasm');
    expect(threaded.threads).toEqual({ threads: 2 });
    expect(threaded.stderr).not.toMatch(WARNING);
  });

  it('leaves nothing patched after start-up: no global Worker, the real os.cpus(), no process listeners', () => {
    for (const r of [threaded, single]) expect(r.globals).toEqual({ worker: 'undefined', cpus: r.globals.parallelism, parallelism: r.globals.parallelism, uncaught: 0 });
  });

  it('NST_WASM_THREADS=1 turns threading off, silently', () => {
    expect(single.backend).toBe('wasm');
    expect(single.threads).toEqual({ threads: 1, reason: 'turned off' });
    expect(single.stderr).not.toMatch(WARNING);
  });

  it('threaded and single-threaded WASM compute the same convolutions (and match the CPU backend)', () => {
    expect(cpu.backend).toBe('cpu');
    expect(maxRelDiff(threaded.outputs, single.outputs)).toBeLessThan(1e-5);
    expect(maxRelDiff(threaded.outputs, cpu.outputs)).toBeLessThan(1e-4);
    expect(maxRelDiff(single.outputs, cpu.outputs)).toBeLessThan(1e-4);
  });

  it('the process exits promptly with the pool alive (workers never hold it open)', () => {
    expect(threaded.exitLagMs).toBeLessThan(EXIT_LAG_MS);
    expect(single.exitLagMs).toBeLessThan(EXIT_LAG_MS);
  });

  it('setWasmThreads() picks the count before first use and reports, after start, that it is too late', async () => {
    const r = await runChild({ SET_THREADS: '2', NST_WASM_THREADS: '1', AFTER_THREADS: '1' });
    expect(r.plan).toEqual({ threads: 2 });
    expect(r.threads).toEqual({ threads: 2 });
    expect(r.after?.threads).toBe(2);
    expect(r.after?.reason).toMatch(/already started/);
    expect(r.exitLagMs).toBeLessThan(EXIT_LAG_MS);
  });

  describe('falls back to single-threaded WASM with one warning line', () => {
    const fallback = async (env: Record<string, string>, reason: RegExp, nodeArgs: string[] = []) => {
      const r = await runChild({ LINGER_MS: '1000', ...env }, nodeArgs);
      expect(r.backend).toBe('wasm');
      expect(r.threads?.threads).toBe(1);
      expect(r.threads?.reason).toMatch(reason);
      expect(r.stderr.match(WARNING)).toHaveLength(1);
      expect(r.stderr).not.toMatch(/Uncaught|worker sent an error|Aborted/);
      expect(maxRelDiff(r.outputs, single.outputs)).toBeLessThan(1e-5);
      expect(r.exitLagMs).toBeLessThan(EXIT_LAG_MS);
    };

    it('when worker_threads refuses to start a worker', () => fallback({ FAULT: 'spawn' }, /refused/));
    it('when the workers fail while loading', () => fallback({ FAULT: 'worker-error' }, /simulated worker failure/));
    it('when the workers never report back (timeout)', () => fallback({ FAULT: 'worker-silent', TIMEOUT_MS: '1500' }, /took over 1500 ms/));
    it('when the Node permission model forbids workers', () =>
      fallback({ NST_WASM_THREADS: '2' }, /not permitted/, ['--experimental-permission', `--allow-fs-read=*`, '--no-warnings']));
  });
});

describe('threadsFromEnv', () => {
  it('reads NST_WASM_THREADS', () => {
    expect(threadsFromEnv(undefined)).toBeUndefined();
    expect(threadsFromEnv('')).toBeUndefined();
    expect(threadsFromEnv('auto')).toBeUndefined();
    expect(threadsFromEnv('1')).toBe(1);
    expect(threadsFromEnv('4')).toBe(4);
  });
  it('ignores nonsense with a warning', () => {
    const warn = console.warn;
    const seen: string[] = [];
    console.warn = (m: string) => seen.push(m);
    try {
      expect(threadsFromEnv('0')).toBeUndefined();
      expect(threadsFromEnv('two')).toBeUndefined();
      expect(threadsFromEnv('1.5')).toBeUndefined();
    } finally {
      console.warn = warn;
    }
    expect(seen).toHaveLength(3);
  });
});
