// Measures the queue on this machine (docs/scale-out.md): the round trip of an empty job (the queue's own
// overhead), and a sweep of small jobs with 1 and 2 worker processes. Run after `npx tsup`:
//   node test/queue/throughput.mjs [runs=8] [size=32] [iterations=5]
// Uses NST_REDIS_URL, else starts redis-server on a free 127.0.0.1 port. Worker processes: 1 WASM thread each.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createQueue, folderStorage } from '../../dist/queue.js';
import { encodeImage } from '../../dist/node.js';

const [runs = 8, size = 32, iterations = 5] = process.argv.slice(2).map(Number);
const freePort = () => new Promise((res) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); }); });
let url = process.env.NST_REDIS_URL;
let redis;
if (!url) {
  const port = await freePort();
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
  url = `redis://127.0.0.1:${port}`;
  await new Promise((r) => setTimeout(r, 500));
}
const picture = (seed) => {
  const data = new Uint8Array(size * size * 4);
  for (let i = 0; i < size * size; i++) data.set([(i * seed) % 251, (i * 7 + seed) % 253, ((i >> 3) * seed) % 255, 255], 4 * i);
  return encodeImage({ width: size, height: size, data }, 'png');
};
const dir = mkdtempSync(join(tmpdir(), 'nst-queue-bench-'));
const script = fileURLToPath(new URL('../helpers/queue-worker.mjs', import.meta.url));
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

console.log(`node ${process.version}, ${cpus().length} cores (${cpus()[0].model}); sweep: ${runs} runs of ${size}x${size}, ${iterations} iterations`);
for (const n of [1, 2]) {
  const name = `bench-${n}-${Date.now()}`;
  const workers = Array.from({ length: n }, () => {
    const p = spawn(process.execPath, [script], { env: { ...process.env, QUEUE_URL: url, QUEUE_NAME: name, QUEUE_STORAGE: dir }, stdio: ['ignore', 'pipe', 'inherit'] });
    p.ready = new Promise((res) => { let out = ''; p.stdout.on('data', (d) => { out += d; if (/^child \d+ ready/m.test(out)) res(); }); });
    return p;
  });
  await Promise.all(workers.map((w) => w.ready));
  const queue = await createQueue({ connection: url, name, storage: folderStorage(dir) });
  // The queue's own overhead: an empty job's round trip (enqueue → a worker takes it → completed → the client hears).
  const trips = [];
  for (let i = 0; i < 40; i++) {
    const t = performance.now();
    await (await queue.empty()).result();
    trips.push(performance.now() - t);
  }
  const t0 = performance.now();
  const s = await queue.sweep({ content: picture(3), style: picture(11), size, seed: 0, iterations, vary: { weightRatio: Array.from({ length: runs }, (_, i) => 10 ** (-4 + i * 0.5)) } });
  const r = await s.result();
  const wall = performance.now() - t0;
  const perJob = r.record.cells.map((c) => c.runMs);
  console.log(`${n} worker process(es): empty job round trip median ${median(trips).toFixed(1)} ms (min ${Math.min(...trips).toFixed(1)}); sweep ${runs} jobs in ${(wall / 1000).toFixed(1)} s = ${(runs / (wall / 60000)).toFixed(1)} jobs/min; median run ${(median(perJob) / 1000).toFixed(2)} s on the worker`);
  await queue.close();
  for (const w of workers) w.kill('SIGTERM');
  await Promise.all(workers.map((w) => new Promise((res) => (w.exitCode !== null ? res() : w.once('exit', res)))));
}
redis?.kill('SIGTERM');
