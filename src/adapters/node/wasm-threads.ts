/**
 * Multi-threaded WASM in Node: makes TF.js's threaded-SIMD WASM binary (XNNPACK with a pthread pool) start on
 * Node `worker_threads`, which tfjs-backend-wasm 4.x turns off in Node. Used by the Node adapter.
 *
 * What stands in the way in tfjs-backend-wasm 4.x, and what this module does about each (all public hooks except
 * where noted; every assumption is checked first, and any failure falls back to the stock single-threaded WASM
 * backend with a one-line warning):
 * 1. The `WASM_HAS_MULTITHREAD_SUPPORT` flag is hard-wired to false in Node → set it (public `env().set`) and
 *    pick the pool size with `setThreadsCount` (public).
 * 2. Emscripten starts its pthread workers from a `blob:` URL of the worker script, which `worker_threads`
 *    refuses, and sends them the main script as a Blob holding `factory.toString()`, which in the Node bundle
 *    refers to bundler-scoped variables and cannot run on its own → while the backend starts, the global
 *    `Worker` (which the emscripten glue sets to `worker_threads.Worker` and then calls) is a subclass that runs
 *    the package's own worker script (`wasm-out/…threaded-simd.worker.js`, read here) in an `eval` worker and
 *    points the worker's `load` message at the package's standalone glue (`wasm-out/…threaded-simd.js`). It also
 *    keeps the workers unref'd (a process exits even with the pool alive) and turns a worker failure during
 *    start-up into a clean fallback instead of emscripten's uncaught throw.
 * 3. The native side caps the pool at `emscripten_num_logical_cores() / 2` (hyper-threading guess), read from
 *    `os.cpus().length` once when the module starts, so a 2-vCPU machine gets 1 thread → for that start-up
 *    window only, `os.cpus()` reports twice the requested thread count.
 * 4. Emscripten pre-starts a fixed pool of workers (8 in 4.22) and a pthread created beyond it would deadlock the
 *    main thread → the thread count is capped at pool size + 1 (the calling thread is in XNNPACK's pool too).
 * Once the backend has started (or failed to), nothing is left patched: `globalThis.Worker` and `os.cpus` are
 * restored (test/wasm-threads.test.ts checks it). The one lasting change is inside TF.js: the `wasm` entry of its
 * backend registry is this module's factory, installed by {@link enableWasmThreads} before first use.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { packageRequire } from './wasm-files.js';
import { Attempt, inflateCpuCount, trapGlobalWorker, type Fault, type Hooks } from './wasm-pthreads.js';

/** Options for {@link enableWasmThreads}. */
export interface WasmThreadsOptions {
  /**
   * Threads in the WASM backend's pool, counting the calling thread; `1` turns threading off. Default: the
   * number of logical cores (`os.availableParallelism()`). Capped at what the emscripten worker pool allows.
   */
  threads?: number;
  /** How long the threaded start-up may take before falling back to single-threaded WASM. Default 30 s. */
  timeoutMs?: number;
  /**
   * @internal Fault injection for tests: `'spawn'` = the Worker constructor throws (threads refused),
   * `'worker-error'` = every worker throws while loading, `'worker-silent'` = workers never report loaded.
   */
  fault?: Fault;
}

/** Threads the WASM backend runs with (or will ask for), and why it is 1 when threading is not in use. */
export interface WasmThreadsResult {
  threads: number;
  reason?: string;
}

/** The tfjs-backend-wasm major version this was written and tested against (4.22). */
const SUPPORTED_MAJOR = 4;
const FLAG = 'WASM_HAS_MULTITHREAD_SUPPORT';
const MAIN_SCRIPT = 'wasm-out/tfjs-backend-wasm-threaded-simd.js';
const WORKER_SCRIPT = 'wasm-out/tfjs-backend-wasm-threaded-simd.worker.js';
const DEFAULT_TIMEOUT_MS = 30_000;
/** wasm-feature-detect's threads probe (shared memory + an atomic op), as tfjs-backend-wasm uses in browsers. */
const THREADS_PROBE = [0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 4, 1, 3, 1, 1, 10, 11, 1, 9, 0, 65, 0, 254, 16, 2, 0, 26, 11];

interface Settings {
  threads: number;
  /** Why `threads` is 1; `quiet` when that is the user's choice or the machine's (no warning). */
  reason?: string;
  quiet?: boolean;
  timeoutMs: number;
  fault?: Fault;
}

let settings: Settings | undefined;
let status: WasmThreadsResult | undefined;
let hooksCache: Hooks | string | undefined;
let installed = false;
let warned = false;

function warnOnce(reason: string): void {
  if (warned) return;
  warned = true;
  console.warn(`neural-style-tfjs: WASM threads unavailable (${reason}); using single-threaded WASM.`);
}

function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0];
}

/** Parses `NST_WASM_THREADS`: a positive integer, or empty/`auto` for the default. Anything else → undefined + warning. */
export function threadsFromEnv(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '' || value.trim().toLowerCase() === 'auto') return undefined;
  const n = Number(value);
  if (Number.isInteger(n) && n >= 1) return n;
  console.warn(`neural-style-tfjs: ignoring NST_WASM_THREADS=${JSON.stringify(value)} (expected a whole number ≥ 1, or "auto").`);
  return undefined;
}

function defaultThreads(): number {
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : Math.max(1, os.cpus().length);
}

/** Checks, once, everything the threaded start relies on; returns the pieces or the reason it cannot work. */
function discoverHooks(): Hooks | string {
  if (hooksCache !== undefined) return hooksCache;
  hooksCache = (() => {
    if (typeof process === 'undefined' || !process.versions?.node) return 'not running in Node';
    if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return 'no SharedArrayBuffer/Atomics';
    try {
      if (!WebAssembly.validate(new Uint8Array(THREADS_PROBE))) return 'this WebAssembly engine lacks threads';
    } catch {
      return 'this WebAssembly engine lacks threads';
    }
    const permission = (process as unknown as { permission?: { has(scope: string): boolean } }).permission;
    if (permission && !permission.has('worker')) return 'worker threads are not permitted (Node permission model)';
    const version = typeof tfwasm.version_wasm === 'string' ? tfwasm.version_wasm : '?';
    if (Number(version.split('.')[0]) !== SUPPORTED_MAJOR) return `tfjs-backend-wasm ${version} is untested (written for ${SUPPORTED_MAJOR}.x)`;
    if (typeof tfwasm.setThreadsCount !== 'function' || typeof tfwasm.getThreadsCount !== 'function') return `tfjs-backend-wasm ${version} lacks setThreadsCount/getThreadsCount`;
    const flags = (tf.env() as unknown as { flagRegistry?: Record<string, unknown> }).flagRegistry;
    if (flags && !(FLAG in flags)) return `tfjs-backend-wasm ${version} does not register ${FLAG}`;
    try {
      const require = packageRequire();
      const pkgDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
      const mainScript = join(pkgDir, MAIN_SCRIPT);
      if (!existsSync(mainScript)) return `${MAIN_SCRIPT} is missing`;
      const pool = /pthreadPoolSize\s*=\s*(\d+)/.exec(readFileSync(mainScript, 'utf8'));
      if (!pool) return `unrecognised emscripten glue in ${MAIN_SCRIPT} (no pthread pool size)`;
      const workerSource = (require(join(pkgDir, WORKER_SCRIPT)) as { wasmWorkerContents?: unknown }).wasmWorkerContents;
      if (typeof workerSource !== 'string' || !/worker_threads/.test(workerSource) || !/urlOrBlob/.test(workerSource) || !/["']load["']/.test(workerSource)) {
        return `unrecognised emscripten worker in ${WORKER_SCRIPT}`;
      }
      // tfjs-backend-wasm does the same before making its blob: the file's template literal turned the "\n"
      // escapes inside string literals into real newlines.
      return { version, mainScript, workerSource: workerSource.replace(/\n/g, '\\n'), poolSize: Number(pool[1]) };
    } catch (e) {
      return `tfjs-backend-wasm files not found (${errorText(e)})`;
    }
  })();
  return hooksCache;
}

type Factory = () => tf.KernelBackend | Promise<tf.KernelBackend>;

async function startThreaded(orig: Factory, hooks: Hooks, threads: number, s: Settings): Promise<tf.KernelBackend> {
  const attempt = new Attempt(hooks, s.fault);
  const restoreWorker = trapGlobalWorker(attempt.WorkerClass);
  // The native pool is capped at emscripten_num_logical_cores() / 2, read once while the module starts.
  const restoreCpus = inflateCpuCount(2 * threads);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let backend: tf.KernelBackend | undefined;
  try {
    tf.env().set(FLAG, true);
    tfwasm.setThreadsCount(threads);
    const init = Promise.resolve().then(orig);
    init.catch(() => {});
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the threaded start took over ${s.timeoutMs} ms`)), s.timeoutMs);
      timer.unref?.();
    });
    backend = await Promise.race([init, attempt.failure, timeout]);
    if (attempt.workers.length === 0) throw new Error('tfjs-backend-wasm did not load the threaded binary');
    const actual = tfwasm.getThreadsCount();
    if (!(actual >= 2)) throw new Error(`the native thread pool has ${actual} thread(s)`);
    const reason = actual < threads ? `the native pool caps it at ${actual}` : s.reason;
    status = reason ? { threads: actual, reason } : { threads: actual };
    attempt.state = 'ok';
    return backend;
  } catch (e) {
    try {
      backend?.dispose();
    } catch {
      /* already broken */
    }
    attempt.terminate();
    throw e;
  } finally {
    if (timer) clearTimeout(timer);
    restoreCpus();
    restoreWorker();
  }
}

/** The `wasm` backend factory installed in place of tfjs-backend-wasm's: threaded when possible, else the stock one. */
async function startWasm(orig: Factory): Promise<tf.KernelBackend> {
  const s = settings!;
  const hooks = discoverHooks();
  let reason = s.reason;
  let quiet = s.quiet;
  if (s.threads > 1 && typeof hooks !== 'string') {
    try {
      if (!(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))) throw new Error('no WASM SIMD (the threaded binary needs it)');
      return await startThreaded(orig, hooks, Math.min(s.threads, hooks.poolSize + 1), s);
    } catch (e) {
      reason = errorText(e);
      quiet = false;
    }
  }
  try {
    tf.env().set(FLAG, false);
  } catch {
    /* flag not registered: tfjs decides on its own */
  }
  if (reason && !quiet) warnOnce(reason);
  const backend = await orig();
  status = { threads: 1, ...(reason ? { reason } : {}) };
  return backend;
}

/** Whether the wasm backend has started or is starting (without starting it, unlike `tf.findBackend`). */
function wasmStarted(): boolean {
  return 'wasm' in tf.engine().registry || tf.getBackend() === 'wasm';
}

/** Replaces the registered `wasm` backend factory by {@link startWasm} (once). Returns why it cannot, if so. */
function install(): string | undefined {
  if (installed) return undefined;
  if (wasmStarted()) return 'the WASM backend has already started';
  const orig = tf.findBackendFactory('wasm') as Factory | null;
  if (!orig) return 'the WASM backend is not registered (import @tensorflow/tfjs-backend-wasm first)';
  const priority = tf.engine().registryFactory.wasm?.priority ?? 2;
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', () => startWasm(orig), priority);
  installed = true;
  return undefined;
}

/**
 * Makes the WASM backend start multi-threaded in Node (threaded-SIMD binary, `threads` in XNNPACK's pool) when it
 * next starts. Call before the backend starts (the Node adapter does, at import); calling again before then
 * changes the thread count. Resolves to what will be asked for: `threads: 1` with a `reason` when threading is
 * off or cannot work here (the backend then starts single-threaded as usual). Whether the threaded start then
 * succeeded is {@link wasmThreads}; if it fails, the backend falls back to single-threaded WASM with a one-line
 * warning.
 */
export async function enableWasmThreads(options: WasmThreadsOptions = {}): Promise<WasmThreadsResult> {
  const asked = options.threads;
  if (asked !== undefined && !(Number.isInteger(asked) && asked >= 1)) throw new RangeError(`threads must be a whole number ≥ 1 (got ${asked}).`);
  const threads = asked ?? defaultThreads();
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (status || wasmStarted()) {
    return { threads: status?.threads ?? safeThreadsCount(), reason: 'the WASM backend has already started; choose threads before first use' };
  }
  let next: Settings;
  if (threads <= 1) {
    next = { threads: 1, reason: asked === 1 ? 'turned off' : 'single-core machine', quiet: true, timeoutMs };
  } else {
    const hooks = discoverHooks();
    if (typeof hooks === 'string') next = { threads: 1, reason: hooks, timeoutMs };
    else {
      const capped = Math.min(threads, hooks.poolSize + 1);
      next = { threads: capped, timeoutMs, fault: options.fault, ...(capped < threads ? { reason: `capped at ${capped} by the emscripten worker pool` } : {}) };
    }
  }
  settings = next;
  const cannot = install();
  if (cannot) {
    settings = undefined;
    return { threads: 1, reason: cannot };
  }
  return next.threads > 1 ? { threads: next.threads, ...(next.reason ? { reason: next.reason } : {}) } : { threads: 1, reason: next.reason };
}

function safeThreadsCount(): number {
  try {
    return tfwasm.getThreadsCount();
  } catch {
    return 1;
  }
}

/**
 * Threads the WASM backend runs with, once it has started (`undefined` before, or if it was not started through
 * {@link enableWasmThreads}); `reason` says why it is 1 (or fewer than asked).
 */
export function wasmThreads(): WasmThreadsResult | undefined {
  return status ? { ...status } : undefined;
}
