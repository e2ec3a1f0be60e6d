/**
 * Loads BullMQ (an optional peer dependency: only this entry needs it), and the pieces the client and the worker
 * share: connection options, storage defaults, key names.
 * @module
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StyleTransferError } from '../errors.js';
import { folderStorage, type Storage } from './storage.js';
import type { QueueBaseOptions, QueueConnection } from './types.js';

export type BullMQ = typeof import('bullmq');

let loaded: Promise<BullMQ> | undefined;

/** `import('bullmq')`, or a StyleTransferError saying to install it. */
export function loadBullMQ(): Promise<BullMQ> {
  return (loaded ??= import('bullmq').catch((e: unknown) => {
    loaded = undefined;
    throw new StyleTransferError('INVALID_OPTION', `neural-style-tfjs/queue needs BullMQ and a Redis client: npm install bullmq ioredis (${(e as Error).message.split('\n')[0]}).`, { field: 'bullmq' }, { cause: e });
  }));
}

export const DEFAULT_QUEUE_NAME = 'neural-style-tfjs';

/** Checked base options: BullMQ connection options, the queue's name and prefix, the storage. */
export function resolveBase(o: QueueBaseOptions): { connection: Record<string, unknown>; name: string; prefix?: string; storage: Storage } {
  if (!o || typeof o !== 'object') throw new StyleTransferError('INVALID_OPTION', 'Pass an options object with `connection`.', { field: 'options' });
  const name = o.name ?? DEFAULT_QUEUE_NAME;
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,100}$/.test(name)) throw new StyleTransferError('INVALID_OPTION', `\`name\` is ${JSON.stringify(name)}; expected 1–100 letters, digits, "_", ".", "-".`, { field: 'name' });
  if (o.prefix !== undefined && (typeof o.prefix !== 'string' || o.prefix.length === 0)) throw new StyleTransferError('INVALID_OPTION', '`prefix` must be a non-empty string.', { field: 'prefix' });
  const storage = o.storage ?? folderStorage(process.env.NST_QUEUE_STORAGE || join(tmpdir(), 'neural-style-tfjs-queue'));
  if (typeof storage.put !== 'function' || typeof storage.get !== 'function' || typeof storage.has !== 'function') {
    throw new StyleTransferError('INVALID_OPTION', '`storage` must have put, get and has.', { field: 'storage' });
  }
  return { connection: connectionOptions(o.connection), name, prefix: o.prefix, storage };
}

export function connectionOptions(c: QueueConnection): Record<string, unknown> {
  if (typeof c === 'string') {
    let url: URL;
    try {
      url = new URL(c);
    } catch {
      throw new StyleTransferError('INVALID_OPTION', `\`connection\` is ${JSON.stringify(c)}; expected a redis:// or rediss:// URL.`, { field: 'connection' });
    }
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new StyleTransferError('INVALID_OPTION', `\`connection\` is ${JSON.stringify(c)}; expected a redis:// or rediss:// URL.`, { field: 'connection' });
    return { url: c };
  }
  if (!c || typeof c !== 'object') throw new StyleTransferError('INVALID_OPTION', '`connection` must be a redis:// URL or BullMQ connection options.', { field: 'connection' });
  return c;
}

/** A job id as a storage path segment. */
export const safeId = (id: string): string => id.replace(/[^A-Za-z0-9._-]/g, '_');

/** Storage key of a job's file: `<queue>/<job id>/<file>`, so a retried job overwrites its own files. */
export const resultKey = (queue: string, jobId: string, file: string): string => `${queue}/${safeId(jobId)}/${file}`;

/** The Redis key that asks the worker running job `id` to stop. */
export const cancelKey = (prefix: string | undefined, queue: string, id: string): string => `${prefix ?? 'bull'}:${queue}:nst-cancel:${id}`;

/** The raw Redis client of a BullMQ Queue (get/set/del), for the cancel flags. */
export async function redisOf(queue: unknown): Promise<{ get(k: string): Promise<string | null>; set(k: string, v: string, o?: { EX?: number }): Promise<unknown>; del(...k: string[]): Promise<number> }> {
  const backend = (queue as { backend?: { client?: Promise<unknown> } }).backend;
  const client = await backend?.client;
  if (!client) throw new StyleTransferError('BACKEND', 'This BullMQ queue has no Redis client (a non-Redis backend?).');
  return client as Awaited<ReturnType<typeof redisOf>>;
}
