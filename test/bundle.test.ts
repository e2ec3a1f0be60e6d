/**
 * A quick check of the BUILT package, imported by name: small ESM and CJS scripts run in child `node` processes
 * from a temp folder whose node_modules/neural-style-tfjs is a symlink to this repo (and node_modules/@tensorflow
 * to ours, the peer dependencies installed as devDependencies). The packaging itself (the tarball installed into
 * fresh Node, npx, bundler, browser and TypeScript projects) is checked by `npm run test:consumers`
 * (scripts/consumer-tests.mjs). Needs `dist/` (`npx tsup`, i.e. `npm run build`) and `weights/`
 * (`npm run weights`): the suite fails, rather than skips, when they are missing.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; exports: Record<string, unknown> };

/** What each script prints (one JSON line). */
interface Report {
  kind: 'esm' | 'cjs';
  resolved: string;
  backend: string;
  tfBackend: string;
  version: string;
  coreVersion?: string;
  start: number;
  afterLoad: number;
  afterExtract: number;
  end: number;
  shape: number[];
  max: number;
  unknownLayerCode: string;
  location: string;
}

// The same check in both module systems; `tf` is the user's own @tensorflow/tfjs-core, which must be the very
// instance the package registered its backend on.
const BODY = `
  const backend = await ready();
  const start = tf.memory().numTensors;
  const model = await loadVgg19();
  const afterLoad = tf.memory().numTensors;
  const w = 32, h = 24;
  const data = new Uint8Array(w * h * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + (i % 3) * 90) % 256;
  const { relu1_1 } = await extractFeatures(model, { data, width: w, height: h }, ['relu1_1']);
  const afterExtract = tf.memory().numTensors;
  let max = -Infinity;
  for (const v of relu1_1.dataSync()) max = Math.max(max, v);
  const shape = relu1_1.shape;
  relu1_1.dispose();
  let unknownLayerCode = 'no error';
  try {
    await extractFeatures(model, { data, width: w, height: h }, ['relu9_9']);
  } catch (e) {
    unknownLayerCode = e instanceof StyleTransferError ? e.code : 'not a StyleTransferError: ' + e;
  }
  model.dispose();
  const end = tf.memory().numTensors;
  return { backend, tfBackend: tf.getBackend(), version: VERSION, start, afterLoad, afterExtract, end, shape, max, unknownLayerCode, location: model.location };
`;

const ESM = `
import * as tf from '@tensorflow/tfjs-core';
import { loadVgg19, extractFeatures, ready, StyleTransferError, VERSION } from 'neural-style-tfjs/node';
const core = await import('neural-style-tfjs');
const report = await (async () => {${BODY}})();
console.log(JSON.stringify({ kind: 'esm', resolved: import.meta.resolve('neural-style-tfjs/node'), coreVersion: core.VERSION, ...report }));
`;

const CJS = `
const tf = require('@tensorflow/tfjs-core');
const { loadVgg19, extractFeatures, ready, StyleTransferError, VERSION } = require('neural-style-tfjs/node');
const core = require('neural-style-tfjs');
(async () => {${BODY}})().then(
  (report) => console.log(JSON.stringify({ kind: 'cjs', resolved: require.resolve('neural-style-tfjs/node'), coreVersion: core.VERSION, ...report })),
  (e) => { console.error(e); process.exit(1); },
);
`;

let dir: string;

async function runScript(file: string): Promise<Report> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS; // vitest's own loader options must not leak into the user's process
  let out: { stdout: string; stderr: string };
  try {
    out = await run(process.execPath, [file], { cwd: dir, env, timeout: 110_000, maxBuffer: 16 << 20 });
  } catch (e) {
    const { stdout, stderr } = e as { stdout?: string; stderr?: string };
    throw new Error(`node ${file} failed: ${(e as Error).message}\nstdout:\n${stdout}\nstderr:\n${stderr}`);
  }
  const line = out.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as Report;
  } catch {
    throw new Error(`node ${file} printed no report.\nstdout:\n${out.stdout}\nstderr:\n${out.stderr}`);
  }
}

beforeAll(() => {
  const needed = ['dist/index.js', 'dist/index.cjs', 'dist/node.js', 'dist/node.cjs', 'weights/manifest.json'];
  const missing = needed.filter((f) => !existsSync(join(ROOT, f)));
  if (missing.length) {
    throw new Error(`bundle tests need the built package; missing ${missing.join(', ')}. Run "npm run weights" and "npx tsup" (npm run build) first.`);
  }
  dir = mkdtempSync(join(tmpdir(), 'nst-bundle-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', pkg.name), 'dir');
  symlinkSync(join(ROOT, 'node_modules', '@tensorflow'), join(dir, 'node_modules', '@tensorflow'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'nst-bundle-check', private: true }));
  writeFileSync(join(dir, 'check.mjs'), ESM);
  writeFileSync(join(dir, 'check.cjs'), CJS);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('package layout', () => {
  it('every file the exports map names exists', () => {
    const targets: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') targets.push(v);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(pkg.exports);
    const files = targets.filter((t) => !t.includes('*'));
    expect(files.length).toBeGreaterThan(10);
    expect(files.filter((t) => !existsSync(join(ROOT, t)))).toEqual([]);
  });
});

describe.each([
  ['ESM import', 'check.mjs', 'dist/node.js'],
  ['CJS require', 'check.cjs', 'dist/node.cjs'],
])('built package via %s', (_, script, entry) => {
  let report: Report;
  beforeAll(async () => {
    report = await runScript(script);
  });

  it(`resolves "neural-style-tfjs/node" to ${entry}`, () => {
    expect(report.resolved.replace(/^file:\/\//, '')).toBe(join(ROOT, entry));
    expect(report.version).toBe(pkg.version);
    expect(report.coreVersion).toBe(pkg.version);
  });

  it('runs on the WASM backend, on the same tfjs-core instance as the user', () => {
    expect(report.backend).toBe('wasm');
    expect(report.tfBackend).toBe('wasm');
  });

  it('loads the packaged weights and extracts relu1_1', () => {
    expect(report.location).toBe(join(ROOT, 'weights') + '/');
    expect(report.afterLoad - report.start).toBeGreaterThanOrEqual(32);
    expect(report.shape).toEqual([1, 24, 32, 64]);
    expect(report.max).toBeGreaterThan(0);
    expect(report.afterExtract - report.afterLoad).toBe(1);
  });

  it('throws StyleTransferError from the built code', () => {
    expect(report.unknownLayerCode).toBe('UNKNOWN_LAYER');
  });

  it('frees every tensor after dispose', () => {
    expect(report.end).toBe(report.start);
  });
});

describe('the packaged weights are pinned by the build', () => {
  it('a package whose weights were swapped fails with WEIGHTS_CHECKSUM naming the shipped hash', async () => {
    // A copy of the package in which only the manifest's bytes differ (reformatted: same content, other sha256).
    const copy = mkdtempSync(join(tmpdir(), 'nst-pinned-'));
    try {
      const pkgDir = join(copy, 'node_modules', pkg.name);
      mkdirSync(join(pkgDir, 'weights'), { recursive: true });
      cpSync(join(ROOT, 'dist'), join(pkgDir, 'dist'), { recursive: true });
      cpSync(join(ROOT, 'package.json'), join(pkgDir, 'package.json'));
      for (const f of readdirSync(join(ROOT, 'weights')).filter((f) => f.endsWith('.bin'))) cpSync(join(ROOT, 'weights', f), join(pkgDir, 'weights', f));
      const manifest = JSON.parse(readFileSync(join(ROOT, 'weights', 'manifest.json'), 'utf8')) as unknown;
      writeFileSync(join(pkgDir, 'weights', 'manifest.json'), JSON.stringify(manifest, null, 1));
      for (const dep of ['@tensorflow', ...Object.keys((pkg as { dependencies?: Record<string, string> }).dependencies ?? {})]) {
        symlinkSync(join(ROOT, 'node_modules', dep), join(copy, 'node_modules', dep), 'dir');
      }
      writeFileSync(join(copy, 'swapped.mjs'), `
        import { loadVgg19 } from 'neural-style-tfjs/node';
        try { (await loadVgg19()).dispose(); console.log(JSON.stringify({ code: 'loaded' })); }
        catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }
        try { const m = await loadVgg19({ weights: new URL('./node_modules/neural-style-tfjs/weights/', import.meta.url).pathname }); m.dispose(); console.log(JSON.stringify({ code: 'explicit folder loads' })); }
        catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }
      `);
      const env = { ...process.env };
      delete env.NODE_OPTIONS;
      const out = await run(process.execPath, ['swapped.mjs'], { cwd: copy, env, timeout: 110_000 });
      const [byDefault, explicit] = out.stdout.trim().split('\n').map((l) => JSON.parse(l) as { code: string; message?: string });
      const shipped = (await import('node:crypto')).createHash('sha256').update(readFileSync(join(ROOT, 'weights', 'manifest.json'))).digest('hex');
      expect(byDefault.code).toBe('WEIGHTS_CHECKSUM');
      expect(byDefault.message).toContain(shipped);
      expect(byDefault.message).toMatch(/Reinstall the package/);
      // Weights named explicitly are the caller's choice (pin them with `integrity`).
      expect(explicit.code).toBe('explicit folder loads');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
