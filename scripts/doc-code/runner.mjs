/**
 * The child process of run-blocks.mjs: given blocks.json (written by it), makes the capped `neural-style-tfjs`
 * wrapper, writes the pictures the blocks open by name into the working folder, imports each block module in turn
 * and prints ok/FAIL with what was capped. Exits with the number of blocks that failed.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FILES, setContext } from './bindings.mjs';
import { CAPPED, capsApplied } from './caps.mjs';

const BLOCK_TIMEOUT_MS = 300_000;
/** The subpaths a Node program can import (the browser-only ones are not wrapped). */
const NODE_SUBPATHS = ['.', './node', './core', './experiments', './wasm', './queue'];


async function makeWrapper(root, tmp) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const dir = join(tmp, 'node_modules/neural-style-tfjs');
  mkdirSync(dir, { recursive: true });
  const exportsMap = {};
  const capsUrl = JSON.stringify(new URL('./caps.mjs', import.meta.url).href);
  for (const sub of NODE_SUBPATHS) {
    const e = pkg.exports[sub];
    const target = e.node?.import?.default ?? e.import.default;
    const real = JSON.stringify(pathToFileURL(join(root, target)).href);
    let names = [];
    try {
      names = Object.keys(await import(JSON.parse(real))).filter((n) => n in CAPPED);
    } catch {
      // an entry that cannot load here (e.g. /queue without bullmq) is passed through; a block importing it fails
    }
    const file = `${sub === '.' ? 'index' : sub.slice(2)}.mjs`;
    const lines = [`export * from ${real};`, `import * as real from ${real};`, `import { capped } from ${capsUrl};`, ...names.map((n) => `export const ${n} = capped(${JSON.stringify(n)}, real.${n});`)];
    writeFileSync(join(dir, file), `${lines.join('\n')}\n`);
    exportsMap[sub] = `./${file}`;
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'neural-style-tfjs', type: 'module', exports: exportsMap }));
}

async function writePictures(images, files, node) {
  const { default: sharp } = await import('sharp');
  for (const [name, source] of Object.entries(files)) {
    await sharp(join(images, source)).resize({ width: 32, height: 32, fit: 'inside' }).jpeg({ quality: 90 }).toFile(name);
  }
  setContext({
    node,
    image: (file) => node.readImage(resolve(file)),
    bytes: (file) => new Uint8Array(readFileSync(file)),
  });
}

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const tmp = join(process.argv[2], '..');
await makeWrapper(spec.root, tmp);
await writePictures(spec.images, spec.files ?? FILES, await import(pathToFileURL(join(spec.root, 'dist/node.js')).href));

let failed = 0;
const log = console.log;
for (const block of spec.blocks) {
  capsApplied.length = 0;
  const printed = [];
  console.log = console.info = (...a) => printed.push(a.join(' '));
  const t0 = performance.now();
  let error;
  let timer;
  try {
    await Promise.race([import(pathToFileURL(block.file).href), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`did not finish in ${BLOCK_TIMEOUT_MS / 1000} s`)), BLOCK_TIMEOUT_MS)))]);
  } catch (e) {
    error = e;
  } finally {
    clearTimeout(timer);
    console.log = console.info = log;
  }
  const secs = ((performance.now() - t0) / 1000).toFixed(1);
  const caps = capsApplied.length ? `; capped ${[...new Set(capsApplied)].join('; ')}` : '';
  if (error) {
    failed++;
    log(`FAIL ${block.at} (${secs} s${caps}): ${error.code ? `${error.code} ` : ''}${error.stack ?? error}`);
    for (const l of printed.slice(-10)) log(`     | ${l}`);
  } else {
    log(`ok   ${block.at} (${secs} s, printed ${printed.length} lines${caps})`);
  }
}
process.exit(Math.min(failed, 100));
