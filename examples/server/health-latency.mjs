#!/usr/bin/env node
/**
 * A small, bounded load against a running example server on 127.0.0.1: one stylize run of the given size, and
 * meanwhile `GET /health` one request at a time every 50 ms (at most --max-probes); prints the /health latency
 * percentiles during the run and the run's time. (How fast an abandoned run stops: abort-latency.mjs.)
 *
 *   node examples/server/server.mjs --styles ../shared/images --port 8080 &
 *   node examples/server/health-latency.mjs --url http://127.0.0.1:8080 --content photo.jpg --size 512 --iterations 10
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: a } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:8080' },
    content: { type: 'string' },
    style: { type: 'string' },
    size: { type: 'string', default: '512' },
    iterations: { type: 'string', default: '10' },
    'max-probes': { type: 'string', default: '2000' },
  },
});
if (!a.content || !new URL(a.url).hostname.match(/^(127\.0\.0\.1|localhost)$/)) {
  console.error('usage: node health-latency.mjs --url http://127.0.0.1:PORT --content FILE [--style NAME] [--size 512] [--iterations 10]');
  process.exit(2);
}
const body = readFileSync(a.content);
const style = a.style ?? (await (await fetch(`${a.url}/styles`)).json()).styles[0];
const health = async () => (await fetch(`${a.url}/health`)).json();
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function probeDuring(promise) {
  let done = false;
  void promise.finally(() => (done = true));
  const lat = [];
  while (!done && lat.length < Number(a['max-probes'])) {
    const t = performance.now();
    await health();
    lat.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 50));
  }
  return lat.sort((x, y) => x - y);
}

const base = await health();
const t0 = performance.now();
const run = fetch(`${a.url}/stylize?style=${style}&size=${a.size}&iterations=${a.iterations}`, { method: 'POST', body }).then(async (r) => ({ status: r.status, bytes: (await r.arrayBuffer()).byteLength }));
const lat = await probeDuring(run);
const res = await run;
const runMs = performance.now() - t0;
console.log(JSON.stringify({
  run: { size: Number(a.size), iterations: Number(a.iterations), status: res.status, ms: Math.round(runMs) },
  health: { probes: lat.length, p50: +pct(lat, 50).toFixed(1), p99: +pct(lat, 99).toFixed(1), max: +lat.at(-1).toFixed(1) },
}));

