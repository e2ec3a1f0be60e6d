// A queue worker as its own process, for the tests: options from the environment, one line per event on stdout.
import { folderStorage, runWorker } from '../../dist/queue.js';

const w = await runWorker({
  connection: process.env.QUEUE_URL,
  name: process.env.QUEUE_NAME,
  storage: folderStorage(process.env.QUEUE_STORAGE),
  concurrency: Number(process.env.QUEUE_CONCURRENCY ?? 1),
  threads: 1,
  lockDurationMs: Number(process.env.QUEUE_LOCK_MS ?? 2000),
  stalledIntervalMs: Number(process.env.QUEUE_STALLED_MS ?? 1000),
  shutdownGraceMs: Number(process.env.QUEUE_GRACE_MS ?? 30000),
  progressEveryMs: 0,
  cancelPollMs: 100,
  log: (line) => console.log(line),
});
console.log(`worker ready ${process.pid}`);
await w.closed;
console.log('worker closed');
