import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
const dir = mkdtempSync(join(tmpdir(), 'probe-'));
writeFileSync(join(dir, 'p.mjs'), `
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import { unsortByScatter, unsortInMemory, inversePermutationBySort, unsortByGather } from '${process.cwd()}/src/kernels/unsort.ts';
window.run = async (k, n, what) => {
  await tf.setBackend('webgpu'); await tf.ready();
  const out = {};
  const x = tf.randomNormal([k, n]);
  const steps = { topk: () => tf.topk(x, n, true).values, scatter: () => { const { values, indices } = tf.topk(x, n, true); return unsortByScatter(tf.mul(values, 2), indices); }, loop: () => { const { values, indices } = tf.topk(x, n, true); return unsortInMemory(tf.mul(values, 2), indices); }, gather: () => { const { values, indices } = tf.topk(x, n, true); return unsortByGather(tf.mul(values, 2), inversePermutationBySort(indices)); } };
  const once = async (f) => { const t = performance.now(); const y = tf.tidy(f); await y.data(); y.dispose(); return performance.now() - t; };
  for (const w of what) { try { await once(steps[w]); out[w] = []; } catch (e) { out[w] = String(e.message).slice(0, 200); } }
  for (let r = 0; r < 3; r++) for (const w of what) if (Array.isArray(out[w])) out[w].push(await once(steps[w]));
  for (const w of what) if (Array.isArray(out[w])) out[w] = +out[w].sort((a, b) => a - b)[1].toFixed(1);
  return out;
};`);
await build({ entryPoints: [join(dir, 'p.mjs')], bundle: true, format: 'esm', outfile: join(dir, 'p.js'), logLevel: 'error', nodePaths: [join(process.cwd(), 'node_modules')] });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--headless=new', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'] });
const page = await browser.newPage();
const { readFileSync } = await import('node:fs');
await page.route('**/*', (r) => r.request().url().endsWith('p.js') ? r.fulfill({ body: readFileSync(join(dir, 'p.js')), contentType: 'text/javascript' }) : r.fulfill({ body: '<script type="module" src="/p.js"></script>', contentType: 'text/html' }));
await page.goto('http://localhost:9/');
await page.waitForFunction(() => 'run' in window);
for (const [k, n, what] of JSON.parse(process.argv[2])) console.log(k, n, JSON.stringify(await page.evaluate(([k, n, w]) => window.run(k, n, w), [k, n, what])));
await browser.close();
