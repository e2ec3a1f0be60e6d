/**
 * The child processes of one worker: one per concurrency slot, forked on first use and kept (each holds a
 * session: the weights stay loaded, prepared styles stay cached). A child that dies is replaced on next use; the
 * job it was running fails with a transient error (and is retried).
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { StyleTransferError } from '../errors.js';
import { deserializeError, type ChildFile, type FromChild, type ToChild } from './protocol.js';
import type { JobProgress, QueueJobData } from './types.js';

/** The child's script: `queue-child.js` beside this module's built file (dist/). */
export function childScript(): string {
  const here = new URL('./queue-child.js', import.meta.url);
  const path = fileURLToPath(here);
  if (existsSync(path)) return path;
  // Running from the sources (tests): the built child in dist/.
  return fileURLToPath(new URL('../../dist/queue-child.js', import.meta.url));
}

interface Running {
  id: string;
  resolve: (v: { result: Record<string, unknown>; files: ChildFile[] }) => void;
  reject: (e: Error) => void;
  onProgress: (p: JobProgress) => void;
}

export class ChildSlot {
  private child?: ChildProcess;
  private running?: Running;
  private readyWait?: Promise<void>;
  /** The job waiting for the child to start, and whether it was cancelled meanwhile. */
  private starting?: string;
  private aborted?: string;
  busy = false;

  constructor(private readonly env: NodeJS.ProcessEnv, private readonly log: (line: string) => void) {}

  /** The child's pid (undefined before the first job). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the child (loads the weights) before the first job; resolves when it is ready. */
  start(): Promise<void> {
    if (this.child && this.readyWait) return this.readyWait;
    const child = fork(childScript(), [], { env: this.env, serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child = child;
    this.readyWait = new Promise<void>((resolve, reject) => {
      child.on('message', (m: FromChild) => {
        if (m.type === 'ready') {
          this.log(`child ${child.pid} ready (${m.backend})`);
          resolve();
        } else if (m.type === 'error' && m.id === '') reject(deserializeError(m.error));
        else if (m.type === 'progress' && this.running?.id === m.id) this.running.onProgress(m.progress);
        else if (m.type === 'done' && this.running?.id === m.id) {
          const r = this.running;
          this.running = undefined;
          r.resolve({ result: m.result, files: m.files });
        } else if (m.type === 'error' && this.running?.id === m.id) {
          const r = this.running;
          this.running = undefined;
          r.reject(deserializeError(m.error));
        }
      });
      child.on('exit', (code, signal) => {
        const why = new Error(`The worker's child process ${child.pid} exited (${signal ?? `code ${code}`}).`);
        if (this.child === child) {
          this.child = undefined;
          this.readyWait = undefined;
        }
        reject(why);
        const r = this.running;
        this.running = undefined;
        r?.reject(why);
      });
    });
    this.readyWait.catch(() => undefined);
    return this.readyWait;
  }

  /** Runs one job in the child (starting it if needed). */
  async run(id: string, data: QueueJobData, progressEveryMs: number, onProgress: (p: JobProgress) => void): Promise<{ result: Record<string, unknown>; files: ChildFile[] }> {
    this.aborted = undefined;
    this.starting = id;
    try {
      await this.start();
    } finally {
      this.starting = undefined;
    }
    const child = this.child;
    if (!child) throw new Error("The worker's child process is gone.");
    // Cancelled while the child was starting.
    if (this.aborted === id) throw new StyleTransferError('ABORTED', 'The job was cancelled.');
    return new Promise((resolve, reject) => {
      this.running = { id, resolve, reject, onProgress };
      const m: ToChild = { type: 'run', id, data, progressEveryMs };
      child.send(m);
    });
  }

  /** Asks the child to stop the job `id` (it rejects with ABORTED at the next iteration). */
  abort(id: string): void {
    if (this.starting === id) this.aborted = id;
    if (this.running?.id === id && this.child?.connected) this.child.send({ type: 'abort', id } satisfies ToChild);
  }

  dispose(): void {
    const c = this.child;
    this.child = undefined;
    if (c && c.exitCode === null) c.kill('SIGTERM');
  }
}

/** A fixed number of slots; BullMQ never runs more jobs at once than the worker's concurrency, so one is free. */
export class ChildPool {
  readonly slots: ChildSlot[];

  constructor(size: number, env: NodeJS.ProcessEnv, log: (line: string) => void) {
    this.slots = Array.from({ length: size }, () => new ChildSlot(env, log));
  }

  take(): ChildSlot {
    const s = this.slots.find((x) => !x.busy);
    if (!s) throw new Error('No free child process (more jobs than the concurrency).');
    s.busy = true;
    return s;
  }

  give(s: ChildSlot): void {
    s.busy = false;
  }

  dispose(): void {
    for (const s of this.slots) s.dispose();
  }
}
