/**
 * `neural-style-tfjs worker --redis URL`: runs a queue worker (see docs/scale-out.md) until SIGTERM/SIGINT, which
 * let the running jobs finish (or, after the grace, return them to the queue) and exit 0. Its own flags, parsed
 * here; registered in main.ts with one line.
 * @module
 */
import { parseArgs } from 'node:util';
import { UsageError } from './args.js';

export const WORKER_HELP = `Usage: neural-style-tfjs worker --redis URL [options]

Takes style-transfer jobs from a BullMQ queue on Redis (neural-style-tfjs/queue) and runs them, each slot in a
child process that keeps the weights loaded. Stops on SIGTERM/SIGINT: running jobs finish, or after --grace-ms
go back to the queue. The jobs come from stylize, sweep or study with --queue URL (give them the same
--queue-name and --storage as --name and --storage here), or from createQueue() of neural-style-tfjs/queue.

  --redis URL          Redis, e.g. redis://127.0.0.1:6379 (required)
  --name NAME          queue name (default neural-style-tfjs)
  --storage DIR        results folder shared with the producers (default $NST_QUEUE_STORAGE, else <tmp>/neural-style-tfjs-queue)
  --concurrency N      jobs at once, one child process each (default 1)
  --threads N          WASM threads per child (default cores / concurrency)
  --backend NAME       tensorflow, wasm or cpu (default: the fastest installed)
  --lock-ms MS         job lock duration; a dead worker's job is free after it (default 30000)
  --stalled-ms MS      how often to look for jobs of dead workers (default 30000)
  --grace-ms MS        on SIGTERM, how long running jobs may go on (default 30000)
  --quiet              no log lines
  -h, --help           this help`;

const num = (v: string | undefined, flag: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${flag} is ${JSON.stringify(v)}; expected a whole number`);
  return n;
};

/** Runs the worker; resolves to the exit code once it has closed. */
export async function workerCommand(argv: readonly string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        redis: { type: 'string' },
        name: { type: 'string' },
        storage: { type: 'string' },
        concurrency: { type: 'string' },
        threads: { type: 'string' },
        backend: { type: 'string' },
        'lock-ms': { type: 'string' },
        'stalled-ms': { type: 'string' },
        'grace-ms': { type: 'string' },
        quiet: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new UsageError(`${(e as Error).message} (see "neural-style-tfjs worker --help")`);
  }
  if (values.help) {
    process.stdout.write(`${WORKER_HELP}\n`);
    return 0;
  }
  if (typeof values.redis !== 'string') throw new UsageError('worker needs --redis URL (see "neural-style-tfjs worker --help")');
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const { runWorker } = await import('../queue/worker.js');
  const { folderStorage } = await import('../queue/storage.js');
  const log = values.quiet ? undefined : (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
  const worker = await runWorker({
    connection: values.redis,
    name: str('name'),
    storage: str('storage') ? folderStorage(str('storage')!) : undefined,
    concurrency: num(str('concurrency'), 'concurrency'),
    threads: num(str('threads'), 'threads'),
    backend: str('backend') as 'wasm' | undefined,
    lockDurationMs: num(str('lock-ms'), 'lock-ms'),
    stalledIntervalMs: num(str('stalled-ms'), 'stalled-ms'),
    shutdownGraceMs: num(str('grace-ms'), 'grace-ms'),
    log,
  });
  log?.(`worker ${process.pid} on queue ${str('name') ?? 'neural-style-tfjs'} at ${values.redis}`);
  await worker.closed;
  return 0;
}
