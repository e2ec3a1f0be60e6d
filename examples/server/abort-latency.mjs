#!/usr/bin/env node
/**
 * How fast an abandoned run stops on a worker-thread session (what the example server does when a client leaves):
 * a run is aborted mid-pass, `--after` seconds after its 2nd iteration; prints how soon the call rejected, when
 * the worker first answered (it answers only between network passes) and when its tensor count was back to the
 * baseline (the run stopped and freed everything), with the iteration times for scale.
 *
 *   node examples/server/abort-latency.mjs --content photo.jpg --style starry.jpg --size 192 --after 1
 */
import { parseArgs } from 'node:util';
import { createWorkerStylizer, readImage } from 'neural-style-tfjs/node';

const { values: a } = parseArgs({ options: { content: { type: 'string' }, style: { type: 'string' }, size: { type: 'string', default: '192' }, after: { type: 'string', default: '1' } } });
if (!a.content || !a.style) {
  console.error('usage: node abort-latency.mjs --content FILE --style FILE [--size 192] [--after 1]');
  process.exit(2);
}
const s = await createWorkerStylizer({ cacheSize: 0 });
const [content, style] = [await readImage(a.content), await readImage(a.style)];
const base = (await s.memory()).numTensors;
const ac = new AbortController();
const stamps = [];
let abortAt = 0;
const run = s.stylize(content, style, {
  size: Number(a.size), iterations: 50, signal: ac.signal,
  onIteration: (i) => {
    stamps.push(performance.now());
    if (i.iteration === 2) {
      setTimeout(() => {
        abortAt = performance.now();
        ac.abort();
      }, Number(a.after) * 1000);
    }
  },
});
const rejected = await run.then(() => 'resolved', (e) => e.code);
const rejectMs = performance.now() - abortAt;
let m = await s.memory();
const firstAnswerMs = performance.now() - abortAt;
while (m.numTensors !== base) {
  await new Promise((r) => setTimeout(r, 20));
  m = await s.memory();
}
const freedMs = performance.now() - abortAt;
console.log(JSON.stringify({ size: Number(a.size), rejected, rejectMs: +rejectMs.toFixed(1), firstAnswerMs: Math.round(firstAnswerMs), freedMs: Math.round(freedMs), iterationMs: stamps.slice(1).map((t, i) => Math.round(t - stamps[i])) }));
s.dispose();
await s.exited;
